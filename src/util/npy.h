// NumPy .npy files (format versions 1-3), little-endian, C order only. Tests compare against
// reference dumps and `--dump` writes intermediates in this format, so the dtypes are the few
// that those files use: <f4, <f8, <i8, <i4, |u1. Anything else (big-endian, Fortran order,
// structured dtypes) is rejected with ErrorKind::Unsupported instead of being misread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pictor {

enum class NpyDtype { F32, F64, I64, I32, U8 };

size_t npy_dtype_size(NpyDtype d);
const char* npy_dtype_descr(NpyDtype d);  // "<f4", ...

// Maps a C++ element type to its dtype at compile time so the typed helpers below cannot be
// called with a type the format does not describe.
template <class T> struct NpyDtypeOf;
template <> struct NpyDtypeOf<float> { static constexpr NpyDtype value = NpyDtype::F32; };
template <> struct NpyDtypeOf<double> { static constexpr NpyDtype value = NpyDtype::F64; };
template <> struct NpyDtypeOf<int64_t> { static constexpr NpyDtype value = NpyDtype::I64; };
template <> struct NpyDtypeOf<int32_t> { static constexpr NpyDtype value = NpyDtype::I32; };
template <> struct NpyDtypeOf<uint8_t> { static constexpr NpyDtype value = NpyDtype::U8; };

struct NpyArray {
    NpyDtype dtype = NpyDtype::F32;
    std::vector<int64_t> shape;   // empty = scalar (one element)
    std::vector<uint8_t> bytes;   // numel * element size, little-endian, C order

    size_t numel() const;

    // Typed copy of the elements; throws InvalidArgument if T is not exactly the stored dtype
    // (silent conversions would hide a wrong reference file).
    template <class T> std::vector<T> as() const;
    // Any numeric dtype widened/narrowed to float (convenience for tolerance comparisons).
    std::vector<float> to_f32() const;
};

NpyArray parse_npy(const uint8_t* data, size_t size);   // whole file contents
NpyArray read_npy(const std::string& path);

// Throws InvalidArgument unless the shape holds exactly `count` elements.
void check_npy_numel(const std::vector<int64_t>& shape, size_t count);

std::vector<uint8_t> encode_npy(NpyDtype dtype, const std::vector<int64_t>& shape, const void* elems);
void write_npy(const std::string& path, NpyDtype dtype, const std::vector<int64_t>& shape, const void* elems);

size_t npy_numel(const std::vector<int64_t>& shape);  // throws on negative dims

template <class T>
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<T>& v) {
    check_npy_numel(shape, v.size());
    write_npy(path, NpyDtypeOf<T>::value, shape, v.data());
}

}  // namespace pictor
