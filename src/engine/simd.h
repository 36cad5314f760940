// Thin SIMD wrappers (AVX2 and AVX-512) and vector math built on them.
//
// Why a wrapper: every kernel is written ONCE as a template over the vector type and compiled
// twice (ops_avx2.cpp with the global AVX2 flags, ops_avx512.cpp with the AVX-512 flags), so
// the logic the test suite exercises on AVX2 hosts is the same logic that runs on AVX-512.
//
// Everything lives in an anonymous namespace: each translation unit gets its own copy, so the
// linker can never merge an AVX-512-compiled inline function into the AVX2 code path (an ODR
// merge of differently-compiled inline functions would crash on AVX2-only CPUs). For the same
// reason kernel headers avoid std:: templates in hot code.
#pragma once

#include <immintrin.h>
#include <cstdint>

namespace pictor::engine::simd {
namespace {

struct Avx2 {
    using F = __m256;
    using I = __m256i;  // W pairs of bf16 (one pair per 32-bit lane)
    static constexpr int W = 8;

    static F zero() { return _mm256_setzero_ps(); }
    static F set1(float v) { return _mm256_set1_ps(v); }
    static F load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
    static __m256i tail_mask(int n) {
        alignas(32) static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table + 8 - n));
    }
    // Kernels call these for every vector of a row, the full ones included. AMD CPUs run
    // vmaskmovps slowly (the store form is microcoded), so full vectors take the plain path:
    // the branch is predictable, and it made GroupNorm several times faster there.
    static F load_n(const float* p, int n) { return n == W ? load(p) : _mm256_maskload_ps(p, tail_mask(n)); }
    static void store_n(float* p, F v, int n) {
        if (n == W)
            store(p, v);
        else
            _mm256_maskstore_ps(p, tail_mask(n), v);
    }
    static F add(F a, F b) { return _mm256_add_ps(a, b); }
    static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
    static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static F div(F a, F b) { return _mm256_div_ps(a, b); }
    static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }   // a*b + c
    static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); } // c - a*b
    static F max(F a, F b) { return _mm256_max_ps(a, b); }
    static F min(F a, F b) { return _mm256_min_ps(a, b); }
    static F round(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    static F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    static F sign_bits(F a) { return _mm256_and_ps(_mm256_set1_ps(-0.0f), a); }
    static F or_bits(F a, F b) { return _mm256_or_ps(a, b); }
    // 2^n for integer-valued n in [-127, 127] (n = -127 gives 0).
    static F pow2i(F n) {
        __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
        return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
    }
    static float hsum(F v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
    static float hmax(F v) {
        __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_max_ps(s, _mm_movehl_ps(s, s));
        s = _mm_max_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
    // Complex-pair helpers for interleaved RoPE.
    static F dup_even(F a) { return _mm256_moveldup_ps(a); }
    static F dup_odd(F a) { return _mm256_movehdup_ps(a); }
    static F swap_pairs(F a) { return _mm256_permute_ps(a, 0xB1); }
    static F fmaddsub(F a, F b, F c) { return _mm256_fmaddsub_ps(a, b, c); }  // even: a*b-c, odd: a*b+c

    // bf16: round-to-nearest-even of W floats, stored as W uint16.
    static __m256i round_bf16_bits(F v) {
        __m256i u = _mm256_castps_si256(v);
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        u = _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
        return _mm256_srli_epi32(u, 16);
    }
    static void store_bf16(uint16_t* p, F v) {
        __m256i r = round_bf16_bits(v);
        __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0xD8);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
    }
    // Rounds to the nearest bf16 value but keeps f32 format (emulation of bf16 inputs).
    static F round_to_bf16(F v) { return _mm256_castsi256_ps(_mm256_slli_epi32(round_bf16_bits(v), 16)); }
    static I load_pairs(const uint16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static I bcast_pair(const uint16_t* p) {
        int32_t v;
        __builtin_memcpy(&v, p, 4);
        return _mm256_set1_epi32(v);
    }
    // acc + a.even*b.even + a.odd*b.odd per 32-bit lane (emulates vdpbf16ps exactly in the
    // products; the sum is two FMAs, which differs from the hardware only in last-bit rounding).
    static F dp_bf16(F acc, I a, I b) {
        const __m256i hi = _mm256_set1_epi32(int32_t(0xffff0000u));
        F ae = _mm256_castsi256_ps(_mm256_slli_epi32(a, 16)), be = _mm256_castsi256_ps(_mm256_slli_epi32(b, 16));
        F ao = _mm256_castsi256_ps(_mm256_and_si256(a, hi)), bo = _mm256_castsi256_ps(_mm256_and_si256(b, hi));
        acc = _mm256_fmadd_ps(ae, be, acc);
        return _mm256_fmadd_ps(ao, bo, acc);
    }
};

#if defined(__AVX512F__) && defined(__AVX512BF16__)
struct Avx512 {
    using F = __m512;
    using I = __m512i;
    static constexpr int W = 16;

    static F zero() { return _mm512_setzero_ps(); }
    static F set1(float v) { return _mm512_set1_ps(v); }
    static F load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
    static __mmask16 tail_mask(int n) { return __mmask16((1u << n) - 1u); }
    static F load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(tail_mask(n), p); }
    static void store_n(float* p, F v, int n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
    static F add(F a, F b) { return _mm512_add_ps(a, b); }
    static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static F div(F a, F b) { return _mm512_div_ps(a, b); }
    static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
    static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
    static F max(F a, F b) { return _mm512_max_ps(a, b); }
    static F min(F a, F b) { return _mm512_min_ps(a, b); }
    static F round(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    static F abs(F a) { return _mm512_abs_ps(a); }
    static F sign_bits(F a) { return _mm512_and_ps(_mm512_set1_ps(-0.0f), a); }
    static F or_bits(F a, F b) { return _mm512_or_ps(a, b); }
    static F pow2i(F n) {
        __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
        return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
    }
    static float hsum(F v) { return _mm512_reduce_add_ps(v); }
    static float hmax(F v) { return _mm512_reduce_max_ps(v); }
    static F dup_even(F a) { return _mm512_moveldup_ps(a); }
    static F dup_odd(F a) { return _mm512_movehdup_ps(a); }
    static F swap_pairs(F a) { return _mm512_permute_ps(a, 0xB1); }
    static F fmaddsub(F a, F b, F c) { return _mm512_fmaddsub_ps(a, b, c); }

    static void store_bf16(uint16_t* p, F v) {
        __m256bh h = _mm512_cvtneps_pbh(v);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), reinterpret_cast<__m256i&>(h));
    }
    static F round_to_bf16(F v) {
        __m256bh h = _mm512_cvtneps_pbh(v);
        __m512i w = _mm512_cvtepu16_epi32(reinterpret_cast<__m256i&>(h));
        return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
    }
    static I load_pairs(const uint16_t* p) { return _mm512_loadu_si512(p); }
    static I bcast_pair(const uint16_t* p) {
        int32_t v;
        __builtin_memcpy(&v, p, 4);
        return _mm512_set1_epi32(v);
    }
    static F dp_bf16(F acc, I a, I b) {
        return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh&>(a), reinterpret_cast<__m512bh&>(b));
    }
};
#endif

// ---- vector math (accuracy ~1-2 ulp in the ranges used; see tests) ----

// exp(x): Cody-Waite reduction x = n*ln2 + r, |r| <= ln2/2, degree-7 Taylor for e^r
// (truncation error < 5e-9 relative). Inputs are clamped to [-87.3, 88.7] (no inf/denormals).
template <class V>
typename V::F vexp(typename V::F x) {
    using F = typename V::F;
    x = V::min(V::max(x, V::set1(-87.3f)), V::set1(88.7f));
    F n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
    F r = V::fnmadd(n, V::set1(0.693359375f), x);
    r = V::fnmadd(n, V::set1(-2.12194440e-4f), r);
    F p = V::set1(1.0f / 5040.0f);
    p = V::fmadd(p, r, V::set1(1.0f / 720.0f));
    p = V::fmadd(p, r, V::set1(1.0f / 120.0f));
    p = V::fmadd(p, r, V::set1(1.0f / 24.0f));
    p = V::fmadd(p, r, V::set1(1.0f / 6.0f));
    p = V::fmadd(p, r, V::set1(0.5f));
    p = V::fmadd(p, r, V::set1(1.0f));
    p = V::fmadd(p, r, V::set1(1.0f));
    return V::mul(p, V::pow2i(n));
}

// expm1(x) for x in [0, 20] (used by tanh): 2^n*(1+q) - 1 = fma(2^n, q, 2^n - 1), which is exact
// for n = 0 and therefore keeps full relative accuracy for small x.
template <class V>
typename V::F vexpm1_pos(typename V::F x) {
    using F = typename V::F;
    F n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
    F r = V::fnmadd(n, V::set1(0.693359375f), x);
    r = V::fnmadd(n, V::set1(-2.12194440e-4f), r);
    F q = V::set1(1.0f / 5040.0f);
    q = V::fmadd(q, r, V::set1(1.0f / 720.0f));
    q = V::fmadd(q, r, V::set1(1.0f / 120.0f));
    q = V::fmadd(q, r, V::set1(1.0f / 24.0f));
    q = V::fmadd(q, r, V::set1(1.0f / 6.0f));
    q = V::fmadd(q, r, V::set1(0.5f));
    q = V::mul(V::mul(q, r), r);
    q = V::add(q, r);  // q = e^r - 1
    F p2 = V::pow2i(n);
    return V::fmadd(p2, q, V::sub(p2, V::set1(1.0f)));
}

template <class V>
typename V::F vtanh(typename V::F x) {
    using F = typename V::F;
    F s = V::sign_bits(x);
    F a = V::min(V::abs(x), V::set1(9.0f));
    F e = vexpm1_pos<V>(V::add(a, a));
    F t = V::div(e, V::add(e, V::set1(2.0f)));
    return V::or_bits(t, s);
}

template <class V>
typename V::F vsilu(typename V::F x) {
    typename V::F e = vexp<V>(V::sub(V::zero(), x));
    return V::div(x, V::add(V::set1(1.0f), e));
}

}  // namespace
}  // namespace pictor::engine::simd
