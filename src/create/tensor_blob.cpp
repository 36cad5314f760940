#include "create/tensor_blob.h"

#include <algorithm>
#include <chrono>
#include <system_error>
#include <vector>

#include "create/quantize_fp8.h"
#include "store/digest.h"
#include "util/sha256.h"

namespace pictor::create {

using store::DType;
namespace fs = std::filesystem;

namespace {

// Big enough that syscall and hashing overheads vanish, small enough for smooth progress.
constexpr size_t kChunk = 8u << 20;

using Sink = std::function<void(const void*, size_t)>;

// The blob's bytes, streamed to `sink` in chunks; `on_bytes` gets source bytes consumed.
class TensorBlob {
public:
    TensorBlob(const store::SafetensorsFile& file, const store::TensorInfo& t, bool fp8) : file_(file), t_(t), fp8_(fp8) {
        if (!fp8_) {
            header_ = store::single_tensor_header(t.name, t.dtype, t.shape);
            size_ = header_.size() + t.nbytes();
            return;
        }
        rows_ = t.shape.front();
        cols_ = rows_ > 0 ? t.numel() / rows_ : 0;  // rank > 2: trailing dims flattened per output row
        // Scale first in the data section: it sits at offset 0 (8-byte aligned) so a reader can
        // use it in place as float32 whatever the weight's element count; the weight is bytes.
        std::vector<store::TensorDecl> decls = {
            {t.name + ".scale", DType::F32, {rows_}},
            {t.name, DType::F8_E4M3, t.shape},
        };
        header_ = store::multi_tensor_header(decls, {{"quant_type", std::string(kQuantizeFp8)}});
        size_ = header_.size() + uint64_t(rows_) * 4 + uint64_t(t.numel());
    }

    uint64_t size() const { return size_; }

    void emit(const Sink& sink, const std::function<void(uint64_t)>& on_bytes) {
        sink(header_.data(), header_.size());
        auto data = file_.data(t_);
        if (!fp8_) {
            for (size_t off = 0; off < data.size(); off += kChunk) {
                size_t n = std::min(kChunk, data.size() - off);
                sink(data.data() + off, n);
                on_bytes(n);
            }
            return;
        }
        if (scales_.empty() && rows_ > 0) {
            scales_.resize(size_t(rows_));
            fp8_row_scales(data.data(), t_.dtype, rows_, cols_, scales_.data());
        }
        sink(scales_.data(), scales_.size() * sizeof(float));  // little-endian host (x86-64)
        const size_t row_src_bytes = size_t(cols_) * store::dtype_size(t_.dtype);
        const int64_t rows_per_chunk = std::max<int64_t>(1, int64_t(kChunk / std::max<size_t>(1, size_t(cols_))));
        std::vector<uint8_t> buf(size_t(std::min(rows_, rows_per_chunk)) * size_t(cols_));
        for (int64_t r = 0; r < rows_; r += rows_per_chunk) {
            const int64_t n = std::min(rows_per_chunk, rows_ - r);
            fp8_quantize_rows(data.data(), t_.dtype, cols_, scales_.data(), r, n, buf.data());
            sink(buf.data(), size_t(n) * size_t(cols_));
            on_bytes(uint64_t(n) * row_src_bytes);
        }
    }

private:
    const store::SafetensorsFile& file_;
    const store::TensorInfo& t_;
    bool fp8_;
    std::string header_;
    uint64_t size_ = 0;
    int64_t rows_ = 0, cols_ = 0;
    std::vector<float> scales_;
};

}  // namespace

ExistingSizes scan_blob_sizes(const store::BlobStore& blobs) {
    ExistingSizes sizes;
    std::error_code ec;
    fs::directory_iterator it(blobs.dir(), ec);
    if (ec) return sizes;  // no blobs/ yet: everything is new
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) break;
        std::error_code sec;
        if (store::is_valid_digest(it->path().filename().string())) {
            uint64_t n = it->file_size(sec);
            if (!sec) sizes.insert(n);
        }
    }
    return sizes;
}

store::BlobRef write_tensor_blob(const store::BlobStore& blobs, const store::SafetensorsFile& file,
                                 const store::TensorInfo& tensor, bool quantize_fp8, const ExistingSizes& existing,
                                 const std::function<void(uint64_t)>& on_bytes) {
    TensorBlob blob(file, tensor, quantize_fp8);
    bool counted = false;
    if (existing.contains(blob.size())) {
        Sha256 h;
        blob.emit([&](const void* p, size_t n) { h.update(p, n); }, on_bytes);
        counted = true;
        store::BlobRef ref{store::digest_from_hex(h.hex_digest()), blob.size(), true};
        fs::path p = blobs.path_of(ref.digest);
        std::error_code ec;
        if (fs::is_regular_file(p, ec) && fs::file_size(p, ec) == ref.size && !ec) {
            // Same protection from the prune grace period that a rewrite would give (§3.3).
            fs::last_write_time(p, fs::file_time_type::clock::now(), ec);
            if (!ec) return ref;
        }
    }
    const std::function<void(uint64_t)> no_progress = [](uint64_t) {};
    auto w = blobs.begin_write();
    blob.emit([&](const void* p, size_t n) { w.write(p, n); }, counted ? no_progress : on_bytes);
    return w.commit();
}

}  // namespace pictor::create
