// The stored copy of model_index.json (reference §4.4): `_class_name` becomes `architecture`,
// `_diffusers_version` is dropped, `parameter_count` and `quantization` are added. The server
// reads these fields for `show`/`list` without opening any tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace pictor::create {

// Reads and parses the source model_index.json; Error(Corrupt, "<file>: <why>") unless it is
// a JSON object, Error(Io, ...) when it cannot be read.
nlohmann::ordered_json read_model_index(const std::filesystem::path& file);

// The pipeline class (`_class_name`), or "" when absent / not a string.
std::string pipeline_class(const nlohmann::ordered_json& model_index);

// `quantization` value: the upper-cased quantize type when quantizing, else `torch_dtype` from
// <dir>/text_encoder/config.json, else "" (also when that file is missing or unreadable —
// it is informational only, and the reference tolerates its absence).
std::string quantization_label(const std::string& quantize, const std::filesystem::path& dir);

// Rewritten bytes. Source key order is kept (ordered_json) with `architecture` in the place of
// `_class_name`; pretty-printed with a 4-space indent like Go's json.MarshalIndent.
std::string rewrite_model_index(const nlohmann::ordered_json& source, uint64_t parameter_count,
                                const std::string& quantization);

// Small file reader shared by the import steps: Error(Io, "<file>: <why>").
std::string read_text_file(const std::filesystem::path& file);

}  // namespace pictor::create
