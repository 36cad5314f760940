#include "models/zimage/vae_resnet.h"

#include "engine/ops.h"

namespace pictor::zimage {

VaeResnet VaeResnet::load(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                          int64_t in_channels, int64_t out_channels, int64_t groups) {
    VaeResnet r;
    r.in_ = in_channels;
    r.out_ = out_channels;
    r.norm1_ = VaeGroupNorm::load(files, prefix + ".norm1", in_channels, groups);
    r.conv1_ = load_vae_conv(cx, files, prefix + ".conv1", out_channels, in_channels, 3);
    r.norm2_ = VaeGroupNorm::load(files, prefix + ".norm2", out_channels, groups);
    r.conv2_ = load_vae_conv(cx, files, prefix + ".conv2", out_channels, out_channels, 3);
    if (in_channels != out_channels)
        r.shortcut_ = load_vae_conv(cx, files, prefix + ".conv_shortcut", out_channels, in_channels, 1);
    return r;
}

void VaeResnet::forward(engine::Context& cx, const VaeBuffers& buf, int64_t h, int64_t w) {
    const int64_t hw = h * w;
    norm1_.apply(cx, buf.x, buf.t, hw, /*silu=*/true);
    conv1_.forward(buf.t, 1, h, w, buf.h);
    norm2_.apply(cx, buf.h, buf.h, hw, /*silu=*/true);  // in place: conv1's output is not needed again
    conv2_.forward(buf.h, 1, h, w, buf.t);
    if (!shortcut_) {
        engine::add(cx, buf.x, buf.t, buf.x, hw * out_);  // x += h, the skip added in place
    } else {
        // buf.h is free once conv2 has read it; x still holds the block input for the shortcut.
        shortcut_->forward(buf.x, 1, h, w, buf.h);
        engine::add(cx, buf.h, buf.t, buf.x, hw * out_);
    }
}

size_t VaeResnet::resident_bytes() const {
    return norm1_.resident_bytes() + norm2_.resident_bytes() + conv1_.resident_bytes() + conv2_.resident_bytes() +
           (shortcut_ ? shortcut_->resident_bytes() : 0);
}

}  // namespace pictor::zimage
