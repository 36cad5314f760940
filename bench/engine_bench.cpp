// Engine micro-benchmarks at the Z-Image shapes: Linear (DiT projections), attention (fused and matmul)
// (30 heads x 128 at 512² and 1024² token counts) and NHWC 3x3 convolutions (VAE decoder).
// Prints GFLOP/s (median of repeats) to compare with shared/spec/cpu-ceilings.md: bf16 peak
// ~455 GFLOP/s at 2 threads, oneDNN matmul 400-428.
//
// Usage: engine_bench [--f32] [--threads N] [--quick] [--packed] [--only peak|linear|attention|conv]
//                     [--m 64,288,1056] [--kn 3840x3840,2560x9728,...]
// The linear section runs every M in --m against every KxN in --kn with bf16 weights held like
// an mmapped checkpoint (borrowed, not copied); defaults cover the DiT (dim 3840, FFN 10240) and
// the Qwen3-4B text encoder (hidden 2560, FFN 9728). --packed: with native bf16, pack the bf16
// weights into oneDNN's blocked layout (LinearOptions::pack_native_bf16) instead of using them
// in place. The peak section measures this machine's own ceilings (FMA on 8 and, with AVX-512,
// 16 lanes; vdpbf16ps), to read the other sections against when it is not the spec's machine.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <tuple>
#include <vector>

#include "engine/attention.h"
#include "engine/conv2d.h"
#include "engine/linear.h"

using namespace pictor::engine;

namespace {

std::vector<float> rnd(size_t n, float scale) {
    std::mt19937 g(1);
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(g);
    return v;
}

double cpu_now() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Least process CPU seconds (all threads) of the timed runs: on a shared, oversubscribed machine
// wall time mostly measures the other processes, CPU time much less so.
double g_cpu = 0;

// Median seconds of `reps` runs after one warm-up (primitive creation, packing, page faults).
double time_it(int reps, const std::function<void()>& fn) {
    fn();
    std::vector<std::pair<double, double>> t;
    for (int i = 0; i < reps; ++i) {
        auto a = std::chrono::steady_clock::now();
        const double c = cpu_now();
        fn();
        t.emplace_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count(), cpu_now() - c);
    }
    std::sort(t.begin(), t.end());
    g_cpu = t[0].second;
    for (auto& r : t) g_cpu = std::min(g_cpu, r.second);
    return t[t.size() / 2].first;
}

void report(const std::string& what, double flop, double sec, const std::string& extra = "") {
    std::printf("%-40s %9.2f ms  %7.1f GFLOP/s  (CPU %8.2f ms, %6.1f GFLOP/CPU-s)%s\n", what.c_str(), sec * 1e3,
                flop / sec / 1e9, g_cpu * 1e3, flop / g_cpu / 1e9, extra.c_str());
    std::fflush(stdout);
}

// Ceiling loops: per thread, 12 independent accumulator chains (more than FMA latency x
// throughput needs) and nothing else in the loop. Returns a value that depends on every chain, so
// the compiler keeps them. FLOPs per iteration: 12 x lanes x 2 (FMA), 12 x 32 x 2 (vdpbf16ps).
constexpr int kChains = 12;

float fma_chains_avx2(int64_t iters) {
    __m256 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(0.001f * float(c));
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.0001f);
    for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    float sum = 0;
    for (int c = 0; c < kChains; ++c) sum += _mm256_cvtss_f32(acc[c]);
    return sum;
}

__attribute__((target("avx512f"))) float fma_chains_avx512(int64_t iters) {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(0.001f * float(c));
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.0001f);
    for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    float sum = 0;
    for (int c = 0; c < kChains; ++c) sum += _mm512_cvtss_f32(acc[c]);
    return sum;
}

__attribute__((target("avx512f,avx512bf16"))) float dpbf16_chains(int64_t iters) {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(0.001f * float(c));
    const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3800);  // 1.0, 2^-15
    for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    float sum = 0;
    for (int c = 0; c < kChains; ++c) sum += _mm512_cvtss_f32(acc[c]);
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    Precision prec = Precision::BF16;
    int threads = 2;
    bool quick = false, packed = false;
    std::string only;
    std::vector<int64_t> ms = {64, 288, 1056};
    std::vector<std::pair<int64_t, int64_t>> kns = {{3840, 3840}, {3840, 10240}, {10240, 3840}, {2560, 9728}, {9728, 2560}};
    auto split = [](const std::string& s) {
        std::vector<std::string> out;
        size_t b = 0;
        while (b <= s.size()) {
            size_t e = s.find(',', b);
            if (e == std::string::npos) e = s.size();
            if (e > b) out.push_back(s.substr(b, e - b));
            b = e + 1;
        }
        return out;
    };
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--f32")) prec = Precision::F32;
        else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--quick")) quick = true;
        else if (!std::strcmp(argv[i], "--packed")) packed = true;
        else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!std::strcmp(argv[i], "--m") && i + 1 < argc) {
            ms.clear();
            for (auto& t : split(argv[++i])) ms.push_back(std::stoll(t));
        } else if (!std::strcmp(argv[i], "--kn") && i + 1 < argc) {
            kns.clear();
            for (auto& t : split(argv[++i])) {
                size_t x = t.find('x');
                kns.emplace_back(std::stoll(t.substr(0, x)), std::stoll(t.substr(x + 1)));
            }
        }
    }
    Context cx(prec, threads);
    std::printf("precision %s, %d threads, kernels %s, matmul bf16 %s\n", prec == Precision::BF16 ? "bf16" : "f32",
                cx.num_threads(), cx.isa() == Isa::Avx512 ? "avx512" : "avx2",
                prec == Precision::F32 ? "n/a" : (cx.native_bf16() ? "native (oneDNN)" : "EMULATED (no AVX512-BF16: f32 gemm)"));
    const int reps = quick ? 2 : 5;

    auto want = [&](const char* section) { return only.empty() || only == section; };
    // This machine's ceilings, on all the Context's threads.
    if (want("peak")) {
        const int64_t iters = quick ? 20'000'000 : 50'000'000;
        volatile float sink = 0;
        auto peak = [&](const char* what, double flop_per_iter, float (*loop)(int64_t)) {
            const int nt = cx.num_threads();
            double sec = time_it(reps, [&] {
                float s = 0;
#pragma omp parallel num_threads(nt) reduction(+ : s)
                s += loop(iters);
                sink = sink + s;
            });
            report(what, flop_per_iter * double(iters) * nt, sec);
        };
        peak("peak fp32 FMA, 8 lanes (ymm)", 2.0 * 8 * kChains, fma_chains_avx2);
        if (cx.isa() == Isa::Avx512) {
            peak("peak fp32 FMA, 16 lanes (zmm)", 2.0 * 16 * kChains, fma_chains_avx512);
            peak("peak bf16 vdpbf16ps (zmm)", 2.0 * 32 * kChains, dpbf16_chains);
        }
    }
    // Linear at DiT / text-encoder shapes, bf16 weights borrowed as from an mmapped file.
    if (want("linear"))
    for (auto [K, N] : kns) {
        std::vector<uint16_t> wb(size_t(N * K));
        {
            auto w = rnd(wb.size(), 0.02f);
            for (size_t i = 0; i < wb.size(); ++i) {
                uint32_t u;
                std::memcpy(&u, &w[i], 4);
                wb[i] = uint16_t(u >> 16);
            }
        }
        Tensor wt = Tensor::borrow(DType::BF16, {N, K}, std::as_bytes(std::span(wb)));
        Linear lin(cx, wt, {}, {}, LinearOptions{.pack_native_bf16 = packed});
        for (int64_t M : ms) {
            auto x = rnd(size_t(M * K), 1.0f);
            std::vector<float> y(size_t(M * N));
            double sec = time_it(reps, [&] { lin.forward(x.data(), M, y.data()); });
            report("linear M=" + std::to_string(M) + " K=" + std::to_string(K) + " N=" + std::to_string(N),
                   2.0 * double(M) * double(K) * double(N), sec,
                   "  scratch " + std::to_string(lin.scratch_bytes(M) >> 20) + " MiB, weight copy " +
                       std::to_string(lin.resident_bytes() >> 20) + " MiB");
        }
    }
    // fp8 weights (expanded per call): every M at the first --kn shape, and M=1056 at 3840x3840.
    if (want("linear")) {
        std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes;
        if (!kns.empty())
            for (int64_t M : ms) shapes.emplace_back(M, kns.front().first, kns.front().second);
        shapes.emplace_back(1056, 3840, 3840);
        for (auto [M, K, N] : shapes) {
            std::vector<uint8_t> w8(size_t(N * K));
            std::mt19937 g(2);
            for (auto& b : w8) b = uint8_t(g() & 0x77);  // finite codes
            Tensor wt = Tensor::borrow(DType::F8_E4M3, {N, K}, std::as_bytes(std::span(w8)));
            std::vector<float> sc(size_t(N), 0.01f);
            Linear lin(cx, wt, {}, Tensor::from_f32(sc, {N}));
            auto x = rnd(size_t(M * K), 1.0f);
            std::vector<float> y(size_t(M * N));
            double sec = time_it(reps, [&] { lin.forward(x.data(), M, y.data()); });
            report("linear fp8+scale M=" + std::to_string(M) + " K=" + std::to_string(K) + " N=" + std::to_string(N),
                   2.0 * double(M) * double(K) * double(N), sec);
        }
    }

    // Attention at the DiT's token counts (256², 512², 1024²; 30 heads x 128), the text
    // encoder's (causal, 32 query / 8 kv heads) and the VAE mid-block's at 512² (1 head x 512),
    // each through both implementations.
    struct A { const char* what; int64_t S, H, Hkv, D; bool causal; };
    if (want("attention"))
    for (A c : {A{"DiT 256^2", 288, 30, 30, 128, false}, A{"DiT 512^2", 1056, 30, 30, 128, false},
                A{"DiT 1024^2", 4160, 30, 30, 128, false}, A{"text 20 tok", 20, 32, 8, 128, true},
                A{"text 101 tok", 101, 32, 8, 128, true}, A{"VAE mid 512^2", 4096, 1, 1, 512, false}}) {
        if (quick && c.S > 4096) continue;
        auto q = rnd(size_t(c.S * c.H * c.D), 1.0f), k = rnd(size_t(c.S * c.Hkv * c.D), 1.0f);
        auto v = rnd(k.size(), 1.0f);
        std::vector<float> o(q.size());
        AttentionParams p;
        p.S = p.Skv = c.S;
        p.heads = c.H;
        p.kv_heads = c.Hkv;
        p.head_dim = c.D;
        p.causal = c.causal;
        for (AttentionImpl impl : {AttentionImpl::Fused, AttentionImpl::Matmul}) {
            p.impl = impl;
            double sec = time_it(c.S > 2000 ? std::max(1, reps / 2) : reps,
                                 [&] { attention(cx, q.data(), k.data(), v.data(), o.data(), p); });
            char name[96];
            std::snprintf(name, sizeof name, "attention %-6s %s S=%lld %lldx%lld",
                          impl == AttentionImpl::Fused ? "fused" : "matmul", c.what, (long long)c.S, (long long)c.H,
                          (long long)c.D);
            report(name, 4.0 * double(c.S) * double(c.S) * double(c.D) * double(c.H) * (c.causal ? 0.5 : 1.0), sec);
        }
    }

    // Conv 3x3 NHWC.
    struct C { int64_t ic, oc, h, w; };
    if (want("conv"))
    for (C c : {C{512, 512, 64, 64}, C{128, 128, 512, 512}}) {
        auto w = rnd(size_t(c.oc * c.ic * 9), 0.02f);
        Conv2d conv(cx, Tensor::from_f32(w, {c.oc, c.ic, 3, 3}), Tensor::from_f32(rnd(size_t(c.oc), 0.1f), {c.oc}));
        auto x = rnd(size_t(c.h * c.w * c.ic), 1.0f);
        std::vector<float> y(size_t(c.h * c.w * c.oc));
        double sec = time_it(c.h > 100 ? std::max(1, reps / 2) : reps, [&] { conv.forward(x.data(), 1, c.h, c.w, y.data()); });
        report("conv3x3 " + std::to_string(c.ic) + "->" + std::to_string(c.oc) + " " + std::to_string(c.h) + "x" +
                   std::to_string(c.w),
               2.0 * double(c.h * c.w) * double(c.oc) * double(c.ic) * 9.0, sec);
    }
    return 0;
}
