#include "util/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "util/error.h"

namespace pictor {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

[[noreturn]] void corrupt(const std::string& what) { fail(ErrorKind::Corrupt, "npy: " + what); }

// The header is a Python dict literal written by numpy's own repr; we only need a tolerant
// scanner for its three keys, not a Python parser.
size_t skip_ws(const std::string& s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

// Returns the position just after `'key':` (and any spaces), or npos.
size_t find_key(const std::string& h, const std::string& key) {
    for (char q : {'\'', '"'}) {
        const std::string pat = std::string(1, q) + key + q;
        size_t p = h.find(pat);
        if (p == std::string::npos) continue;
        p = skip_ws(h, p + pat.size());
        if (p >= h.size() || h[p] != ':') corrupt("malformed header near '" + key + "'");
        return skip_ws(h, p + 1);
    }
    return std::string::npos;
}

NpyDtype dtype_from_descr(const std::string& d) {
    if (d == "<f4") return NpyDtype::F32;
    if (d == "<f8") return NpyDtype::F64;
    if (d == "<i8") return NpyDtype::I64;
    if (d == "<i4") return NpyDtype::I32;
    if (d == "|u1" || d == "<u1" || d == "u1") return NpyDtype::U8;
    fail(ErrorKind::Unsupported, "npy: unsupported dtype '" + d +
                                     "' (supported: <f4, <f8, <i8, <i4, |u1; little-endian only)");
}

struct Header {
    NpyDtype dtype;
    std::vector<int64_t> shape;
};

Header parse_header(const std::string& h) {
    Header out{};
    size_t p = find_key(h, "descr");
    if (p == std::string::npos || p >= h.size() || (h[p] != '\'' && h[p] != '"')) corrupt("header has no 'descr' string");
    const char q = h[p];
    size_t e = h.find(q, p + 1);
    if (e == std::string::npos) corrupt("unterminated 'descr'");
    out.dtype = dtype_from_descr(h.substr(p + 1, e - p - 1));

    p = find_key(h, "fortran_order");
    if (p == std::string::npos) corrupt("header has no 'fortran_order'");
    if (h.compare(p, 4, "True") == 0)
        fail(ErrorKind::Unsupported, "npy: Fortran-order arrays are not supported (save with C order)");
    if (h.compare(p, 5, "False") != 0) corrupt("bad 'fortran_order' value");

    p = find_key(h, "shape");
    if (p == std::string::npos || p >= h.size() || h[p] != '(') corrupt("header has no 'shape' tuple");
    e = h.find(')', p);
    if (e == std::string::npos) corrupt("unterminated 'shape'");
    std::string body = h.substr(p + 1, e - p - 1);
    size_t i = 0;
    while (true) {
        i = skip_ws(body, i);
        if (i >= body.size()) break;
        size_t j = i;
        while (j < body.size() && body[j] >= '0' && body[j] <= '9') ++j;
        if (j == i) corrupt("bad dimension in shape '(" + body + ")'");
        // numpy may print Python 2 longs as "3L"; skip that suffix.
        out.shape.push_back(std::stoll(body.substr(i, j - i)));
        if (j < body.size() && body[j] == 'L') ++j;
        j = skip_ws(body, j);
        if (j < body.size()) {
            if (body[j] != ',') corrupt("bad shape '(" + body + ")'");
            ++j;
        }
        i = j;
    }
    return out;
}

}  // namespace

size_t npy_dtype_size(NpyDtype d) {
    switch (d) {
        case NpyDtype::F32: return 4;
        case NpyDtype::F64: return 8;
        case NpyDtype::I64: return 8;
        case NpyDtype::I32: return 4;
        case NpyDtype::U8: return 1;
    }
    return 0;
}

const char* npy_dtype_descr(NpyDtype d) {
    switch (d) {
        case NpyDtype::F32: return "<f4";
        case NpyDtype::F64: return "<f8";
        case NpyDtype::I64: return "<i8";
        case NpyDtype::I32: return "<i4";
        case NpyDtype::U8: return "|u1";
    }
    return "?";
}

size_t npy_numel(const std::vector<int64_t>& shape) {
    size_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) fail(ErrorKind::InvalidArgument, "npy: negative dimension");
        n *= size_t(d);
    }
    return n;
}

void check_npy_numel(const std::vector<int64_t>& shape, size_t count) {
    const size_t n = npy_numel(shape);
    if (n != count)
        fail(ErrorKind::InvalidArgument,
             "npy: shape holds " + std::to_string(n) + " elements but " + std::to_string(count) + " were given");
}

size_t NpyArray::numel() const { return npy_numel(shape); }

template <class T>
std::vector<T> NpyArray::as() const {
    if (dtype != NpyDtypeOf<T>::value)
        fail(ErrorKind::InvalidArgument, std::string("npy: array has dtype ") + npy_dtype_descr(dtype) +
                                             ", requested " + npy_dtype_descr(NpyDtypeOf<T>::value));
    std::vector<T> out(numel());
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));  // host is little-endian (x86-64)
    return out;
}
template std::vector<float> NpyArray::as<float>() const;
template std::vector<double> NpyArray::as<double>() const;
template std::vector<int64_t> NpyArray::as<int64_t>() const;
template std::vector<int32_t> NpyArray::as<int32_t>() const;
template std::vector<uint8_t> NpyArray::as<uint8_t>() const;

std::vector<float> NpyArray::to_f32() const {
    std::vector<float> out(numel());
    auto conv = [&](auto tag) {
        using T = decltype(tag);
        for (size_t i = 0; i < out.size(); ++i) {
            T v;
            std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
            out[i] = float(v);
        }
    };
    switch (dtype) {
        case NpyDtype::F32: conv(float{}); break;
        case NpyDtype::F64: conv(double{}); break;
        case NpyDtype::I64: conv(int64_t{}); break;
        case NpyDtype::I32: conv(int32_t{}); break;
        case NpyDtype::U8: conv(uint8_t{}); break;
    }
    return out;
}

NpyArray parse_npy(const uint8_t* data, size_t size) {
    if (size < kMagicLen + 4 || std::memcmp(data, kMagic, kMagicLen) != 0) corrupt("not a .npy file (bad magic)");
    const uint8_t major = data[6];
    size_t header_len = 0, pos = 0;
    if (major == 1) {
        header_len = size_t(data[8]) | size_t(data[9]) << 8;
        pos = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) corrupt("truncated header");
        header_len = size_t(data[8]) | size_t(data[9]) << 8 | size_t(data[10]) << 16 | size_t(data[11]) << 24;
        pos = 12;
    } else {
        fail(ErrorKind::Unsupported, "npy: format version " + std::to_string(major) + " is not supported");
    }
    if (size - pos < header_len) corrupt("truncated header");
    Header h = parse_header(std::string(reinterpret_cast<const char*>(data + pos), header_len));
    pos += header_len;

    NpyArray a;
    a.dtype = h.dtype;
    a.shape = std::move(h.shape);
    const size_t nbytes = a.numel() * npy_dtype_size(a.dtype);
    if (size - pos < nbytes)
        corrupt("data truncated: need " + std::to_string(nbytes) + " bytes, have " + std::to_string(size - pos));
    a.bytes.assign(data + pos, data + pos + nbytes);
    return a;
}

NpyArray read_npy(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(ErrorKind::NotFound, "npy: cannot open " + path);
    std::vector<uint8_t> buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) fail(ErrorKind::Io, "npy: read error on " + path);
    try {
        return parse_npy(buf.data(), buf.size());
    } catch (const Error& e) {
        throw Error(e.kind(), std::string(e.what()) + " (" + path + ")");
    }
}

std::vector<uint8_t> encode_npy(NpyDtype dtype, const std::vector<int64_t>& shape, const void* elems) {
    std::ostringstream dict;
    dict << "{'descr': '" << npy_dtype_descr(dtype) << "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] < 0) fail(ErrorKind::InvalidArgument, "npy: negative dimension");
        dict << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
        if (i + 1 < shape.size()) dict << ' ';
    }
    dict << "), }";
    std::string header = dict.str();
    // numpy pads with spaces so that the data starts on a 64-byte boundary (aligned mmap),
    // ending in '\n'. Version 1 stores the length in 16 bits; switch to v2 only when needed.
    size_t prefix = kMagicLen + 2 + 2;
    size_t total = prefix + header.size() + 1;
    if ((total + 63) / 64 * 64 - prefix > 0xFFFF) {
        prefix = kMagicLen + 2 + 4;
        total = prefix + header.size() + 1;
    }
    header.append((64 - total % 64) % 64, ' ');
    header.push_back('\n');

    const size_t nbytes = npy_numel(shape) * npy_dtype_size(dtype);
    // Assemble with resize + memcpy: GCC 12 reports a false -Wstringop-overflow on
    // vector::insert of a short literal range into a reserved vector.
    std::string pre(kMagic, kMagicLen);
    const uint32_t hl = uint32_t(header.size());
    if (prefix == kMagicLen + 4) {
        pre += {char(1), char(0), char(hl & 0xFF), char(hl >> 8)};
    } else {
        pre += {char(2), char(0), char(hl & 0xFF), char((hl >> 8) & 0xFF), char((hl >> 16) & 0xFF), char(hl >> 24)};
    }
    pre += header;
    std::vector<uint8_t> out(pre.size() + nbytes);
    std::memcpy(out.data(), pre.data(), pre.size());
    if (nbytes) std::memcpy(out.data() + pre.size(), elems, nbytes);
    return out;
}

void write_npy(const std::string& path, NpyDtype dtype, const std::vector<int64_t>& shape, const void* elems) {
    const std::vector<uint8_t> buf = encode_npy(dtype, shape, elems);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) fail(ErrorKind::Io, "npy: cannot create " + path);
    f.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(buf.size()));
    f.close();
    if (!f) fail(ErrorKind::Io, "npy: write error on " + path);
}

}  // namespace pictor
