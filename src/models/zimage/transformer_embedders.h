// The DiT's small non-block modules (diffusers transformer_z_image.py): the timestep embedder,
// the caption embedder and the final layer. spec §3.3 (a), (b), (f).5.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/context.h"
#include "engine/linear.h"
#include "models/zimage/transformer_config.h"
#include "store/model_files.h"

namespace pictor::zimage {

// t_embedder: sinusoid of tt = t_model·t_scale ([cos | sin], 128 frequencies, max period
// 10000, all f32 as PyTorch computes it) -> Linear(256→1024) -> SiLU -> Linear(1024→adaln).
class TimestepEmbedder {
public:
    TimestepEmbedder() = default;
    TimestepEmbedder(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg);
    // temb [adaln_dim], the adaLN input of every modulated block (no SiLU applied).
    void forward(float t_model, float* temb);
    size_t resident_bytes() const { return mlp0_.resident_bytes() + mlp2_.resident_bytes(); }

private:
    engine::Context* cx_ = nullptr;
    float t_scale_ = 0.0f;
    int64_t adaln_ = 0;
    engine::Linear mlp0_, mlp2_;
    std::vector<float> freq_, mid_;  // reused buffers: [256], [1024]
};

// cap_embedder: RMSNorm(cap_feat_dim, eps = norm_eps) -> Linear(cap_feat_dim → dim).
class CaptionEmbedder {
public:
    CaptionEmbedder() = default;
    CaptionEmbedder(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg);
    // feats [n, cap_feat_dim] -> out [n, dim].
    void forward(const float* feats, int64_t n, float* out);
    size_t resident_bytes() const { return linear_.resident_bytes() + norm_.size() * sizeof(float); }

private:
    engine::Context* cx_ = nullptr;
    int64_t in_ = 0;
    float eps_ = 0.0f;
    std::vector<float> norm_;
    engine::Linear linear_;
    std::vector<float> tmp_;  // normalised features (prepared once per prompt; not hot)
};

// all_final_layer.<p>-<f>: LayerNorm(no affine, eps 1e-6) ⊙ (1 + Linear(SiLU(temb))) -> Linear(dim → p·p·C).
class FinalLayer {
public:
    FinalLayer() = default;
    FinalLayer(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg);
    // x [n, dim] (left unchanged) -> out [n, p·p·C]; `tmp` is an [n, dim] scratch buffer.
    void forward(const float* x, int64_t n, const float* temb, float* tmp, float* out);
    size_t resident_bytes() const { return adaln_.resident_bytes() + linear_.resident_bytes(); }

private:
    engine::Context* cx_ = nullptr;
    int64_t dim_ = 0;
    engine::Linear adaln_, linear_;
    std::vector<float> act_, scale_;  // SiLU(temb) [adaln], scale [dim]
};

}  // namespace pictor::zimage
