#include "models/zimage/pipeline.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "models/qwen3/text_encoder.h"
#include "models/qwen3/tokenizer.h"
#include "models/zimage/cfg.h"
#include "models/zimage/noise.h"
#include "models/zimage/scheduler.h"
#include "models/zimage/transformer.h"
#include "util/error.h"
#include "util/image_u8.h"
#include "util/npy.h"
#include "util/png_writer.h"

namespace pictor::zimage {

namespace fs = std::filesystem;

struct Pipeline::Impl {
    std::unique_ptr<store::ModelFiles> files;
    PipelineOptions options;
    engine::Context cx;
    std::unique_ptr<qwen3::Tokenizer> tokenizer;
    std::unique_ptr<qwen3::TextEncoder> text_encoder;
    std::unique_ptr<Transformer> transformer;
    std::unique_ptr<VaeDecoder> vae;
    SchedulerConfig scheduler;

    Impl(std::unique_ptr<store::ModelFiles> f, const PipelineOptions& o)
        : files(std::move(f)), options(o), cx(o.precision, o.threads) {}

    void dump(const std::string& name, const std::vector<int64_t>& shape, const std::vector<float>& v) const {
        if (!options.dump_dir.empty()) write_npy((options.dump_dir / name).string(), shape, v);
    }
    void dump_ids(const std::string& name, const std::vector<int32_t>& ids) const {
        if (options.dump_dir.empty()) return;
        std::vector<int64_t> v(ids.begin(), ids.end());
        write_npy((options.dump_dir / name).string(), {int64_t(v.size())}, v);
    }

    // Prompt -> caption features [n, hidden] (hidden_states[-2] of the real tokens).
    std::vector<float> encode_prompt(const std::string& prompt, std::vector<int32_t>& ids, models::CancelFlag cancel) {
        ids = tokenizer->encode_chat(prompt);
        return text_encoder->encode(ids, cancel);
    }
};

namespace {

void check_cancel(const std::atomic<bool>* cancel) { models::throw_if_cancelled(cancel); }

std::string step_name(size_t i, const char* what) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "step%02zu_%s.npy", i, what);
    return buf;
}

void check_finite(const std::vector<float>& v, const std::string& what) {
    for (float x : v)
        if (!std::isfinite(x)) fail(ErrorKind::Internal, what + " produced NaN or Inf values");
}

// Bytes of a component's weights as stored (fp8 row scales included).
uint64_t weight_bytes(const store::ModelFiles& f, std::string_view component) {
    uint64_t n = 0;
    for (const std::string& name : f.names(component))
        if (const store::WeightView* w = f.find(component, name)) n += w->bytes.size() + w->row_scale.size();
    return n;
}

// TransformerLoadOptions::evict_fused_sources for this machine: evict when its memory cannot
// hold every weight file of the model in the page cache next to the DiT's fused copies (bounded
// here by the DiT's own size). On a 24 GiB machine and the full-size model (20.3 GB of files,
// 7.9 GB of copies) the dead sources otherwise compete with the text encoder's pages, which
// every generation reads, until the kernel's LRU gets to them.
bool machine_cannot_cache_model(const store::ModelFiles& f) {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return true;
    const uint64_t dit = weight_bytes(f, "transformer");
    const uint64_t files = weight_bytes(f, "text_encoder") + dit + weight_bytes(f, "vae");
    return files + dit > uint64_t(pages) * uint64_t(page);
}

std::string format_float(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", double(v));
    return buf;
}

}  // namespace

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::~Pipeline() = default;

std::unique_ptr<Pipeline> Pipeline::load(std::unique_ptr<store::ModelFiles> files, const PipelineOptions& options) {
    auto impl = std::make_unique<Impl>(std::move(files), options);
    const store::ModelFiles& f = *impl->files;

    std::string arch;
    {
        auto index = nlohmann::json::parse(f.require_text("model_index.json"), nullptr, false);
        if (!index.is_object()) fail(ErrorKind::Corrupt, "model_index.json is not a JSON object");
        arch = index.value("architecture", index.value("_class_name", std::string()));
    }
    if (arch != "ZImagePipeline")
        fail(ErrorKind::Unsupported, "model architecture \"" + arch + "\" is not supported (supported: ZImagePipeline)");

    auto tok_cfg = f.read_text("tokenizer/tokenizer_config.json");
    impl->tokenizer = std::make_unique<qwen3::Tokenizer>(
        qwen3::Tokenizer::from_json(f.require_text("tokenizer/tokenizer.json"), tok_cfg ? *tok_cfg : std::string()));
    impl->scheduler = SchedulerConfig::from_json(f.read_text("scheduler/scheduler_config.json").value_or("{}"));
    // Pages of the mapped weights read while loading (all of them where Linear packs a copy,
    // i.e. native bf16 or f32; the fused QKV and w1|w3 copies otherwise) would stay in RSS next
    // to the copies (issue 3), so each component's are dropped as soon as it is loaded: the
    // load peak is the largest component, not the sum. Weights used in place (emulated bf16,
    // fp8) just fault back in on first use.
    impl->text_encoder = qwen3::TextEncoder::load(impl->cx, f);
    f.release_pages("text_encoder");
    impl->transformer = Transformer::load(impl->cx, f, {.evict_fused_sources = machine_cannot_cache_model(f)});
    f.release_pages("transformer");
    impl->vae = VaeDecoder::load(impl->cx, f);
    f.release_pages("vae");
    impl->text_encoder->set_release_after_use(options.release_text_encoder);
    if (impl->text_encoder->hidden_size() != impl->transformer->config().cap_feat_dim)
        fail(ErrorKind::Corrupt, "text encoder hidden size " + std::to_string(impl->text_encoder->hidden_size()) +
                                     " does not match the transformer's cap_feat_dim " +
                                     std::to_string(impl->transformer->config().cap_feat_dim));
    if (impl->vae->config().latent_channels != impl->transformer->config().in_channels)
        fail(ErrorKind::Corrupt, "VAE latent channels do not match the transformer's in_channels");

    ModelDefaults defaults;
    auto tcfg = nlohmann::json::parse(f.require_text("transformer/config.json"), nullptr, false);
    if (tcfg.is_object() && tcfg.contains("siglip_feat_dim")) {  // the base (non-Turbo) model
        defaults.steps = 50;
        defaults.guidance = 5.0f;
    }
    std::unique_ptr<Pipeline> p(new Pipeline(std::move(impl)));
    p->defaults_ = defaults;
    return p;
}

GeneratedImage Pipeline::generate(const GenerateParams& params, const ProgressFn& progress,
                                  const std::atomic<bool>* cancel) {
    Impl& m = *impl_;
    // The engine checks the flag inside long ops too (between GEMM blocks), for the duration
    // of this call only.
    struct CancelScope {
        engine::Context& cx;
        ~CancelScope() { cx.set_cancel_flag(nullptr); }
    } cancel_scope{m.cx};
    m.cx.set_cancel_flag(cancel);
    auto report = [&](Phase phase, int step = 0, int total = 0) {
        if (progress) progress(ProgressEvent{phase, step, total});
    };
    const int width = params.width > 0 ? params.width : defaults_.width;
    const int height = params.height > 0 ? params.height : defaults_.height;
    const int steps = params.steps > 0 ? params.steps : defaults_.steps;
    const float guidance = params.guidance.value_or(defaults_.guidance);
    if (width % 16 || height % 16 || width < 16 || height < 16 || width > 4096 || height > 4096)
        fail(ErrorKind::InvalidArgument, "width and height must be multiples of 16 between 16 and 4096, got " +
                                             std::to_string(width) + "x" + std::to_string(height));
    if (steps > 1000) fail(ErrorKind::InvalidArgument, "steps must be between 1 and 1000");
    if (!std::isfinite(guidance) || guidance < 0) fail(ErrorKind::InvalidArgument, "guidance must be >= 0");
    if (!m.options.dump_dir.empty()) fs::create_directories(m.options.dump_dir);

    const int64_t C = m.transformer->config().in_channels;
    const int64_t f = m.vae->config().scale_factor();
    const int64_t h = height / f, w = width / f;
    const size_t latent_n = size_t(C * h * w);
    const bool use_cfg = cfg_enabled(guidance);

    // 1. Text.
    report(Phase::TextEncoding);
    check_cancel(cancel);
    std::vector<int32_t> ids, neg_ids;
    std::vector<float> cap = m.encode_prompt(params.prompt, ids, cancel);
    m.dump_ids("token_ids.npy", ids);
    m.dump("prompt_embeds.npy", {int64_t(ids.size()), m.text_encoder->hidden_size()}, cap);
    auto caption = m.transformer->prepare_caption(cap, int64_t(ids.size()));
    std::shared_ptr<const Transformer::Caption> neg_caption;
    if (use_cfg) {
        std::vector<float> neg = m.encode_prompt(params.negative_prompt.value_or(""), neg_ids, cancel);
        m.dump_ids("negative_token_ids.npy", neg_ids);
        m.dump("negative_prompt_embeds.npy", {int64_t(neg_ids.size()), m.text_encoder->hidden_size()}, neg);
        neg_caption = m.transformer->prepare_caption(neg, int64_t(neg_ids.size()));
    }
    if (m.options.release_text_encoder) m.text_encoder->release_packed_weights();

    // 2. Noise and schedule.
    check_cancel(cancel);
    TorchCpuGenerator gen(params.seed);
    std::vector<float> latents = gen.randn(latent_n);
    const std::vector<int64_t> latent_shape{1, C, h, w};
    m.dump("noise.npy", latent_shape, latents);
    const int64_t image_seq_len = (height / 16) * (width / 16);
    Schedule sched = make_schedule(m.scheduler, steps, image_seq_len);
    m.dump("sigmas.npy", {int64_t(sched.sigmas.size())}, sched.sigmas);
    m.dump("timesteps.npy", {int64_t(sched.timesteps.size())}, sched.timesteps);

    // 3. Denoising.
    report(Phase::Denoising, 0, steps);
    std::vector<float> pred(latent_n);
    for (size_t i = 0; i < sched.steps(); ++i) {
        check_cancel(cancel);
        const float t_model = sched.t_model(i);
        std::vector<float> pos = m.transformer->forward(latents, h, w, t_model, *caption, cancel);
        check_finite(pos, "denoising step " + std::to_string(i + 1));
        m.dump(step_name(i, "t_model"), {1}, {t_model});
        m.dump(step_name(i, "model_out"), {C, h, w}, pos);
        if (use_cfg && cfg_applies_at(guidance, t_model, params.cfg_truncation)) {
            std::vector<float> neg = m.transformer->forward(latents, h, w, t_model, *neg_caption, cancel);
            check_finite(neg, "denoising step " + std::to_string(i + 1));
            m.dump(step_name(i, "model_out_neg"), {C, h, w}, neg);
            cfg_combine(pos.data(), neg.data(), pred.data(), latent_n, guidance);
            if (params.cfg_normalization > 0) cfg_renormalize(pred.data(), pos.data(), latent_n, params.cfg_normalization);
        } else {
            pred = pos;
        }
        // The network predicts x0 - noise; the flow-match step wants its negation.
        for (float& x : pred) x = -x;
        m.dump(step_name(i, "noise_pred"), latent_shape, pred);
        euler_step(latents.data(), pred.data(), latent_n, sched.dt(i));
        m.dump(step_name(i, "latents"), latent_shape, latents);
        report(Phase::Denoising, int(i + 1), steps);
    }
    m.dump("final_latents.npy", latent_shape, latents);

    // 4. Decode.
    check_cancel(cancel);
    report(Phase::Decoding);
    const float inv_scale = float(1.0 / m.vae->config().scaling_factor);
    const float shift = float(m.vae->config().shift_factor);
    std::vector<float> z(latent_n);
    for (size_t i = 0; i < latent_n; ++i) z[i] = latents[i] * inv_scale + shift;
    m.dump("vae_input.npy", latent_shape, z);
    std::vector<float> decoded = m.vae->decode(z, h, w, params.tiling, cancel);
    check_finite(decoded, "VAE decoding");
    m.dump("decoded.npy", {1, 3, int64_t(height), int64_t(width)}, decoded);

    GeneratedImage out;
    out.width = width;
    out.height = height;
    out.seed = params.seed;
    out.steps = steps;
    out.guidance = guidance;
    out.rgb = planar_to_interleaved_u8(decoded.data(), 3, height, width);
    std::vector<PngText> text{{"prompt", params.prompt},
                              {"seed", std::to_string(params.seed)},
                              {"steps", std::to_string(steps)},
                              {"guidance", format_float(guidance)},
                              {"size", std::to_string(width) + "x" + std::to_string(height)},
                              {"software", "pictor"}};
    if (use_cfg) text.push_back({"negative_prompt", params.negative_prompt.value_or("")});
    if (!params.model_name.empty()) text.push_back({"model", params.model_name});
    out.png = encode_png(out.rgb.data(), width, height, 3, text);
    if (!m.options.dump_dir.empty()) {
        FILE* fp = std::fopen((m.options.dump_dir / "image.png").c_str(), "wb");
        if (fp) {
            std::fwrite(out.png.data(), 1, out.png.size(), fp);
            std::fclose(fp);
        }
    }
    return out;
}

size_t Pipeline::resident_bytes() const {
    return impl_->text_encoder->resident_bytes() + impl_->transformer->resident_bytes() + impl_->vae->resident_bytes();
}

}  // namespace pictor::zimage
