// The Z-Image text-to-image pipeline (diffusers ZImagePipeline semantics): tokenize and encode
// the prompt (and the negative prompt when guidance is on), draw PyTorch-compatible noise, run
// flow-match Euler steps with the DiT (classifier-free guidance, truncation, renormalisation),
// decode with the VAE, and encode a PNG that records how it was made.
//
// A library call with a progress callback and a cancellation flag checked between blocks; the
// runner process and `pictor-dev generate` both use it.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/context.h"
#include "models/zimage/vae_decoder.h"
#include "store/model_files.h"

namespace pictor::zimage {

struct GenerateParams {
    std::string prompt;
    std::optional<std::string> negative_prompt;  // used when guidance > 0; absent = ""
    int width = 0, height = 0;                   // 0 = model default; must be multiples of 16
    int steps = 0;                               // 0 = model default
    std::optional<float> guidance;               // absent = model default
    uint64_t seed = 0;
    std::optional<double> cfg_truncation;  // diffusers' cfg_truncation (1.0 = never truncate)
    double cfg_normalization = 0.0;        // 0 = off
    VaeTiling tiling = VaeTiling::Auto;
    std::string model_name;                // recorded in the PNG
};

struct ModelDefaults {
    int width = 1024, height = 1024, steps = 8;
    float guidance = 0.0f;
};

enum class Phase { TextEncoding, Denoising, Decoding };

struct ProgressEvent {
    Phase phase;
    int step = 0;   // denoising: steps completed so far
    int total = 0;  // denoising: number of steps
};
using ProgressFn = std::function<void(const ProgressEvent&)>;

struct GeneratedImage {
    int width = 0, height = 0;
    uint64_t seed = 0;
    int steps = 0;
    float guidance = 0.0f;
    std::vector<uint8_t> rgb;  // height × width × 3
    std::vector<uint8_t> png;
};

struct PipelineOptions {
    engine::Precision precision = engine::Precision::BF16;
    int threads = 0;                  // 0 = PICTOR_NUM_THREADS or all cores
    std::filesystem::path dump_dir;   // when set, intermediates are written there as .npy
    // Free the text encoder's packed weights and drop its mapped weight pages from RSS layer by
    // layer during each encode (qwen3::TextEncoder::set_release_after_use), so that it never
    // sits next to the DiT's ~12 GB: peak RSS ≈ DiT + one text-encoder layer instead of both
    // models. Costs re-faulting (and, where packed, repacking) ~8 GB per encode.
    bool release_text_encoder = true;
};

class Pipeline {
public:
    // Loads tokenizer, text encoder, DiT and VAE from the model files (which the pipeline keeps).
    static std::unique_ptr<Pipeline> load(std::unique_ptr<store::ModelFiles> files, const PipelineOptions& options);
    ~Pipeline();

    // Defaults from the model: Z-Image-Turbo 8 steps, guidance 0; base Z-Image (its transformer
    // config has `siglip_feat_dim`) 50 steps, guidance 5; 1024×1024.
    const ModelDefaults& defaults() const { return defaults_; }

    // Throws Error(InvalidArgument) for invalid sizes/steps, Error(Cancelled) when *cancel
    // becomes true (checked between phases and before every text-encoder layer, DiT block and
    // VAE ResNet, so a cancel lands within one block's time), Error(Internal) when a step
    // produces NaN/Inf.
    GeneratedImage generate(const GenerateParams& params, const ProgressFn& progress = {},
                            const std::atomic<bool>* cancel = nullptr);

    size_t resident_bytes() const;

private:
    struct Impl;
    explicit Pipeline(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    ModelDefaults defaults_;
};

}  // namespace pictor::zimage
