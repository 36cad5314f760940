// What tags and show say about a stored model, read from its manifest, config blob,
// model_index.json and (for show --verbose) the tensor blobs' safetensors headers. Only the
// store's reading API is used here; the server never interprets tensor data.
#pragma once

#include <string>
#include <vector>

#include "server/api_types.h"
#include "store/model_store.h"

namespace pictor::server {

// The manifest's config blob (Ollama's ConfigV2), reduced to the fields we show.
struct ModelConfig {
    std::string model_format;
    std::string model_family;
    std::optional<std::vector<std::string>> model_families;
    std::string model_type;
    std::string file_type;
    std::string requires_version;
    std::vector<std::string> capabilities;

    bool is_image() const;
};

// Error(Corrupt) when the config blob is missing or not JSON.
ModelConfig read_config(const store::ModelStore& store, const store::ModelEntry& e);

// Image models: family = model_index architecture, parameter_size = humanized parameter_count
// (fallback: tensor bytes / 2), quantization_level = model_index quantization, else the first
// tensor blob's quant_type, else BF16 — all uppercased. Other models (an Ollama store with GGUF
// models): the config blob's family/type/file_type, as Ollama shows them.
ModelDetails describe(const store::ModelStore& store, const store::ModelEntry& e, const ModelConfig& cfg);

// The license layer's text, or "".
std::string read_license(const store::ModelStore& store, const store::ModelEntry& e);

// The params layer formatted like Ollama's show: one "%-30s %#v" line per value, keys sorted.
std::string format_parameters(const store::ModelStore& store, const store::ModelEntry& e);

// A Modelfile that describes the model (FROM its name, PARAMETERs, LICENSE).
std::string render_modelfile(const store::ModelStore& store, const store::ModelEntry& e);

// One row per tensor layer, sorted by name: type = lowercase quant_type for quantized blobs,
// else the safetensors dtype; shape = the weight's shape. Error(Corrupt) for a missing or
// unreadable blob.
std::vector<TensorRow> tensor_table(const store::ModelStore& store, const store::ModelEntry& e);

}  // namespace pictor::server
