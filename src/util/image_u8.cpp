#include "util/image_u8.h"

#include <cmath>

#include "util/error.h"

namespace pictor {

uint8_t unit_to_u8(float x) {
    // Two separate float roundings (multiply, then add) like torch's (x / 2 + 0.5); the
    // build has contraction off so this is not fused. NaN maps to 0 (clamp semantics of
    // std::clamp would keep NaN; torch's clamp would too, then uint8 cast is undefined —
    // 0 is the safe choice).
    float v = x * 0.5f + 0.5f;
    if (!(v > 0.0f)) v = 0.0f;
    if (v > 1.0f) v = 1.0f;
    // nearbyint uses the current rounding mode, which is round-to-nearest-even by default,
    // matching numpy's round().
    return uint8_t(std::nearbyint(v * 255.0f));
}

std::vector<uint8_t> planar_to_interleaved_u8(const float* x, int channels, int height, int width) {
    if (channels != 3 && channels != 4) fail(ErrorKind::InvalidArgument, "image: channels must be 3 or 4");
    if (height <= 0 || width <= 0) fail(ErrorKind::InvalidArgument, "image: bad size");
    const size_t plane = size_t(height) * size_t(width);
    std::vector<uint8_t> out(plane * size_t(channels));
    for (int c = 0; c < channels; ++c) {
        const float* src = x + size_t(c) * plane;
        for (size_t i = 0; i < plane; ++i) out[i * size_t(channels) + size_t(c)] = unit_to_u8(src[i]);
    }
    return out;
}

}  // namespace pictor
