// Import of a Hugging Face diffusers folder into the model store (`pictor create`,
// POST /api/create). Reference §4–§5, product.md §2.8–2.9: one blob per tensor, JSON layers,
// rewritten model_index.json, config blob, then — only when every blob is in place — the
// manifest. Optional fp8 quantization of eligible weights.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "store/model_store.h"
#include "store/names.h"

namespace pictor::create {

// One progress event. `status` lines follow the reference's wording ("importing image
// generation model", "importing transformer/x.safetensors (N tensors)", "importing config
// vae/config.json", "writing manifest for NAME", "successfully imported NAME with N layers");
// byte progress for large files comes as events with the same status and completed/total set.
struct Progress {
    std::string status;
    uint64_t completed = 0;
    uint64_t total = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

struct CreateRequest {
    store::ModelName name;
    std::filesystem::path source_dir;        // the diffusers folder (FROM)
    std::string quantize;                    // "" or "fp8"; anything else: InvalidArgument listing supported types
    std::map<std::string, std::string> parameters;  // Modelfile PARAMETERs (width, height, steps, guidance, seed, negative_prompt)
    std::optional<std::string> license;      // Modelfile LICENSE text
    int threads = 0;                         // tensor workers; 0 = twice the cores (they also wait on fsync)
};

struct CreateResult {
    std::string manifest_digest_hex;
    size_t layer_count = 0;
    uint64_t total_bytes = 0;
};

// Throws pictor::Error: InvalidArgument (bad name, unsupported quantize value, not a diffusers
// folder: "model_index.json not found in <dir>"), Corrupt ("<file>: <why>" for bad safetensors),
// Io (unreadable folder, disk full), Cancelled (cancel flag set). On any failure no manifest is
// written for the name and no other model is touched.
CreateResult create_model(store::ModelStore& store, const CreateRequest& req, const ProgressFn& progress,
                          const std::atomic<bool>* cancel = nullptr);

}  // namespace pictor::create
