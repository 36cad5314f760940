// 2-D convolution on NHWC f32 activations via oneDNN (the VAE's layout: NCHW would make oneDNN
// fall back to im2col at about half the speed).
//
// Weights [O, I, kh, kw] (PyTorch order) of any float dtype, converted and reordered ONCE at
// construction into oneDNN's packed layout: bf16 in BF16 precision (f32 values rounded to bf16
// on CPUs without AVX512-BF16, with the input rounded too: same products), f32 in F32 precision.
// Bias [O] optional. Primitives are cached per input shape.
//
// Not thread-safe; uses the Context's scratch; the Context must outlive the Conv2d.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/context.h"
#include "engine/tensor.h"

namespace pictor::engine {

struct Conv2dOptions {
    int stride = 1;
    // Zero padding per side; -1 means kernel/2 (so 3x3 -> 1, 1x1 -> 0). The VAE encoder's
    // downsampler uses stride 2 with pad_top = pad_left = 0, pad_bottom = pad_right = 1.
    int pad_top = -1, pad_left = -1, pad_bottom = -1, pad_right = -1;
};

class Conv2d {
public:
    Conv2d();
    Conv2d(Context& cx, const Tensor& weight, const Tensor& bias = {}, Conv2dOptions options = {});
    ~Conv2d();
    Conv2d(Conv2d&&) noexcept;
    Conv2d& operator=(Conv2d&&) noexcept;

    // x [n, h, w, in_channels] -> y [n, out_h(h), out_w(w), out_channels]; no overlap.
    void forward(const float* x, int64_t n, int64_t h, int64_t w, float* y);

    int64_t out_h(int64_t h) const;
    int64_t out_w(int64_t w) const;
    int64_t in_channels() const { return ic_; }
    int64_t out_channels() const { return oc_; }
    size_t resident_bytes() const;

private:
    struct State;
    Context* cx_ = nullptr;
    int64_t oc_ = 0, ic_ = 0, kh_ = 0, kw_ = 0;
    Conv2dOptions opt_;
    std::unique_ptr<State> st_;
};

}  // namespace pictor::engine
