// 2-D convolution on NHWC f32 activations via oneDNN (the VAE's layout: NCHW would make oneDNN
// fall back to im2col at about half the speed). Where the convolution computes in f32 (AVX2
// CPUs, and F32 precision) oneDNN runs it on its own blocked layout, with the input and output
// reordered around it: its AVX2 kernels are 2-3x faster there than on NHWC.
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
    // Large convolutions run in bands of output rows of about this many FLOPs each, with the
    // Context's cancel flag checked between bands: a 3x3 conv over a 1024² image with 128
    // channels is ~300 GFLOP, seconds on two cores, and a cancel must land well within a second.
    // Same results as one primitive; 0 = never split.
    int64_t band_flops = int64_t(4) << 30;
};

class Conv2d {
public:
    Conv2d();
    Conv2d(Context& cx, const Tensor& weight, const Tensor& bias = {}, Conv2dOptions options = {});
    ~Conv2d();
    Conv2d(Conv2d&&) noexcept;
    Conv2d& operator=(Conv2d&&) noexcept;

    // x [n, h, w, in_channels] -> y [n, out_h(h), out_w(w), out_channels]; no overlap.
    // Throws ErrorKind::Cancelled (y then incomplete) if the Context's cancel flag is set.
    void forward(const float* x, int64_t n, int64_t h, int64_t w, float* y);

    int64_t out_h(int64_t h) const;
    int64_t out_w(int64_t w) const;
    int64_t in_channels() const { return ic_; }
    int64_t out_channels() const { return oc_; }
    size_t resident_bytes() const;

private:
    struct State;
    struct Prim;
    // The primitive for an input of [n, h, w] with these vertical paddings (cached).
    Prim& primitive(int64_t n, int64_t h, int64_t w, int pad_top, int pad_bottom);
    Context* cx_ = nullptr;
    int64_t oc_ = 0, ic_ = 0, kh_ = 0, kw_ = 0;
    Conv2dOptions opt_;
    std::unique_ptr<State> st_;
};

}  // namespace pictor::engine
