// Internal: element-wise, normalisation and RoPE kernels written once over a SIMD wrapper V
// (simd.h) and instantiated by ops_avx2.cpp / ops_avx512.cpp. Each public op is ONE parallel
// region (parallel_chunks) over rows or elements. In-place use (y == x) is allowed everywhere.
#pragma once

#include <cmath>
#include <cstdint>

#include "engine/kernel_table.h"
#include "engine/parallel.h"
#include "engine/simd.h"

namespace pictor::engine::detail {
namespace {

using simd::vexp;
using simd::vsilu;
using simd::vtanh;

// Element-wise map over n floats with a vector functor op(F) -> F.
template <class V, class Op>
void map_row(const float* x, float* y, int64_t n, const Op& op) {
    int64_t i = 0;
    for (; i + V::W <= n; i += V::W) V::store(y + i, op(V::load(x + i)));
    if (i < n) V::store_n(y + i, op(V::load_n(x + i, int(n - i))), int(n - i));
}

template <class V, class Op>
void map2_row(const float* a, const float* b, float* y, int64_t n, const Op& op) {
    int64_t i = 0;
    for (; i + V::W <= n; i += V::W) V::store(y + i, op(V::load(a + i), V::load(b + i)));
    if (i < n) {
        int r = int(n - i);
        V::store_n(y + i, op(V::load_n(a + i, r), V::load_n(b + i, r)), r);
    }
}

constexpr int64_t kElemGrain = 16384;  // elements per thread below which we stay serial

template <class V>
float sum_squares(const float* x, int64_t n) {
    auto a0 = V::zero(), a1 = V::zero();
    int64_t i = 0;
    for (; i + 2 * V::W <= n; i += 2 * V::W) {
        auto v0 = V::load(x + i), v1 = V::load(x + i + V::W);
        a0 = V::fmadd(v0, v0, a0);
        a1 = V::fmadd(v1, v1, a1);
    }
    for (; i < n; i += V::W) {
        auto v = V::load_n(x + i, int(n - i < V::W ? n - i : V::W));
        a0 = V::fmadd(v, v, a0);
    }
    return V::hsum(V::add(a0, a1));
}

template <class V>
float sum_row(const float* x, int64_t n) {
    auto a0 = V::zero();
    for (int64_t i = 0; i < n; i += V::W) a0 = V::add(a0, V::load_n(x + i, int(n - i < V::W ? n - i : V::W)));
    return V::hsum(a0);
}

template <class V>
void k_rms_norm(int nt, const float* x, const float* w, float* y, int64_t rows, int64_t dim, float eps) {
    parallel_chunks(nt, rows, kElemGrain / (dim + 1) + 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * dim;
            float* yr = y + r * dim;
            float ms = sum_squares<V>(xr, dim) / float(dim);
            auto rs = V::set1(1.0f / __builtin_sqrtf(ms + eps));
            if (w)
                map2_row<V>(xr, w, yr, dim, [&](auto a, auto b) { return V::mul(V::mul(a, rs), b); });
            else
                map_row<V>(xr, yr, dim, [&](auto a) { return V::mul(a, rs); });
        }
    });
}

template <class V>
void k_layer_norm(int nt, const float* x, float* y, int64_t rows, int64_t dim, float eps) {
    parallel_chunks(nt, rows, kElemGrain / (dim + 1) + 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * dim;
            float* yr = y + r * dim;
            auto mean = V::set1(sum_row<V>(xr, dim) / float(dim));
            auto acc = V::zero();
            int64_t i = 0;
            for (; i + V::W <= dim; i += V::W) {
                auto d = V::sub(V::load(xr + i), mean);
                acc = V::fmadd(d, d, acc);
            }
            if (i < dim) {
                int n = int(dim - i);
                // Masked lanes must contribute 0, not (0 - mean)^2: go through a zeroed buffer.
                alignas(64) float buf[64];
                V::store(buf, V::zero());
                V::store_n(buf, V::sub(V::load_n(xr + i, n), mean), n);
                auto t = V::load(buf);
                acc = V::fmadd(t, t, acc);
            }
            float var = V::hsum(acc) / float(dim);
            auto rs = V::set1(1.0f / __builtin_sqrtf(var + eps));
            map_row<V>(xr, yr, dim, [&](auto a) { return V::mul(V::sub(a, mean), rs); });
        }
    });
}

template <class V>
void k_softmax(int nt, const float* x, float* y, int64_t rows, int64_t n) {
    parallel_chunks(nt, rows, kElemGrain / (8 * n + 1) + 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * n;
            float* yr = y + r * n;
            auto mx = V::set1(-INFINITY);
            int64_t i = 0;
            for (; i + V::W <= n; i += V::W) mx = V::max(mx, V::load(xr + i));
            float m = V::hmax(mx);
            for (; i < n; ++i) m = xr[i] > m ? xr[i] : m;
            auto mv = V::set1(m);
            auto sum = V::zero();
            i = 0;
            for (; i + V::W <= n; i += V::W) {
                auto e = vexp<V>(V::sub(V::load(xr + i), mv));
                V::store(yr + i, e);
                sum = V::add(sum, e);
            }
            float s = V::hsum(sum);
            if (i < n) {
                int k = int(n - i);
                alignas(64) float buf[64];
                V::store(buf, V::zero());
                V::store_n(buf, vexp<V>(V::sub(V::load_n(xr + i, k), mv)), k);
                for (int j = 0; j < k; ++j) s += buf[j];
                V::store_n(yr + i, V::load(buf), k);
            }
            auto inv = V::set1(1.0f / s);
            map_row<V>(yr, yr, n, [&](auto a) { return V::mul(a, inv); });
        }
    });
}

template <class V>
void k_silu(int nt, const float* x, float* y, int64_t n) {
    parallel_chunks(nt, n, kElemGrain, [&](int64_t b, int64_t e) {
        map_row<V>(x + b, y + b, e - b, [](auto a) { return vsilu<V>(a); });
    });
}

template <class V>
void k_tanh(int nt, const float* x, float* y, int64_t n) {
    parallel_chunks(nt, n, kElemGrain, [&](int64_t b, int64_t e) {
        map_row<V>(x + b, y + b, e - b, [](auto a) { return vtanh<V>(a); });
    });
}

template <class V>
void k_add(int nt, const float* a, const float* b, float* y, int64_t n) {
    parallel_chunks(nt, n, 4 * kElemGrain, [&](int64_t s, int64_t e) {
        map2_row<V>(a + s, b + s, y + s, e - s, [](auto p, auto q) { return V::add(p, q); });
    });
}

template <class V>
void k_mul(int nt, const float* a, const float* b, float* y, int64_t n) {
    parallel_chunks(nt, n, 4 * kElemGrain, [&](int64_t s, int64_t e) {
        map2_row<V>(a + s, b + s, y + s, e - s, [](auto p, auto q) { return V::mul(p, q); });
    });
}

template <class V>
void k_scale_shift(int nt, const float* x, float* y, int64_t n, float scale, float shift) {
    auto sc = V::set1(scale), sh = V::set1(shift);
    parallel_chunks(nt, n, 4 * kElemGrain, [&](int64_t s, int64_t e) {
        // Two roundings (multiply, then add), as the reference frameworks compute x*a + b.
        map_row<V>(x + s, y + s, e - s, [&](auto p) { return V::add(V::mul(p, sc), sh); });
    });
}

template <class V>
void k_clamp(int nt, const float* x, float* y, int64_t n, float lo, float hi) {
    auto l = V::set1(lo), h = V::set1(hi);
    parallel_chunks(nt, n, 4 * kElemGrain, [&](int64_t s, int64_t e) {
        map_row<V>(x + s, y + s, e - s, [&](auto p) { return V::min(V::max(p, l), h); });
    });
}

template <class V>
void k_gated_add(int nt, float* x, const float* g, const float* y, int64_t rows, int64_t c) {
    parallel_chunks(nt, rows, 4 * kElemGrain / (c + 1) + 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            float* xr = x + r * c;
            const float* yr = y + r * c;
            int64_t i = 0;
            if (g) {
                // x + g*y with the product rounded first (as x + g * y in the frameworks).
                for (; i + V::W <= c; i += V::W)
                    V::store(xr + i, V::add(V::load(xr + i), V::mul(V::load(g + i), V::load(yr + i))));
                if (i < c) {
                    int k = int(c - i);
                    V::store_n(xr + i, V::add(V::load_n(xr + i, k), V::mul(V::load_n(g + i, k), V::load_n(yr + i, k))), k);
                }
            } else {
                map2_row<V>(xr, yr, xr, c, [](auto p, auto q) { return V::add(p, q); });
            }
        }
    });
}

template <class V>
void k_modulate(int nt, const float* x, float* y, int64_t rows, int64_t c, const float* scale, const float* shift) {
    parallel_chunks(nt, rows, 4 * kElemGrain / (c + 1) + 1, [&](int64_t r0, int64_t r1) {
        const auto one = V::set1(1.0f);
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * c;
            float* yr = y + r * c;
            for (int64_t i = 0; i < c; i += V::W) {
                int k = int(c - i < V::W ? c - i : V::W);
                auto v = V::mul(V::load_n(xr + i, k), V::add(one, V::load_n(scale + i, k)));
                if (shift) v = V::add(v, V::load_n(shift + i, k));
                V::store_n(yr + i, v, k);
            }
        }
    });
}

template <class V>
void k_swiglu(int nt, const float* a, int64_t lda, const float* b, int64_t ldb, float* y, int64_t ldy, int64_t rows,
              int64_t f) {
    parallel_chunks(nt, rows, kElemGrain / (f + 1) + 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
            map2_row<V>(a + r * lda, b + r * ldb, y + r * ldy, f,
                        [](auto p, auto q) { return V::mul(vsilu<V>(p), q); });
    });
}

template <class V>
void k_upsample2x(int nt, const float* x, float* y, int64_t h, int64_t w, int64_t c) {
    parallel_chunks(nt, h, 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            float* o0 = y + (2 * r) * (2 * w) * c;
            float* o1 = o0 + 2 * w * c;
            for (int64_t j = 0; j < w; ++j) {
                const float* src = x + (r * w + j) * c;
                for (int64_t i = 0; i < c; i += V::W) {
                    int k = int(c - i < V::W ? c - i : V::W);
                    auto v = V::load_n(src + i, k);
                    V::store_n(o0 + 2 * j * c + i, v, k);
                    V::store_n(o0 + (2 * j + 1) * c + i, v, k);
                    V::store_n(o1 + 2 * j * c + i, v, k);
                    V::store_n(o1 + (2 * j + 1) * c + i, v, k);
                }
            }
        }
    });
}

template <class V>
void k_rope_interleaved(int nt, float* x, int64_t s, int64_t heads, int64_t d, int64_t ld, const float* table) {
    parallel_chunks(nt, s, kElemGrain / (heads * d + 1) + 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const float* tab = table + t * d;  // d/2 (cos, sin) pairs
            for (int64_t h = 0; h < heads; ++h) {
                float* p = x + t * ld + h * d;
                for (int64_t i = 0; i < d; i += V::W) {
                    int k = int(d - i < V::W ? d - i : V::W);
                    auto xv = V::load_n(p + i, k), tv = V::load_n(tab + i, k);
                    // even lanes: xe*c - xo*s; odd lanes: xo*c + xe*s
                    auto out = V::fmaddsub(xv, V::dup_even(tv), V::mul(V::swap_pairs(xv), V::dup_odd(tv)));
                    V::store_n(p + i, out, k);
                }
            }
        }
    });
}

template <class V>
void k_rope_neox(int nt, float* x, int64_t s, int64_t heads, int64_t d, int64_t ld, const float* cs, const float* sn) {
    const int64_t half = d / 2;
    parallel_chunks(nt, s, kElemGrain / (heads * d + 1) + 1, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const float* c = cs + t * half;
            const float* sv = sn + t * half;
            for (int64_t h = 0; h < heads; ++h) {
                float* p = x + t * ld + h * d;
                for (int64_t i = 0; i < half; i += V::W) {
                    int k = int(half - i < V::W ? half - i : V::W);
                    auto x1 = V::load_n(p + i, k), x2 = V::load_n(p + half + i, k);
                    auto cv = V::load_n(c + i, k), svv = V::load_n(sv + i, k);
                    V::store_n(p + i, V::fnmadd(x2, svv, V::mul(x1, cv)), k);
                    V::store_n(p + half + i, V::fmadd(x1, svv, V::mul(x2, cv)), k);
                }
            }
        }
    });
}

template <class V>
void k_to_bf16_rows(int nt, const float* x, int64_t ldx, uint16_t* y, int64_t rows, int64_t k) {
    parallel_chunks(nt, rows, 4 * kElemGrain / (k + 1) + 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * ldx;
            uint16_t* yr = y + r * k;
            int64_t i = 0;
            for (; i + V::W <= k; i += V::W) V::store_bf16(yr + i, V::load(xr + i));
            if (i < k) {
                alignas(64) uint16_t buf[64];
                V::store_bf16(buf, V::load_n(xr + i, int(k - i)));
                for (int64_t j = 0; j < k - i; ++j) yr[i + j] = buf[j];
            }
        }
    });
}

// GroupNorm over NHWC [hw, c] with `groups` contiguous channel groups. Statistics are two-pass
// (mean, then mean of squared deviations) with per-thread float partials flushed to double
// every 64 rows, so 16M-element groups stay accurate. One region, three phases with barriers.
template <class V>
void k_group_norm(int nt, const float* x, float* y, int64_t hw, int64_t c, int64_t groups, float eps,
                  const float* gamma, const float* beta, bool silu, const GroupNormScratch& s) {
    const int64_t cpg = c / groups;
    const double count = double(hw) * double(cpg);
    int threads = hw < 64 ? 1 : nt;
#pragma omp parallel num_threads(threads)
    {
        const int64_t id = omp_get_thread_num(), T = omp_get_num_threads();
        const int64_t r0 = hw * id / T, r1 = hw * (id + 1) / T;
        double* part = s.part + id * c;
        float* facc = s.facc + id * c;
        for (int pass = 0; pass < 2; ++pass) {
            for (int64_t i = 0; i < c; ++i) part[i] = 0.0;
            for (int64_t rb = r0; rb < r1; rb += 64) {
                int64_t re = rb + 64 < r1 ? rb + 64 : r1;
                for (int64_t i = 0; i < c; ++i) facc[i] = 0.0f;
                for (int64_t r = rb; r < re; ++r) {
                    const float* xr = x + r * c;
                    for (int64_t i = 0; i < c; i += V::W) {
                        int k = int(c - i < V::W ? c - i : V::W);
                        auto v = V::load_n(xr + i, k);
                        auto a = V::load_n(facc + i, k);
                        if (pass == 0) {
                            a = V::add(a, v);
                        } else {
                            auto dlt = V::sub(v, V::load_n(s.meanc + i, k));
                            a = V::fmadd(dlt, dlt, a);
                        }
                        V::store_n(facc + i, a, k);
                    }
                }
                for (int64_t i = 0; i < c; ++i) part[i] += double(facc[i]);
            }
#pragma omp barrier
#pragma omp single
            {
                for (int64_t g = 0; g < groups; ++g) {
                    double acc = 0.0;
                    for (int64_t t = 0; t < T; ++t)
                        for (int64_t i = g * cpg; i < (g + 1) * cpg; ++i) acc += s.part[t * c + i];
                    s.gstat[g] = acc / count;
                }
                for (int64_t i = 0; i < c; ++i) {
                    double st = s.gstat[i / cpg];
                    if (pass == 0) {
                        s.meanc[i] = float(st);
                    } else {
                        float rstd = float(1.0 / __builtin_sqrt(st + double(eps)));
                        s.ac[i] = gamma ? rstd * gamma[i] : rstd;
                    }
                }
            }  // implicit barrier
        }
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * c;
            float* yr = y + r * c;
            for (int64_t i = 0; i < c; i += V::W) {
                int k = int(c - i < V::W ? c - i : V::W);
                auto v = V::mul(V::sub(V::load_n(xr + i, k), V::load_n(s.meanc + i, k)), V::load_n(s.ac + i, k));
                if (beta) v = V::add(v, V::load_n(beta + i, k));
                if (silu) v = vsilu<V>(v);
                V::store_n(yr + i, v, k);
            }
        }
    }
}

template <class V>
OpsKernels make_ops_kernels() {
    OpsKernels k{};
    k.rms_norm = k_rms_norm<V>;
    k.layer_norm = k_layer_norm<V>;
    k.group_norm = k_group_norm<V>;
    k.softmax = k_softmax<V>;
    k.silu = k_silu<V>;
    k.tanh = k_tanh<V>;
    k.add = k_add<V>;
    k.mul = k_mul<V>;
    k.scale_shift = k_scale_shift<V>;
    k.clamp = k_clamp<V>;
    k.gated_add = k_gated_add<V>;
    k.modulate = k_modulate<V>;
    k.swiglu = k_swiglu<V>;
    k.upsample2x = k_upsample2x<V>;
    k.rope_interleaved = k_rope_interleaved<V>;
    k.rope_neox = k_rope_neox<V>;
    k.to_bf16_rows = k_to_bf16_rows<V>;
    return k;
}

}  // namespace
}  // namespace pictor::engine::detail
