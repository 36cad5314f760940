// VaeConfig::parse: the decoder-relevant keys of diffusers' AutoencoderKL config.json.
#include <nlohmann/json.hpp>

#include <string>

#include "models/common/config_json.h"
#include "models/zimage/vae_decoder.h"

namespace pictor::zimage {
namespace {

using nlohmann::json;

// Keys every real checkpoint carries but whose diffusers defaults are unambiguous.
int64_t optional_int(const models::ConfigJson& cfg, const json& j, const char* key, int64_t fallback) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? fallback : cfg.positive_int(*it, key);
}

double number(const models::ConfigJson& cfg, const json& j, const char* key, double fallback, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required) cfg.bad(std::string("missing key \"") + key + "\"");
        return fallback;
    }
    if (!it->is_number()) cfg.bad(std::string("\"") + key + "\" must be a number, got " + it->dump());
    return it->get<double>();
}

}  // namespace

VaeConfig VaeConfig::parse(std::string_view text) {
    const models::ConfigJson cfg("vae/config.json");
    const json j = cfg.parse_object(text);

    VaeConfig c;
    c.in_channels = optional_int(cfg, j, "in_channels", 3);
    c.out_channels = cfg.required_positive_int(j, "out_channels");
    c.latent_channels = cfg.required_positive_int(j, "latent_channels");
    c.layers_per_block = cfg.required_positive_int(j, "layers_per_block");
    c.norm_num_groups = cfg.required_positive_int(j, "norm_num_groups");

    const json& boc = cfg.require(j, "block_out_channels");
    if (!boc.is_array() || boc.empty()) cfg.bad("\"block_out_channels\" must be a non-empty list of integers");
    // More than 31 blocks would overflow scale_factor(); real models have 4.
    if (boc.size() > 16) cfg.bad("\"block_out_channels\" has " + std::to_string(boc.size()) + " entries (at most 16)");
    for (const json& e : boc) {
        c.block_out_channels.push_back(cfg.positive_int(e, "block_out_channels"));
        if (c.block_out_channels.back() % c.norm_num_groups != 0)
            cfg.bad("\"block_out_channels\" entry " + e.dump() + " is not a multiple of norm_num_groups " +
                std::to_string(c.norm_num_groups));
    }

    c.scaling_factor = number(cfg, j, "scaling_factor", 1.0, true);
    if (!(c.scaling_factor > 0.0)) cfg.bad("\"scaling_factor\" must be positive, got " + j["scaling_factor"].dump());
    c.shift_factor = number(cfg, j, "shift_factor", 0.0, false);  // null for SD-style VAEs

    if (auto it = j.find("mid_block_add_attention"); it != j.end() && !it->is_null()) {
        if (!it->is_boolean()) cfg.bad("\"mid_block_add_attention\" must be true or false, got " + it->dump());
        c.mid_block_add_attention = it->get<bool>();
    }
    // diffusers allows [h, w]; its tiling uses the first entry.
    if (auto it = j.find("sample_size"); it != j.end() && !it->is_null()) {
        const json& s = it->is_array() && !it->empty() ? it->front() : *it;
        c.sample_size = cfg.positive_int(s, "sample_size");
    }

    // The decoder built here is UpDecoderBlock2D + SiLU without post_quant_conv; any other
    // variant would silently compute something else, so refuse it.
    if (auto it = j.find("act_fn"); it != j.end() && !it->is_null() && *it != "silu")
        cfg.bad("\"act_fn\" " + it->dump() + " is not supported (only \"silu\")");
    if (auto it = j.find("use_post_quant_conv"); it != j.end() && it->is_boolean() && it->get<bool>())
        cfg.bad("\"use_post_quant_conv\": true is not supported");
    if (auto it = j.find("up_block_types"); it != j.end() && !it->is_null()) {
        if (!it->is_array() || it->size() != c.block_out_channels.size())
            cfg.bad("\"up_block_types\" must list one block per block_out_channels entry");
        for (const json& t : *it)
            if (t != "UpDecoderBlock2D") cfg.bad("up block type " + t.dump() + " is not supported");
    }
    return c;
}

}  // namespace pictor::zimage
