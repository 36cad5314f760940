// Qwen3 decoder configuration (transformers' Qwen3Config keys in text_encoder/config.json).
#pragma once

#include <cstdint>
#include <string_view>

namespace pictor::qwen3 {

struct Config {
    int64_t hidden_size = 0;
    int64_t num_hidden_layers = 0;
    int64_t intermediate_size = 0;
    int64_t num_attention_heads = 0;
    int64_t num_key_value_heads = 0;
    int64_t head_dim = 0;  // transformers' default when absent: hidden_size / num_attention_heads
    int64_t vocab_size = 0;
    double rms_norm_eps = 1e-6;
    double rope_theta = 1000000.0;

    // Error(Corrupt, "text_encoder/config.json: ...") on missing or inconsistent values.
    static Config parse(std::string_view json);
};

}  // namespace pictor::qwen3
