#include "models/zimage/vae_upsample.h"

#include "engine/ops.h"

namespace pictor::zimage {

VaeUpsample VaeUpsample::load(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                              int64_t channels) {
    VaeUpsample u;
    u.c_ = channels;
    u.conv_ = load_vae_conv(cx, files, prefix + ".conv", channels, channels, 3);
    return u;
}

void VaeUpsample::forward(engine::Context& cx, const VaeBuffers& buf, int64_t h, int64_t w) {
    engine::upsample_nearest2x_nhwc(cx, buf.x, buf.t, h, w, c_);
    conv_.forward(buf.t, 1, 2 * h, 2 * w, buf.x);
}

}  // namespace pictor::zimage
