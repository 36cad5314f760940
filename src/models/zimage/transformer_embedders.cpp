#include "models/zimage/transformer_embedders.h"

#include <cmath>
#include <string>

#include "engine/ops.h"
#include "models/common/weights.h"

namespace pictor::zimage {

namespace {

engine::Linear linear(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix, int64_t n,
                      int64_t k) {
    models::WeightTensors w = models::weight_tensor(files, kTransformerComponent, prefix + ".weight", {n, k});
    models::WeightTensors b = models::weight_tensor(files, kTransformerComponent, prefix + ".bias", {n});
    return engine::Linear(cx, w.weight, b.weight, w.scale);
}

std::string embedder_suffix(const TransformerConfig& cfg) {
    return std::to_string(cfg.patch_size) + "-" + std::to_string(cfg.f_patch_size);
}
}  // namespace

TimestepEmbedder::TimestepEmbedder(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg)
    : cx_(&cx), t_scale_(float(cfg.t_scale)), adaln_(cfg.adaln_dim()) {
    mlp0_ = linear(cx, files, "t_embedder.mlp.0", TransformerConfig::kTimeMidDim, TransformerConfig::kTimeFreqDim);
    mlp2_ = linear(cx, files, "t_embedder.mlp.2", adaln_, TransformerConfig::kTimeMidDim);
    freq_.resize(size_t(TransformerConfig::kTimeFreqDim));
    mid_.resize(size_t(TransformerConfig::kTimeMidDim));
}

void TimestepEmbedder::forward(float t_model, float* temb) {
    // PyTorch: t * t_scale, then exp(-ln(max_period) · arange(half) / half) and t·freqs, each
    // op rounded to float32 (the Python double scalar is applied in float32).
    const int64_t half = TransformerConfig::kTimeFreqDim / 2;
    const float tt = t_model * t_scale_;
    const float neg_log = static_cast<float>(-std::log(TransformerConfig::kTimeMaxPeriod));
    for (int64_t k = 0; k < half; ++k) {
        const float e = (float(k) * neg_log) / float(half);
        const float arg = tt * std::exp(e);
        freq_[size_t(k)] = std::cos(arg);  // cos first ("flip_sin_to_cos")
        freq_[size_t(half + k)] = std::sin(arg);
    }
    mlp0_.forward(freq_.data(), 1, mid_.data());
    engine::silu(*cx_, mid_.data(), mid_.data(), int64_t(mid_.size()));
    mlp2_.forward(mid_.data(), 1, temb);
}

CaptionEmbedder::CaptionEmbedder(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg)
    : cx_(&cx), in_(cfg.cap_feat_dim), eps_(float(cfg.norm_eps)) {
    norm_ = models::weight_f32(files, kTransformerComponent, "cap_embedder.0.weight", {in_});
    linear_ = linear(cx, files, "cap_embedder.1", cfg.dim, in_);
}

void CaptionEmbedder::forward(const float* feats, int64_t n, float* out) {
    tmp_.resize(size_t(n * in_));
    engine::rms_norm(*cx_, feats, norm_.data(), tmp_.data(), n, in_, eps_);
    linear_.forward(tmp_.data(), n, out);
}

FinalLayer::FinalLayer(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg)
    : cx_(&cx), dim_(cfg.dim) {
    const std::string p = "all_final_layer." + embedder_suffix(cfg);
    adaln_ = linear(cx, files, p + ".adaLN_modulation.1", cfg.dim, cfg.adaln_dim());
    linear_ = linear(cx, files, p + ".linear", cfg.patch_features(), cfg.dim);
    act_.resize(size_t(cfg.adaln_dim()));
    scale_.resize(size_t(cfg.dim));
}

void FinalLayer::forward(const float* x, int64_t n, const float* temb, float* tmp, float* out) {
    engine::Context& cx = *cx_;
    // Unlike the blocks, the final layer's adaLN applies SiLU to temb first.
    engine::silu(cx, temb, act_.data(), int64_t(act_.size()));
    adaln_.forward(act_.data(), 1, scale_.data());
    engine::layer_norm(cx, x, tmp, n, dim_, 1e-6f);
    engine::modulate(cx, tmp, tmp, n, dim_, scale_.data(), nullptr);  // ⊙ (1 + scale)
    linear_.forward(tmp, n, out);
}

}  // namespace pictor::zimage
