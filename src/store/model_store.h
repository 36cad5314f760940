// The models directory: blobs plus named manifests (legacy manifests/ read, manifests-v2/
// written as links to manifest blobs), reference §3.1–§3.8.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/blob_store.h"
#include "store/manifest.h"
#include "store/names.h"

namespace pictor::store {

struct ModelEntry {
    ModelName name;            // as found on disk (existing capitalisation)
    Manifest manifest;
    std::string digest_hex;    // SHA-256 of the manifest bytes (the model ID)
    uint64_t manifest_size = 0;
    std::filesystem::file_time_type modified;  // of the named entry itself (link not followed)
    std::filesystem::path path;  // the named manifest file (manifests-v2/... or manifests/...)
    bool legacy = false;         // found under manifests/ rather than manifests-v2/
};

struct PruneReport {
    size_t removed_blobs = 0;
    uint64_t removed_bytes = 0;
    bool skipped = false;      // a manifest failed to parse: the store was not touched
    std::string reason;
};

class ModelStore {
public:
    explicit ModelStore(std::filesystem::path root);
    // $PICTOR_MODELS, else ~/.pictor/models.
    static std::filesystem::path default_root();

    const std::filesystem::path& root() const { return root_; }
    const BlobStore& blobs() const { return blobs_; }

    // Resolves v2 first, then legacy (as given, then the other public host spelling), matching
    // case-insensitively; verifies links (reference §3.4). nullopt when the model does not exist;
    // Error(Corrupt, ...) when it exists but fails verification.
    std::optional<ModelEntry> find(const ModelName& name) const;
    // Like find; Error(NotFound, "model '<display>' not found") when missing.
    ModelEntry get(const ModelName& name) const;
    // v2 entries shadow legacy entries of the same name. Corrupt entries are skipped (with a
    // warning on stderr) when continue_on_error, else thrown.
    std::vector<ModelEntry> list(bool continue_on_error = true) const;

    // Stores the manifest bytes as a blob and links manifests-v2/<canonical> to it (relative
    // symlink, else hard link, else copy); removes legacy files of that name. Atomic: readers
    // see the old manifest or the new one. Replaces an existing name.
    std::string write_manifest(const ModelName& name, const Manifest& m);  // returns digest hex
    // Same with exact bytes (pull stores the registry's bytes unchanged, so the ID matches).
    // The bytes must parse as a manifest (Error Corrupt otherwise).
    std::string write_manifest_bytes(const ModelName& name, std::string_view bytes);
    // The verified raw manifest bytes of a name (push sends them unchanged).
    // Error(NotFound, "model '<display>' not found") when missing.
    std::string get_bytes(const ModelName& name) const;
    // Links dst to src's manifest blob. Error(NotFound, "model \"<src>\" not found").
    void copy(const ModelName& src, const ModelName& dst);
    // Removes the name, then every blob of it (manifest blob, config, layers) that no other
    // manifest references. Error(NotFound, "model '<display>' not found").
    void remove(const ModelName& name);
    // Startup prune (reference §3.8): only when every manifest parses; blobs older than grace
    // that nothing references (and non-digest junk such as temp files) are deleted; empty
    // manifest directories removed.
    PruneReport prune(std::chrono::seconds grace = std::chrono::hours(1));

    // Reads a JSON layer by its name ("model_index.json", "transformer/config.json").
    std::optional<std::string> read_json(const ModelEntry& e, std::string_view layer_name) const;

private:
    std::filesystem::path root_;
    BlobStore blobs_;
};

}  // namespace pictor::store
