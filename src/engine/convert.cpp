// Storage-type conversions, AVX2 + F16C (the baseline every supported CPU has). They are
// memory-bound, so AVX-512 versions would not be faster. Single-threaded: callers that convert
// large arrays (weight loading) parallelise over rows themselves.
#include <immintrin.h>

#include <cstring>

#include "engine/tensor.h"
#include "util/error.h"
#include "util/half.h"

namespace pictor::engine {
namespace {

// fp8 E4M3 -> f16 bit pattern: the 7 exponent/mantissa bits land in the f16 exponent/mantissa
// fields (exponent bias 15 instead of 7, so the value is 2^-8 times too small, subnormals
// included, exactly), sign moves to bit 15. Multiply by 256 afterwards.
inline __m256 f8x8_to_f32_unscaled(const uint8_t* p) {
    __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    __m128i w = _mm_cvtepu8_epi16(b);
    __m128i mag = _mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x7f)), 7);
    __m128i sign = _mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x80)), 8);
    return _mm256_cvtph_ps(_mm_or_si128(mag, sign));
}

inline float f8_to_f32_fast(uint8_t v) {
    uint16_t h = uint16_t(((v & 0x7f) << 7) | ((v & 0x80) << 8));
    return _cvtsh_ss(h) * 256.0f;
}

inline __m128i f32x8_to_bf16(__m256 v) {
    __m256i u = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    u = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(u, u), 0xD8));
}

}  // namespace

void f8_to_f32_scaled(const uint8_t* src, float scale, int64_t n, float* dst) {
    int64_t i = 0;
    const __m256 s = _mm256_set1_ps(scale);
    // Two roundings in the reference (exact fp8 value, then * scale); the *256 is exact.
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_mul_ps(f8x8_to_f32_unscaled(src + i), _mm256_set1_ps(256.0f)), s));
    for (; i < n; ++i) dst[i] = f8_to_f32_fast(src[i]) * scale;
}

void to_f32(const void* src, DType dtype, int64_t n, float* dst) {
    int64_t i = 0;
    switch (dtype) {
        case DType::F32: std::memcpy(dst, src, size_t(n) * 4); return;
        case DType::BF16: {
            auto* s = static_cast<const uint16_t*>(src);
            for (; i + 8 <= n; i += 8) {
                __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
                _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
            }
            for (; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
            return;
        }
        case DType::F16: {
            auto* s = static_cast<const uint16_t*>(src);
            for (; i + 8 <= n; i += 8)
                _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
            for (; i < n; ++i) dst[i] = f16_to_f32(s[i]);
            return;
        }
        case DType::F8_E4M3: f8_to_f32_scaled(static_cast<const uint8_t*>(src), 1.0f, n, dst); return;
    }
    fail(ErrorKind::Internal, "to_f32: unknown dtype");
}

void f32_to_bf16_n(const float* src, int64_t n, uint16_t* dst) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), f32x8_to_bf16(_mm256_loadu_ps(src + i)));
    for (; i < n; ++i) dst[i] = pictor::f32_to_bf16(src[i]);
}

void round_to_bf16(const float* src, int64_t n, float* dst) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_castps_si256(_mm256_loadu_ps(src + i));
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        u = _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
        u = _mm256_and_si256(u, _mm256_set1_epi32(int32_t(0xffff0000u)));
        _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(u));
    }
    for (; i < n; ++i) dst[i] = bf16_to_f32(pictor::f32_to_bf16(src[i]));
}

void to_bf16(const void* src, DType dtype, int64_t n, uint16_t* dst) {
    if (dtype == DType::BF16) {
        std::memcpy(dst, src, size_t(n) * 2);
        return;
    }
    if (dtype == DType::F32) {
        f32_to_bf16_n(static_cast<const float*>(src), n, dst);
        return;
    }
    // f16 / fp8: exact to f32 in small blocks, then round.
    alignas(64) float buf[256];
    const size_t es = dtype_size(dtype);
    for (int64_t i = 0; i < n; i += 256) {
        int64_t m = n - i < 256 ? n - i : 256;
        to_f32(static_cast<const std::byte*>(src) + size_t(i) * es, dtype, m, buf);
        f32_to_bf16_n(buf, m, dst + i);
    }
}

}  // namespace pictor::engine
