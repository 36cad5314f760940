// The n images of one OpenAI request (product.md §2.2): generated one after another through
// the ImageService, image i with seed first_seed + i, so any one of them can be reproduced
// alone with its reported seed.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "server/image_service.h"

namespace pictor::server {

struct BatchProgress {
    int image = 0;  // index in the batch
    int step = 0;   // denoising steps completed
    int total = 0;
};
using BatchProgressFn = std::function<void(const BatchProgress&)>;

// Only denoising progress is reported (what the step/total events describe), each step once.
// Throws what the service throws; a cancelled() that turns true between images stops the
// batch with Error(Cancelled).
std::vector<ImageResult> generate_batch(ImageService& service, const ImageRequest& base, int n, uint64_t first_seed,
                                        const BatchProgressFn& progress, const std::function<bool()>& cancelled);

// A seed for a request that gave none: random, below 2^53 so that JavaScript clients (whose
// numbers are doubles) read back exactly the seed that was used, and so are seed + 1..3.
uint64_t random_seed();

}  // namespace pictor::server
