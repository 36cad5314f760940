// diffusers ResnetBlock2D as used by the VAE decoder (no time embedding, dropout 0, output scale 1):
//   h = conv1(SiLU(GN1(x))); h = conv2(SiLU(GN2(h))); return (x or conv_shortcut(x)) + h
// conv_shortcut (1x1) exists exactly when the channel count changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "models/zimage/vae_layers.h"

namespace pictor::zimage {

class VaeResnet {
public:
    // prefix e.g. "decoder.up_blocks.2.resnets.0".
    static VaeResnet load(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                          int64_t in_channels, int64_t out_channels, int64_t groups);

    // buf.x [h·w, in] -> buf.x [h·w, out]. Uses buf.t (h·w·max(in, out)) and buf.h (h·w·out).
    void forward(engine::Context& cx, const VaeBuffers& buf, int64_t h, int64_t w);

    int64_t in_channels() const { return in_; }
    int64_t out_channels() const { return out_; }
    size_t resident_bytes() const;

private:
    int64_t in_ = 0, out_ = 0;
    VaeGroupNorm norm1_, norm2_;
    engine::Conv2d conv1_, conv2_;
    std::optional<engine::Conv2d> shortcut_;
};

}  // namespace pictor::zimage
