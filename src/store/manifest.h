// Manifest JSON (Docker distribution v2 schema with Ollama's per-layer "name"), reference §3.5.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::store {

inline constexpr std::string_view kManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kConfigMediaType = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kTensorMediaType = "application/vnd.ollama.image.tensor";
inline constexpr std::string_view kJsonMediaType = "application/vnd.ollama.image.json";
inline constexpr std::string_view kLicenseMediaType = "application/vnd.ollama.image.license";
inline constexpr std::string_view kParamsMediaType = "application/vnd.ollama.image.params";

struct Layer {
    std::string media_type;
    std::string digest;  // "sha256:<hex>"
    uint64_t size = 0;
    std::string from;  // optional
    std::string name;  // optional path-style name, e.g. "transformer/layers.0.attention.to_q.weight"
};

struct Manifest {
    int schema_version = 2;
    std::string media_type = std::string(kManifestMediaType);
    Layer config;
    std::vector<Layer> layers;

    // Field order schemaVersion, mediaType, config, layers; layer keys mediaType, digest, size,
    // then from/name only when non-empty; trailing newline.
    std::string serialize() const;
    // Throws Error(Corrupt, "...") on invalid JSON, missing fields or invalid digests.
    static Manifest parse(std::string_view bytes);

    // Sum of all layer sizes plus the config (what `list` shows).
    uint64_t total_size() const;
    // Sum of the tensor layers' sizes (what `ps` shows).
    uint64_t tensor_size() const;
};

}  // namespace pictor::store
