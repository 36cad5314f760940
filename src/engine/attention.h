// Multi-head attention, f32 in and out, tiled so that the S×Skv score matrix is never
// materialised: a fused flash-style kernel (online softmax) for short sequences, oneDNN matmuls
// over tiles of query rows for long ones (AttentionImpl).
//
//   out[i, h, :] = softmax_j( scale · q[i, h, :] · k[j, g(h), :] ) · v[j, g(h), :]
//   g(h) = h / (heads / kv_heads)           (grouped-query attention; kv_heads divides heads)
//   causal: key j is visible to query i iff j <= i + (Skv - S)   (requires Skv >= S)
//
// Precision BF16: q/k/v and the probabilities are rounded to bf16, dot products accumulate in
// f32 (vdpbf16ps on AVX512-BF16; exact-product emulation elsewhere). F32: pure f32 FMAs.
// Any head_dim works (128 real models, 16/32 tiny tests, 512 for the VAE mid-block); memory
// is O(threads · tile), plus one packed copy of K and V (Skv·kv_heads·head_dim · 4 or 8 bytes)
// in the Context's scratch. One OpenMP region over (head, query tile).
#pragma once

#include <cstdint>

#include "engine/context.h"

namespace pictor::engine {

// Fused: the flash-style kernel. Matmul: per (head, tile of query rows) two oneDNN matmuls
// around our softmax kernel (only a [tile, Skv] score tile exists at a time). Auto picks by shape.
enum class AttentionImpl { Auto, Fused, Matmul };

struct AttentionParams {
    int64_t S = 0;          // query tokens
    int64_t Skv = 0;        // key/value tokens
    int64_t heads = 0;      // query heads
    int64_t kv_heads = 0;   // key/value heads (0 = heads)
    int64_t head_dim = 0;
    float scale = 0.0f;     // 0 = 1/sqrt(head_dim)
    bool causal = false;
    // Token strides in floats (0 = packed: heads*head_dim for q/out, kv_heads*head_dim for k/v),
    // so q/k/v can be column slices of one fused QKV buffer.
    int64_t ldq = 0, ldk = 0, ldv = 0, ldo = 0;
    AttentionImpl impl = AttentionImpl::Auto;
};

// q [S, heads, head_dim], k/v [Skv, kv_heads, head_dim], out [S, heads, head_dim] (no overlap
// between out and q/k/v).
void attention(Context& cx, const float* q, const float* k, const float* v, float* out, const AttentionParams& p);

}  // namespace pictor::engine
