#include "runner/zimage_engine.h"

#include <nlohmann/json.hpp>

#include "models/zimage/pipeline.h"
#include "models/zimage/transformer_config.h"
#include "models/zimage/vae_decoder.h"
#include "runner/memory_estimate.h"

namespace pictor::runner {
namespace {

// The dimensions the activation estimate needs, read from the configs the pipeline itself uses.
ActivationShape shape_of(const store::ModelFiles& files) {
    ActivationShape s;
    const auto t = zimage::TransformerConfig::parse(files.require_text("transformer/config.json"));
    s.dit_dim = t.dim;
    s.dit_ffn = t.ffn_dim();
    const auto v = zimage::VaeConfig::parse(files.require_text("vae/config.json"));
    if (!v.block_out_channels.empty()) s.vae_channels = v.block_out_channels.front();
    s.vae_scale = v.scale_factor();
    s.vae_tile = 64 * s.vae_scale;  // tiling starts above 64 latent pixels (reference §6.7)
    if (auto te = files.read_text("text_encoder/config.json")) {
        auto j = nlohmann::json::parse(*te, nullptr, false);
        if (j.is_object() && j.contains("hidden_size") && j["hidden_size"].is_number_integer())
            s.text_dim = j["hidden_size"].get<int64_t>();
    }
    return s;
}

class ZImageEngine final : public Engine {
public:
    ZImageEngine(std::unique_ptr<zimage::Pipeline> p, ActivationShape shape, std::string name)
        : pipeline_(std::move(p)), shape_(shape), name_(std::move(name)) {}

    ModelDefaults defaults() const override {
        const auto& d = pipeline_->defaults();
        return {d.width, d.height, d.steps, d.guidance};
    }

    uint64_t memory_estimate(int width, int height) const override {
        ActivationShape s = shape_;
        s.cfg = pipeline_->defaults().guidance > 0.0f;
        return pipeline_->resident_bytes() + activation_bytes(s, width, height);
    }

    EngineImage generate(const EngineRequest& req, const EngineProgressFn& progress,
                         const std::atomic<bool>& cancel) override {
        zimage::GenerateParams p;
        p.prompt = req.prompt;
        p.negative_prompt = req.negative_prompt;
        p.width = req.width;
        p.height = req.height;
        p.steps = req.steps;
        p.guidance = req.guidance;
        p.seed = req.seed;
        p.model_name = name_;
        auto on_progress = [&progress](const zimage::ProgressEvent& e) {
            if (!progress) return;
            switch (e.phase) {
                case zimage::Phase::TextEncoding: progress(EnginePhase::TextEncoding, 0, 0); break;
                case zimage::Phase::Denoising: progress(EnginePhase::Denoising, e.step, e.total); break;
                case zimage::Phase::Decoding: progress(EnginePhase::Decoding, 0, 0); break;
            }
        };
        zimage::GeneratedImage img = pipeline_->generate(p, on_progress, &cancel);
        EngineImage out;
        out.png = std::move(img.png);
        out.width = img.width;
        out.height = img.height;
        out.steps = img.steps;
        out.seed = img.seed;
        return out;
    }

private:
    std::unique_ptr<zimage::Pipeline> pipeline_;
    ActivationShape shape_;
    std::string name_;
};

}  // namespace

std::unique_ptr<Engine> load_zimage_engine(std::unique_ptr<store::ModelFiles> files, int threads,
                                           const std::string& model_name) {
    const ActivationShape shape = shape_of(*files);
    zimage::PipelineOptions opt;
    opt.threads = threads;
    auto pipeline = zimage::Pipeline::load(std::move(files), opt);
    return std::make_unique<ZImageEngine>(std::move(pipeline), shape, model_name);
}

}  // namespace pictor::runner
