#include "models/zimage/transformer_config.h"

#include <nlohmann/json.hpp>

#include <numeric>
#include <string>

#include "util/error.h"

namespace pictor::zimage {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& msg) { fail(ErrorKind::Corrupt, "transformer/config.json: " + msg); }

const json& require(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) bad(std::string("missing key \"") + key + "\"");
    return *it;
}

int64_t positive_int(const json& j, const char* key) {
    const json& v = require(j, key);
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
        bad(std::string("\"") + key + "\" must be a positive integer, got " + v.dump());
    return v.get<int64_t>();
}

double positive_number(const json& j, const char* key) {
    const json& v = require(j, key);
    if (!v.is_number() || !(v.get<double>() > 0.0))
        bad(std::string("\"") + key + "\" must be a positive number, got " + v.dump());
    return v.get<double>();
}

std::vector<int64_t> int_list(const json& j, const char* key) {
    const json& v = require(j, key);
    if (!v.is_array() || v.empty()) bad(std::string("\"") + key + "\" must be a non-empty list of integers");
    std::vector<int64_t> out;
    for (const json& e : v) {
        if (!e.is_number_integer() || e.get<int64_t>() <= 0)
            bad(std::string("\"") + key + "\" must hold positive integers, got " + v.dump());
        out.push_back(e.get<int64_t>());
    }
    return out;
}

}  // namespace

TransformerConfig TransformerConfig::parse(std::string_view text) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        bad(std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) bad("not a JSON object");

    TransformerConfig c;
    c.dim = positive_int(j, "dim");
    c.n_heads = positive_int(j, "n_heads");
    // diffusers accepts and ignores n_kv_heads; absent means "same as n_heads".
    c.n_kv_heads = j.contains("n_kv_heads") && !j["n_kv_heads"].is_null() ? positive_int(j, "n_kv_heads") : c.n_heads;
    c.n_layers = positive_int(j, "n_layers");
    c.n_refiner_layers = positive_int(j, "n_refiner_layers");
    c.in_channels = positive_int(j, "in_channels");
    c.cap_feat_dim = positive_int(j, "cap_feat_dim");
    // The pipeline always calls the model with the first (and in practice only) patch sizes;
    // the embedder weights are named after them ("all_x_embedder.2-1").
    c.patch_size = int_list(j, "all_patch_size").front();
    c.f_patch_size = int_list(j, "all_f_patch_size").front();
    c.norm_eps = positive_number(j, "norm_eps");
    c.rope_theta = positive_number(j, "rope_theta");
    c.t_scale = positive_number(j, "t_scale");
    const json& qk = require(j, "qk_norm");
    if (!qk.is_boolean()) bad("\"qk_norm\" must be true or false, got " + qk.dump());
    c.qk_norm = qk.get<bool>();
    c.axes_dims = int_list(j, "axes_dims");
    c.axes_lens = int_list(j, "axes_lens");

    if (c.dim % c.n_heads != 0)
        bad("dim " + std::to_string(c.dim) + " is not a multiple of n_heads " + std::to_string(c.n_heads));
    if (c.head_dim() % 2 != 0) bad("head dim " + std::to_string(c.head_dim()) + " must be even for RoPE");
    // Positions are (frame, row, column): the model is written for exactly three RoPE axes.
    if (c.axes_dims.size() != 3 || c.axes_lens.size() != 3) bad("\"axes_dims\" and \"axes_lens\" must have 3 entries");
    for (int64_t d : c.axes_dims)
        if (d % 2 != 0) bad("\"axes_dims\" entries must be even");
    const int64_t rope_dims = std::accumulate(c.axes_dims.begin(), c.axes_dims.end(), int64_t(0));
    if (rope_dims != c.head_dim())
        bad("axes_dims sum to " + std::to_string(rope_dims) + " but the head dim (dim / n_heads) is " +
            std::to_string(c.head_dim()));
    // Images are single frames: a temporal patch other than 1 cannot tile them.
    if (c.f_patch_size != 1) bad("all_f_patch_size must be [1] for images, got " + std::to_string(c.f_patch_size));
    return c;
}

}  // namespace pictor::zimage
