#include "models/qwen3/config.h"

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace pictor::qwen3 {

namespace {
[[noreturn]] void bad(const std::string& why) { fail(ErrorKind::Corrupt, "text_encoder/config.json: " + why); }

int64_t positive(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() <= 0)
        bad(std::string("\"") + key + "\" must be a positive integer");
    return it->get<int64_t>();
}
}  // namespace

Config Config::parse(std::string_view text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) bad("not a JSON object");
    Config c;
    c.hidden_size = positive(j, "hidden_size");
    c.num_hidden_layers = positive(j, "num_hidden_layers");
    c.intermediate_size = positive(j, "intermediate_size");
    c.num_attention_heads = positive(j, "num_attention_heads");
    c.num_key_value_heads = j.contains("num_key_value_heads") ? positive(j, "num_key_value_heads") : c.num_attention_heads;
    c.head_dim = (j.contains("head_dim") && !j["head_dim"].is_null()) ? positive(j, "head_dim")
                                                                       : c.hidden_size / c.num_attention_heads;
    c.vocab_size = positive(j, "vocab_size");
    if (j.contains("rms_norm_eps") && j["rms_norm_eps"].is_number()) c.rms_norm_eps = j["rms_norm_eps"].get<double>();
    if (j.contains("rope_theta") && j["rope_theta"].is_number()) c.rope_theta = j["rope_theta"].get<double>();
    if (c.num_attention_heads % c.num_key_value_heads != 0) bad("num_attention_heads must be a multiple of num_key_value_heads");
    if (c.head_dim % 2 != 0) bad("head_dim must be even");
    return c;
}

}  // namespace pictor::qwen3
