// Pieces shared by the VAE decoder blocks: the activation buffers they work in, GroupNorm
// parameters, and a checked conv loader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/conv2d.h"
#include "engine/context.h"
#include "store/model_files.h"

namespace pictor::zimage {

// Three NHWC f32 activation buffers of equal capacity, owned by the decoder and reused by every
// block so that a decode allocates nothing after the first call at a given size. Blocks take
// their input in `x` and leave their output in `x` (residual adds happen in place); `t` and `h`
// are temporaries whose contents do not survive a block.
struct VaeBuffers {
    float* x = nullptr;
    float* t = nullptr;
    float* h = nullptr;
};

// The VAE's GroupNorm: affine, eps 1e-6 everywhere (diffusers' Decoder; Ollama's 1e-5 differs).
struct VaeGroupNorm {
    static constexpr float kEps = 1e-6f;
    std::vector<float> gamma, beta;
    int64_t channels = 0, groups = 0;

    static VaeGroupNorm load(const store::ModelFiles& files, const std::string& prefix, int64_t channels,
                             int64_t groups);
    // y = GN(x) (optionally SiLU(GN(x))) over one image of hw pixels; y may equal x.
    void apply(engine::Context& cx, const float* x, float* y, int64_t hw, bool silu) const;
    size_t resident_bytes() const { return (gamma.size() + beta.size()) * sizeof(float); }
};

// Loads `<prefix>.weight` [out, in, k, k] and `<prefix>.bias` [out] from the "vae" component into
// an NHWC conv (padding k/2). Error(Corrupt) when missing or mis-shaped.
engine::Conv2d load_vae_conv(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                             int64_t out, int64_t in, int64_t k);

}  // namespace pictor::zimage
