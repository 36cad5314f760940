// The Z-Image DiT (diffusers ZImageTransformer2DModel), batch of one, spec §3.3 with diffusers
// semantics: image tokens -> noise_refiner, caption tokens -> context_refiner (once per prompt),
// joint [image, caption] sequence -> layers -> final layer on the image tokens -> unpatchify.
//
// All weights are loaded (converted/packed by engine::Linear) once in load(); activations live
// in grow-only buffers reused across steps. Not thread-safe: one forward/prepare_caption at a
// time (it shares the Context's scratch), the Context must outlive the Transformer, and so must
// the ModelFiles when the Linears borrow weights (emulated-bf16 or fp8 weights are used in place).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/context.h"
#include "models/common/cancel.h"
#include "models/zimage/rope_table.h"
#include "models/zimage/transformer_block.h"
#include "models/zimage/transformer_config.h"
#include "models/zimage/transformer_embedders.h"
#include "store/model_files.h"

namespace pictor::zimage {

class Transformer {
public:
    // Reads transformer/config.json and every weight of component "transformer". Error(Corrupt)
    // when the config is invalid, a weight is missing or its shape does not match the config, or
    // the weights hold more blocks than the config says.
    static std::unique_ptr<Transformer> load(engine::Context& cx, const store::ModelFiles& files,
                                             const TransformerLoadOptions& options = {});

    const TransformerConfig& config() const { return cfg_; }

    // Caption features [cap_len, cap_feat_dim] (text-encoder output) -> embedded, padded to a
    // multiple of 32 with cap_pad_token, run through the context refiner. The result depends on
    // neither the timestep nor the latent: prepare once per prompt, reuse for every step.
    struct Caption;
    std::shared_ptr<const Caption> prepare_caption(std::span<const float> cap_feats, int64_t cap_len);

    // latent [in_channels, h, w] f32 (h, w multiples of the patch size); t_model = (1000 − t)/1000
    // as the pipeline passes it. Returns the raw model output [in_channels, h, w] (x0 − ε; the
    // pipeline negates it). Error(InvalidArgument) on a bad size or a caption from another model;
    // Error(Cancelled) when `cancel` is set (checked before every block).
    std::vector<float> forward(std::span<const float> latent, int64_t h, int64_t w, float t_model, const Caption& cap,
                               models::CancelFlag cancel = nullptr);

    // Heap bytes held: prepared weights, tables and the activation workspace.
    size_t resident_bytes() const;

    // Matmul + attention FLOPs of one forward (spec §9 counting: 2 per multiply-add) for an
    // h × w latent and a caption of cap_len tokens; the cached context refiner is excluded.
    double forward_flops(int64_t h, int64_t w, int64_t cap_len) const { return forward_flops(cfg_, h, w, cap_len); }
    static double forward_flops(const TransformerConfig& cfg, int64_t h, int64_t w, int64_t cap_len);

    Transformer(const Transformer&) = delete;
    Transformer& operator=(const Transformer&) = delete;
    ~Transformer();

private:
    Transformer(engine::Context& cx, const store::ModelFiles& files, TransformerConfig cfg,
                const TransformerLoadOptions& options);
    // Joint RoPE table for (image tokens incl. pads, caption tokens), cached per shape.
    const float* joint_rope(int64_t h_tokens, int64_t w_tokens, int64_t n_img_pad, int64_t cap_pad);

    engine::Context* cx_;
    TransformerConfig cfg_;
    RopeTable rope_;
    TimestepEmbedder t_embedder_;
    CaptionEmbedder cap_embedder_;
    engine::Linear x_embedder_;
    FinalLayer final_layer_;
    std::vector<float> x_pad_token_, cap_pad_token_;  // [dim]
    std::vector<TransformerBlock> noise_refiner_, context_refiner_, layers_;

    // Reused per-step buffers.
    BlockWorkspace ws_;
    engine::AlignedBuffer x_;        // [N, dim] joint hidden states
    engine::AlignedBuffer patches_;  // [N_img, p·p·C], later the final layer output
    std::vector<float> temb_;        // [adaln]
    std::vector<float> rope_joint_;  // [N, head_dim/2, 2]
    int64_t rope_key_[3] = {-1, -1, -1};
};

}  // namespace pictor::zimage
