// diffusers Upsample2D as used by the VAE decoder: nearest-neighbour 2x, then conv3x3 (C -> C).
#pragma once

#include <cstdint>
#include <string>

#include "models/zimage/vae_layers.h"

namespace pictor::zimage {

class VaeUpsample {
public:
    // prefix e.g. "decoder.up_blocks.0.upsamplers.0".
    static VaeUpsample load(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                            int64_t channels);
    // buf.x [h, w, C] -> buf.x [2h, 2w, C]. Uses buf.t (4·h·w·C).
    void forward(engine::Context& cx, const VaeBuffers& buf, int64_t h, int64_t w);
    size_t resident_bytes() const { return conv_.resident_bytes(); }

private:
    int64_t c_ = 0;
    engine::Conv2d conv_;
};

}  // namespace pictor::zimage
