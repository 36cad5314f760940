// Safetensors: a strict reader that maps a file with mmap and hands out zero-copy tensor views,
// and the writers used by import (one tensor per blob) and by the model generator (many tensors
// per file, streamed). Format: [u64 LE header length H][H bytes JSON][data].
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::store {

enum class DType { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U64, U32, U16, U8, BOOL };

// "F32", "BF16", "F8_E4M3", ...; parse throws Error(Corrupt, "unknown dtype \"X\"").
std::string_view dtype_name(DType t);
DType parse_dtype(std::string_view s);
size_t dtype_size(DType t);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // data_offsets, relative to the data section
    int64_t numel() const;
    uint64_t nbytes() const { return end - begin; }
};

// Header length is bounded (≤ 100 MiB and ≤ file size − 8); the JSON must parse, every entry
// must have a known dtype, a shape of non-negative dims, offsets inside the file, byte count ==
// numel × dtype size, no two tensors may overlap, and the data start must be 8-byte aligned
// (with the reference writers' padding). Every violation is Error(Corrupt, "<file>: <why>").
// Also rejected: duplicate names, an empty name, a NUL byte in the header, non-integer dims.
// Gaps between tensors and trailing bytes are tolerated (harmless for reading). A missing file
// is Error(NotFound); other OS failures are Error(Io).
class SafetensorsFile {
public:
    static SafetensorsFile open(const std::filesystem::path& path);
    // Parses only the header (for import planning and `show --verbose`), reading ≤ H+8 bytes
    // with pread; same checks as open(); result sorted by name.
    static std::vector<TensorInfo> read_header(const std::filesystem::path& path,
                                               std::map<std::string, std::string>* metadata = nullptr);

    SafetensorsFile(SafetensorsFile&&) noexcept;
    SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
    ~SafetensorsFile();

    const std::filesystem::path& path() const;
    const std::vector<TensorInfo>& tensors() const;  // sorted by name
    const std::map<std::string, std::string>& metadata() const;  // __metadata__
    const TensorInfo* find(std::string_view name) const;
    // Zero-copy view of a tensor's bytes (valid while this object lives).
    std::span<const std::byte> data(const TensorInfo& t) const;
    uint64_t data_offset() const;  // absolute offset of the data section (8 + H)

    // Drops this process's resident pages of the mapping (madvise MADV_DONTNEED), so that they
    // stop counting in its RSS; views stay valid and the next read faults the page back in from
    // the page cache (or the disk when it was evicted). The mapping is read-only and file
    // backed, so no data can be lost. The whole file, or the pages of `bytes` that lie inside
    // this file's mapping (rounded outward to whole pages, clipped to the mapping); returns the
    // number of bytes advised (0 when `bytes` is not inside this file).
    void release_pages() const;
    size_t release_pages(std::span<const std::byte> bytes) const;
    // Like release_pages(bytes), and also drops those pages from the system's page cache
    // (posix_fadvise POSIX_FADV_DONTNEED), for bytes a model has copied and will not read
    // again: on a machine that cannot cache all of a model's files, the copied sources would
    // otherwise push out pages that are read on every generation. Pages other processes map
    // stay cached. Best effort, same return value as release_pages(bytes).
    size_t evict_pages(std::span<const std::byte> bytes) const;

private:
    size_t drop_pages(std::span<const std::byte> bytes, bool from_cache) const;
    struct Impl;
    explicit SafetensorsFile(std::unique_ptr<Impl>);
    std::unique_ptr<Impl> impl_;
};

// Header of a one-tensor blob as the reference importer writes it: {"<key>":{"dtype":..,
// "shape":[..],"data_offsets":[0,n]}} padded with spaces to a multiple of 8, preceded by the
// u64 length. Append the tensor bytes to get the whole blob.
std::string single_tensor_header(std::string_view key, DType dtype, std::span<const int64_t> shape);

// Header for several tensors in the given order, data laid out back to back, optional
// __metadata__. Used for fp8 blobs (weight + scale) and generated model files.
struct TensorDecl {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
};
std::string multi_tensor_header(std::span<const TensorDecl> tensors,
                                const std::map<std::string, std::string>& metadata = {});

// Streams a multi-tensor safetensors file: declare all tensors up front, then write each
// tensor's bytes in declaration order (any number of chunks). finish() checks that every byte
// was written, fsyncs and renames the temp file ("<path>.tmp-XXXXXXXX", same folder) into place.
// Writing more bytes than declared, or finish() before all of them, is Error(Internal) naming
// the file; a writer destroyed without finish() removes its temp file.
class SafetensorsWriter {
public:
    SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorDecl> tensors,
                      std::map<std::string, std::string> metadata = {});
    ~SafetensorsWriter();
    void write(const void* data, size_t size);
    void finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pictor::store
