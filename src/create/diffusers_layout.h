// What an import reads from a Hugging Face diffusers folder (reference §4.1–§4.3): the weight
// files of the three imported components and the fixed list of JSON files. Scanning touches
// nothing in the store, so a folder that is not importable is rejected before any blob exists.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::create {

// Components whose *.safetensors are imported, in manifest order. Others (text_encoder_2, ...)
// are ignored like the reference does; tokenizer/ and scheduler/ contribute JSON only.
inline constexpr std::array<std::string_view, 3> kComponents = {"text_encoder", "transformer", "vae"};

// JSON layers, in this fixed order when present (reference §4.3).
inline constexpr std::array<std::string_view, 9> kJsonFiles = {
    "model_index.json",
    "text_encoder/config.json",
    "text_encoder/generation_config.json",
    "transformer/config.json",
    "vae/config.json",
    "scheduler/scheduler_config.json",
    "tokenizer/tokenizer.json",
    "tokenizer/tokenizer_config.json",
    "tokenizer/vocab.json",
};

struct WeightFile {
    std::string component;        // "transformer"
    std::string file_name;        // "diffusion_pytorch_model-00001-of-00002.safetensors"
    std::filesystem::path path;   // absolute
    std::string rel() const { return component + "/" + file_name; }
};

struct DiffusersLayout {
    std::filesystem::path dir;
    std::vector<WeightFile> weight_files;  // component order, then lexical file order
    std::vector<std::string> json_files;   // the kJsonFiles entries that exist, in that order
};

// Throws NotFound when `dir` does not exist, Io when it is not a readable directory (or a
// component folder cannot be listed), InvalidArgument "model_index.json not found in <dir>".
DiffusersLayout scan_diffusers_dir(const std::filesystem::path& dir);

}  // namespace pictor::create
