#include "models/zimage/transformer_config.h"

#include <numeric>
#include <string>

#include "models/common/config_json.h"

namespace pictor::zimage {

TransformerConfig TransformerConfig::parse(std::string_view text) {
    const models::ConfigJson cfg("transformer/config.json");
    const nlohmann::json j = cfg.parse_object(text);

    TransformerConfig c;
    c.dim = cfg.required_positive_int(j, "dim");
    c.n_heads = cfg.required_positive_int(j, "n_heads");
    // diffusers accepts and ignores n_kv_heads; absent means "same as n_heads".
    c.n_kv_heads = j.contains("n_kv_heads") && !j["n_kv_heads"].is_null() ? cfg.required_positive_int(j, "n_kv_heads") : c.n_heads;
    c.n_layers = cfg.required_positive_int(j, "n_layers");
    c.n_refiner_layers = cfg.required_positive_int(j, "n_refiner_layers");
    c.in_channels = cfg.required_positive_int(j, "in_channels");
    c.cap_feat_dim = cfg.required_positive_int(j, "cap_feat_dim");
    // The pipeline always calls the model with the first (and in practice only) patch sizes;
    // the embedder weights are named after them ("all_x_embedder.2-1").
    c.patch_size = cfg.positive_int_list(j, "all_patch_size").front();
    c.f_patch_size = cfg.positive_int_list(j, "all_f_patch_size").front();
    c.norm_eps = cfg.required_positive_number(j, "norm_eps");
    c.rope_theta = cfg.required_positive_number(j, "rope_theta");
    c.t_scale = cfg.required_positive_number(j, "t_scale");
    const nlohmann::json& qk = cfg.require(j, "qk_norm");
    if (!qk.is_boolean()) cfg.bad("\"qk_norm\" must be true or false, got " + qk.dump());
    c.qk_norm = qk.get<bool>();
    c.axes_dims = cfg.positive_int_list(j, "axes_dims");
    c.axes_lens = cfg.positive_int_list(j, "axes_lens");

    if (c.dim % c.n_heads != 0)
        cfg.bad("dim " + std::to_string(c.dim) + " is not a multiple of n_heads " + std::to_string(c.n_heads));
    if (c.head_dim() % 2 != 0) cfg.bad("head dim " + std::to_string(c.head_dim()) + " must be even for RoPE");
    // Positions are (frame, row, column): the model is written for exactly three RoPE axes.
    if (c.axes_dims.size() != 3 || c.axes_lens.size() != 3) cfg.bad("\"axes_dims\" and \"axes_lens\" must have 3 entries");
    for (int64_t d : c.axes_dims)
        if (d % 2 != 0) cfg.bad("\"axes_dims\" entries must be even");
    const int64_t rope_dims = std::accumulate(c.axes_dims.begin(), c.axes_dims.end(), int64_t(0));
    if (rope_dims != c.head_dim())
        cfg.bad("axes_dims sum to " + std::to_string(rope_dims) + " but the head dim (dim / n_heads) is " +
            std::to_string(c.head_dim()));
    // Images are single frames: a temporal patch other than 1 cannot tile them.
    if (c.f_patch_size != 1) cfg.bad("all_f_patch_size must be [1] for images, got " + std::to_string(c.f_patch_size));
    return c;
}

}  // namespace pictor::zimage
