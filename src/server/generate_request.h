// POST /api/generate for image models: the request body (reference §2.1.1 plus our fields
// negative_prompt and guidance) and its validation. Types are checked when parsing, as Go's
// binding does; ranges afterwards, once the model is known to exist, so that an unknown model
// is a 404 whatever else is wrong (the reference's order).
#pragma once

#include <nlohmann/json.hpp>

#include "server/image_service.h"

namespace pictor::server {

struct GenerateApiRequest {
    ImageRequest image;  // model, prompt, sizes, seed, keep_alive
    bool stream = true;
};

// Error(InvalidArgument) for fields of the wrong type ("width must be an integer") and a bad
// keep_alive. options.seed: 0, negative or absent = random (reference §2.1.1); fractions are
// truncated, as Go's float64-to-int conversion does.
GenerateApiRequest parse_generate_request(const nlohmann::json& body);

// Error(InvalidArgument): "width and height must be <= 4096" (the reference's message, checked
// first), then "width must be a multiple of 16 between 64 and 4096, got 70", "steps must be
// between 1 and 1000, got 0"... 0 means the model's default everywhere.
void validate_image_request(const ImageRequest& r);

}  // namespace pictor::server
