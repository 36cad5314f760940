// The manifest's config blob (reference §4.5): Ollama's ConfigV2 with the image capability.
// Field order follows the Go struct so that the bytes (and hence the digest) match what the
// reference writes for the same model.
#pragma once

#include <string>
#include <string_view>

namespace pictor::create {

// {"model_format":"safetensors","model_family":"","model_families":null,"model_type":"",
//  "file_type":<file_type>,"requires":"0.19.0","capabilities":["image"(,"vision")],
//  "architecture":"","os":"","rootfs":{"type":"","diff_ids":null}}
// `vision` is added for Flux2KleinPipeline, the reference's hard-coded rule.
std::string make_config_blob(std::string_view file_type, std::string_view pipeline_class);

}  // namespace pictor::create
