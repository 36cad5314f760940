#include "transfer/blob_list.h"

#include <unordered_set>

namespace pictor::transfer {

std::vector<BlobSpec> blobs_of(const store::Manifest& m) {
    std::vector<BlobSpec> out;
    std::unordered_set<std::string> seen;
    auto add = [&](const store::Layer& l) {
        if (seen.insert(l.digest).second) out.push_back({l.digest, l.size});
    };
    add(m.config);
    for (const auto& l : m.layers) add(l);
    return out;
}

uint64_t total_size(const std::vector<BlobSpec>& blobs) {
    uint64_t t = 0;
    for (const auto& b : blobs) t += b.size;
    return t;
}

}  // namespace pictor::transfer
