// AVX2/FMA GEMM with bf16 / fp8 weights expanded while packing (see gemm_avx2.h).
//
// BLIS-style: x is packed once per call into 6-row panels ([panel][k][6], rounded to bf16);
// each thread owns a contiguous range of output features (16-column units) and, for blocks of
// kNc features x kKc depth, expands + transposes that block of W into 16-column panels
// ([panel][k][16], kKc x kNc f32 = 256 KB, stays in L2) and runs the 6x16 micro-kernel over all
// row panels. Threads never wait for each other after the packing of x.
#include "engine/gemm_avx2.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace pictor::engine::detail {
namespace {

constexpr int64_t kMr = 6, kNr = 16;
constexpr int64_t kKc = 256;  // depth per block: a 6 x kKc panel of x (6 KB) stays in L1
constexpr int64_t kNc = 256;  // features per block: kKc x kNc f32 (256 KB) stays in L2
// Row panels per inner block: the kernel runs down these with one 16 KB panel of W, which then
// stays in L1, while their 6 x kKc panels of x (72 KB in all) stay in L2 beside W's block.
constexpr int64_t kMcPanels = 12;
// Up to this many rows of x, the dot-product path (gemm_small_m) instead of packing W.
constexpr int64_t kSmallM = 32;

// Round to the nearest bf16 value, ties to even (same bits as round_to_bf16's vector loop).
inline float round_bf16(float v) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    std::memcpy(&v, &u, 4);
    return v;
}

inline __m256 round_bf16(__m256 v) {
    __m256i u = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    u = _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
    return _mm256_castsi256_ps(_mm256_and_si256(u, _mm256_set1_epi32(int32_t(0xffff0000u))));
}

inline void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6, __m256& r7) {
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r0 = _mm256_permute2f128_ps(s0, s4, 0x20);
    r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
    r2 = _mm256_permute2f128_ps(s2, s6, 0x20);
    r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
    r4 = _mm256_permute2f128_ps(s0, s4, 0x31);
    r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
    r6 = _mm256_permute2f128_ps(s2, s6, 0x31);
    r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// 8 bf16 -> 8 f32 (exact: the bf16 bits are the f32's top half).
inline __m256 load_bf16x8(const uint16_t* p) {
    __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

// 8 weights of row `w` at depth k as f32 (bf16: exact; fp8: (value * 256) * scale rounded to
// bf16, the same operations as f8_to_f32_scaled + round_to_bf16).
template <bool Fp8>
inline __m256 load_w8(const void* w, int64_t k, __m256 scale) {
    if constexpr (Fp8) {
        __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const uint8_t*>(w) + k));
        __m128i h = _mm_cvtepu8_epi16(b);
        __m128i mag = _mm_slli_epi16(_mm_and_si128(h, _mm_set1_epi16(0x7f)), 7);
        __m128i sign = _mm_slli_epi16(_mm_and_si128(h, _mm_set1_epi16(0x80)), 8);
        __m256 v = _mm256_mul_ps(_mm256_cvtph_ps(_mm_or_si128(mag, sign)), _mm256_set1_ps(256.0f));
        return round_bf16(_mm256_mul_ps(v, scale));
    } else {
        (void)scale;
        return load_bf16x8(static_cast<const uint16_t*>(w) + k);
    }
}

// Packs rows [r0, r0 + rows) (rows <= 16; the rest of the panel is zero) and depth [k0, k0 + kc)
// of W into dst[kc][16] f32. bf16 goes straight through 8x8 transposes; fp8 is expanded row by
// row into `tmp` (16 x kKc floats) first, as in Linear's reference expansion.
void pack_b_panel(const Tensor& w, const float* scale, int64_t K, int64_t r0, int64_t rows, int64_t k0, int64_t kc,
                  float* dst, float* tmp) {
    const bool bf16 = w.dtype() == DType::BF16;
    const int64_t k8 = kc / 8 * 8;
    // Full panels: 8 rows x 8 depths expanded in registers and transposed straight into dst.
    auto full_panel = [&](auto fp8_tag) {
        constexpr bool kFp8 = decltype(fp8_tag)::value;
        const size_t esize = kFp8 ? 1 : 2;
        const auto* base = reinterpret_cast<const uint8_t*>(w.bytes()) + (size_t(r0) * size_t(K) + size_t(k0)) * esize;
        for (int64_t h = 0; h < 2; ++h) {
            const uint8_t* rp[8];
            __m256 sc[8];
            for (int64_t j = 0; j < 8; ++j) {
                rp[j] = base + size_t(h * 8 + j) * size_t(K) * esize;
                sc[j] = _mm256_set1_ps(scale ? scale[r0 + h * 8 + j] : 1.0f);
            }
            for (int64_t k = 0; k < k8; k += 8) {
                __m256 v0 = load_w8<kFp8>(rp[0], k, sc[0]), v1 = load_w8<kFp8>(rp[1], k, sc[1]),
                       v2 = load_w8<kFp8>(rp[2], k, sc[2]), v3 = load_w8<kFp8>(rp[3], k, sc[3]),
                       v4 = load_w8<kFp8>(rp[4], k, sc[4]), v5 = load_w8<kFp8>(rp[5], k, sc[5]),
                       v6 = load_w8<kFp8>(rp[6], k, sc[6]), v7 = load_w8<kFp8>(rp[7], k, sc[7]);
                transpose8(v0, v1, v2, v3, v4, v5, v6, v7);
                float* d = dst + k * kNr + h * 8;
                _mm256_store_ps(d, v0);
                _mm256_store_ps(d + kNr, v1);
                _mm256_store_ps(d + 2 * kNr, v2);
                _mm256_store_ps(d + 3 * kNr, v3);
                _mm256_store_ps(d + 4 * kNr, v4);
                _mm256_store_ps(d + 5 * kNr, v5);
                _mm256_store_ps(d + 6 * kNr, v6);
                _mm256_store_ps(d + 7 * kNr, v7);
            }
        }
    };
    if (rows == kNr && k8 == kc) {
        if (bf16)
            full_panel(std::false_type{});
        else
            full_panel(std::true_type{});
        return;
    }
    // General case: expand each row to f32 in tmp, then transpose.
    for (int64_t j = 0; j < kNr; ++j) {
        float* t = tmp + j * kKc;
        if (j >= rows) {
            std::memset(t, 0, size_t(kc) * 4);
        } else if (bf16) {
            to_f32(w.data<uint16_t>() + (r0 + j) * K + k0, DType::BF16, kc, t);
        } else {
            f8_to_f32_scaled(w.data<uint8_t>() + (r0 + j) * K + k0, scale ? scale[r0 + j] : 1.0f, kc, t);
            round_to_bf16(t, kc, t);
        }
    }
    for (int64_t k = 0; k < k8; k += 8) {
        for (int64_t h = 0; h < 2; ++h) {
            const float* s = tmp + h * 8 * kKc + k;
            __m256 v0 = _mm256_loadu_ps(s), v1 = _mm256_loadu_ps(s + kKc), v2 = _mm256_loadu_ps(s + 2 * kKc),
                   v3 = _mm256_loadu_ps(s + 3 * kKc), v4 = _mm256_loadu_ps(s + 4 * kKc),
                   v5 = _mm256_loadu_ps(s + 5 * kKc), v6 = _mm256_loadu_ps(s + 6 * kKc),
                   v7 = _mm256_loadu_ps(s + 7 * kKc);
            transpose8(v0, v1, v2, v3, v4, v5, v6, v7);
            float* d = dst + k * kNr + h * 8;
            _mm256_store_ps(d, v0);
            _mm256_store_ps(d + kNr, v1);
            _mm256_store_ps(d + 2 * kNr, v2);
            _mm256_store_ps(d + 3 * kNr, v3);
            _mm256_store_ps(d + 4 * kNr, v4);
            _mm256_store_ps(d + 5 * kNr, v5);
            _mm256_store_ps(d + 6 * kNr, v6);
            _mm256_store_ps(d + 7 * kNr, v7);
        }
    }
    for (int64_t k = k8; k < kc; ++k)
        for (int64_t j = 0; j < kNr; ++j) dst[k * kNr + j] = tmp[j * kKc + k];
}

// Packs rows [r0, r0 + 6) of x (missing rows zero) over all K into dst[K][6], rounded to bf16.
void pack_a_panel(const float* x, int64_t M, int64_t K, int64_t r0, float* dst) {
    const int64_t rows = std::min(kMr, M - r0);
    const int64_t k8 = K / 8 * 8;
    for (int64_t k = 0; k < k8; k += 8) {
        alignas(32) float v[kMr][8];
        for (int64_t i = 0; i < kMr; ++i)
            _mm256_store_ps(v[i], i < rows ? round_bf16(_mm256_loadu_ps(x + (r0 + i) * K + k)) : _mm256_setzero_ps());
        for (int64_t j = 0; j < 8; ++j)
            for (int64_t i = 0; i < kMr; ++i) dst[(k + j) * kMr + i] = v[i][j];
    }
    for (int64_t k = k8; k < K; ++k)
        for (int64_t i = 0; i < kMr; ++i) dst[k * kMr + i] = i < rows ? round_bf16(x[(r0 + i) * K + k]) : 0.0f;
}

// c[6][16] (ldc) = (accumulate ? c : 0) + a[kc][6] · b[kc][16], then + bias[16] if given.
// Twelve accumulators, two b vectors and one broadcast: 15 of the 16 ymm registers. The block
// sum starts from zero and c is added at the end, so that c's cache lines (often out in L3 at
// large M) are prefetched during the k loop instead of stalling its start.
inline void kernel_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
                        const float* bias) {
    for (int64_t i = 0; i < kMr; ++i) {
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
    }
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    // Unrolled: the loop's own instructions otherwise cost ~10 % (in-cache kernel on the 2-core
    // AVX2 machine: 76 -> 85 GFLOP/s per thread, of a 90-94 FMA peak).
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 av = _mm256_broadcast_ss(a);
        c00 = _mm256_fmadd_ps(av, b0, c00);
        c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(av, b0, c10);
        c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(av, b0, c20);
        c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(av, b0, c30);
        c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(av, b0, c40);
        c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(av, b0, c50);
        c51 = _mm256_fmadd_ps(av, b1, c51);
        a += kMr;
        b += kNr;
    }
    if (accumulate) {
        c00 = _mm256_add_ps(_mm256_loadu_ps(c), c00), c01 = _mm256_add_ps(_mm256_loadu_ps(c + 8), c01);
        c10 = _mm256_add_ps(_mm256_loadu_ps(c + ldc), c10), c11 = _mm256_add_ps(_mm256_loadu_ps(c + ldc + 8), c11);
        c20 = _mm256_add_ps(_mm256_loadu_ps(c + 2 * ldc), c20);
        c21 = _mm256_add_ps(_mm256_loadu_ps(c + 2 * ldc + 8), c21);
        c30 = _mm256_add_ps(_mm256_loadu_ps(c + 3 * ldc), c30);
        c31 = _mm256_add_ps(_mm256_loadu_ps(c + 3 * ldc + 8), c31);
        c40 = _mm256_add_ps(_mm256_loadu_ps(c + 4 * ldc), c40);
        c41 = _mm256_add_ps(_mm256_loadu_ps(c + 4 * ldc + 8), c41);
        c50 = _mm256_add_ps(_mm256_loadu_ps(c + 5 * ldc), c50);
        c51 = _mm256_add_ps(_mm256_loadu_ps(c + 5 * ldc + 8), c51);
    }
    if (bias) {
        const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
        c00 = _mm256_add_ps(c00, b0), c01 = _mm256_add_ps(c01, b1);
        c10 = _mm256_add_ps(c10, b0), c11 = _mm256_add_ps(c11, b1);
        c20 = _mm256_add_ps(c20, b0), c21 = _mm256_add_ps(c21, b1);
        c30 = _mm256_add_ps(c30, b0), c31 = _mm256_add_ps(c31, b1);
        c40 = _mm256_add_ps(c40, b0), c41 = _mm256_add_ps(c41, b1);
        c50 = _mm256_add_ps(c50, b0), c51 = _mm256_add_ps(c51, b1);
    }
    _mm256_storeu_ps(c, c00), _mm256_storeu_ps(c + 8, c01);
    _mm256_storeu_ps(c + ldc, c10), _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40), _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50), _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}

// ---- Small M (a prompt's few dozen tokens, adaLN's single row) ------------------------------
// Packing a W block costs about as much as multiplying it by 6 rows, so at small M the packed
// GEMM spends most of its time packing. Here each output is a dot product instead: a few rows of
// W (read once from memory, expanded in registers) against a few rows of x (rounded to bf16 up
// front, then re-read from L2), accumulators of 8 lanes over all of K, summed across lanes at
// the end. No W block is ever written out. Text encoder at M = 20: ~1.6x the packed path; M = 1
// (adaLN, timestep MLP): ~3x.

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// bf16 rows, 16 depths per step: one 32-byte load holds 16 weights; shifting each 32-bit lane
// left by 16 gives the even-indexed ones as f32, masking off its low half the odd-indexed ones
// (both exact), three instructions per 16 weights where widening 8 at a time takes four. x is
// stored to match (round_permute_even_odd): in each 16-block of a row its 8 even-indexed values,
// then its 8 odd-indexed ones. Even and odd halves are separate passes over the x rows, so only
// NR weight vectors are live: MR x NR accumulators + NR + 1 registers.
template <int NR, int MR>
void dot_block_bf16_eo(const float* x, int64_t K, const void* const* wrow, const float* bias, float* y, int64_t ldy) {
    const __m256i odd_mask = _mm256_set1_epi32(int32_t(0xffff0000u));
    __m256 acc[MR][NR];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[m][j] = _mm256_setzero_ps();
    auto load = [&](int j, int64_t k) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(wrow[j]) + k));
    };
    const int64_t k16 = K / 16 * 16;
    for (int64_t k = 0; k < k16; k += 16) {
        __m256 wv[NR];
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) wv[j] = _mm256_castsi256_ps(_mm256_slli_epi32(load(j, k), 16));
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m) {
            const __m256 xv = _mm256_loadu_ps(x + m * K + k);
#pragma GCC unroll 8
            for (int j = 0; j < NR; ++j) acc[m][j] = _mm256_fmadd_ps(xv, wv[j], acc[m][j]);
        }
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) wv[j] = _mm256_castsi256_ps(_mm256_and_si256(load(j, k), odd_mask));
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m) {
            const __m256 xv = _mm256_loadu_ps(x + m * K + k + 8);
#pragma GCC unroll 8
            for (int j = 0; j < NR; ++j) acc[m][j] = _mm256_fmadd_ps(xv, wv[j], acc[m][j]);
        }
    }
    for (int m = 0; m < MR; ++m)
        for (int j = 0; j < NR; ++j) {
            float r = hsum(acc[m][j]);
            for (int64_t k = k16; k < K; ++k) {  // the tail is stored in natural order
                float wk;
                const uint32_t u = uint32_t(static_cast<const uint16_t*>(wrow[j])[k]) << 16;
                std::memcpy(&wk, &u, 4);
                r = std::fma(x[m * K + k], wk, r);
            }
            y[m * ldy + j] = bias ? r + bias[j] : r;
        }
}

// x rows [r0, r1) of K values, rounded to bf16 into dst in dot_block_bf16_eo's order.
void round_permute_even_odd(const float* x, int64_t K, int64_t r0, int64_t r1, float* dst) {
    const int64_t k16 = K / 16 * 16;
    for (int64_t r = r0; r < r1; ++r) {
        const float* src = x + r * K;
        float* d = dst + r * K;
        for (int64_t k = 0; k < k16; k += 16)
            for (int64_t i = 0; i < 8; ++i) {
                d[k + i] = round_bf16(src[k + 2 * i]);
                d[k + 8 + i] = round_bf16(src[k + 2 * i + 1]);
            }
        for (int64_t k = k16; k < K; ++k) d[k] = round_bf16(src[k]);
    }
}

// Rows of W per group and rows of x per block of the small-M path: 3 x 3 = 9 accumulators, three
// W vectors and one x vector in registers. Measured against 2x5, 4x2, 2x6 and 1x8 on the 2-core
// AVX2 machine (engine_bench --only linear --m 1,20,32): 3x3 was fastest or level at every
// shape; with the even/odd bf16 kernel, 4x2, 5x2 and 4x3 were all slower again at M = 20.
constexpr int kNrSmall = 3, kMrSmall = 3;

template <int NR>
void dot_rows(const float* xr, int64_t M, int64_t K, const void* const* wrow, const float* bias, float* y, int64_t N) {
    int64_t m = 0;
    for (; m + kMrSmall <= M; m += kMrSmall) dot_block_bf16_eo<NR, kMrSmall>(xr + m * K, K, wrow, bias, y + m * N, N);
    const float* xm = xr + m * K;
    float* ym = y + m * N;
    // The last M % kMrSmall rows.
    const int64_t rest = M - m;
    if (rest == 1) dot_block_bf16_eo<NR, 1>(xm, K, wrow, bias, ym, N);
    if constexpr (kMrSmall > 2) if (rest == 2) dot_block_bf16_eo<NR, 2>(xm, K, wrow, bias, ym, N);
    if constexpr (kMrSmall > 3) if (rest == 3) dot_block_bf16_eo<NR, 3>(xm, K, wrow, bias, ym, N);
    if constexpr (kMrSmall > 4) if (rest == 4) dot_block_bf16_eo<NR, 4>(xm, K, wrow, bias, ym, N);
}

// fp8 row -> bf16 (value * 256 * scale, rounded to bf16: the packed path's values), so that
// fp8 and bf16 weights go through the same kernel in the same order.
void expand_fp8_row(const uint8_t* w, float scale, int64_t K, uint16_t* dst) {
    const __m256 sc = _mm256_set1_ps(scale);
    const int64_t k8 = K / 8 * 8;
    for (int64_t k = 0; k < k8; k += 8) {
        const __m256i hi = _mm256_srli_epi32(_mm256_castps_si256(load_w8<true>(w, k, sc)), 16);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k),
                         _mm_packus_epi32(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1)));
    }
    for (int64_t k = k8; k < K; ++k) {
        float v;
        f8_to_f32_scaled(w + k, scale, 1, &v);
        v = round_bf16(v);
        uint32_t u;
        std::memcpy(&u, &v, 4);
        dst[k] = uint16_t(u >> 16);
    }
}

// Per-thread block: kKc x kNc packed W plus the 16 x kKc expansion buffer of pack_b_panel.
constexpr int64_t kBlockFloats = kKc * kNc + kNr * kKc;

// bf16 rows are expanded in registers; fp8 rows (about ten instructions per vector, too many to
// repeat for every block of x rows) are expanded once per group into the thread's block buffer,
// as bf16 values (two per float of the buffer).
template <bool Fp8>
void gemm_small_m(int nt, const float* x, int64_t M, int64_t K, const Tensor& w, const float* scale, const float* bias,
                  float* y, int64_t N, float* xr, float* blocks, const std::atomic<bool>* cancel) {
    const size_t esize = Fp8 ? 1 : 2;
    const auto* wbase = reinterpret_cast<const uint8_t*>(w.bytes());
    const int64_t groups = (N + kNrSmall - 1) / kNrSmall;
    const int T = int(std::max<int64_t>(1, std::min<int64_t>(nt, groups / 8)));
    auto body = [&](int t, int nthr) {
        // Round x to bf16 once (split over the threads), as the packed path does, in the
        // even/odd order of dot_block_bf16_eo.
        round_permute_even_odd(x, K, M * t / nthr, M * (t + 1) / nthr, xr);
        if (nthr > 1) {
#pragma omp barrier
        }
        // kNrSmall x K bf16 values (fp8), in the thread's block buffer.
        auto* wexp = reinterpret_cast<uint16_t*>(blocks + size_t(t) * size_t(kBlockFloats));
        const int64_t g0 = groups * t / nthr, g1 = groups * (t + 1) / nthr;
        for (int64_t g = g0; g < g1; ++g) {
            if ((g - g0) % 64 == 0 && cancel && cancel->load(std::memory_order_relaxed)) break;
            const int64_t n = g * kNrSmall, nr = std::min<int64_t>(kNrSmall, N - n);
            const void* rows[kNrSmall];
            for (int64_t j = 0; j < kNrSmall; ++j) {
                const int64_t r = std::min(n + j, N - 1);
                const uint8_t* src = wbase + size_t(r) * size_t(K) * esize;
                if constexpr (Fp8) {
                    if (j < nr) expand_fp8_row(src, scale ? scale[r] : 1.0f, K, wexp + j * K);
                    rows[j] = wexp + std::min<int64_t>(j, nr - 1) * K;
                } else {
                    rows[j] = src;
                }
            }
            const float* b = bias ? bias + n : nullptr;
            if (nr == kNrSmall) {
                dot_rows<kNrSmall>(xr, M, K, rows, b, y + n, N);
            } else {  // the last N % kNrSmall rows
                if (nr == 1) dot_rows<1>(xr, M, K, rows, b, y + n, N);
                if constexpr (kNrSmall > 2) if (nr == 2) dot_rows<2>(xr, M, K, rows, b, y + n, N);
                if constexpr (kNrSmall > 3) if (nr == 3) dot_rows<3>(xr, M, K, rows, b, y + n, N);
                if constexpr (kNrSmall > 4) if (nr == 4) dot_rows<4>(xr, M, K, rows, b, y + n, N);
            }
        }
    };
    if (T <= 1) {
        body(0, 1);
        return;
    }
#pragma omp parallel num_threads(T)
    body(omp_get_thread_num(), omp_get_num_threads());
}


}  // namespace

size_t gemm_bf16w_pack_bytes(int64_t M, int64_t K) { return size_t((M + kMr - 1) / kMr * kMr * K) * 4; }
size_t gemm_bf16w_block_bytes() { return size_t(kBlockFloats) * 4; }

void gemm_bf16w_avx2(int nt, const float* x, int64_t M, int64_t K, const Tensor& w, const float* scale,
                     const float* bias, float* y, int64_t N, float* pack, float* blocks,
                     const std::atomic<bool>* cancel) {
    // (fp8 rows are expanded into the thread's block buffer, which bounds K there.)
    if (M <= kSmallM && (w.dtype() == DType::BF16 || kNrSmall * K <= 2 * kBlockFloats)) {
        if (w.dtype() == DType::BF16)
            gemm_small_m<false>(nt, x, M, K, w, scale, bias, y, N, pack, blocks, cancel);
        else
            gemm_small_m<true>(nt, x, M, K, w, scale, bias, y, N, pack, blocks, cancel);
        return;
    }
    const int64_t mpanels = (M + kMr - 1) / kMr;
    const int64_t units = (N + kNr - 1) / kNr;
    // Enough work per thread to pay for the region (~a 6x16x256 tile each at least).
    const int T = int(std::max<int64_t>(1, std::min<int64_t>(nt, std::min(units, mpanels * units / 4 + 1))));
    auto body = [&](int t, int nthr) {
        // 1. Pack x: row panels split over the threads; all must be done before any use.
        for (int64_t p = mpanels * t / nthr; p < mpanels * (t + 1) / nthr; ++p)
            pack_a_panel(x, M, K, p * kMr, pack + p * kMr * K);
        if (nthr > 1) {
#pragma omp barrier
        }
        // 2. This thread's output features, 16-column units.
        const int64_t n0 = std::min(N, units * t / nthr * kNr), n1 = std::min(N, units * (t + 1) / nthr * kNr);
        float* bp = blocks + size_t(t) * size_t(kBlockFloats);
        float* tmp = bp + kKc * kNc;
        alignas(32) float edge[kMr * kNr];
        for (int64_t jc = n0; jc < n1; jc += kNc) {
            // A 256-feature block is a few milliseconds at most: the latency of a cancel.
            if (cancel && cancel->load(std::memory_order_relaxed)) break;
            const int64_t nc = std::min(kNc, n1 - jc), npanels = (nc + kNr - 1) / kNr;
            for (int64_t pc = 0; pc < K; pc += kKc) {
                const int64_t kc = std::min(kKc, K - pc);
                for (int64_t jp = 0; jp < npanels; ++jp)
                    pack_b_panel(w, scale, K, jc + jp * kNr, std::min(kNr, nc - jp * kNr), pc, kc, bp + jp * kc * kNr, tmp);
                const bool acc = pc > 0, last = pc + kc == K;
                for (int64_t ic = 0; ic < mpanels; ic += kMcPanels)
                for (int64_t jp = 0; jp < npanels; ++jp) {
                    for (int64_t ip = ic; ip < std::min(mpanels, ic + kMcPanels); ++ip) {
                        const float* ap = pack + ip * kMr * K + pc * kMr;
                        const int64_t mr = std::min(kMr, M - ip * kMr);
                        const int64_t col = jc + jp * kNr, nr = std::min(kNr, nc - jp * kNr);
                        float* c = y + ip * kMr * N + col;
                        const float* bias_p = last && bias ? bias + col : nullptr;
                        if (mr == kMr && nr == kNr) {
                            kernel_6x16(kc, ap, bp + jp * kc * kNr, c, N, acc, bias_p);
                            continue;
                        }
                        // Edge tile: through a full 6x16 buffer (rows/columns past the end unused).
                        alignas(32) float bias_e[kNr] = {};
                        if (bias_p) std::memcpy(bias_e, bias_p, size_t(nr) * 4);
                        if (acc)
                            for (int64_t i = 0; i < mr; ++i) std::memcpy(edge + i * kNr, c + i * N, size_t(nr) * 4);
                        kernel_6x16(kc, ap, bp + jp * kc * kNr, edge, kNr, acc, bias_p ? bias_e : nullptr);
                        for (int64_t i = 0; i < mr; ++i) std::memcpy(c + i * N, edge + i * kNr, size_t(nr) * 4);
                    }
                }
            }
        }
    };
    if (T <= 1) {
        body(0, 1);
        return;
    }
#pragma omp parallel num_threads(T)
    body(omp_get_thread_num(), omp_get_num_threads());
}

}  // namespace pictor::engine::detail
