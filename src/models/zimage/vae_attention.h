// The VAE mid-block attention (diffusers Attention with a GroupNorm, one head of dim C,
// residual connection, rescale 1): y = x + to_out(softmax(q kᵀ/√C) v), q/k/v = Linear(GN(x)),
// on the [h·w, C] NHWC view of the image.
#pragma once

#include <cstdint>
#include <string>

#include "engine/linear.h"
#include "models/zimage/vae_layers.h"

namespace pictor::zimage {

class VaeAttention {
public:
    // prefix e.g. "decoder.mid_block.attentions.0".
    static VaeAttention load(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                             int64_t channels, int64_t groups);

    // buf.x [h·w, C] -> buf.x. Uses buf.t (h·w·C) and buf.h (h·w·3C).
    void forward(engine::Context& cx, const VaeBuffers& buf, int64_t hw);

    size_t resident_bytes() const;

private:
    int64_t c_ = 0;
    VaeGroupNorm norm_;
    engine::Linear qkv_;  // to_q, to_k, to_v stacked into one [3C, C] matmul
    engine::Linear out_;
};

}  // namespace pictor::zimage
