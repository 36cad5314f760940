// Exhaustive checks of the bf16 / f16 / fp8-E4M3FN conversions. Each narrowing conversion is
// compared with an independent reference (hardware F16C for f16; a nearest-value search in
// double precision for bf16 and fp8) over every 16-bit prefix of the f32 space combined with
// the low-bit patterns that sit on and around the rounding boundaries.
#include "util/half.h"

#include <gtest/gtest.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace pictor;

namespace {

// Low halves that exercise truncation, ties and just-above/below-tie for bf16 (tie = 0x8000)
// and f16 (tie = 0x1000 in the low 13 bits).
const uint32_t kLowPatterns[] = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x5000,
                                 0x7fff, 0x8000, 0x8001, 0x9000, 0xafff, 0xc000, 0xe000, 0xf000, 0xffff};

// Every f32 whose top 16 bits take every value, with each low pattern; then random ones.
template <class F>
void for_sample_floats(F&& f) {
    for (uint32_t hi = 0; hi < 65536; ++hi)
        for (uint32_t lo : kLowPatterns) f(f32_from_bits((hi << 16) | lo));
    std::mt19937 rng(42);
    for (int i = 0; i < 2'000'000; ++i) f(f32_from_bits(uint32_t(rng())));
}

uint16_t ref_f16(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

// Nearest bf16 by comparing the two bracketing candidates in double; ties go to even.
uint16_t ref_bf16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t lo = uint16_t(u >> 16);
    if (std::isinf(f) || (u & 0xffffu) == 0) return lo;
    uint16_t hi = uint16_t(lo + 1);  // next magnitude up (same sign)
    double x = std::fabs(double(f)), a = std::fabs(double(bf16_to_f32(lo)));
    double b = (hi & 0x7fff) == 0x7f80 ? std::ldexp(1.0, 128) : std::fabs(double(bf16_to_f32(hi)));
    if (x - a < b - x) return lo;
    if (x - a > b - x) return hi;
    return (lo & 1) ? hi : lo;
}

// All non-negative finite fp8 values with their codes, ascending.
std::vector<std::pair<double, uint8_t>> fp8_table() {
    std::vector<std::pair<double, uint8_t>> t;
    for (int c = 0; c < 0x7f; ++c) t.emplace_back(double(f8e4m3_to_f32(uint8_t(c))), uint8_t(c));
    return t;
}

uint8_t ref_fp8(float f, const std::vector<std::pair<double, uint8_t>>& table) {
    if (std::isnan(f)) return 0x7f;
    uint8_t sign = std::signbit(f) ? 0x80 : 0;
    double x = std::fabs(double(f));
    if (x >= 448.0) return uint8_t(sign | 0x7e);
    auto it = std::lower_bound(table.begin(), table.end(), x,
                               [](const std::pair<double, uint8_t>& e, double v) { return e.first < v; });
    if (it->first == x) return uint8_t(sign | it->second);
    auto below = it - 1;
    double da = x - below->first, db = it->first - x;
    uint8_t code = da < db ? below->second : db < da ? it->second : ((below->second & 1) ? it->second : below->second);
    return uint8_t(sign | code);
}

}  // namespace

TEST(Half, Bf16AllPatternsRoundTrip) {
    for (uint32_t h = 0; h < 65536; ++h) {
        float f = bf16_to_f32(uint16_t(h));
        uint16_t back = f32_to_bf16(f);
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(bf16_to_f32(back))) << std::hex << h;
            EXPECT_EQ(back & 0x8000, h & 0x8000) << std::hex << h;
            EXPECT_NE(back & 0x0040, 0) << "NaN not quiet: " << std::hex << h;
        } else {
            ASSERT_EQ(back, h) << std::hex << h;
        }
    }
}

TEST(Half, F16AllPatternsRoundTrip) {
    for (uint32_t h = 0; h < 65536; ++h) {
        float f = f16_to_f32(uint16_t(h));
        // Widening must agree with hardware exactly (including subnormals and infinities).
        float hw = _cvtsh_ss(uint16_t(h));
        if (std::isnan(hw)) {
            ASSERT_TRUE(std::isnan(f)) << std::hex << h;
            uint16_t back = f32_to_f16(f);
            EXPECT_TRUE(std::isnan(f16_to_f32(back))) << std::hex << h;
            EXPECT_EQ(back & 0x8000, h & 0x8000);
        } else {
            ASSERT_EQ(f32_bits(f), f32_bits(hw)) << std::hex << h;
            ASSERT_EQ(f32_to_f16(f), h) << std::hex << h;
        }
    }
}

TEST(Half, Fp8AllValuesRoundTrip) {
    int nans = 0;
    for (int c = 0; c < 256; ++c) {
        float f = f8e4m3_to_f32(uint8_t(c));
        if (std::isnan(f)) {
            ++nans;
            EXPECT_TRUE(c == 0x7f || c == 0xff) << c;
            EXPECT_TRUE(std::isnan(f8e4m3_to_f32(f32_to_f8e4m3(f))));
            continue;
        }
        EXPECT_FALSE(std::isinf(f));
        EXPECT_EQ(f32_to_f8e4m3(f), uint8_t(c)) << c << " = " << f;
    }
    EXPECT_EQ(nans, 2);
    EXPECT_EQ(f8e4m3_to_f32(0x7e), 448.0f);
    EXPECT_EQ(f8e4m3_to_f32(0xfe), -448.0f);
    EXPECT_EQ(f8e4m3_to_f32(0x01), std::ldexp(1.0f, -9));   // smallest subnormal
    EXPECT_EQ(f8e4m3_to_f32(0x08), std::ldexp(1.0f, -6));   // smallest normal
    EXPECT_EQ(f8e4m3_to_f32(0x38), 1.0f);
    EXPECT_EQ(f32_bits(f8e4m3_to_f32(0x80)), f32_bits(-0.0f));
}

TEST(Half, F16MatchesHardwareRounding) {
    uint64_t checked = 0;
    for_sample_floats([&](float f) {
        uint16_t got = f32_to_f16(f), want = ref_f16(f);
        if (std::isnan(f)) {
            ASSERT_TRUE(std::isnan(f16_to_f32(got)));
            ASSERT_EQ(got & 0x8000, want & 0x8000);
        } else {
            ASSERT_EQ(got, want) << "f=" << f << " bits=" << std::hex << f32_bits(f);
        }
        ++checked;
    });
    EXPECT_GT(checked, 3'000'000u);
}

TEST(Half, Bf16MatchesReferenceRounding) {
    for_sample_floats([&](float f) {
        uint16_t got = f32_to_bf16(f);
        if (std::isnan(f)) {
            ASSERT_TRUE(std::isnan(bf16_to_f32(got))) << std::hex << f32_bits(f);
            ASSERT_EQ(got & 0x8000, (f32_bits(f) >> 16) & 0x8000);
        } else {
            ASSERT_EQ(got, ref_bf16(f)) << "f=" << f << " bits=" << std::hex << f32_bits(f);
        }
    });
}

TEST(Half, Fp8MatchesReferenceRounding) {
    auto table = fp8_table();
    for_sample_floats([&](float f) {
        uint8_t got = f32_to_f8e4m3(f);
        if (std::isnan(f)) ASSERT_TRUE(std::isnan(f8e4m3_to_f32(got)));
        else ASSERT_EQ(int(got), int(ref_fp8(f, table))) << "f=" << f << " bits=" << std::hex << f32_bits(f);
    });
    // Every midpoint between neighbouring fp8 values, and one ulp either side of it.
    for (size_t i = 1; i < table.size(); ++i) {
        float mid = float((table[i - 1].first + table[i].first) / 2);  // exact: few mantissa bits
        for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
            ASSERT_EQ(int(f32_to_f8e4m3(f)), int(ref_fp8(f, table))) << f;
            ASSERT_EQ(int(f32_to_f8e4m3(-f)), int(ref_fp8(-f, table))) << -f;
        }
    }
}

TEST(Half, Fp8TiesToEven) {
    EXPECT_EQ(f32_to_f8e4m3(1.0625f), 0x38);  // between 1.0 (0x38) and 1.125 (0x39): even wins
    EXPECT_EQ(f32_to_f8e4m3(1.1875f), 0x3a);  // between 1.125 (0x39) and 1.25 (0x3a)
    EXPECT_EQ(f32_to_f8e4m3(std::ldexp(1.0f, -10)), 0x00);      // half the smallest subnormal
    EXPECT_EQ(f32_to_f8e4m3(3 * std::ldexp(1.0f, -10)), 0x02);  // 1.5 subnormal steps -> 2
    EXPECT_EQ(f32_to_f8e4m3(-1.0625f), 0xb8);
    EXPECT_EQ(f32_to_f8e4m3(15.5f * std::ldexp(1.0f, -10)), 0x08);  // top subnormal tie -> 2^-6
    EXPECT_EQ(f32_to_f8e4m3(240.0f), 0x77);  // 240 = 1.875 * 2^7
    EXPECT_EQ(f32_to_f8e4m3(248.0f), 0x78);  // tie between 240 (odd) and 256 (even)
}

TEST(Half, Fp8Saturates) {
    for (float f : {448.0f, 449.0f, 464.0f, 480.0f, 1e6f, std::numeric_limits<float>::max(),
                    std::numeric_limits<float>::infinity()}) {
        EXPECT_EQ(f32_to_f8e4m3(f), 0x7e) << f;
        EXPECT_EQ(f32_to_f8e4m3(-f), 0xfe) << -f;
    }
    EXPECT_EQ(f32_to_f8e4m3(432.0f), 0x7e);  // tie between 416 (0x7d) and 448 (0x7e): even
    EXPECT_EQ(f32_to_f8e4m3(420.0f), 0x7d);
    EXPECT_EQ(f32_to_f8e4m3(447.9f), 0x7e);
}

TEST(Half, NaNHandling) {
    float qnan = std::numeric_limits<float>::quiet_NaN();
    float snan = f32_from_bits(0x7f800001u);  // signalling NaN whose payload sits in the low bits
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(qnan))));
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(snan))));  // must not truncate to infinity
    EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(snan))));
    EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(-qnan))));
    EXPECT_NE(f32_to_f16(-qnan) & 0x8000, 0);
    EXPECT_EQ(f32_to_f8e4m3(qnan) & 0x7f, 0x7f);
    EXPECT_EQ(f32_to_f8e4m3(snan) & 0x7f, 0x7f);
    EXPECT_TRUE(std::isnan(f8e4m3_to_f32(0xff)));
}

TEST(Half, F16Boundaries) {
    EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
    EXPECT_EQ(f32_to_f16(65519.99f), 0x7bff);
    EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // tie rounds to even = infinity
    EXPECT_EQ(f32_to_f16(-65520.0f), 0xfc00);
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);      // half the smallest subnormal
    EXPECT_EQ(f32_to_f16(3 * std::ldexp(1.0f, -25)), 0x0002);  // 1.5 steps -> 2 (even)
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);
    EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to infinity
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
}
