#include "models/qwen3/text_encoder.h"

#include <cmath>
#include <string>

#include "engine/attention.h"
#include "engine/linear.h"
#include "engine/ops.h"
#include "engine/rope.h"
#include "models/common/weights.h"
#include "util/error.h"

namespace pictor::qwen3 {

using engine::Linear;
using engine::LinearOptions;

// One decoder layer (Qwen3DecoderLayer): pre-norm attention with per-head q/k RMSNorm and
// rotate-half RoPE, then a pre-norm SwiGLU MLP.
struct TextEncoder::Layer {
    std::vector<float> input_norm, post_attention_norm, q_norm, k_norm;
    Linear q, k, v, o, gate, up, down;
    std::vector<std::span<const std::byte>> mapped;  // the matmul weights' bytes (and fp8 scales)
};

TextEncoder::TextEncoder(engine::Context& cx, Config config) : cx_(cx), config_(config) {}
TextEncoder::~TextEncoder() = default;

std::unique_ptr<TextEncoder> TextEncoder::load(engine::Context& cx, const store::ModelFiles& files,
                                               std::string_view component, int layers_needed) {
    Config c = Config::parse(files.require_text(std::string(component) + "/config.json"));
    if (layers_needed < 0) layers_needed = int(c.num_hidden_layers) - 1;
    if (layers_needed > c.num_hidden_layers)
        fail(ErrorKind::InvalidArgument, "text encoder has " + std::to_string(c.num_hidden_layers) + " layers, " +
                                             std::to_string(layers_needed) + " requested");
    std::unique_ptr<TextEncoder> te(new TextEncoder(cx, c));
    te->files_ = &files;
    te->component_ = std::string(component);
    const int64_t H = c.hidden_size, hd = c.head_dim, nq = c.num_attention_heads, nkv = c.num_key_value_heads,
                  I = c.intermediate_size;
    te->embed_tokens_ = models::weight_tensor(files, component, "model.embed_tokens.weight", {c.vocab_size, H}).weight;

    // Packing is lazy: loading costs nothing but mapping, and release_packed_weights() can drop
    // the packed copies once the prompt is encoded.
    LinearOptions lazy{.lazy = true};
    std::unique_ptr<Layer> layer;
    auto linear = [&](const std::string& name, std::vector<int64_t> shape) {
        models::WeightTensors w = models::weight_tensor(files, component, name, shape);
        for (const engine::Tensor* t : {&w.weight, &w.scale})
            if (t->defined()) layer->mapped.emplace_back(t->bytes(), t->nbytes());
        return Linear(cx, w.weight, {}, w.scale, lazy);
    };
    for (int l = 0; l < layers_needed; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        layer = std::make_unique<Layer>();
        layer->input_norm = models::weight_f32(files, component, p + "input_layernorm.weight", {H});
        layer->post_attention_norm = models::weight_f32(files, component, p + "post_attention_layernorm.weight", {H});
        layer->q_norm = models::weight_f32(files, component, p + "self_attn.q_norm.weight", {hd});
        layer->k_norm = models::weight_f32(files, component, p + "self_attn.k_norm.weight", {hd});
        layer->q = linear(p + "self_attn.q_proj.weight", {nq * hd, H});
        layer->k = linear(p + "self_attn.k_proj.weight", {nkv * hd, H});
        layer->v = linear(p + "self_attn.v_proj.weight", {nkv * hd, H});
        layer->o = linear(p + "self_attn.o_proj.weight", {H, nq * hd});
        layer->gate = linear(p + "mlp.gate_proj.weight", {I, H});
        layer->up = linear(p + "mlp.up_proj.weight", {I, H});
        layer->down = linear(p + "mlp.down_proj.weight", {H, I});
        te->layers_.push_back(std::move(layer));
    }
    return te;
}

std::vector<float> TextEncoder::encode(std::span<const int32_t> ids, models::CancelFlag cancel) {
    const Config& c = config_;
    const int64_t L = int64_t(ids.size()), H = c.hidden_size, hd = c.head_dim, nq = c.num_attention_heads,
                  nkv = c.num_key_value_heads, I = c.intermediate_size;
    std::vector<float> h(size_t(L * H));
    if (L == 0) return h;

    // Embedding lookup: only the rows of the prompt's tokens are touched in the (mmapped) table.
    const size_t row_bytes = size_t(H) * engine::dtype_size(embed_tokens_.dtype());
    for (int64_t i = 0; i < L; ++i) {
        int32_t id = ids[size_t(i)];
        if (id < 0 || id >= c.vocab_size)
            fail(ErrorKind::InvalidArgument, "token id " + std::to_string(id) + " is outside the vocabulary");
        engine::to_f32(embed_tokens_.bytes() + size_t(id) * row_bytes, embed_tokens_.dtype(), H, h.data() + i * H);
    }

    // RoPE tables (rotate-half): inv_freq_i = theta^(-2i/hd) in f32, angle = pos * inv_freq in
    // f32, cos/sin in f32. transformers casts cos/sin to the activation dtype, so in BF16
    // precision they are rounded to bf16 values like the reference bf16 pipeline.
    const int64_t half = hd / 2;
    std::vector<float> cos_t(size_t(L * half)), sin_t(size_t(L * half));
    for (int64_t i = 0; i < half; ++i) {
        float inv_freq = float(1.0 / std::pow(c.rope_theta, double(2 * i) / double(hd)));
        for (int64_t pos = 0; pos < L; ++pos) {
            float angle = float(pos) * inv_freq;
            cos_t[size_t(pos * half + i)] = std::cos(angle);
            sin_t[size_t(pos * half + i)] = std::sin(angle);
        }
    }
    if (cx_.precision() == engine::Precision::BF16) {
        engine::round_to_bf16(cos_t.data(), int64_t(cos_t.size()), cos_t.data());
        engine::round_to_bf16(sin_t.data(), int64_t(sin_t.size()), sin_t.data());
    }

    std::vector<float> a(size_t(L * H)), q(size_t(L * nq * hd)), k(size_t(L * nkv * hd)), v(size_t(L * nkv * hd)),
        att(size_t(L * nq * hd)), proj(size_t(L * H)), g(size_t(L * I)), u(size_t(L * I));
    const float eps = float(c.rms_norm_eps);
    engine::AttentionParams ap;
    ap.S = L;
    ap.Skv = L;
    ap.heads = nq;
    ap.kv_heads = nkv;
    ap.head_dim = hd;
    ap.causal = true;

    for (auto& layer : layers_) {
        models::throw_if_cancelled(cancel);
        Layer& ly = *layer;
        engine::rms_norm(cx_, h.data(), ly.input_norm.data(), a.data(), L, H, eps);
        ly.q.forward(a.data(), L, q.data());
        ly.k.forward(a.data(), L, k.data());
        ly.v.forward(a.data(), L, v.data());
        engine::rms_norm(cx_, q.data(), ly.q_norm.data(), q.data(), L * nq, hd, eps);
        engine::rms_norm(cx_, k.data(), ly.k_norm.data(), k.data(), L * nkv, hd, eps);
        engine::rope_neox(cx_, q.data(), L, nq, hd, cos_t.data(), sin_t.data());
        engine::rope_neox(cx_, k.data(), L, nkv, hd, cos_t.data(), sin_t.data());
        engine::attention(cx_, q.data(), k.data(), v.data(), att.data(), ap);
        ly.o.forward(att.data(), L, proj.data());
        engine::gated_add(cx_, h.data(), nullptr, proj.data(), L, H);

        engine::rms_norm(cx_, h.data(), ly.post_attention_norm.data(), a.data(), L, H, eps);
        ly.gate.forward(a.data(), L, g.data());
        ly.up.forward(a.data(), L, u.data());
        engine::swiglu(cx_, g.data(), I, u.data(), I, g.data(), I, L, I);
        ly.down.forward(g.data(), L, proj.data());
        engine::gated_add(cx_, h.data(), nullptr, proj.data(), L, H);
        if (release_after_use_) {
            for (Linear* lin : {&ly.q, &ly.k, &ly.v, &ly.o, &ly.gate, &ly.up, &ly.down}) lin->release();
            for (const auto& bytes : ly.mapped) files_->release_pages(bytes);
        }
    }
    // The embedding rows read above (and the norm weights read at load).
    if (release_after_use_) files_->release_pages(component_);
    return h;
}

void TextEncoder::release_packed_weights() {
    for (auto& layer : layers_)
        for (Linear* lin : {&layer->q, &layer->k, &layer->v, &layer->o, &layer->gate, &layer->up, &layer->down})
            lin->release();
}

size_t TextEncoder::resident_bytes() const {
    size_t n = 0;
    for (const auto& layer : layers_)
        for (const Linear* lin : {&layer->q, &layer->k, &layer->v, &layer->o, &layer->gate, &layer->up, &layer->down})
            n += lin->resident_bytes();
    return n;
}

}  // namespace pictor::qwen3
