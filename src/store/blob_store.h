// Content-addressed blobs under <root>/blobs/sha256-<hex>. A blob is written to a temporary
// file in blobs/ while it is hashed, fsynced, and renamed into place; an identical existing
// blob is reused (its mtime is touched, protecting it from the prune grace period).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace pictor::store {

struct BlobRef {
    std::string digest;  // "sha256:<hex>"
    uint64_t size = 0;
    bool existed = false;  // true when an identical blob was already present
};

class BlobStore {
public:
    explicit BlobStore(std::filesystem::path models_root);

    const std::filesystem::path& dir() const { return dir_; }  // <root>/blobs
    // Path of a blob; validates the digest (Error InvalidArgument "invalid digest format").
    std::filesystem::path path_of(std::string_view digest) const;
    bool has(std::string_view digest) const;

    // Streams one blob. Destroying a writer that was not committed removes its temp file.
    class Writer {
    public:
        ~Writer();
        Writer(Writer&&) noexcept;
        Writer& operator=(Writer&&) = delete;
        void write(const void* data, size_t size);  // Error(Io, ...) on failure (disk full...)
        // fsync, rename (or discard if identical exists). If expected_digest is not empty and
        // does not match, the temp file is removed and Error(Corrupt, "digest mismatch") thrown.
        BlobRef commit(std::string_view expected_digest = {});

    private:
        friend class BlobStore;
        struct Impl;
        explicit Writer(std::unique_ptr<Impl>);
        std::unique_ptr<Impl> impl_;
    };
    Writer begin_write() const;

    BlobRef put(std::string_view bytes) const;
    // Reads a whole blob (for JSON layers and manifests), verifying nothing.
    std::string read(std::string_view digest) const;
    // Re-hashes a blob and compares with its name.
    bool verify(std::string_view digest) const;

private:
    std::filesystem::path dir_;
};

}  // namespace pictor::store
