// Element-wise and normalisation ops on f32 activations (row-major, contiguous unless a leading
// dimension is given). Every op:
//   - runs as ONE OpenMP region with ctx.num_threads() threads (serial when tiny);
//   - uses AVX-512 kernels when the CPU has them, else AVX2 (same code, see simd.h);
//   - allows in-place use (y == x) unless stated otherwise;
//   - does not allocate (GroupNorm uses the Context's scratch).
// Precision mode does not matter here: these ops always compute in f32.
#pragma once

#include <cstdint>

#include "engine/context.h"

namespace pictor::engine {

// y[r,:] = x[r,:] / sqrt(mean(x[r,:]^2) + eps) * weight   (weight [dim] or nullptr = 1).
// Per-head use (Qwen3 q_norm, Z-Image norm_q): rows = tokens*heads, dim = head_dim.
void rms_norm(Context& cx, const float* x, const float* weight, float* y, int64_t rows, int64_t dim, float eps);
// LayerNorm without affine: y = (x - mean) / sqrt(var + eps), per row (biased variance).
void layer_norm(Context& cx, const float* x, float* y, int64_t rows, int64_t dim, float eps);
// GroupNorm on one NHWC image x[hw, channels]; channel groups are contiguous (PyTorch order);
// gamma/beta [channels] (nullptr = no affine); fuse_silu applies SiLU to the result (VAE
// ResNet blocks: GN -> SiLU). channels % groups == 0; y may equal x. Batches: call per image.
void group_norm_nhwc(Context& cx, const float* x, float* y, int64_t hw, int64_t channels, int64_t groups, float eps,
                     const float* gamma, const float* beta, bool fuse_silu = false);
// Softmax over the last dimension of [rows, n].
void softmax(Context& cx, const float* x, float* y, int64_t rows, int64_t n);

// Element-wise over n values.
void silu(Context& cx, const float* x, float* y, int64_t n);   // x * sigmoid(x)
void tanh(Context& cx, const float* x, float* y, int64_t n);
void add(Context& cx, const float* a, const float* b, float* y, int64_t n);  // y = a + b
void mul(Context& cx, const float* a, const float* b, float* y, int64_t n);  // y = a * b
void scale_shift(Context& cx, const float* x, float* y, int64_t n, float scale, float shift);  // y = x*scale + shift
void clamp(Context& cx, const float* x, float* y, int64_t n, float lo, float hi);

// Per-channel broadcasts over [rows, c]:
// x += g ⊙ y (gated residual; g [c], nullptr means plain x += y). x must not alias y.
void gated_add(Context& cx, float* x, const float* g, const float* y, int64_t rows, int64_t c);
// y = x ⊙ (1 + scale) + shift (adaLN modulation; scale [c], shift [c] or nullptr).
void modulate(Context& cx, const float* x, float* y, int64_t rows, int64_t c, const float* scale, const float* shift);

// SwiGLU: y[r, :f] = silu(a[r, :f]) ⊙ b[r, :f] with row strides lda/ldb/ldy (in floats).
void swiglu(Context& cx, const float* a, int64_t lda, const float* b, int64_t ldb, float* y, int64_t ldy, int64_t rows,
            int64_t f);
// Fused layout ab[rows, 2f] = [a | b] per row -> y[rows, f] (y may not alias ab).
void swiglu_fused(Context& cx, const float* ab, float* y, int64_t rows, int64_t f);

// Nearest-neighbour 2x upsampling, NHWC: x[h, w, c] -> y[2h, 2w, c] (not in place).
void upsample_nearest2x_nhwc(Context& cx, const float* x, float* y, int64_t h, int64_t w, int64_t c);

}  // namespace pictor::engine
