// Linear layer y[M, N] = x[M, K] · Wᵀ + b on f32 activations, backed by oneDNN matmul.
//
// Weights: W [N, K] (PyTorch order) of dtype F32, BF16, F16 or F8_E4M3; for fp8 an optional f32
// (or any float dtype) per-row scale [N] dequantises w = fp8 * scale[row]. Bias [N] optional,
// any float dtype. How the weight is held depends on the Context's precision:
//   F32            -> converted to f32 and reordered once into oneDNN's packed layout.
//   BF16 (native, AVX512-BF16 CPUs) -> kept as bf16 in oneDNN's plain layout (a borrowed bf16
//                     weight is used in place, no copy: the model costs its mmapped pages and
//                     nothing more) or fp8, which is expanded to a reused bf16 scratch buffer
//                     right before each matmul. LinearOptions::pack_native_bf16 packs an owned
//                     copy into oneDNN's blocked layout instead.
//   BF16 (emulated, CPUs without AVX512-BF16) -> kept as bf16 (a borrowed bf16 weight is used in
//                     place, no copy) or fp8 and multiplied by an AVX2 GEMM (gemm_avx2.h) that
//                     expands small blocks of it to f32 while packing; x is rounded to bf16
//                     values. Same products as native bf16, f32 accumulation.
// Primitives are created once per distinct M and cached.
//
// Not thread-safe; uses the Context's scratch. The Context must outlive the Linear.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "engine/context.h"
#include "engine/tensor.h"

namespace pictor::engine {

struct LinearOptions {
    // Defer conversion/packing to the first forward(). The weight (and scale) tensors are kept
    // as views until then, so borrowed storage must stay alive. Combined with release(), this
    // lets the text encoder hold only mmapped weights plus one layer's packed copy at a time.
    bool lazy = false;
    // Native bf16 only: reorder the weight once into oneDNN's blocked layout (an owned copy,
    // N*K*2 bytes) instead of multiplying the plain bf16 weight in place. For comparison in
    // engine_bench --packed; the default keeps RSS at the mmapped weights.
    bool pack_native_bf16 = false;
};

class Linear {
public:
    Linear();
    // weight [N, K]; bias [N] or undefined Tensor(); scale [N] (fp8 weights only) or undefined.
    Linear(Context& cx, Tensor weight, Tensor bias = {}, Tensor scale = {}, LinearOptions options = {});
    ~Linear();
    Linear(Linear&&) noexcept;
    Linear& operator=(Linear&&) noexcept;

    // y[M, N] = x[M, K] · Wᵀ + b. x and y contiguous, must not overlap. M = 0 is a no-op.
    void forward(const float* x, int64_t M, float* y);

    // Frees the prepared weight and cached primitives. A lazy Linear re-prepares from its
    // source on the next forward(); a non-lazy one throws if used again.
    void release();

    int64_t in_features() const { return k_; }
    int64_t out_features() const { return n_; }
    // Bytes this object holds on the heap for the weight (packed or compact, owned), bias, scale.
    size_t resident_bytes() const;
    // Bytes of Context scratch that forward() with M rows asks for (rounded/converted source
    // plus expanded weight): this layer's share of the scratch high-water mark.
    size_t scratch_bytes(int64_t M) const;

private:
    struct State;
    void prepare();

    Context* cx_ = nullptr;
    int64_t n_ = 0, k_ = 0;
    Tensor source_, source_scale_;  // kept for lazy preparation
    bool lazy_ = false, pack_native_ = false, released_ = false;
    std::unique_ptr<State> st_;
};

}  // namespace pictor::engine
