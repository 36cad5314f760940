#include "models/zimage/cfg.h"

#include <cmath>

namespace pictor::zimage {

bool cfg_applies_at(float guidance, float t_model, std::optional<double> cfg_truncation) {
    if (!cfg_enabled(guidance)) return false;
    if (cfg_truncation && *cfg_truncation <= 1.0 && double(t_model) > *cfg_truncation) return false;
    return true;
}

void cfg_combine(const float* pos, const float* neg, float* out, size_t n, float guidance) {
    for (size_t i = 0; i < n; ++i) {
        const float diff = pos[i] - neg[i];
        const float scaled = guidance * diff;
        out[i] = pos[i] + scaled;
    }
}

namespace {
// torch.linalg.vector_norm reduces in float with its own blocking; summing squares in double
// and rounding once is at least as accurate and order-independent. Only the comparison and
// the scale factor depend on it, so a last-bit difference here is immaterial.
float l2_norm(const float* v, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += double(v[i]) * double(v[i]);
    return float(std::sqrt(s));
}
}  // namespace

bool cfg_renormalize(float* pred, const float* pos, size_t n, double factor) {
    if (!(factor > 0.0)) return false;
    const float pos_norm = l2_norm(pos, n);
    const float pred_norm = l2_norm(pred, n);
    const float max_norm = pos_norm * float(factor);
    if (!(pred_norm > max_norm)) return false;
    const float ratio = max_norm / pred_norm;
    for (size_t i = 0; i < n; ++i) pred[i] = pred[i] * ratio;
    return true;
}

}  // namespace pictor::zimage
