// Classifier-free guidance for the Z-Image base model (spec §4.3), as diffusers applies it to
// the raw DiT outputs (before the pipeline negates them). Turbo runs with guidance 0, so none
// of this is on its default path.
#pragma once

#include <cstddef>
#include <optional>

namespace pictor::zimage {

// diffusers (main) runs the negative pass whenever guidance > 0.
inline bool cfg_enabled(float guidance) { return guidance > 0.0f; }

// Whether step i uses CFG: t_model = (1000 - t_i)/1000 is compared with cfg_truncation
// (Python float, so in double); a truncation above 1 (or none) never switches CFG off.
bool cfg_applies_at(float guidance, float t_model, std::optional<double> cfg_truncation);

// out = pos + g·(pos - neg) in float32 (three roundings: subtract, multiply, add). out may
// alias pos.
void cfg_combine(const float* pos, const float* neg, float* out, size_t n, float guidance);

// cfg_normalization: if ||pred|| > factor·||pos|| (L2 over the whole tensor) scale pred down
// to exactly that norm. factor <= 0 disables it (diffusers: False). Returns whether it scaled.
bool cfg_renormalize(float* pred, const float* pos, size_t n, double factor);

}  // namespace pictor::zimage
