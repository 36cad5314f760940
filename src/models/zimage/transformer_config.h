// Hyper-parameters of the Z-Image DiT (ZImageTransformer2DModel), read from
// transformer/config.json (spec §1.3). Only what the config file says lives here; the model's
// hard-coded constants (adaLN width, t-embedder sizes, FFN width, sequence padding) are derived
// by the helpers below so that tiny test models and the full model run the same code.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace pictor::zimage {

// The model component (diffusers folder) that holds the DiT's weights.
inline constexpr const char* kTransformerComponent = "transformer";

struct TransformerConfig {
    int64_t dim = 0;
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;  // diffusers ignores it: K/V always have n_heads heads
    int64_t n_layers = 0;
    int64_t n_refiner_layers = 0;
    int64_t in_channels = 0;
    int64_t cap_feat_dim = 0;
    int64_t patch_size = 0;    // all_patch_size[0]
    int64_t f_patch_size = 0;  // all_f_patch_size[0]
    double norm_eps = 0.0;
    double rope_theta = 0.0;
    double t_scale = 0.0;
    bool qk_norm = true;
    std::vector<int64_t> axes_dims;  // per RoPE axis (frame, row, column), sums to head_dim
    std::vector<int64_t> axes_lens;  // table length per axis = exclusive maximum position

    // Throws Error(Corrupt) naming the key when a required key is missing, has the wrong type,
    // or the values are inconsistent (dim not divisible by n_heads, axes_dims not summing to
    // head_dim, ...).
    static TransformerConfig parse(std::string_view json);

    // Derived sizes (constants of the PyTorch module, not config keys).
    int64_t head_dim() const { return dim / n_heads; }
    // FFN hidden width: PyTorch evaluates int(dim / 3 * 8) in float64.
    int64_t ffn_dim() const { return int64_t(double(dim) / 3.0 * 8.0); }
    // adaLN / timestep-embedding width: min(dim, ADALN_EMBED_DIM = 256).
    int64_t adaln_dim() const { return dim < 256 ? dim : 256; }
    // Values per patch token: p·p·pF·C.
    int64_t patch_features() const { return patch_size * patch_size * f_patch_size * in_channels; }

    static constexpr int64_t kSeqMultiple = 32;        // SEQ_MULTI_OF
    static constexpr int64_t kTimeFreqDim = 256;       // t-embedder sinusoid size
    static constexpr int64_t kTimeMidDim = 1024;       // t-embedder hidden size
    static constexpr double kTimeMaxPeriod = 10000.0;  // sinusoid max period
};

}  // namespace pictor::zimage
