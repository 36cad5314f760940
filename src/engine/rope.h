// Rotary position embeddings, applied in place to x[S, heads, head_dim] f32 (token stride `ld`
// floats, 0 = heads*head_dim, so q/k slices of a fused QKV buffer work too).
#pragma once

#include <cstdint>

#include "engine/context.h"

namespace pictor::engine {

// Interleaved pairs (Z-Image, Flux): for k < head_dim/2, (x[2k], x[2k+1]) is rotated as the
// complex number x[2k] + i x[2k+1] times (cos + i sin). table[S, head_dim/2, 2] holds per token
// the (cos, sin) pairs (Z-Image: 64 pairs = [axis0 16 | axis1 24 | axis2 24]). head_dim even.
void rope_interleaved(Context& cx, float* x, int64_t S, int64_t heads, int64_t head_dim, const float* table,
                      int64_t ld = 0);

// Rotate-half / "neox" (Qwen3): pairs (i, i + head_dim/2):
//   x[i]' = x[i] cos[i] - x[i+h] sin[i],  x[i+h]' = x[i+h] cos[i] + x[i] sin[i]
// cos, sin: [S, head_dim/2] per token position (the caller builds them, e.g. rounded to bf16
// values for Qwen3 parity). head_dim even.
void rope_neox(Context& cx, float* x, int64_t S, int64_t heads, int64_t head_dim, const float* cos, const float* sin,
               int64_t ld = 0);

}  // namespace pictor::engine
