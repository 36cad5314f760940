// The named-manifest trees on disk: manifests/<host>/<ns>/<model>/<tag> (legacy, regular files)
// and manifests-v2/... (links to manifest blobs), reference §3.4. This file knows how names map
// to entries (case-insensitively, reusing existing capitalisation), how an entry is opened and
// verified, and how a v2 link is replaced atomically. Policy (what to read first, what to
// delete) lives in ModelStore.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/blob_store.h"
#include "store/names.h"

namespace pictor::store::tree {

inline constexpr std::string_view kLegacyDir = "manifests";
inline constexpr std::string_view kV2Dir = "manifests-v2";
// Prefix of the temporary entries created next to a link while it is replaced.
inline constexpr std::string_view kTempPrefix = ".manifest-";

// The existing entry root/<rel> where every component matches case-insensitively (the exact
// spelling is preferred). rel must come from a valid ModelName.
std::optional<std::filesystem::path> find_ci(const std::filesystem::path& root, const std::filesystem::path& rel);
// Where to write root/<rel>: components that exist in another capitalisation keep it, so that
// "Foo" and "foo" never become two directories.
std::filesystem::path path_for_write(const std::filesystem::path& root, const std::filesystem::path& rel);

struct NamedFile {
    ModelName name;  // parts as spelled on disk
    std::filesystem::path path;
};
// Entries root/*/*/*/* that are not directories and whose parts form a valid name, sorted by
// path. Entries with invalid names are appended to skipped (temp entries are ignored silently).
std::vector<NamedFile> scan(const std::filesystem::path& root, std::vector<std::string>* skipped);

struct Opened {
    std::string bytes;
    std::string digest_hex;  // SHA-256 of bytes
};
// Reads a named manifest with the checks of §3.4: a symlink must resolve to the blob of the
// digest its target names and hash to it; a regular file must resolve inside manifests_root.
// Error(Corrupt) on any violation, Error(NotFound) when the entry is gone.
Opened open_verified(const std::filesystem::path& path, const std::filesystem::path& manifests_root,
                     const BlobStore& blobs);
// Reads whatever the entry contains (following links) without verification; for garbage
// collection, which must learn what a damaged manifest references rather than ignore it.
std::string read_unverified(const std::filesystem::path& path);

// Points link at blob atomically (a temp entry in the same directory renamed over link): a
// relative symlink, else a hard link, else a copy of bytes (the blob's content).
void link_atomic(const std::filesystem::path& link, const std::filesystem::path& blob, std::string_view bytes);

// Removes empty directories below root (never root itself). When temps_older_than is set, also
// removes leftover temp entries (kTempPrefix) last modified before it.
void prune_empty_dirs(const std::filesystem::path& root,
                      std::optional<std::filesystem::file_time_type> temps_older_than = std::nullopt);

}  // namespace pictor::store::tree
