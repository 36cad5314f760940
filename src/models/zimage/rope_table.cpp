#include "models/zimage/rope_table.h"

#include <cmath>
#include <string>

#include "util/error.h"

namespace pictor::zimage {

RopeTable::RopeTable(const TransformerConfig& cfg) : lens_(cfg.axes_lens) {
    const size_t axes = cfg.axes_dims.size();
    half_.resize(axes);
    axis_.resize(axes);
    for (size_t a = 0; a < axes; ++a) {
        const int64_t d = cfg.axes_dims[a], h = d / 2, len = cfg.axes_lens[a];
        half_[a] = h;
        pairs_ += h;
        std::vector<double> omega(static_cast<size_t>(h));
        // float64 throughout, as torch.arange(..., dtype=float64) / d and theta ** (...).
        for (int64_t j = 0; j < h; ++j) omega[size_t(j)] = 1.0 / std::pow(cfg.rope_theta, double(2 * j) / double(d));
        std::vector<float>& t = axis_[a];
        t.resize(static_cast<size_t>(len * h * 2));
        for (int64_t p = 0; p < len; ++p)
            for (int64_t j = 0; j < h; ++j) {
                // The float64 angle is rounded to float32 before cos/sin (torch .float() then polar).
                const float angle = static_cast<float>(double(p) * omega[size_t(j)]);
                t[size_t((p * h + j) * 2)] = std::cos(angle);
                t[size_t((p * h + j) * 2 + 1)] = std::sin(angle);
            }
    }
}

void RopeTable::fill(int64_t p0, int64_t p1, int64_t p2, float* dst) const {
    const int64_t pos[3] = {p0, p1, p2};
    for (size_t a = 0; a < 3; ++a) {
        if (pos[a] < 0 || pos[a] >= lens_[a])
            fail(ErrorKind::InvalidArgument, "RoPE position " + std::to_string(pos[a]) + " on axis " + std::to_string(a) +
                                                 " exceeds the model's axes_lens " + std::to_string(lens_[a]) +
                                                 " (image or prompt too large)");
        const float* src = axis_[a].data() + pos[a] * half_[a] * 2;
        for (int64_t i = 0; i < half_[a] * 2; ++i) dst[i] = src[i];
        dst += half_[a] * 2;
    }
}

}  // namespace pictor::zimage
