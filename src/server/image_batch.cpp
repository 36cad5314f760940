#include "server/image_batch.h"

#include <random>

#include "util/error.h"

namespace pictor::server {

std::vector<ImageResult> generate_batch(ImageService& service, const ImageRequest& base, int n, uint64_t first_seed,
                                        const BatchProgressFn& progress, const std::function<bool()>& cancelled) {
    std::vector<ImageResult> out;
    out.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        if (cancelled()) fail(ErrorKind::Cancelled, "request canceled");
        ImageRequest req = base;
        req.seed = first_seed + static_cast<uint64_t>(i);  // wraps like torch's uint64 seeds
        BatchProgress last{i, -1, -1};
        auto on_progress = [&](const ImageProgress& p) {
            if (p.phase != ImageProgress::Phase::Denoising || p.total <= 0) return;
            if (p.completed == last.step && p.total == last.total) return;
            last.step = p.completed;
            last.total = p.total;
            if (progress) progress(last);
        };
        out.push_back(service.generate(req, on_progress, cancelled));
        if (out.back().png.empty())
            fail(ErrorKind::Internal, "image generation finished without an image (image " + std::to_string(i + 1) +
                                          " of " + std::to_string(n) + ")");
    }
    return out;
}

uint64_t random_seed() {
    std::random_device rd;
    const uint64_t bits = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    // Leave room for seed + 3 below 2^53.
    return bits % ((uint64_t{1} << 53) - 8);
}

}  // namespace pictor::server
