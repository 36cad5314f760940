// One Z-Image transformer block (diffusers ZImageTransformerBlock with its Attention and
// FeedForward submodules), spec §3.3 (e). The same class serves the modulated blocks
// (noise_refiner, layers: adaLN scale/gate from the timestep embedding) and the unmodulated
// context_refiner blocks.
//
// Matmul fusion (fewer, larger oneDNN calls): to_q/to_k/to_v are one Linear with N = 3·dim
// whose output rows are [q | k | v] per token, and feed_forward.w1/w3 are one Linear with
// N = 2·ffn_dim whose output rows are [w1 x | w3 x].
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/linear.h"
#include "engine/tensor.h"
#include "models/zimage/transformer_config.h"
#include "store/model_files.h"

namespace pictor::zimage {

// Activation buffers shared by all blocks (they run one after another), grown on demand and
// reused for every step so that the denoising loop does not allocate.
struct BlockWorkspace {
    engine::AlignedBuffer xn;    // [n, dim]: normalised block input, then the attention output
    engine::AlignedBuffer big;   // [n, max(3·dim, ffn)]: fused QKV, then the SwiGLU hidden
    engine::AlignedBuffer proj;  // [n, dim]: to_out / w2 output
    engine::AlignedBuffer ab;    // [n, 2·ffn]: fused w1|w3 output
    engine::AlignedBuffer mod;   // [4·dim]: per-block modulation (see TransformerBlock::forward)

    void reserve(const TransformerConfig& cfg, int64_t tokens);
    size_t bytes() const { return xn.size() + big.size() + proj.size() + ab.size() + mod.size(); }
};

// Builds one owning [sum N_i, K] weight from row blocks stored as separate tensors (all [N_i, K]
// with the same K), keeping the source dtype so the Linear packs it exactly as it would pack the
// parts (fp8 keeps fp8 plus a concatenated row scale). Shapes are checked against `shapes`
// (Error(Corrupt) on mismatch). Mixed dtypes fall back to f32.
struct FusedWeight {
    engine::Tensor weight, scale;
};
// With evict_sources, the parts' file pages are dropped from the process and the page cache
// once copied (ModelFiles::evict_pages): see TransformerLoadOptions.
FusedWeight fuse_rows(const store::ModelFiles& files, const std::string& component, const std::vector<std::string>& names,
                      const std::vector<std::vector<int64_t>>& shapes, bool evict_sources = false);

struct TransformerLoadOptions {
    // The fused QKV and w1|w3 copies replace their sources (two thirds of the DiT's bytes) for
    // the model's lifetime. When the machine cannot cache every file of the model next to these
    // copies, the dead source pages compete with pages that are read on every generation (the
    // text encoder's), which may then come from the disk; evicting them avoids that. Off, a
    // reload finds the sources still cached.
    bool evict_fused_sources = false;
};

class TransformerBlock {
public:
    // `prefix` is e.g. "layers.3." within component "transformer".
    TransformerBlock(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg,
                     const std::string& prefix, bool modulated, const TransformerLoadOptions& options = {});

    // x [n, dim] is updated in place. rope [n, head_dim/2, 2] (cos, sin) for those tokens.
    // temb [adaln_dim] (modulated blocks; nullptr otherwise). Only the first n_out rows of the
    // result are computed (all n tokens still serve as keys/values): the last joint layer only
    // needs the image rows; rows n_out..n-1 of x are then left as they were.
    void forward(float* x, int64_t n, int64_t n_out, const float* rope, const float* temb, BlockWorkspace& ws);

    bool modulated() const { return modulated_; }
    size_t resident_bytes() const;

private:
    engine::Context* cx_;
    int64_t dim_, heads_, head_dim_, ffn_;
    float eps_;
    bool modulated_, qk_norm_;
    // Attention
    engine::Linear qkv_, to_out_;
    std::vector<float> norm_q_, norm_k_;  // [head_dim] (empty when qk_norm is false)
    // FeedForward
    engine::Linear w13_, w2_;
    // Sandwich norms [dim]
    std::vector<float> attention_norm1_, attention_norm2_, ffn_norm1_, ffn_norm2_;
    // adaLN_modulation.0: [4·dim, adaln_dim] -> scale_msa, gate_msa, scale_mlp, gate_mlp
    engine::Linear adaln_;
};

}  // namespace pictor::zimage
