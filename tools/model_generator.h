// Random Z-Image model generator: writes a model folder in the exact diffusers layout of
// Tongyi-MAI/Z-Image-Turbo (configs with all the real keys, real tensor names and shapes
// derived from the configs), with deterministic weights. Used to build tiny test models and
// full-size ones for benchmarks without downloading 33 GB.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/safetensors.h"

namespace pictor::dev {

struct TransformerShape {
    int64_t dim = 128, heads = 4, layers = 2, refiners = 1, cap_feat_dim = 64;
    int64_t in_channels = 16, patch = 2, f_patch = 1;
    std::array<int64_t, 3> axes_dims{8, 12, 12};
    std::array<int64_t, 3> axes_lens{1536, 512, 512};
    double norm_eps = 1e-5, rope_theta = 256.0, t_scale = 1000.0;

    int64_t head_dim() const { return dim / heads; }
    int64_t ffn_dim() const;    // int(dim / 3 * 8), computed like Python does
    int64_t adaln_dim() const;  // min(dim, 256)
};

struct TextEncoderShape {  // Qwen3
    int64_t hidden = 64, layers = 3, heads = 4, kv_heads = 2, head_dim = 32, intermediate = 176;
    int64_t vocab = 151936;
};

struct VaeShape {  // AutoencoderKL
    std::vector<int64_t> channels{32, 32, 64, 64};
    int64_t layers_per_block = 2, latent_channels = 16, in_channels = 3, out_channels = 3, norm_groups = 32;
};

struct ModelSpec {
    TransformerShape transformer;
    TextEncoderShape text_encoder;
    VaeShape vae;
    double shift = 3.0;
    uint64_t seed = 0;
    store::DType transformer_dtype = store::DType::BF16;
    store::DType text_encoder_dtype = store::DType::BF16;
    store::DType vae_dtype = store::DType::F32;
    int shards = 1;  // files per component

    static ModelSpec tiny();  // the dimensions of shared/testdata/zimage-dev
    static ModelSpec full();  // the real Z-Image-Turbo shapes, BF16 everywhere
    // Throws Error(InvalidArgument) naming the first inconsistent option.
    void validate() const;
};

// How a tensor's values are drawn. u is uniform in [-1, 1), n is ~N(0, 1).
enum class Init {
    Uniform,     // scale · u   (Linear/conv weights: scale = 1/sqrt(fan_in), PyTorch's bound)
    Normal,      // scale · n   (embeddings, pad tokens)
    NormWeight,  // 1 + scale · u (RMSNorm / GroupNorm gains)
};

struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape;
    Init init = Init::Uniform;
    float scale = 0;
    int64_t numel() const;
};

// Tensor lists in module order, exactly as the real checkpoints name them.
std::vector<TensorSpec> transformer_tensors(const TransformerShape& s);
std::vector<TensorSpec> text_encoder_tensors(const TextEncoderShape& s);
std::vector<TensorSpec> vae_tensors(const VaeShape& s);

// config files, key for key like the Hugging Face repository.
nlohmann::json model_index_json();
nlohmann::json scheduler_config_json(double shift);
nlohmann::json transformer_config_json(const TransformerShape& s);
nlohmann::json text_encoder_config_json(const TextEncoderShape& s, store::DType dtype);
nlohmann::json text_encoder_generation_config_json();
nlohmann::json vae_config_json(const VaeShape& s);

// Value of element `index` of tensor `name`: depends only on (seed, name, index), so the
// output is the same whatever the thread count, chunking or the other tensors are.
float weight_value(uint64_t tensor_key, int64_t index, Init init, float scale);
uint64_t tensor_key(uint64_t seed, std::string_view name);

// Fills out (numel × dtype size bytes) with elements [first, first + count) of the tensor,
// converted to dtype, using all OpenMP threads.
void fill_tensor(const TensorSpec& t, uint64_t key, store::DType dtype, int64_t first, int64_t count,
                 std::byte* out);

// Groups tensors (in order) into n contiguous shards of roughly equal bytes; every shard gets
// at least one tensor. Returns the shard index of each tensor.
std::vector<int> assign_shards(const std::vector<TensorSpec>& tensors, size_t dtype_size, int n);

struct ComponentSummary {
    std::string name;  // "transformer", "text_encoder", "vae"
    size_t tensors = 0;
    uint64_t params = 0, bytes = 0;
};

struct GenerateOptions {
    std::filesystem::path tokenizer_dir;
    bool dry_run = false;  // compute the summary only, write nothing
    // Progress lines ("transformer: 40% ..."), e.g. to stderr; may be empty.
    std::function<void(const std::string&)> progress;
};

// Writes the whole folder (dir is created; it must not contain a model already).
std::vector<ComponentSummary> generate_model(const std::filesystem::path& dir, const ModelSpec& spec,
                                             const GenerateOptions& opts);

// Parses "F32" / "BF16" / "F16" (any case) for --dtype options.
store::DType parse_weight_dtype(const std::string& s);

}  // namespace pictor::dev
