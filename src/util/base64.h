// Standard base64 (RFC 4648 §4, with '=' padding), the encoding of images in JSON: the runner
// protocol, the native API's "image" and OpenAI's "b64_json".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pictor {

std::string base64_encode(std::span<const uint8_t> bytes);
inline std::string base64_encode(std::string_view bytes) {
    return base64_encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// Strict: length a multiple of 4, padding only at the end, no whitespace. nullopt otherwise.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace pictor
