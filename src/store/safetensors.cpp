// Strict safetensors reader (mmap) and the writers. Every check here exists because the bytes
// come from outside (downloaded or imported files, blobs pushed by clients): a hostile header
// must produce a clear Corrupt error, never an out-of-bounds read.
#include "store/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <utility>

#include "util/error.h"

namespace pictor::store {

namespace {

using nlohmann::json;

// 100 MiB: the real 521-tensor transformer header is ~60 KB; anything near this bound is an
// attack or garbage, and we must not allocate whatever a hostile length prefix asks for.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DTypeEntry {
    DType type;
    std::string_view name;
    size_t size;
};
constexpr std::array<DTypeEntry, 15> kDTypes{{
    {DType::F64, "F64", 8},     {DType::F32, "F32", 4},        {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},   {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
    {DType::I64, "I64", 8},     {DType::I32, "I32", 4},        {DType::I16, "I16", 2},
    {DType::I8, "I8", 1},       {DType::U64, "U64", 8},        {DType::U32, "U32", 4},
    {DType::U16, "U16", 2},     {DType::U8, "U8", 1},          {DType::BOOL, "BOOL", 1},
}};

const DTypeEntry& entry(DType t) {
    for (const auto& e : kDTypes)
        if (e.type == t) return e;
    fail(ErrorKind::Internal, "safetensors: invalid DType value " + std::to_string(int(t)));
}

[[noreturn]] void corrupt(const std::filesystem::path& path, const std::string& why) {
    fail(ErrorKind::Corrupt, path.string() + ": " + why);
}

std::string errno_text(int err) { return std::strerror(err); }

// Owns a file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    // close() that reports failure (after writes, a failing close can mean lost data).
    int close_checked() { return ::close(std::exchange(fd_, -1)); }

private:
    int fd_ = -1;
};

// Owns a read-only private mapping of a whole file.
class Mapping {
public:
    Mapping() = default;
    Mapping(const void* p, size_t n) : p_(p), n_(n) {}
    Mapping(Mapping&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
    Mapping& operator=(Mapping&& o) noexcept {
        if (this != &o) {
            reset();
            p_ = std::exchange(o.p_, nullptr);
            n_ = std::exchange(o.n_, 0);
        }
        return *this;
    }
    ~Mapping() { reset(); }
    const std::byte* data() const { return static_cast<const std::byte*>(p_); }
    size_t size() const { return n_; }

private:
    void reset() {
        if (p_) ::munmap(const_cast<void*>(p_), n_);
        p_ = nullptr;
        n_ = 0;
    }
    const void* p_ = nullptr;
    size_t n_ = 0;
};

Fd open_for_read(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::Io,
             path.string() + ": cannot open safetensors file: " + errno_text(err));
    }
    return Fd(fd);
}

uint64_t file_size(const Fd& fd, const std::filesystem::path& path) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail(ErrorKind::Io, path.string() + ": fstat failed: " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) corrupt(path, "not a regular file");
    return uint64_t(st.st_size);
}

// Reads exactly n bytes at offset (pread may return short counts).
void pread_all(const Fd& fd, const std::filesystem::path& path, void* buf, size_t n, uint64_t offset) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        ssize_t r = ::pread(fd.get(), p, n, off_t(offset));
        if (r < 0) {
            if (errno == EINTR) continue;
            fail(ErrorKind::Io, path.string() + ": read failed: " + errno_text(errno));
        }
        if (r == 0) corrupt(path, "file ended while reading the header (truncated)");
        p += r;
        n -= size_t(r);
        offset += uint64_t(r);
    }
}

uint64_t load_u64_le(const unsigned char* b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
    return v;
}

void store_u64_le(char* out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out[i] = char((v >> (8 * i)) & 0xff);
}

// Validates the length prefix against the file size and returns H.
uint64_t check_header_length(const std::filesystem::path& path, uint64_t h, uint64_t size) {
    if (size < 8) corrupt(path, "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
    if (h == 0) corrupt(path, "header length is 0");
    if (h > kMaxHeaderBytes)
        corrupt(path, "header length " + std::to_string(h) + " exceeds the 100 MiB limit");
    if (h > size - 8)
        corrupt(path, "header length " + std::to_string(h) + " exceeds the file size (" + std::to_string(size) +
                          " bytes): truncated file or bad length");
    // Writers pad the JSON with spaces so that tensor data starts 8-byte aligned; an unaligned
    // start would make zero-copy views of F32/F64 data misaligned.
    if ((8 + h) % 8 != 0)
        corrupt(path, "data section starts at byte " + std::to_string(8 + h) + ", which is not 8-byte aligned");
    return h;
}

struct ParsedHeader {
    std::vector<TensorInfo> tensors;  // sorted by name
    std::map<std::string, std::string> metadata;
};

std::string json_quoted(std::string_view s) { return json(std::string(s)).dump(); }

// Parses and validates the JSON header; data_size is the length of the data section.
ParsedHeader parse_header(const std::filesystem::path& path, std::string_view text, uint64_t data_size) {
    // nlohmann keeps the last of duplicate keys silently; a header that names a tensor twice
    // is ambiguous, so duplicates are caught while parsing.
    std::set<std::string> seen;
    std::string duplicate;
    auto callback = [&](int depth, json::parse_event_t ev, json& parsed) {
        if (ev == json::parse_event_t::key && depth == 1 && duplicate.empty()) {
            const auto& k = parsed.get_ref<const std::string&>();
            if (!seen.insert(k).second) duplicate = k;
        }
        return true;
    };
    // nlohmann's lexer stops at a NUL byte as if the input ended, which would silently ignore
    // whatever follows; JSON text can never contain a raw NUL, so reject it up front.
    if (auto nul = text.find('\0'); nul != std::string_view::npos)
        corrupt(path, "header is not valid JSON: NUL byte at header offset " + std::to_string(nul));
    json j;
    try {
        j = json::parse(text.begin(), text.end(), callback);
    } catch (const json::exception& e) {
        corrupt(path, std::string("header is not valid JSON: ") + e.what());
    }
    if (!j.is_object()) corrupt(path, std::string("header is a JSON ") + j.type_name() + ", not an object");
    if (!duplicate.empty()) corrupt(path, "header names " + json_quoted(duplicate) + " more than once");

    ParsedHeader out;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& name = it.key();
        const json& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object()) corrupt(path, std::string("__metadata__ is a JSON ") + v.type_name() + ", not an object");
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string())
                    corrupt(path, "__metadata__ value for " + json_quoted(m.key()) + " is a JSON " + m.value().type_name() +
                                      ", not a string");
                out.metadata.emplace(m.key(), m.value().get<std::string>());
            }
            continue;
        }
        const std::string where = "tensor " + json_quoted(name) + ": ";
        if (name.empty()) corrupt(path, "a tensor has an empty name");
        if (!v.is_object()) corrupt(path, where + "entry is a JSON " + v.type_name() + ", not an object");
        auto dt = v.find("dtype");
        auto sh = v.find("shape");
        auto off = v.find("data_offsets");
        if (dt == v.end() || !dt->is_string()) corrupt(path, where + "missing or non-string \"dtype\"");
        if (sh == v.end() || !sh->is_array()) corrupt(path, where + "missing or non-array \"shape\"");
        if (off == v.end() || !off->is_array() || off->size() != 2)
            corrupt(path, where + "\"data_offsets\" must be an array of two integers");

        TensorInfo t;
        t.name = name;
        try {
            t.dtype = parse_dtype(dt->get_ref<const std::string&>());
        } catch (const Error& e) {
            corrupt(path, where + e.what());
        }
        uint64_t numel = 1;
        bool overflow = false;
        for (const json& d : *sh) {
            if (!d.is_number_integer()) corrupt(path, where + "shape entry " + d.dump() + " is not an integer");
            if (d.is_number_unsigned() ? d.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())
                                       : d.get<int64_t>() < 0)
                corrupt(path, where + "shape dimension " + d.dump() + " is negative or too large");
            auto dim = d.get<int64_t>();
            t.shape.push_back(dim);
            overflow = overflow || __builtin_mul_overflow(numel, uint64_t(dim), &numel);
        }
        for (const json& o : *off)
            if (!o.is_number_unsigned())
                corrupt(path, where + "data_offsets entry " + o.dump() + " is not a non-negative integer");
        t.begin = (*off)[0].get<uint64_t>();
        t.end = (*off)[1].get<uint64_t>();
        if (t.begin > t.end)
            corrupt(path, where + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                              "] are reversed");
        if (t.end > data_size)
            corrupt(path, where + "data_offsets end " + std::to_string(t.end) + " is past the end of the data (" +
                              std::to_string(data_size) + " bytes)");
        uint64_t expected = 0;
        overflow = overflow || __builtin_mul_overflow(numel, uint64_t(dtype_size(t.dtype)), &expected);
        if (overflow) corrupt(path, where + "shape is too large (byte count overflows)");
        if (expected != t.nbytes())
            corrupt(path, where + "holds " + std::to_string(t.nbytes()) + " bytes but dtype " +
                              std::string(dtype_name(t.dtype)) + " and its shape need " + std::to_string(expected));
        out.tensors.push_back(std::move(t));
    }

    // Overlap check: sort by begin; empty tensors occupy no bytes and cannot overlap anything.
    std::vector<const TensorInfo*> by_offset;
    for (const auto& t : out.tensors)
        if (t.end > t.begin) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (size_t i = 1; i < by_offset.size(); ++i)
        if (by_offset[i]->begin < by_offset[i - 1]->end)
            corrupt(path, "tensors " + json_quoted(by_offset[i - 1]->name) + " and " + json_quoted(by_offset[i]->name) +
                              " overlap in the data section");

    std::sort(out.tensors.begin(), out.tensors.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
    return out;
}

void append_tensor_json(std::string& out, std::string_view name, DType dtype, std::span<const int64_t> shape,
                        uint64_t begin, uint64_t end) {
    out += json_quoted(name);
    out += ":{\"dtype\":\"";
    out += dtype_name(dtype);
    out += "\",\"shape\":[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] < 0) fail(ErrorKind::InvalidArgument, "safetensors: tensor " + json_quoted(name) + " has a negative dimension");
        if (i) out += ',';
        out += std::to_string(shape[i]);
    }
    out += "],\"data_offsets\":[";
    out += std::to_string(begin);
    out += ',';
    out += std::to_string(end);
    out += "]}";
}

uint64_t checked_nbytes(std::string_view name, DType dtype, std::span<const int64_t> shape) {
    uint64_t n = dtype_size(dtype);
    for (int64_t d : shape) {
        if (d < 0) fail(ErrorKind::InvalidArgument, "safetensors: tensor " + json_quoted(name) + " has a negative dimension");
        if (__builtin_mul_overflow(n, uint64_t(d), &n))
            fail(ErrorKind::InvalidArgument, "safetensors: tensor " + json_quoted(name) + " is too large");
    }
    return n;
}

// Pads the JSON with spaces to a multiple of 8 and prepends the u64 LE length.
std::string frame_header(std::string json_text) {
    json_text.append((8 - json_text.size() % 8) % 8, ' ');
    std::string out(8, '\0');
    store_u64_le(out.data(), json_text.size());
    out += json_text;
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view dtype_name(DType t) { return entry(t).name; }

DType parse_dtype(std::string_view s) {
    for (const auto& e : kDTypes)
        if (e.name == s) return e.type;
    fail(ErrorKind::Corrupt, "unknown dtype " + json_quoted(s));
}

size_t dtype_size(DType t) { return entry(t).size; }

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

struct SafetensorsFile::Impl {
    std::filesystem::path path;
    Mapping map;
    uint64_t data_offset = 0;
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
};

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
    Fd fd = open_for_read(path);
    uint64_t size = file_size(fd, path);
    if (size < 8) corrupt(path, "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
    // MAP_PRIVATE + PROT_READ: we never write, and a private mapping keeps other processes'
    // writes from being visible as far as the kernel allows. Blobs are immutable by design; a
    // file truncated underneath us would still raise SIGBUS, which no reader can prevent.
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED) fail(ErrorKind::Io, path.string() + ": mmap failed: " + errno_text(errno));
    Mapping map(p, size);
    const auto* bytes = reinterpret_cast<const unsigned char*>(map.data());
    uint64_t h = check_header_length(path, load_u64_le(bytes), size);
    std::string_view text(reinterpret_cast<const char*>(bytes + 8), h);
    ParsedHeader parsed = parse_header(path, text, size - 8 - h);

    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->map = std::move(map);
    impl->data_offset = 8 + h;
    impl->tensors = std::move(parsed.tensors);
    impl->metadata = std::move(parsed.metadata);
    return SafetensorsFile(std::move(impl));
}

std::vector<TensorInfo> SafetensorsFile::read_header(const std::filesystem::path& path,
                                                     std::map<std::string, std::string>* metadata) {
    Fd fd = open_for_read(path);
    uint64_t size = file_size(fd, path);
    if (size < 8) corrupt(path, "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
    unsigned char len[8];
    pread_all(fd, path, len, 8, 0);
    uint64_t h = check_header_length(path, load_u64_le(len), size);
    std::string text(h, '\0');
    pread_all(fd, path, text.data(), h, 8);
    ParsedHeader parsed = parse_header(path, text, size - 8 - h);
    if (metadata) *metadata = std::move(parsed.metadata);
    return std::move(parsed.tensors);
}

const std::filesystem::path& SafetensorsFile::path() const { return impl_->path; }
const std::vector<TensorInfo>& SafetensorsFile::tensors() const { return impl_->tensors; }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return impl_->metadata; }
uint64_t SafetensorsFile::data_offset() const { return impl_->data_offset; }

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
    const auto& ts = impl_->tensors;
    auto it = std::lower_bound(ts.begin(), ts.end(), name,
                               [](const TensorInfo& t, std::string_view n) { return t.name < n; });
    return it != ts.end() && it->name == name ? &*it : nullptr;
}

void SafetensorsFile::release_pages() const {
    if (impl_->map.size() > 0) release_pages({impl_->map.data(), impl_->map.size()});
}

size_t SafetensorsFile::release_pages(std::span<const std::byte> bytes) const {
    return drop_pages(bytes, false);
}

size_t SafetensorsFile::evict_pages(std::span<const std::byte> bytes) const { return drop_pages(bytes, true); }

size_t SafetensorsFile::drop_pages(std::span<const std::byte> bytes, bool from_cache) const {
    const auto base = reinterpret_cast<uintptr_t>(impl_->map.data());
    const uintptr_t map_end = base + impl_->map.size();
    auto first = reinterpret_cast<uintptr_t>(bytes.data());
    uintptr_t last = first + bytes.size();
    if (bytes.empty() || first < base || last > map_end) return 0;
    // The mapping starts on a page boundary, so rounding down stays inside it; a partial page
    // shared with a neighbouring tensor is dropped too, which only costs that tensor a re-fault.
    static const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
    first &= ~(page - 1);
    // Best effort: the only failures (EINVAL/EAGAIN) leave the pages resident, which is harmless.
    if (::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) != 0) return 0;
    if (from_cache) {
        // The mapping covers the file from offset 0, so file offsets are mapping offsets. The
        // kernel skips pages that another process still maps, so nobody else is slowed down
        // beyond a re-read. The descriptor is opened just for this: a model in the store has
        // one file per tensor, too many to keep open.
        const int fd = ::open(impl_->path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ::posix_fadvise(fd, off_t(first - base), off_t(last - first), POSIX_FADV_DONTNEED);
            ::close(fd);
        }
    }
    return last - first;
}

std::span<const std::byte> SafetensorsFile::data(const TensorInfo& t) const {
    // Re-checked because a TensorInfo may come from another file or be edited by the caller.
    uint64_t data_size = impl_->map.size() - impl_->data_offset;
    if (t.begin > t.end || t.end > data_size)
        fail(ErrorKind::Internal, impl_->path.string() + ": tensor " + json_quoted(t.name) + " is not inside this file");
    return {impl_->map.data() + impl_->data_offset + t.begin, size_t(t.nbytes())};
}

// ---------------------------------------------------------------------------------------------

std::string single_tensor_header(std::string_view key, DType dtype, std::span<const int64_t> shape) {
    std::string text = "{";
    append_tensor_json(text, key, dtype, shape, 0, checked_nbytes(key, dtype, shape));
    text += '}';
    return frame_header(std::move(text));
}

std::string multi_tensor_header(std::span<const TensorDecl> tensors, const std::map<std::string, std::string>& metadata) {
    std::string text = "{";
    if (!metadata.empty()) {
        text += "\"__metadata__\":";
        text += json(metadata).dump();
    }
    std::set<std::string_view> names;
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        if (t.name.empty() || t.name == "__metadata__")
            fail(ErrorKind::InvalidArgument, "safetensors: invalid tensor name " + json_quoted(t.name));
        if (!names.insert(t.name).second)
            fail(ErrorKind::InvalidArgument, "safetensors: tensor " + json_quoted(t.name) + " declared twice");
        uint64_t n = checked_nbytes(t.name, t.dtype, t.shape);
        if (text.size() > 1) text += ',';
        append_tensor_json(text, t.name, t.dtype, t.shape, offset, offset + n);
        offset += n;
    }
    text += '}';
    return frame_header(std::move(text));
}

// ---------------------------------------------------------------------------------------------

struct SafetensorsWriter::Impl {
    std::filesystem::path path, tmp;
    Fd fd;
    std::vector<TensorDecl> decls;
    std::vector<uint64_t> ends;  // cumulative end offset of each tensor, for error messages
    uint64_t total = 0, written = 0;
    std::vector<char> buf;  // coalesces small writes into large syscalls
    bool finished = false;

    static constexpr size_t kBufSize = 4u << 20;

    void write_raw(const char* p, size_t n) {
        while (n > 0) {
            ssize_t r = ::write(fd.get(), p, n);
            if (r < 0) {
                if (errno == EINTR) continue;
                fail(ErrorKind::Io, tmp.string() + ": write failed: " + errno_text(errno));
            }
            p += r;
            n -= size_t(r);
        }
    }
    void flush() {
        write_raw(buf.data(), buf.size());
        buf.clear();
    }
    std::string current_tensor() const {
        auto it = std::upper_bound(ends.begin(), ends.end(), written);
        return it == ends.end() ? std::string("(none)") : json_quoted(decls[size_t(it - ends.begin())].name);
    }
};

SafetensorsWriter::SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorDecl> tensors,
                                     std::map<std::string, std::string> metadata)
    : impl_(std::make_unique<Impl>()) {
    auto& im = *impl_;
    im.path = path;
    std::string header = multi_tensor_header(tensors, metadata);
    for (const auto& t : tensors) {
        im.total += checked_nbytes(t.name, t.dtype, t.shape);
        im.ends.push_back(im.total);
    }
    im.decls = std::move(tensors);

    // Temp file beside the target so that rename() is atomic (same file system); a random
    // suffix keeps concurrent writers of the same path from clobbering each other.
    std::random_device rd;
    for (int attempt = 0;; ++attempt) {
        char suffix[32];
        std::snprintf(suffix, sizeof suffix, ".tmp-%08x", unsigned(rd()));
        im.tmp = path;
        im.tmp += suffix;
        int fd = ::open(im.tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            im.fd = Fd(fd);
            break;
        }
        if (errno != EEXIST || attempt > 16)
            fail(errno == ENOENT ? ErrorKind::NotFound : ErrorKind::Io,
                 im.tmp.string() + ": cannot create file: " + errno_text(errno));
    }
    im.buf.reserve(Impl::kBufSize);
    try {
        im.write_raw(header.data(), header.size());
    } catch (...) {
        im.fd.reset();
        std::error_code ec;
        std::filesystem::remove(im.tmp, ec);
        throw;
    }
}

SafetensorsWriter::~SafetensorsWriter() {
    if (impl_ && !impl_->finished) {
        impl_->fd.reset();
        std::error_code ec;
        std::filesystem::remove(impl_->tmp, ec);  // abandoned: leave nothing half-written behind
    }
}

void SafetensorsWriter::write(const void* data, size_t size) {
    auto& im = *impl_;
    if (im.finished) fail(ErrorKind::Internal, im.path.string() + ": write after finish()");
    if (size > im.total - im.written)
        fail(ErrorKind::Internal, im.path.string() + ": " + std::to_string(size) + " more bytes written than declared (" +
                                      std::to_string(im.total - im.written) + " left of " + std::to_string(im.total) +
                                      ")");
    const char* p = static_cast<const char*>(data);
    if (im.buf.size() + size > Impl::kBufSize) im.flush();
    if (size >= Impl::kBufSize) im.write_raw(p, size);
    else im.buf.insert(im.buf.end(), p, p + size);
    im.written += size;
}

void SafetensorsWriter::finish() {
    auto& im = *impl_;
    if (im.finished) return;
    if (im.written != im.total)
        fail(ErrorKind::Internal, im.path.string() + ": only " + std::to_string(im.written) + " of " +
                                      std::to_string(im.total) + " declared bytes were written (tensor " +
                                      im.current_tensor() + " is incomplete)");
    im.flush();
    if (::fsync(im.fd.get()) != 0) fail(ErrorKind::Io, im.tmp.string() + ": fsync failed: " + errno_text(errno));
    if (im.fd.close_checked() != 0) fail(ErrorKind::Io, im.tmp.string() + ": close failed: " + errno_text(errno));
    if (::rename(im.tmp.c_str(), im.path.c_str()) != 0)
        fail(ErrorKind::Io, im.path.string() + ": cannot rename " + im.tmp.string() + " into place: " + errno_text(errno));
    im.finished = true;
    // Make the rename itself durable.
    auto dir = im.path.parent_path();
    if (dir.empty()) dir = ".";
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) ::fsync(dfd.get());
}

}  // namespace pictor::store
