// The blobs a manifest names (config first, then layers), each once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/manifest.h"

namespace pictor::transfer {

struct BlobSpec {
    std::string digest;  // "sha256:<hex>"
    uint64_t size = 0;
};

std::vector<BlobSpec> blobs_of(const store::Manifest& m);
uint64_t total_size(const std::vector<BlobSpec>& blobs);

}  // namespace pictor::transfer
