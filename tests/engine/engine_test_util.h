// Shared helpers for the engine tests: deterministic random data, bf16 rounding for reference
// inputs, element-wise comparison with a clear failure message, sizes reduced under sanitizers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "util/error.h"
#include "util/half.h"

namespace pictor::engine::test {

inline bool sanitized() { return std::getenv("PICTOR_SANITIZED") != nullptr; }

inline std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

inline double bf(double x) { return pictor::bf16_to_f32(pictor::f32_to_bf16(float(x))); }

// |got - ref| <= atol + rtol*|ref| for every element.
inline ::testing::AssertionResult near_all(const float* got, const double* ref, size_t n, double atol, double rtol) {
    for (size_t i = 0; i < n; ++i) {
        double err = std::fabs(double(got[i]) - ref[i]);
        if (!(err <= atol + rtol * std::fabs(ref[i])))
            return ::testing::AssertionFailure() << "element " << i << ": got " << got[i] << ", want " << ref[i]
                                                 << " (err " << err << ", atol " << atol << ", rtol " << rtol << ")";
    }
    return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult near_all(const std::vector<float>& got, const std::vector<double>& ref, double atol,
                                           double rtol) {
    if (got.size() != ref.size()) return ::testing::AssertionFailure() << "size mismatch";
    return near_all(got.data(), ref.data(), got.size(), atol, rtol);
}

// Threads for the Contexts of the cancel tests: two, as on the machine the targets are set for.
// On 16 cores these ops finish in ~10 ms, where thread wake-ups dominate what is measured.
inline constexpr int kCancelTestThreads = 2;

// Cooperative cancellation of one long op: `op` must throw ErrorKind::Cancelled when the
// Context's cancel flag is set before the call, and when it is set a tenth of the way into a
// call it must throw before half of an uncancelled call's time (so the check has to be inside
// the op, not only at its end). Prints how long the cancelled call took.
inline void expect_cancel_stops_op(Context& cx, const std::string& what, const std::function<void()>& op) {
    using clock = std::chrono::steady_clock;
    auto seconds_since = [](clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); };
    auto expect_cancelled = [&] {
        try {
            op();
            ADD_FAILURE() << "a cancelled " << what << " returned";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
        }
    };
    std::atomic<bool> cancel{true};
    cx.set_cancel_flag(&cancel);
    expect_cancelled();
    cancel = false;
    // Not cancelled: runs to the end. The first call creates and JIT-compiles the op's oneDNN
    // primitives (for a banded convolution most of its time); the op's length is the fastest of
    // three more. A slower one measures other processes: under `ctest -j`, with the two threads'
    // barriers waiting on a busy core, one call took 1.9 s and the next 0.19 s, and a flag set a
    // tenth of the way into the slow one came after the fast one had finished.
    op();
    double full = 0;
    for (int i = 0; i < 3; ++i) {
        const auto t = clock::now();
        op();
        full = i == 0 ? seconds_since(t) : std::min(full, seconds_since(t));
    }
    // Set a tenth of the way in (whatever this machine's speed), then expect the op to stop
    // well before half-way: its cancel checks are a few percent of the work apart.
    const auto delay = std::chrono::duration<double>(0.1 * full);
    std::thread setter([&] {
        std::this_thread::sleep_for(delay);
        cancel = true;
    });
    const auto t0 = clock::now();
    expect_cancelled();
    const double cancelled = seconds_since(t0);
    setter.join();
    cx.set_cancel_flag(nullptr);
    std::printf("%s: %.3f s uncancelled, cancelled after %.3f s (flag set at %.3f s)\n", what.c_str(), full, cancelled,
                delay.count());
    EXPECT_LT(cancelled, 0.5 * full) << what << " ran on after its cancel flag was set";
}

// The kernel sets this machine can run (AVX2 always; AVX-512 when present).
inline std::vector<Isa> isas() {
    std::vector<Isa> v{Isa::Avx2};
    if (detect_isa() == Isa::Avx512) v.push_back(Isa::Avx512);
    return v;
}

inline const char* isa_name(Isa i) { return i == Isa::Avx512 ? "avx512" : "avx2"; }

}  // namespace pictor::engine::test
