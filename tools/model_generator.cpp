#include "model_generator.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "util/error.h"
#include "util/half.h"

namespace pictor::dev {

namespace fs = std::filesystem;
using nlohmann::json;
using store::DType;

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr const char* kDiffusersVersion = "0.36.0.dev0";
constexpr const char* kTransformersVersion = "4.51.0";

// splitmix64's finaliser: a bijective 64-bit mix, good enough as a counter-based generator
// (value = mix(key + (i+1)·golden)), which is what lets threads fill any slice independently.
inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

inline float value_at(uint64_t key, int64_t index, Init init, float scale) {
    uint64_t z = mix64(key + uint64_t(index + 1) * kGolden);
    constexpr float k24 = 1.0f / 16777216.0f;
    switch (init) {
        case Init::Uniform: return scale * (float(z >> 40) * (2 * k24) - 1.0f);
        case Init::NormWeight: return 1.0f + scale * (float(z >> 40) * (2 * k24) - 1.0f);
        case Init::Normal: {
            // Box-Muller from the two 24-bit halves; u1 is never 0.
            float u1 = (float(z >> 40) + 0.5f) * k24, u2 = float(z & 0xffffff) * k24;
            return scale * std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
        }
    }
    return 0;
}

template <class Store>
void fill_with(const TensorSpec& t, uint64_t key, int64_t first, int64_t count, Store store) {
    const Init init = t.init;
    const float scale = t.scale;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; ++i) store(i, value_at(key, first + i, init, scale));
}

[[noreturn]] void bad_option(const std::string& msg) { fail(ErrorKind::InvalidArgument, "make-model: " + msg); }

// Builders that pick the init for each kind of layer, the way PyTorch's defaults would.
struct TensorList {
    std::vector<TensorSpec> v;
    void linear(const std::string& p, int64_t out, int64_t in, bool bias = true) {
        float bound = 1.0f / std::sqrt(float(in));
        v.push_back({p + ".weight", {out, in}, Init::Uniform, bound});
        if (bias) v.push_back({p + ".bias", {out}, Init::Uniform, bound});
    }
    void conv(const std::string& p, int64_t out, int64_t in, int64_t k) {
        float bound = 1.0f / std::sqrt(float(in * k * k));
        v.push_back({p + ".weight", {out, in, k, k}, Init::Uniform, bound});
        v.push_back({p + ".bias", {out}, Init::Uniform, bound});
    }
    void norm(const std::string& p, int64_t c, bool bias = false) {
        v.push_back({p + ".weight", {c}, Init::NormWeight, 0.1f});
        if (bias) v.push_back({p + ".bias", {c}, Init::Uniform, 0.05f});
    }
    void normal(const std::string& name, std::vector<int64_t> shape, float scale) {
        v.push_back({name, std::move(shape), Init::Normal, scale});
    }
};

void dit_block(TensorList& l, const std::string& p, const TransformerShape& s, bool modulated) {
    const int64_t d = s.dim, f = s.ffn_dim(), hd = s.head_dim();
    l.linear(p + "attention.to_q", d, d, false);
    l.linear(p + "attention.to_k", d, d, false);
    l.linear(p + "attention.to_v", d, d, false);
    l.linear(p + "attention.to_out.0", d, d, false);
    l.norm(p + "attention.norm_q", hd);
    l.norm(p + "attention.norm_k", hd);
    l.linear(p + "feed_forward.w1", f, d, false);
    l.linear(p + "feed_forward.w2", d, f, false);
    l.linear(p + "feed_forward.w3", f, d, false);
    l.norm(p + "attention_norm1", d);
    l.norm(p + "ffn_norm1", d);
    l.norm(p + "attention_norm2", d);
    l.norm(p + "ffn_norm2", d);
    if (modulated) l.linear(p + "adaLN_modulation.0", 4 * d, s.adaln_dim());
}

void resnet(TensorList& l, const std::string& p, int64_t in, int64_t out) {
    l.norm(p + "norm1", in, true);
    l.conv(p + "conv1", out, in, 3);
    l.norm(p + "norm2", out, true);
    l.conv(p + "conv2", out, out, 3);
    if (in != out) l.conv(p + "conv_shortcut", out, in, 1);
}

void vae_mid_block(TensorList& l, const std::string& p, int64_t c) {
    resnet(l, p + "resnets.0.", c, c);
    l.norm(p + "attentions.0.group_norm", c, true);
    for (const char* n : {"to_q", "to_k", "to_v", "to_out.0"}) l.linear(p + "attentions.0." + n, c, c);
    resnet(l, p + "resnets.1.", c, c);
}

const char* torch_dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "float32";
        case DType::F16: return "float16";
        case DType::BF16: return "bfloat16";
        default: fail(ErrorKind::InvalidArgument, "make-model: weights must be F32, BF16 or F16");
    }
}

void write_json(const fs::path& p, const json& j) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    out.close();
    if (!out) fail(ErrorKind::Io, p.string() + ": cannot write file");
}

std::string human_bytes(uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GB", double(b) / 1e9);
    else std::snprintf(buf, sizeof buf, "%.1f MB", double(b) / 1e6);
    return buf;
}

// The files one component is written as: a single file, or N shards plus an index.
std::string shard_file_name(const std::string& base, int i, int n) {
    if (n == 1) return base + ".safetensors";
    char buf[64];
    std::snprintf(buf, sizeof buf, "-%05d-of-%05d.safetensors", i + 1, n);
    return base + buf;
}

ComponentSummary write_component(const fs::path& dir, const std::string& component, const std::string& base,
                                 const std::vector<TensorSpec>& tensors, DType dtype, const ModelSpec& spec,
                                 const GenerateOptions& opts) {
    ComponentSummary sum;
    sum.name = component;
    sum.tensors = tensors.size();
    const size_t esize = store::dtype_size(dtype);
    for (const auto& t : tensors) {
        sum.params += uint64_t(t.numel());
        sum.bytes += uint64_t(t.numel()) * esize;
    }
    if (opts.dry_run) return sum;

    const auto start = std::chrono::steady_clock::now();
    const std::vector<int> shard_of = assign_shards(tensors, esize, spec.shards);
    fs::create_directories(dir);
    constexpr int64_t kChunk = int64_t(1) << 22;  // elements per fill: bounded RAM for any tensor
    std::vector<std::byte> buf;
    uint64_t done = 0;
    int next_report = 10;
    json weight_map = json::object();
    for (int k = 0; k < spec.shards; ++k) {
        // Inside a file tensors are sorted by name, as the safetensors library writes them.
        std::vector<const TensorSpec*> in_file;
        for (size_t i = 0; i < tensors.size(); ++i)
            if (shard_of[i] == k) in_file.push_back(&tensors[i]);
        std::sort(in_file.begin(), in_file.end(),
                  [](const TensorSpec* a, const TensorSpec* b) { return a->name < b->name; });
        std::vector<store::TensorDecl> decls;
        for (const auto* t : in_file) decls.push_back({t->name, dtype, t->shape});
        const std::string file = shard_file_name(base, k, spec.shards);
        store::SafetensorsWriter w(dir / file, std::move(decls), {{"format", "pt"}});
        for (const auto* t : in_file) {
            weight_map[t->name] = file;
            const uint64_t key = tensor_key(spec.seed, t->name);
            const int64_t n = t->numel();
            for (int64_t first = 0; first < n; first += kChunk) {
                const int64_t count = std::min(kChunk, n - first);
                buf.resize(size_t(count) * esize);
                fill_tensor(*t, key, dtype, first, count, buf.data());
                w.write(buf.data(), buf.size());
                done += buf.size();
                // Percentages only matter for multi-GB components; small ones print one line.
                if (opts.progress && sum.bytes > (256ull << 20) && done * 100 >= uint64_t(next_report) * sum.bytes) {
                    opts.progress(component + ": " + std::to_string(done * 100 / sum.bytes) + "% (" +
                                  human_bytes(done) + " of " + human_bytes(sum.bytes) + ")");
                    next_report = int(done * 100 / sum.bytes / 10 * 10 + 10);
                }
            }
        }
        w.finish();
    }
    if (spec.shards > 1)
        write_json(dir / (base + ".safetensors.index.json"),
                   json{{"metadata", {{"total_size", sum.bytes}}}, {"weight_map", weight_map}});
    if (opts.progress) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char line[256];
        std::snprintf(line, sizeof line, "%s: %zu tensors, %llu params, %s %s in %d file(s), %.1f s",
                      component.c_str(), sum.tensors, (unsigned long long)sum.params, human_bytes(sum.bytes).c_str(),
                      std::string(store::dtype_name(dtype)).c_str(), spec.shards, secs);
        opts.progress(line);
    }
    return sum;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

int64_t TransformerShape::ffn_dim() const { return int64_t(double(dim) / 3.0 * 8.0); }
int64_t TransformerShape::adaln_dim() const { return std::min<int64_t>(dim, 256); }

int64_t TensorSpec::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

ModelSpec ModelSpec::tiny() { return ModelSpec{}; }

ModelSpec ModelSpec::full() {
    ModelSpec m;
    m.transformer.dim = 3840;
    m.transformer.heads = 30;
    m.transformer.layers = 30;
    m.transformer.refiners = 2;
    m.transformer.cap_feat_dim = 2560;
    m.transformer.axes_dims = {32, 48, 48};
    m.text_encoder = TextEncoderShape{2560, 36, 32, 8, 128, 9728, 151936};
    m.vae.channels = {128, 256, 512, 512};
    m.vae.layers_per_block = 2;
    m.vae_dtype = DType::BF16;
    return m;
}

void ModelSpec::validate() const {
    const auto& t = transformer;
    if (t.dim <= 0 || t.heads <= 0 || t.dim % t.heads != 0)
        bad_option("--dim " + std::to_string(t.dim) + " must be a positive multiple of --heads " +
                   std::to_string(t.heads));
    if (t.layers < 1) bad_option("--layers must be at least 1");
    if (t.refiners < 0) bad_option("--refiners must not be negative");
    int64_t axes = 0;
    for (int64_t a : t.axes_dims) {
        if (a <= 0 || a % 2) bad_option("--axes-dims entries must be positive and even (RoPE rotates pairs)");
        axes += a;
    }
    if (axes != t.head_dim())
        bad_option("--axes-dims must sum to the head dim (dim/heads = " + std::to_string(t.head_dim()) + "), not " +
                   std::to_string(axes));
    const auto& te = text_encoder;
    if (t.cap_feat_dim != te.hidden)
        bad_option("--cap-feat-dim " + std::to_string(t.cap_feat_dim) + " must equal --te-hidden " +
                   std::to_string(te.hidden) + " (the DiT consumes the text encoder's hidden states)");
    if (te.hidden <= 0 || te.head_dim <= 0 || te.intermediate <= 0 || te.vocab <= 0)
        bad_option("text encoder sizes must be positive");
    if (te.layers < 2) bad_option("--te-layers must be at least 2 (Z-Image reads the second-to-last hidden state)");
    if (te.heads <= 0 || te.kv_heads <= 0 || te.heads % te.kv_heads != 0)
        bad_option("--te-heads " + std::to_string(te.heads) + " must be a positive multiple of --te-kv-heads " +
                   std::to_string(te.kv_heads));
    if (vae.channels.empty()) bad_option("--vae-channels needs at least one entry");
    for (int64_t c : vae.channels)
        if (c <= 0 || c % vae.norm_groups != 0)
            bad_option("--vae-channels entries must be positive multiples of " + std::to_string(vae.norm_groups) +
                       " (GroupNorm groups), got " + std::to_string(c));
    if (vae.layers_per_block < 1) bad_option("--vae-layers-per-block must be at least 1");
    if (shards < 1 || shards > 99999) bad_option("--shards must be between 1 and 99999");
    if (!(shift > 0)) bad_option("--shift must be positive");
    for (DType d : {transformer_dtype, text_encoder_dtype, vae_dtype}) (void)torch_dtype_name(d);
}

std::vector<TensorSpec> transformer_tensors(const TransformerShape& s) {
    TensorList l;
    const int64_t d = s.dim, a = s.adaln_dim(), patch_in = s.patch * s.patch * s.f_patch * s.in_channels;
    const std::string suffix = std::to_string(s.patch) + "-" + std::to_string(s.f_patch);
    l.normal("x_pad_token", {1, d}, 1.0f);
    l.normal("cap_pad_token", {1, d}, 1.0f);
    l.linear("all_x_embedder." + suffix, d, patch_in);
    l.linear("all_final_layer." + suffix + ".adaLN_modulation.1", d, a);
    l.linear("all_final_layer." + suffix + ".linear", patch_in, d);
    for (int64_t i = 0; i < s.refiners; ++i) dit_block(l, "noise_refiner." + std::to_string(i) + ".", s, true);
    for (int64_t i = 0; i < s.refiners; ++i) dit_block(l, "context_refiner." + std::to_string(i) + ".", s, false);
    l.linear("t_embedder.mlp.0", 1024, 256);
    l.linear("t_embedder.mlp.2", a, 1024);
    l.norm("cap_embedder.0", s.cap_feat_dim);
    l.linear("cap_embedder.1", d, s.cap_feat_dim);
    for (int64_t i = 0; i < s.layers; ++i) dit_block(l, "layers." + std::to_string(i) + ".", s, true);
    return std::move(l.v);
}

std::vector<TensorSpec> text_encoder_tensors(const TextEncoderShape& s) {
    TensorList l;
    const int64_t h = s.hidden, q = s.heads * s.head_dim, kv = s.kv_heads * s.head_dim;
    l.normal("model.embed_tokens.weight", {s.vocab, h}, 1.0f);
    for (int64_t i = 0; i < s.layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        l.linear(p + "self_attn.q_proj", q, h, false);
        l.linear(p + "self_attn.k_proj", kv, h, false);
        l.linear(p + "self_attn.v_proj", kv, h, false);
        l.linear(p + "self_attn.o_proj", h, q, false);
        l.norm(p + "self_attn.q_norm", s.head_dim);
        l.norm(p + "self_attn.k_norm", s.head_dim);
        l.linear(p + "mlp.gate_proj", s.intermediate, h, false);
        l.linear(p + "mlp.up_proj", s.intermediate, h, false);
        l.linear(p + "mlp.down_proj", h, s.intermediate, false);
        l.norm(p + "input_layernorm", h);
        l.norm(p + "post_attention_layernorm", h);
    }
    l.norm("model.norm", h);
    return std::move(l.v);
}

std::vector<TensorSpec> vae_tensors(const VaeShape& s) {
    TensorList l;
    const auto& ch = s.channels;
    const size_t n = ch.size();
    // Encoder: conv_in, down blocks (a downsampler after every block but the last), mid block.
    l.conv("encoder.conv_in", ch[0], s.in_channels, 3);
    for (size_t b = 0; b < n; ++b) {
        const std::string p = "encoder.down_blocks." + std::to_string(b) + ".";
        int64_t in = b == 0 ? ch[0] : ch[b - 1];
        for (int64_t j = 0; j < s.layers_per_block; ++j) {
            resnet(l, p + "resnets." + std::to_string(j) + ".", in, ch[b]);
            in = ch[b];
        }
        if (b + 1 < n) l.conv(p + "downsamplers.0.conv", ch[b], ch[b], 3);
    }
    vae_mid_block(l, "encoder.mid_block.", ch[n - 1]);
    l.norm("encoder.conv_norm_out", ch[n - 1], true);
    l.conv("encoder.conv_out", 2 * s.latent_channels, ch[n - 1], 3);  // mean ‖ logvar
    // Decoder: channels reversed, one more resnet per block, upsamplers but on the last block.
    l.conv("decoder.conv_in", ch[n - 1], s.latent_channels, 3);
    vae_mid_block(l, "decoder.mid_block.", ch[n - 1]);
    int64_t prev = ch[n - 1];
    for (size_t b = 0; b < n; ++b) {
        const std::string p = "decoder.up_blocks." + std::to_string(b) + ".";
        const int64_t out = ch[n - 1 - b];
        int64_t in = prev;
        for (int64_t j = 0; j <= s.layers_per_block; ++j) {
            resnet(l, p + "resnets." + std::to_string(j) + ".", in, out);
            in = out;
        }
        if (b + 1 < n) l.conv(p + "upsamplers.0.conv", out, out, 3);
        prev = out;
    }
    l.norm("decoder.conv_norm_out", ch[0], true);
    l.conv("decoder.conv_out", s.out_channels, ch[0], 3);
    return std::move(l.v);
}

json model_index_json() {
    return json{{"_class_name", "ZImagePipeline"},
                {"_diffusers_version", kDiffusersVersion},
                {"scheduler", {"diffusers", "FlowMatchEulerDiscreteScheduler"}},
                {"text_encoder", {"transformers", "Qwen3Model"}},
                {"tokenizer", {"transformers", "Qwen2Tokenizer"}},
                {"transformer", {"diffusers", "ZImageTransformer2DModel"}},
                {"vae", {"diffusers", "AutoencoderKL"}}};
}

json scheduler_config_json(double shift) {
    return json{{"_class_name", "FlowMatchEulerDiscreteScheduler"},
                {"_diffusers_version", kDiffusersVersion},
                {"num_train_timesteps", 1000},
                {"use_dynamic_shifting", false},
                {"shift", shift}};
}

json transformer_config_json(const TransformerShape& s) {
    return json{{"_class_name", "ZImageTransformer2DModel"},
                {"_diffusers_version", kDiffusersVersion},
                {"all_f_patch_size", json::array({s.f_patch})},
                {"all_patch_size", json::array({s.patch})},
                {"axes_dims", s.axes_dims},
                {"axes_lens", s.axes_lens},
                {"cap_feat_dim", s.cap_feat_dim},
                {"dim", s.dim},
                {"in_channels", s.in_channels},
                {"n_heads", s.heads},
                {"n_kv_heads", s.heads},  // ignored by diffusers; the real config repeats n_heads
                {"n_layers", s.layers},
                {"n_refiner_layers", s.refiners},
                {"norm_eps", s.norm_eps},
                {"qk_norm", true},
                {"rope_theta", s.rope_theta},
                {"t_scale", s.t_scale}};
}

json text_encoder_config_json(const TextEncoderShape& s, DType dtype) {
    return json{{"architectures", json::array({"Qwen3ForCausalLM"})},
                {"attention_bias", false},
                {"attention_dropout", 0.0},
                {"bos_token_id", 151643},
                {"eos_token_id", 151645},
                {"head_dim", s.head_dim},
                {"hidden_act", "silu"},
                {"hidden_size", s.hidden},
                {"initializer_range", 0.02},
                {"intermediate_size", s.intermediate},
                {"max_position_embeddings", 40960},
                {"max_window_layers", s.layers},
                {"model_type", "qwen3"},
                {"num_attention_heads", s.heads},
                {"num_hidden_layers", s.layers},
                {"num_key_value_heads", s.kv_heads},
                {"rms_norm_eps", 1e-6},
                {"rope_scaling", nullptr},
                {"rope_theta", 1000000},
                {"sliding_window", nullptr},
                {"tie_word_embeddings", true},
                {"torch_dtype", torch_dtype_name(dtype)},
                {"transformers_version", kTransformersVersion},
                {"use_cache", true},
                {"use_sliding_window", false},
                {"vocab_size", s.vocab}};
}

json text_encoder_generation_config_json() {
    // Qwen3-4B's generation_config.json (unused for encoding, present in the real repo).
    return json{{"bos_token_id", 151643}, {"do_sample", true},   {"eos_token_id", {151645, 151643}},
                {"pad_token_id", 151643}, {"temperature", 0.6}, {"top_k", 20},
                {"top_p", 0.95},          {"transformers_version", kTransformersVersion}};
}

json vae_config_json(const VaeShape& s) {
    const size_t n = s.channels.size();
    return json{{"_class_name", "AutoencoderKL"},
                {"_diffusers_version", kDiffusersVersion},
                {"act_fn", "silu"},
                {"block_out_channels", s.channels},
                {"down_block_types", std::vector<std::string>(n, "DownEncoderBlock2D")},
                {"force_upcast", true},
                {"in_channels", s.in_channels},
                {"latent_channels", s.latent_channels},
                {"latents_mean", nullptr},
                {"latents_std", nullptr},
                {"layers_per_block", s.layers_per_block},
                {"mid_block_add_attention", true},
                {"norm_num_groups", s.norm_groups},
                {"out_channels", s.out_channels},
                {"sample_size", 1024},
                {"scaling_factor", 0.3611},
                {"shift_factor", 0.1159},
                {"up_block_types", std::vector<std::string>(n, "UpDecoderBlock2D")},
                {"use_post_quant_conv", false},
                {"use_quant_conv", false}};
}

uint64_t tensor_key(uint64_t seed, std::string_view name) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a of the name
    for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
    return mix64(mix64(seed + kGolden) ^ h);
}

float weight_value(uint64_t key, int64_t index, Init init, float scale) { return value_at(key, index, init, scale); }

void fill_tensor(const TensorSpec& t, uint64_t key, DType dtype, int64_t first, int64_t count, std::byte* out) {
    switch (dtype) {
        case DType::F32: {
            auto* p = reinterpret_cast<float*>(out);
            fill_with(t, key, first, count, [p](int64_t i, float v) { p[i] = v; });
            return;
        }
        case DType::BF16: {
            auto* p = reinterpret_cast<uint16_t*>(out);
            fill_with(t, key, first, count, [p](int64_t i, float v) { p[i] = f32_to_bf16(v); });
            return;
        }
        case DType::F16: {
            auto* p = reinterpret_cast<uint16_t*>(out);
            fill_with(t, key, first, count, [p](int64_t i, float v) { p[i] = f32_to_f16(v); });
            return;
        }
        default: fail(ErrorKind::InvalidArgument, "make-model: weights must be F32, BF16 or F16");
    }
}

std::vector<int> assign_shards(const std::vector<TensorSpec>& tensors, size_t dtype_size, int n) {
    if (n < 1 || size_t(n) > tensors.size())
        bad_option("--shards " + std::to_string(n) + " must be between 1 and the number of tensors (" +
                   std::to_string(tensors.size()) + ")");
    uint64_t total = 0;
    for (const auto& t : tensors) total += uint64_t(t.numel()) * dtype_size;
    std::vector<int> out(tensors.size());
    int cur = 0;
    uint64_t acc = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const size_t left = tensors.size() - i;
        // Move on when this shard has its share of bytes, or when every remaining tensor is
        // needed to give each remaining shard one.
        if (i > 0 && cur < n - 1 && (acc >= uint64_t(cur + 1) * (total / uint64_t(n)) || left == size_t(n - 1 - cur)))
            ++cur;
        out[i] = cur;
        acc += uint64_t(tensors[i].numel()) * dtype_size;
    }
    return out;
}

DType parse_weight_dtype(const std::string& s) {
    std::string u;
    for (char c : s) u += char(std::toupper(static_cast<unsigned char>(c)));
    if (u == "F32" || u == "FLOAT32") return DType::F32;
    if (u == "BF16" || u == "BFLOAT16") return DType::BF16;
    if (u == "F16" || u == "FLOAT16") return DType::F16;
    bad_option("unknown weight dtype \"" + s + "\" (use F32, BF16 or F16)");
}

std::vector<ComponentSummary> generate_model(const fs::path& dir, const ModelSpec& spec, const GenerateOptions& opts) {
    spec.validate();
    const fs::path tok_json = opts.tokenizer_dir / "tokenizer.json";
    const fs::path tok_cfg = opts.tokenizer_dir / "tokenizer_config.json";
    if (!opts.dry_run) {
        for (const auto& p : {tok_json, tok_cfg})
            if (!fs::is_regular_file(p))
                fail(ErrorKind::NotFound, "make-model: " + p.string() +
                                              " not found; pass --tokenizer-dir pointing at the Qwen3 tokenizer files");
        std::error_code ec;
        if (fs::exists(dir) && !fs::is_empty(dir, ec))
            bad_option(dir.string() + " already exists and is not empty; choose a new folder");
        fs::create_directories(dir);
    }

    std::vector<ComponentSummary> out;
    out.push_back(write_component(dir / "text_encoder", "text_encoder", "model", text_encoder_tensors(spec.text_encoder),
                                  spec.text_encoder_dtype, spec, opts));
    out.push_back(write_component(dir / "transformer", "transformer", "diffusion_pytorch_model",
                                  transformer_tensors(spec.transformer), spec.transformer_dtype, spec, opts));
    out.push_back(write_component(dir / "vae", "vae", "diffusion_pytorch_model", vae_tensors(spec.vae), spec.vae_dtype,
                                  spec, opts));
    if (opts.dry_run) return out;

    write_json(dir / "model_index.json", model_index_json());
    write_json(dir / "scheduler/scheduler_config.json", scheduler_config_json(spec.shift));
    write_json(dir / "text_encoder/config.json", text_encoder_config_json(spec.text_encoder, spec.text_encoder_dtype));
    write_json(dir / "text_encoder/generation_config.json", text_encoder_generation_config_json());
    write_json(dir / "transformer/config.json", transformer_config_json(spec.transformer));
    write_json(dir / "vae/config.json", vae_config_json(spec.vae));
    fs::create_directories(dir / "tokenizer");
    for (const auto& p : {tok_json, tok_cfg}) {
        const fs::path dst = dir / "tokenizer" / p.filename();
        fs::copy_file(p, dst, fs::copy_options::overwrite_existing);
        // The shared test data is read-only; the copy belongs to the user.
        fs::permissions(dst, fs::perms::owner_write, fs::perm_options::add);
    }
    return out;
}

}  // namespace pictor::dev
