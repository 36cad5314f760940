// Qwen3 decoder used as a text encoder (transformers' Qwen3Model): token ids -> the hidden
// state after a chosen number of decoder layers. Z-Image takes hidden_states[-2], the raw output
// of layer N-2, so only the embedding and the first N-1 layers are loaded; the final norm and
// the last layer are never read.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/context.h"
#include "models/common/cancel.h"
#include "models/qwen3/config.h"
#include "store/model_files.h"

namespace pictor::qwen3 {

class TextEncoder {
public:
    // layers_needed < 0: num_hidden_layers - 1 (hidden_states[-2]). The ModelFiles object must
    // outlive the encoder (weights are borrowed; matmul weights are packed lazily on first use).
    static std::unique_ptr<TextEncoder> load(engine::Context& cx, const store::ModelFiles& files,
                                             std::string_view component = "text_encoder", int layers_needed = -1);
    ~TextEncoder();

    const Config& config() const { return config_; }
    int64_t hidden_size() const { return config_.hidden_size; }

    // Hidden state after the loaded layers for the sequence `ids` (causal attention, positions
    // 0..n-1): [ids.size(), hidden_size] row-major. An empty sequence gives an empty result.
    // Error(Cancelled) when `cancel` is set (checked before every layer).
    std::vector<float> encode(std::span<const int32_t> ids, models::CancelFlag cancel = nullptr);

    // Frees the packed matmul weights; the next encode() packs them again.
    void release_packed_weights();

    // When on, encode() frees each layer's packed weights and drops the layer's mapped weight
    // pages (ModelFiles::release_pages) as soon as the layer has run, and the touched embedding
    // rows at the end: an encode then holds about one layer of weights in RSS instead of all of
    // them (~8 GB for Qwen3-4B) on top of the DiT. The price is that every encode faults the
    // weights in again from the page cache (and repacks them where they are packed).
    void set_release_after_use(bool on) { release_after_use_ = on; }
    size_t resident_bytes() const;

private:
    struct Layer;
    TextEncoder(engine::Context& cx, Config config);

    engine::Context& cx_;
    Config config_;
    const store::ModelFiles* files_ = nullptr;  // for release_pages; outlives the encoder
    std::string component_;
    bool release_after_use_ = false;
    engine::Tensor embed_tokens_;  // borrowed [vocab, hidden]
    std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace pictor::qwen3
