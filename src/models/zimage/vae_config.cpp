// VaeConfig::parse: the decoder-relevant keys of diffusers' AutoencoderKL config.json.
#include <nlohmann/json.hpp>

#include <string>

#include "models/zimage/vae_decoder.h"
#include "util/error.h"

namespace pictor::zimage {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& msg) { fail(ErrorKind::Corrupt, "vae/config.json: " + msg); }

const json& require(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) bad(std::string("missing key \"") + key + "\"");
    return *it;
}

int64_t positive_int(const json& v, const char* key) {
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
        bad(std::string("\"") + key + "\" must be a positive integer, got " + v.dump());
    return v.get<int64_t>();
}

int64_t required_int(const json& j, const char* key) { return positive_int(require(j, key), key); }

// Keys every real checkpoint carries but whose diffusers defaults are unambiguous.
int64_t optional_int(const json& j, const char* key, int64_t fallback) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? fallback : positive_int(*it, key);
}

double number(const json& j, const char* key, double fallback, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required) bad(std::string("missing key \"") + key + "\"");
        return fallback;
    }
    if (!it->is_number()) bad(std::string("\"") + key + "\" must be a number, got " + it->dump());
    return it->get<double>();
}

}  // namespace

VaeConfig VaeConfig::parse(std::string_view text) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        bad(std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) bad("not a JSON object");

    VaeConfig c;
    c.in_channels = optional_int(j, "in_channels", 3);
    c.out_channels = required_int(j, "out_channels");
    c.latent_channels = required_int(j, "latent_channels");
    c.layers_per_block = required_int(j, "layers_per_block");
    c.norm_num_groups = required_int(j, "norm_num_groups");

    const json& boc = require(j, "block_out_channels");
    if (!boc.is_array() || boc.empty()) bad("\"block_out_channels\" must be a non-empty list of integers");
    // More than 31 blocks would overflow scale_factor(); real models have 4.
    if (boc.size() > 16) bad("\"block_out_channels\" has " + std::to_string(boc.size()) + " entries (at most 16)");
    for (const json& e : boc) {
        c.block_out_channels.push_back(positive_int(e, "block_out_channels"));
        if (c.block_out_channels.back() % c.norm_num_groups != 0)
            bad("\"block_out_channels\" entry " + e.dump() + " is not a multiple of norm_num_groups " +
                std::to_string(c.norm_num_groups));
    }

    c.scaling_factor = number(j, "scaling_factor", 1.0, true);
    if (!(c.scaling_factor > 0.0)) bad("\"scaling_factor\" must be positive, got " + j["scaling_factor"].dump());
    c.shift_factor = number(j, "shift_factor", 0.0, false);  // null for SD-style VAEs

    if (auto it = j.find("mid_block_add_attention"); it != j.end() && !it->is_null()) {
        if (!it->is_boolean()) bad("\"mid_block_add_attention\" must be true or false, got " + it->dump());
        c.mid_block_add_attention = it->get<bool>();
    }
    // diffusers allows [h, w]; its tiling uses the first entry.
    if (auto it = j.find("sample_size"); it != j.end() && !it->is_null()) {
        const json& s = it->is_array() && !it->empty() ? it->front() : *it;
        c.sample_size = positive_int(s, "sample_size");
    }

    // The decoder built here is UpDecoderBlock2D + SiLU without post_quant_conv; any other
    // variant would silently compute something else, so refuse it.
    if (auto it = j.find("act_fn"); it != j.end() && !it->is_null() && *it != "silu")
        bad("\"act_fn\" " + it->dump() + " is not supported (only \"silu\")");
    if (auto it = j.find("use_post_quant_conv"); it != j.end() && it->is_boolean() && it->get<bool>())
        bad("\"use_post_quant_conv\": true is not supported");
    if (auto it = j.find("up_block_types"); it != j.end() && !it->is_null()) {
        if (!it->is_array() || it->size() != c.block_out_channels.size())
            bad("\"up_block_types\" must list one block per block_out_channels entry");
        for (const json& t : *it)
            if (t != "UpDecoderBlock2D") bad("up block type " + t.dump() + " is not supported");
    }
    return c;
}

}  // namespace pictor::zimage
