#include "models/zimage/vae_layers.h"

#include "engine/ops.h"
#include "engine/tensor.h"
#include "models/common/weights.h"

namespace pictor::zimage {

VaeGroupNorm VaeGroupNorm::load(const store::ModelFiles& files, const std::string& prefix, int64_t channels,
                                int64_t groups) {
    VaeGroupNorm n;
    n.channels = channels;
    n.groups = groups;
    n.gamma = models::weight_f32(files, "vae", prefix + ".weight", {channels});
    n.beta = models::weight_f32(files, "vae", prefix + ".bias", {channels});
    return n;
}

void VaeGroupNorm::apply(engine::Context& cx, const float* x, float* y, int64_t hw, bool silu) const {
    engine::group_norm_nhwc(cx, x, y, hw, channels, groups, kEps, gamma.data(), beta.data(), silu);
}

engine::Conv2d load_vae_conv(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                             int64_t out, int64_t in, int64_t k) {
    models::WeightTensors w = models::weight_tensor(files, "vae", prefix + ".weight", {out, in, k, k});
    const std::vector<float> bias = models::weight_f32(files, "vae", prefix + ".bias", {out});
    engine::Tensor weight = w.weight;
    // Conv2d takes no per-row scale: expand an fp8 weight (a quantised import) to f32 once here.
    if (w.scale.defined())
        weight = engine::Tensor::from_f32(models::weight_f32(files, "vae", prefix + ".weight"), {out, in, k, k});
    return engine::Conv2d(cx, weight, engine::Tensor::from_f32(bias, {out}));
}

}  // namespace pictor::zimage
