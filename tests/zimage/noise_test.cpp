#include "models/zimage/noise.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include "util/half.h"
#include "util/npy.h"
#include "zimage_test_util.h"

using pictor::zimage::NormalKernel;
using pictor::zimage::TorchCpuGenerator;

namespace {

using pictor::zimage::test::dev_dir;

nlohmann::json load_case(const std::string& name) {
    std::ifstream f(dev_dir() + "cases.json");
    const auto j = nlohmann::json::parse(f);
    for (const auto& c : j["cases"])
        if (c["name"] == name) return c;
    ADD_FAILURE() << "no case " << name;
    return {};
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

void check_reference_noise(const std::string& name) {
    const auto c = load_case(name);
    const uint64_t seed = c["seed"].get<uint64_t>();
    const int64_t h = c["height"].get<int64_t>() / 8, w = c["width"].get<int64_t>() / 8;
    const auto ref = pictor::read_npy(dev_dir() + "cases/" + name + "/noise.npy");
    ASSERT_EQ(ref.shape, (std::vector<int64_t>{1, 16, h, w}));
    const auto want = ref.as<float>();

    TorchCpuGenerator g(seed);
    const auto got = g.randn(want.size());
    size_t exact = 0;
    for (size_t i = 0; i < want.size(); ++i) exact += same_bits(got[i], want[i]);
    EXPECT_EQ(exact, want.size()) << name << ": A1 kernel must be bit-exact";

    // The scalar-libm kernel is a different function: close, but only mostly identical.
    TorchCpuGenerator g2(seed);
    const auto a2 = g2.randn(want.size(), NormalKernel::Default);
    size_t exact2 = 0;
    double maxdiff = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        exact2 += same_bits(a2[i], want[i]);
        maxdiff = std::max(maxdiff, double(std::fabs(a2[i] - want[i])));
    }
    std::printf("[ info ] %s: A1 %zu/%zu bit-exact; A2 %zu/%zu bit-exact, max |diff| %.3g\n", name.c_str(), exact,
                want.size(), exact2, want.size(), maxdiff);
    EXPECT_GT(exact2, want.size() / 2);
    EXPECT_LT(maxdiff, 5e-6);
}

}  // namespace

TEST(TorchNoise, MatchesReferenceD1) { check_reference_noise("d1"); }
TEST(TorchNoise, MatchesReferenceD2) { check_reference_noise("d2"); }

TEST(TorchNoise, Mt19937MatchesStd) {
    TorchCpuGenerator g(5489);
    std::mt19937 ref(5489);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(g.random(), ref()) << i;
    TorchCpuGenerator h(1);
    std::mt19937 r2(1);
    const uint64_t hi = r2(), lo = r2();
    EXPECT_EQ(h.random64(), (hi << 32) | lo);
}

TEST(TorchNoise, OnlyLow32SeedBitsMatter) {
    TorchCpuGenerator a(42), b((uint64_t(1) << 32) + 42), c(43), d(~uint64_t(0));
    EXPECT_EQ(a.randn(1000), b.randn(1000));
    EXPECT_NE(TorchCpuGenerator(42).randn(64), c.randn(64));
    TorchCpuGenerator e(0xFFFFFFFFu);
    EXPECT_EQ(d.randn(100), e.randn(100));
}

TEST(TorchNoise, PathBCachePersistsAcrossCalls) {
    TorchCpuGenerator a(3), b(3);
    auto x = a.randn(5);
    auto y = a.randn(5);
    x.insert(x.end(), y.begin(), y.end());
    EXPECT_EQ(x, b.randn(10));

    // manual_seed drops the cached sample.
    TorchCpuGenerator c(9);
    const auto first = c.randn(5);
    c.manual_seed(9);
    EXPECT_EQ(c.randn(5), first);

    // Path A neither reads nor clears the cache: after an odd-sized Path-B call the cached
    // value is still the next Path-B output even with a Path-A call in between.
    TorchCpuGenerator d(11), e(11);
    d.randn(5);
    d.randn(16);
    const float next = d.randn(1)[0];
    EXPECT_TRUE(same_bits(next, e.randn(6)[5]));
}

TEST(TorchNoise, TailBlockIsRedrawn) {
    // numel = 37: blocks at 0 and 16 from the first 37 uniforms, then 16 fresh uniforms
    // transformed into slots 21..36 (overwriting 21..31 of the second block).
    TorchCpuGenerator g(2024);
    const auto v = g.randn(37);
    const auto full = TorchCpuGenerator(2024).randn(32);
    for (int i = 0; i < 21; ++i) EXPECT_TRUE(same_bits(v[size_t(i)], full[size_t(i)])) << i;
    TorchCpuGenerator h(2024);
    for (int i = 0; i < 37; ++i) h.random();
    const auto tail = h.randn(16);
    for (int i = 0; i < 16; ++i) EXPECT_TRUE(same_bits(v[size_t(21 + i)], tail[size_t(i)])) << i;
    // And the stream continues after the 53 draws.
    TorchCpuGenerator k(2024);
    for (int i = 0; i < 53; ++i) k.random();
    EXPECT_EQ(g.random(), k.random());
}

TEST(TorchNoise, Statistics) {
    TorchCpuGenerator g(0);
    const auto v = g.randn(262144);
    double s = 0, s2 = 0;
    for (float x : v) {
        ASSERT_TRUE(std::isfinite(x));
        s += x;
        s2 += double(x) * x;
    }
    const double mean = s / double(v.size()), var = s2 / double(v.size()) - mean * mean;
    EXPECT_NEAR(mean, 0.0, 0.01);
    EXPECT_NEAR(var, 1.0, 0.01);
}

TEST(TorchNoise, Bf16Path) {
    TorchCpuGenerator g(42), g2(42);
    const auto v = g.randn_bf16(4096);
    EXPECT_EQ(v, g2.randn_bf16(4096));
    double s = 0, s2 = 0;
    for (uint16_t b : v) {
        const float x = pictor::bf16_to_f32(b);
        ASSERT_TRUE(std::isfinite(x));
        s += x;
        s2 += double(x) * x;
    }
    EXPECT_NEAR(s / 4096, 0.0, 0.06);
    EXPECT_NEAR(s2 / 4096, 1.0, 0.1);
    // Different values from fp32-then-round (8-bit uniforms): most differ.
    const auto f = TorchCpuGenerator(42).randn(32);
    const auto b = TorchCpuGenerator(42).randn_bf16(32);
    int same = 0;
    for (int i = 0; i < 32; ++i) same += pictor::f32_to_bf16(f[size_t(i)]) == b[size_t(i)];
    EXPECT_LT(same, 8);
    // Below 16 elements the double path is used and rounded to bf16.
    const auto small = TorchCpuGenerator(5).randn(7);
    const auto small_b = TorchCpuGenerator(5).randn_bf16(7);
    for (int i = 0; i < 7; ++i) EXPECT_EQ(small_b[size_t(i)], pictor::f32_to_bf16(small[size_t(i)]));
}
