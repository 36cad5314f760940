// Shared helpers for the engine tests: deterministic random data, bf16 rounding for reference
// inputs, element-wise comparison with a clear failure message, sizes reduced under sanitizers.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
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

// The kernel sets this machine can run (AVX2 always; AVX-512 when present).
inline std::vector<Isa> isas() {
    std::vector<Isa> v{Isa::Avx2};
    if (detect_isa() == Isa::Avx512) v.push_back(Isa::Avx512);
    return v;
}

inline const char* isa_name(Isa i) { return i == Isa::Avx512 ? "avx512" : "avx2"; }

}  // namespace pictor::engine::test
