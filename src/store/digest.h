// Blob digests: "sha256:<64 hex>" (or the "sha256-" file-name form). Every path that takes a
// digest from outside validates it here first.
#pragma once

#include <string>
#include <string_view>

namespace pictor::store {

// ^sha256[:-][0-9a-fA-F]{64}$
bool is_valid_digest(std::string_view d);
// "sha256:<lowercase hex>"; throws Error(InvalidArgument, "invalid digest format") when invalid.
std::string normalize_digest(std::string_view d);
// "sha256-<lowercase hex>" (the blob's file name); validates like normalize_digest.
std::string digest_file_name(std::string_view d);
// "sha256:" + hex
inline std::string digest_from_hex(std::string_view hex) { return "sha256:" + std::string(hex); }

}  // namespace pictor::store
