// Internal: AVX2/FMA GEMM for emulated bf16 (CPUs without AVX512-BF16), used by Linear.
//
// y[M, N] = bf16(x)[M, K] · W[N, K]ᵀ (+ bias), W compact bf16 or fp8 E4M3 (times a per-row
// scale, rounded to bf16). oneDNN 2.6 has no bf16 matmul on AVX2, so the alternative is an f32
// matmul over an f32 copy of W; here the bf16 -> f32 expansion happens while packing small
// blocks of W (which any GEMM does anyway), so W is read once, as bf16, per call and nothing of
// W's f32 size is ever materialised. x is rounded to bf16 while being packed.
//
// Each output is the sum, in order, of FMA chains over 256-deep k blocks (exact products: bf16 x
// bf16 fits in f32), then + bias; for M <= 32 (no packing: dot products over all of K, see
// gemm_small_m) the sum of 8 lane-wise FMA chains. Either way one thread computes each output,
// so the result does not depend on the thread count.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "engine/tensor.h"

namespace pictor::engine::detail {

// Scratch the call needs: packed x (pack_bytes) and per-thread W blocks (block_bytes * threads).
size_t gemm_bf16w_pack_bytes(int64_t M, int64_t K);
size_t gemm_bf16w_block_bytes();

// One parallel region over nt threads. w: [N, K] BF16 or F8_E4M3; scale [N] for fp8 or null;
// bias [N] or null. pack: gemm_bf16w_pack_bytes(M, K) bytes; blocks: nt * gemm_bf16w_block_bytes().
// When `cancel` becomes true the threads skip their remaining blocks (y is then incomplete; the
// caller checks the flag and throws).
void gemm_bf16w_avx2(int nt, const float* x, int64_t M, int64_t K, const Tensor& w, const float* scale,
                     const float* bias, float* y, int64_t N, float* pack, float* blocks,
                     const std::atomic<bool>* cancel = nullptr);

}  // namespace pictor::engine::detail
