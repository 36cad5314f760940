// Internal: fused flash-style attention written once over a SIMD wrapper V (simd.h), compiled
// by attention_avx2.cpp and attention_avx512.cpp.
//
// Algorithm (per query head h and tile of kAttnBq query rows, one work item each):
//   for each key tile of kAttnBk keys: S = Q·Kᵀ·scale (masked: padding keys, causal), online
//   softmax (running row max m, row sum l, rescale factor alpha = e^(m_old - m_new)),
//   O = alpha·O + P·V. The S×S matrix never exists; the working set is one Q tile, one S/P
//   tile and one O tile per thread. Finally out = O / l.
// K and V are first packed per kv head into tiles in the layout the micro-kernels stream:
//   bf16 mode: K as pairs over d:   Kp[p][j][2] = (K[j][2p], K[j][2p+1])   (dot over pairs)
//              V as pairs over keys: Vp[jp][d][2] = (V[2jp][d], V[2jp+1][d])
//   f32 mode:  K transposed Kt[d][j], V row-major Vt[j][d]; broadcasts + FMAs.
// Everything is one OpenMP region: pack (omp for), implicit barrier, compute (omp for dynamic).
#pragma once

#include <omp.h>

#include <cstddef>
#include <cstdint>

#include "engine/kernel_table.h"
#include "engine/simd.h"

namespace pictor::engine::detail {
namespace {

constexpr int64_t Bq = kAttnBq, Bk = kAttnBk;

inline uint16_t bf16_rne(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
}

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

template <class V>
constexpr int attn_rows() { return V::W == 16 ? 4 : 2; }

// S[r][jc..] for R query rows; only key chunks below kmax are computed (the rest of S row is
// left as is and masked by the caller).
template <class V, bool BF, int R>
void qk_block(const void* qt, const void* kt, float* s, int64_t Dp, int64_t kmax) {
    constexpr int NJ = 4;
    for (int64_t jc = 0; jc < kmax; jc += NJ * V::W) {
        typename V::F acc[R][NJ];
        #pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            #pragma GCC unroll 8
            for (int c = 0; c < NJ; ++c) acc[r][c] = V::zero();
        if constexpr (BF) {
            const uint16_t* q = static_cast<const uint16_t*>(qt);
            const uint16_t* k = static_cast<const uint16_t*>(kt);
            for (int64_t p = 0; p < Dp / 2; ++p) {
                typename V::I kv[NJ];
                #pragma GCC unroll 8
                for (int c = 0; c < NJ; ++c) kv[c] = V::load_pairs(k + (p * Bk + jc + c * V::W) * 2);
                #pragma GCC unroll 8
                for (int r = 0; r < R; ++r) {
                    auto qb = V::bcast_pair(q + r * Dp + 2 * p);
                    #pragma GCC unroll 8
                    for (int c = 0; c < NJ; ++c) acc[r][c] = V::dp_bf16(acc[r][c], kv[c], qb);
                }
            }
        } else {
            const float* q = static_cast<const float*>(qt);
            const float* k = static_cast<const float*>(kt);
            for (int64_t d = 0; d < Dp; ++d) {
                typename V::F kv[NJ];
                #pragma GCC unroll 8
                for (int c = 0; c < NJ; ++c) kv[c] = V::load(k + d * Bk + jc + c * V::W);
                #pragma GCC unroll 8
                for (int r = 0; r < R; ++r) {
                    auto qb = V::set1(q[r * Dp + d]);
                    #pragma GCC unroll 8
                    for (int c = 0; c < NJ; ++c) acc[r][c] = V::fmadd(kv[c], qb, acc[r][c]);
                }
            }
        }
        #pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            #pragma GCC unroll 8
            for (int c = 0; c < NJ; ++c) V::store(s + r * Bk + jc + c * V::W, acc[r][c]);
    }
}

// O[r][dc..dc+ND*W] = alpha[r]*O + P[r]·V for R rows, keys below kmax (even in bf16 mode).
template <class V, bool BF, int R, int ND>
void pv_chunk(const void* pt, const void* vt, float* o, const float* alpha, int64_t Dp, int64_t dc, int64_t kmax) {
    typename V::F acc[R][ND];
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        auto a = V::set1(alpha[r]);
        #pragma GCC unroll 8
        for (int c = 0; c < ND; ++c) acc[r][c] = V::mul(V::load(o + r * Dp + dc + c * V::W), a);
    }
    if constexpr (BF) {
        const uint16_t* p = static_cast<const uint16_t*>(pt);
        const uint16_t* v = static_cast<const uint16_t*>(vt);
        for (int64_t jp = 0; jp < (kmax + 1) / 2; ++jp) {
            typename V::I vv[ND];
            #pragma GCC unroll 8
            for (int c = 0; c < ND; ++c) vv[c] = V::load_pairs(v + (jp * Dp + dc + c * V::W) * 2);
            #pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                auto pb = V::bcast_pair(p + r * Bk + 2 * jp);
                #pragma GCC unroll 8
                for (int c = 0; c < ND; ++c) acc[r][c] = V::dp_bf16(acc[r][c], vv[c], pb);
            }
        }
    } else {
        const float* p = static_cast<const float*>(pt);
        const float* v = static_cast<const float*>(vt);
        for (int64_t j = 0; j < kmax; ++j) {
            typename V::F vv[ND];
            #pragma GCC unroll 8
            for (int c = 0; c < ND; ++c) vv[c] = V::load(v + j * Dp + dc + c * V::W);
            #pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                auto pb = V::set1(p[r * Bk + j]);
                #pragma GCC unroll 8
                for (int c = 0; c < ND; ++c) acc[r][c] = V::fmadd(vv[c], pb, acc[r][c]);
            }
        }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        #pragma GCC unroll 8
        for (int c = 0; c < ND; ++c) V::store(o + r * Dp + dc + c * V::W, acc[r][c]);
}

template <class V, bool BF, int R>
void pv_block(const void* pt, const void* vt, float* o, const float* alpha, int64_t Dp, int64_t kmax) {
    int64_t dc = 0;
    for (; dc + 4 * V::W <= Dp; dc += 4 * V::W) pv_chunk<V, BF, R, 4>(pt, vt, o, alpha, Dp, dc, kmax);
    for (; dc < Dp; dc += V::W) pv_chunk<V, BF, R, 1>(pt, vt, o, alpha, Dp, dc, kmax);
}

// Runs qk_block / pv_block on rows [0, rows) in blocks of R (remainder rows one by one).
template <class V, bool BF>
void qk_rows(const void* qt, const void* kt, float* s, int64_t Dp, int64_t rows, int64_t kmax) {
    constexpr int R = attn_rows<V>();
    const size_t es = BF ? 2 : 4;
    int64_t r = 0;
    for (; r + R <= rows; r += R)
        qk_block<V, BF, R>(static_cast<const std::byte*>(qt) + size_t(r * Dp) * es, kt, s + r * Bk, Dp, kmax);
    for (; r < rows; ++r)
        qk_block<V, BF, 1>(static_cast<const std::byte*>(qt) + size_t(r * Dp) * es, kt, s + r * Bk, Dp, kmax);
}

template <class V, bool BF>
void pv_rows(const void* pt, const void* vt, float* o, const float* alpha, int64_t Dp, int64_t rows, int64_t kmax) {
    constexpr int R = attn_rows<V>();
    const size_t es = BF ? 2 : 4;
    int64_t r = 0;
    for (; r + R <= rows; r += R)
        pv_block<V, BF, R>(static_cast<const std::byte*>(pt) + size_t(r * Bk) * es, vt, o + r * Dp, alpha + r, Dp, kmax);
    for (; r < rows; ++r)
        pv_block<V, BF, 1>(static_cast<const std::byte*>(pt) + size_t(r * Bk) * es, vt, o + r * Dp, alpha + r, Dp, kmax);
}

template <bool BF>
void pack_kv_tile(const AttnArgs& a, int64_t g, int64_t t, const AttnLayout& L) {
    const int64_t ntk = (a.Skv + Bk - 1) / Bk;
    const size_t idx = size_t(g * ntk + t) * L.tile_elems;
    const int64_t j0 = t * Bk, D = a.D, Dp = a.Dp;
    if constexpr (BF) {
        uint16_t* kp = static_cast<uint16_t*>(a.kpack) + idx;
        uint16_t* vp = static_cast<uint16_t*>(a.vpack) + idx;
        for (int64_t j = 0; j < Bk; ++j) {
            const bool valid = j0 + j < a.Skv;
            const float* kr = a.k + (j0 + j) * a.ldk + g * D;
            const float* vr = a.v + (j0 + j) * a.ldv + g * D;
            for (int64_t d = 0; d < Dp; ++d) {
                const bool in = valid && d < D;
                kp[((d / 2) * Bk + j) * 2 + (d & 1)] = in ? bf16_rne(kr[d]) : 0;
                vp[((j / 2) * Dp + d) * 2 + (j & 1)] = in ? bf16_rne(vr[d]) : 0;
            }
        }
    } else {
        float* kp = static_cast<float*>(a.kpack) + idx;
        float* vp = static_cast<float*>(a.vpack) + idx;
        for (int64_t j = 0; j < Bk; ++j) {
            const bool valid = j0 + j < a.Skv;
            const float* kr = a.k + (j0 + j) * a.ldk + g * D;
            const float* vr = a.v + (j0 + j) * a.ldv + g * D;
            for (int64_t d = 0; d < Dp; ++d) {
                const bool in = valid && d < D;
                kp[d * Bk + j] = in ? kr[d] : 0.0f;
                vp[j * Dp + d] = in ? vr[d] : 0.0f;
            }
        }
    }
}

template <class V, bool BF>
void attend_tile(const AttnArgs& a, int64_t h, int64_t qt, std::byte* scratch, const AttnLayout& L) {
    const int64_t D = a.D, Dp = a.Dp, i0 = qt * Bq, rows = imin(Bq, a.S - i0);
    const int64_t g = h / (a.H / a.Hkv), ntk = (a.Skv + Bk - 1) / Bk, off = a.Skv - a.S;
    void* qtile = scratch + L.q_off;
    float* s = reinterpret_cast<float*>(scratch + L.s_off);
    void* ptile = BF ? static_cast<void*>(scratch + L.p_off) : static_cast<void*>(s);
    float* o = reinterpret_cast<float*>(scratch + L.o_off);
    float* m = reinterpret_cast<float*>(scratch + L.m_off);
    float* l = reinterpret_cast<float*>(scratch + L.l_off);
    float* alpha = reinterpret_cast<float*>(scratch + L.a_off);

    for (int64_t r = 0; r < rows; ++r) {
        const float* qr = a.q + (i0 + r) * a.ldq + h * D;
        for (int64_t d = 0; d < Dp; ++d) {
            float x = d < D ? qr[d] : 0.0f;
            if constexpr (BF) static_cast<uint16_t*>(qtile)[r * Dp + d] = bf16_rne(x);
            else static_cast<float*>(qtile)[r * Dp + d] = x;
        }
        for (int64_t d = 0; d < Dp; ++d) o[r * Dp + d] = 0.0f;
        m[r] = -__builtin_inff();
        l[r] = 0.0f;
    }
    int64_t tiles = ntk;
    if (a.causal) tiles = imin(ntk, (i0 + rows - 1 + off) / Bk + 1);
    const auto vscale = V::set1(a.scale);
    const auto ninf = V::set1(-__builtin_inff());

    for (int64_t t = 0; t < tiles; ++t) {
        const int64_t j0 = t * Bk;
        const int64_t kmax = imin(Bk, a.Skv - j0);  // keys present in this tile
        const size_t tidx = size_t(g * ntk + t) * L.tile_elems * L.elem;
        const void* kt = static_cast<const std::byte*>(a.kpack) + tidx;
        const void* vt = static_cast<const std::byte*>(a.vpack) + tidx;
        qk_rows<V, BF>(qtile, kt, s, Dp, rows, kmax);

        for (int64_t r = 0; r < rows; ++r) {
            float* sr = s + r * Bk;
            int64_t limit = kmax;
            if (a.causal) limit = imin(limit, i0 + r + off - j0 + 1);
            if (limit <= 0) {  // whole tile masked for this row
                alpha[r] = 1.0f;
                if constexpr (BF) {
                    for (int64_t j = 0; j < Bk; ++j) static_cast<uint16_t*>(ptile)[r * Bk + j] = 0;
                } else {
                    for (int64_t j = 0; j < Bk; ++j) sr[j] = 0.0f;
                }
                continue;
            }
            auto mx = ninf;
            for (int64_t j = 0; j < Bk; j += V::W) {
                auto x = V::mul(V::load(sr + j), vscale);
                V::store(sr + j, x);
            }
            for (int64_t j = limit; j < Bk; ++j) sr[j] = -__builtin_inff();
            for (int64_t j = 0; j < Bk; j += V::W) mx = V::max(mx, V::load(sr + j));
            const float mnew = V::hmax(mx) > m[r] ? V::hmax(mx) : m[r];
            alpha[r] = __builtin_expf(m[r] - mnew);  // m = -inf on the first tile -> 0
            m[r] = mnew;
            const auto mv = V::set1(mnew);
            auto sum = V::zero();
            for (int64_t j = 0; j < Bk; j += V::W) {
                auto p = simd::vexp<V>(V::sub(V::load(sr + j), mv));
                V::store(sr + j, p);
            }
            for (int64_t j = limit; j < Bk; ++j) sr[j] = 0.0f;  // vexp clamps: force exact zeros
            for (int64_t j = 0; j < Bk; j += V::W) {
                auto p = V::load(sr + j);
                sum = V::add(sum, p);
                if constexpr (BF) V::store_bf16(static_cast<uint16_t*>(ptile) + r * Bk + j, p);
            }
            l[r] = l[r] * alpha[r] + V::hsum(sum);
        }
        pv_rows<V, BF>(ptile, vt, o, alpha, Dp, rows, kmax);
    }

    for (int64_t r = 0; r < rows; ++r) {
        const float inv = 1.0f / l[r];
        float* outr = a.o + (i0 + r) * a.ldo + h * D;
        for (int64_t d = 0; d < D; ++d) outr[d] = o[r * Dp + d] * inv;
    }
}

template <class V, bool BF>
void attention_impl(int nt, const AttnArgs& a, const AttnLayout& L) {
    const int64_t ntk = (a.Skv + Bk - 1) / Bk, nqt = (a.S + Bq - 1) / Bq;
    const int64_t pack_jobs = a.Hkv * ntk, jobs = a.H * nqt;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (int64_t job = 0; job < pack_jobs; ++job) pack_kv_tile<BF>(a, job / ntk, job % ntk, L);
        // implicit barrier: all tiles packed
        std::byte* mine = a.per_thread + size_t(omp_get_thread_num()) * a.thread_bytes;
#pragma omp for schedule(dynamic, 1)
        for (int64_t job = 0; job < jobs; ++job) {
            // One query tile against all keys is milliseconds even at the VAE's 16384 tokens
            // (1024²), where the whole op is seconds: a cancel skips the rest.
            if (a.cancel && attention_cancelled(a)) continue;
            attend_tile<V, BF>(a, job / nqt, job % nqt, mine, L);
        }
    }
}

// Softmax numerators for the matmul attention; see AttnProbsArgs. One parallel region over rows.
template <class V>
void attn_probs(int nt, const AttnProbsArgs& a) {
    const int64_t n = a.n;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t r = 0; r < a.rows; ++r) {
        float* sr = a.s + r * n;
        const int64_t limit = a.causal_base < 0 ? n : imin(n, a.causal_base + r + 1);
        const auto vscale = V::set1(a.scale);
        auto mx = V::set1(-__builtin_inff());
        int64_t j = 0;
        for (; j + V::W <= limit; j += V::W) mx = V::max(mx, V::mul(V::load(sr + j), vscale));
        float m = V::hmax(mx);
        for (; j < limit; ++j) m = sr[j] * a.scale > m ? sr[j] * a.scale : m;
        const auto mv = V::set1(m);
        auto sum = V::zero();
        // p over [0, limit) in place in s (f32); the tail through a masked load and a buffer.
        for (j = 0; j < limit; j += V::W) {
            const int k = int(imin(V::W, limit - j));
            if (k == V::W) {
                auto p = simd::vexp<V>(V::sub(V::mul(V::load(sr + j), vscale), mv));
                V::store(sr + j, p);
                sum = V::add(sum, p);
            } else {
                alignas(64) float buf[16];
                V::store(buf, simd::vexp<V>(V::sub(V::mul(V::load_n(sr + j, k), vscale), mv)));
                for (int t = k; t < V::W; ++t) buf[t] = 0.0f;
                auto p = V::load(buf);
                V::store_n(sr + j, p, k);
                sum = V::add(sum, p);
            }
        }
        a.l[r] = V::hsum(sum);
        for (j = limit; j < n; ++j) sr[j] = 0.0f;
        if (a.mode == AttnProbs::kF32) {
            if (a.p != a.s) __builtin_memcpy(static_cast<float*>(a.p) + r * n, sr, size_t(n) * 4);
        } else if (a.mode == AttnProbs::kBf16Values) {
            float* pr = static_cast<float*>(a.p) + r * n;
            for (j = 0; j + V::W <= n; j += V::W) V::store(pr + j, V::round_to_bf16(V::load(sr + j)));
            for (; j < n; ++j) {
                const uint32_t u = uint32_t(bf16_rne(sr[j])) << 16;
                __builtin_memcpy(pr + j, &u, 4);
            }
        } else {
            uint16_t* pr = static_cast<uint16_t*>(a.p) + r * n;
            for (j = 0; j + V::W <= n; j += V::W) V::store_bf16(pr + j, V::load(sr + j));
            for (; j < n; ++j) pr[j] = bf16_rne(sr[j]);
        }
    }
}

template <class V>
void attention_dispatch(int nt, const AttnArgs& a) {
    const AttnLayout L = attn_layout(a.Dp, a.bf16);
    if (a.bf16) attention_impl<V, true>(nt, a, L);
    else attention_impl<V, false>(nt, a, L);
}

}  // namespace
}  // namespace pictor::engine::detail
