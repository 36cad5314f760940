// Attention against a naive double softmax(QKᵀ)V: causal, GQA, S = 1, long sequences, odd
// head dims and padded strides, both precisions, each kernel set this CPU can run, and both
// implementations (fused flash kernel, matmuls over query tiles).
#include <cmath>

#include "engine/attention.h"
#include "engine_test_util.h"
#include "util/error.h"

namespace pictor::engine::test {
namespace {

struct Case { int64_t S, Skv, H, Hkv, D; bool causal; };

std::vector<double> reference(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                              const Case& c, float scale, bool bf16) {
    auto r = [&](float x) { return bf16 ? bf(x) : double(x); };
    std::vector<double> out(size_t(c.S * c.H * c.D));
    std::vector<double> p(size_t(c.Skv));
    const int64_t off = c.Skv - c.S;
    for (int64_t h = 0; h < c.H; ++h) {
        int64_t g = h / (c.H / c.Hkv);
        for (int64_t i = 0; i < c.S; ++i) {
            int64_t n = c.causal ? i + off + 1 : c.Skv;
            double m = -1e300;
            for (int64_t j = 0; j < n; ++j) {
                double s = 0;
                for (int64_t d = 0; d < c.D; ++d) s += r(q[(i * c.H + h) * c.D + d]) * r(k[(j * c.Hkv + g) * c.D + d]);
                p[j] = s * scale;
                m = std::max(m, p[j]);
            }
            double sum = 0;
            for (int64_t j = 0; j < n; ++j) sum += (p[j] = std::exp(p[j] - m));
            for (int64_t d = 0; d < c.D; ++d) {
                double acc = 0;
                for (int64_t j = 0; j < n; ++j) acc += p[j] * r(v[(j * c.Hkv + g) * c.D + d]);
                out[(i * c.H + h) * c.D + d] = acc / sum;
            }
        }
    }
    return out;
}

class AttentionP : public ::testing::TestWithParam<std::tuple<Precision, Isa, AttentionImpl>> {};

TEST_P(AttentionP, MatchesNaiveSoftmax) {
    auto [prec, isa, impl] = GetParam();
    Context cx(prec);
    cx.set_isa(isa);
    std::vector<Case> cases = {
        {1, 1, 1, 1, 16, false},    {1, 7, 2, 1, 32, false},     {5, 5, 4, 2, 16, true},
        {70, 70, 2, 2, 128, true},  {33, 100, 4, 1, 128, true},   {129, 129, 3, 3, 18, false},
        {65, 200, 2, 2, 64, false}, {200, 200, 8, 2, 128, true},  {300, 300, 1, 1, 512, false},
        {17, 17, 2, 2, 2, false},   {700, 1200, 1, 1, 64, true},  // two query tiles of the matmul path
    };
    if (!sanitized()) cases.push_back({1100, 1100, 2, 1, 128, true});
    else cases.resize(6);
    for (const auto& c : cases) {
        auto q = randn(size_t(c.S * c.H * c.D), 71, 1.0f), k = randn(size_t(c.Skv * c.Hkv * c.D), 72, 1.0f),
             v = randn(size_t(c.Skv * c.Hkv * c.D), 73);
        const float scale = 1.0f / std::sqrt(float(c.D));
        std::vector<float> out(q.size());
        AttentionParams p;
        p.S = c.S;
        p.Skv = c.Skv;
        p.heads = c.H;
        p.kv_heads = c.Hkv;
        p.head_dim = c.D;
        p.causal = c.causal;
        p.impl = impl;
        attention(cx, q.data(), k.data(), v.data(), out.data(), p);
        auto ref = reference(q, k, v, c, scale, prec == Precision::BF16);
        // f32: 1e-5 relative to the value scale (|v| ~ 1); bf16: probabilities are rounded to
        // bf16 (relative 2^-9) before P·V.
        const double tol = prec == Precision::F32 ? 2e-5 : 1.5e-2;
        EXPECT_TRUE(near_all(out.data(), ref.data(), out.size(), tol, 0.0))
            << "S " << c.S << " Skv " << c.Skv << " H " << c.H << "/" << c.Hkv << " D " << c.D << " causal " << c.causal;
    }
}

TEST_P(AttentionP, StridedSlicesOfFusedQkv) {
    auto [prec, isa, impl] = GetParam();
    Context cx(prec);
    cx.set_isa(isa);
    const int64_t S = 45, H = 3, D = 32, ld = 3 * H * D;
    auto qkv = randn(size_t(S * ld), 81);
    std::vector<float> q(size_t(S * H * D)), k(q.size()), v(q.size());
    for (int64_t s = 0; s < S; ++s)
        for (int64_t i = 0; i < H * D; ++i) {
            q[s * H * D + i] = qkv[s * ld + i];
            k[s * H * D + i] = qkv[s * ld + H * D + i];
            v[s * H * D + i] = qkv[s * ld + 2 * H * D + i];
        }
    AttentionParams p;
    p.S = p.Skv = S;
    p.heads = H;
    p.head_dim = D;
    p.ldq = p.ldk = p.ldv = ld;
    p.impl = impl;
    std::vector<float> a(q.size()), b(q.size());
    attention(cx, qkv.data(), qkv.data() + H * D, qkv.data() + 2 * H * D, a.data(), p);
    p.ldq = p.ldk = p.ldv = 0;
    attention(cx, q.data(), k.data(), v.data(), b.data(), p);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]);
}

INSTANTIATE_TEST_SUITE_P(
    All, AttentionP,
    ::testing::Combine(::testing::Values(Precision::F32, Precision::BF16), ::testing::ValuesIn(isas()),
                       ::testing::Values(AttentionImpl::Fused, AttentionImpl::Matmul)),
    [](const auto& info) {
        return std::string(std::get<0>(info.param) == Precision::F32 ? "f32_" : "bf16_") + isa_name(std::get<1>(info.param)) +
               (std::get<2>(info.param) == AttentionImpl::Fused ? "_fused" : "_matmul");
    });

// The VAE's single-head attention over 16384 tokens (1024²) is seconds of work in one call: a
// cancel flag set meanwhile stops it between query tiles.
TEST(AttentionCancel, FlagStopsBeforeAndBetweenQueryTiles) {
    if (sanitized()) GTEST_SKIP() << "too slow under sanitizers";
    Context cx(Precision::BF16, kCancelTestThreads);
    AttentionParams p;
    p.S = p.Skv = 4096;  // the matmul path's query tiles are 256 rows here: 16 of them
    p.heads = 1;
    p.head_dim = 256;  // ~17 GFLOP
    std::vector<float> q(size_t(p.S * p.head_dim), 0.01f), out(q.size());
    for (AttentionImpl impl : {AttentionImpl::Fused, AttentionImpl::Matmul}) {
        p.impl = impl;
        expect_cancel_stops_op(cx, impl == AttentionImpl::Fused ? "17 GFLOP fused attention" : "17 GFLOP matmul attention",
                               [&] { attention(cx, q.data(), q.data(), q.data(), out.data(), p); });
    }
}

}  // namespace
}  // namespace pictor::engine::test
