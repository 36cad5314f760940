// Element-wise, normalisation and RoPE kernels against double-precision references, on odd
// sizes (tails of every vector width), for each kernel set this CPU can run.
#include <cmath>

#include "engine/ops.h"
#include "engine/rope.h"
#include "engine_test_util.h"

namespace pictor::engine::test {
namespace {

constexpr double kTol = 1e-5;

std::vector<int64_t> dims() { return sanitized() ? std::vector<int64_t>{1, 7, 33} : std::vector<int64_t>{1, 3, 17, 33, 128, 1000, 3840}; }

class Ops : public ::testing::TestWithParam<Isa> {
protected:
    void SetUp() override { cx.set_isa(GetParam()); }
    Context cx{Precision::F32};
};

TEST_P(Ops, RmsNormWithAndWithoutWeight) {
    for (int64_t dim : dims()) {
        int64_t rows = dim > 1000 ? 5 : 37;
        auto x = randn(size_t(rows * dim), 1, 2.0f), w = randn(size_t(dim), 2);
        for (bool use_w : {true, false}) {
            std::vector<float> y(x.size());
            rms_norm(cx, x.data(), use_w ? w.data() : nullptr, y.data(), rows, dim, 1e-6f);
            std::vector<double> ref(x.size());
            for (int64_t r = 0; r < rows; ++r) {
                double ss = 0;
                for (int64_t i = 0; i < dim; ++i) ss += double(x[r * dim + i]) * x[r * dim + i];
                double rs = 1.0 / std::sqrt(ss / double(dim) + 1e-6);
                for (int64_t i = 0; i < dim; ++i) ref[r * dim + i] = x[r * dim + i] * rs * (use_w ? w[i] : 1.0);
            }
            EXPECT_TRUE(near_all(y, ref, 1e-6, kTol)) << "dim " << dim;
        }
    }
}

TEST_P(Ops, LayerNormNoAffine) {
    for (int64_t dim : dims()) {
        int64_t rows = 19;
        auto x = randn(size_t(rows * dim), 3, 3.0f);
        for (auto& v : x) v += 5.0f;  // offset mean: checks the two-pass variance
        std::vector<float> y(x.size());
        layer_norm(cx, x.data(), y.data(), rows, dim, 1e-6f);
        std::vector<double> ref(x.size());
        for (int64_t r = 0; r < rows; ++r) {
            double mean = 0, var = 0;
            for (int64_t i = 0; i < dim; ++i) mean += x[r * dim + i];
            mean /= double(dim);
            for (int64_t i = 0; i < dim; ++i) var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean);
            var /= double(dim);
            for (int64_t i = 0; i < dim; ++i) ref[r * dim + i] = (x[r * dim + i] - mean) / std::sqrt(var + 1e-6);
        }
        EXPECT_TRUE(near_all(y, ref, 1e-4, kTol)) << "dim " << dim;  // atol: dim 1 gives ~0/0-ish values
    }
}

TEST_P(Ops, GroupNormNhwcAffineAndSilu) {
    struct Case { int64_t hw, c, g; };
    std::vector<Case> cases = {{1, 32, 32}, {5, 32, 32}, {70, 64, 32}, {129, 96, 32}, {3000, 128, 32}, {17, 6, 3}};
    if (sanitized()) cases.resize(4);
    for (auto [hw, c, g] : cases) {
        auto x = randn(size_t(hw * c), 4, 2.0f), gamma = randn(size_t(c), 5), beta = randn(size_t(c), 6);
        for (auto& v : x) v += 3.0f;
        for (bool fuse : {false, true}) {
            std::vector<float> y(x.size());
            group_norm_nhwc(cx, x.data(), y.data(), hw, c, g, 1e-6f, gamma.data(), beta.data(), fuse);
            std::vector<double> ref(x.size());
            int64_t cpg = c / g;
            for (int64_t gi = 0; gi < g; ++gi) {
                double mean = 0, var = 0;
                for (int64_t r = 0; r < hw; ++r)
                    for (int64_t i = gi * cpg; i < (gi + 1) * cpg; ++i) mean += x[r * c + i];
                mean /= double(hw * cpg);
                for (int64_t r = 0; r < hw; ++r)
                    for (int64_t i = gi * cpg; i < (gi + 1) * cpg; ++i) var += (x[r * c + i] - mean) * (x[r * c + i] - mean);
                var /= double(hw * cpg);
                for (int64_t r = 0; r < hw; ++r)
                    for (int64_t i = gi * cpg; i < (gi + 1) * cpg; ++i) {
                        double v = (x[r * c + i] - mean) / std::sqrt(var + 1e-6) * gamma[i] + beta[i];
                        ref[r * c + i] = fuse ? v / (1.0 + std::exp(-v)) : v;
                    }
            }
            EXPECT_TRUE(near_all(y, ref, 1e-5, kTol)) << "hw " << hw << " c " << c << " fuse " << fuse;
        }
    }
}

TEST_P(Ops, Softmax) {
    for (int64_t n : dims()) {
        int64_t rows = 9;
        auto x = randn(size_t(rows * n), 7, 4.0f);
        std::vector<float> y(x.size());
        softmax(cx, x.data(), y.data(), rows, n);
        std::vector<double> ref(x.size());
        for (int64_t r = 0; r < rows; ++r) {
            double m = -1e300, s = 0;
            for (int64_t i = 0; i < n; ++i) m = std::max(m, double(x[r * n + i]));
            for (int64_t i = 0; i < n; ++i) s += std::exp(x[r * n + i] - m);
            for (int64_t i = 0; i < n; ++i) ref[r * n + i] = std::exp(x[r * n + i] - m) / s;
        }
        EXPECT_TRUE(near_all(y, ref, 1e-9, kTol)) << "n " << n;
    }
}

TEST_P(Ops, UnaryAndBinaryElementwise) {
    const int64_t n = sanitized() ? 1001 : 100003;  // > one thread's grain, odd tail
    auto a = randn(size_t(n), 8, 3.0f), b = randn(size_t(n), 9, 3.0f);
    a[0] = 0.0f;
    a[1] = 1e-4f;
    a[2] = -30.0f;
    a[3] = 12.0f;
    std::vector<float> y(static_cast<size_t>(n));
    std::vector<double> ref(static_cast<size_t>(n));
    auto run = [&](const char* name, auto op, auto fn, double atol) {
        op();
        for (int64_t i = 0; i < n; ++i) ref[i] = fn(double(a[i]), double(b[i]));
        EXPECT_TRUE(near_all(y, ref, atol, kTol)) << name;
    };
    run("silu", [&] { silu(cx, a.data(), y.data(), n); }, [](double x, double) { return x / (1 + std::exp(-x)); }, 1e-12);
    run("tanh", [&] { tanh(cx, a.data(), y.data(), n); }, [](double x, double) { return std::tanh(x); }, 1e-12);
    run("add", [&] { add(cx, a.data(), b.data(), y.data(), n); }, [](double x, double z) { return x + z; }, 0);
    run("mul", [&] { mul(cx, a.data(), b.data(), y.data(), n); }, [](double x, double z) { return x * z; }, 0);
    run("scale_shift", [&] { scale_shift(cx, a.data(), y.data(), n, 1.0f / 0.3611f, 0.1159f); },
        [](double x, double) { return x * double(1.0f / 0.3611f) + double(0.1159f); }, 1e-7);
    run("clamp", [&] { clamp(cx, a.data(), y.data(), n, -1.0f, 1.0f); },
        [](double x, double) { return std::min(1.0, std::max(-1.0, x)); }, 0);
    // In place.
    std::vector<float> c = a;
    silu(cx, c.data(), c.data(), n);
    for (int64_t i = 0; i < n; ++i) ref[i] = a[i] / (1 + std::exp(-double(a[i])));
    EXPECT_TRUE(near_all(c, ref, 1e-12, kTol)) << "silu in place";
}

TEST_P(Ops, RowBroadcasts) {
    for (int64_t c : dims()) {
        int64_t rows = 23;
        auto x = randn(size_t(rows * c), 10), y = randn(size_t(rows * c), 11), g = randn(size_t(c), 12),
             s = randn(size_t(c), 13), sh = randn(size_t(c), 14);
        std::vector<double> ref(x.size());
        // gated residual
        std::vector<float> xg = x;
        gated_add(cx, xg.data(), g.data(), y.data(), rows, c);
        for (int64_t i = 0; i < rows * c; ++i) ref[i] = x[i] + double(g[i % c]) * y[i];
        EXPECT_TRUE(near_all(xg, ref, 1e-6, kTol)) << "gated_add c " << c;
        xg = x;
        gated_add(cx, xg.data(), nullptr, y.data(), rows, c);
        for (int64_t i = 0; i < rows * c; ++i) ref[i] = double(x[i]) + y[i];
        EXPECT_TRUE(near_all(xg, ref, 1e-6, kTol)) << "plain residual c " << c;
        // modulation with and without shift
        std::vector<float> out(x.size());
        modulate(cx, x.data(), out.data(), rows, c, s.data(), sh.data());
        for (int64_t i = 0; i < rows * c; ++i) ref[i] = x[i] * (1.0 + s[i % c]) + sh[i % c];
        EXPECT_TRUE(near_all(out, ref, 1e-6, kTol)) << "modulate c " << c;
        modulate(cx, x.data(), out.data(), rows, c, s.data(), nullptr);
        for (int64_t i = 0; i < rows * c; ++i) ref[i] = x[i] * (1.0 + s[i % c]);
        EXPECT_TRUE(near_all(out, ref, 1e-6, kTol)) << "modulate no shift c " << c;
    }
}

TEST_P(Ops, SwiGLUSeparateAndFused) {
    for (int64_t f : dims()) {
        int64_t rows = 13;
        auto ab = randn(size_t(rows * 2 * f), 15, 2.0f);
        std::vector<float> y(size_t(rows * f)), y2(size_t(rows * f));
        swiglu_fused(cx, ab.data(), y.data(), rows, f);
        swiglu(cx, ab.data(), 2 * f, ab.data() + f, 2 * f, y2.data(), f, rows, f);
        std::vector<double> ref(size_t(rows * f));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t i = 0; i < f; ++i) {
                double a = ab[r * 2 * f + i], b = ab[r * 2 * f + f + i];
                ref[r * f + i] = a / (1 + std::exp(-a)) * b;
            }
        EXPECT_TRUE(near_all(y, ref, 1e-7, kTol)) << "f " << f;
        EXPECT_TRUE(near_all(y2, ref, 1e-7, kTol)) << "f " << f;
    }
}

TEST_P(Ops, UpsampleNearest2x) {
    for (int64_t c : {1L, 3L, 17L, 128L}) {
        int64_t h = 5, w = 7;
        auto x = randn(size_t(h * w * c), 16);
        std::vector<float> y(size_t(4 * h * w * c));
        upsample_nearest2x_nhwc(cx, x.data(), y.data(), h, w, c);
        for (int64_t i = 0; i < 2 * h; ++i)
            for (int64_t j = 0; j < 2 * w; ++j)
                for (int64_t k = 0; k < c; ++k)
                    ASSERT_EQ(y[(i * 2 * w + j) * c + k], x[((i / 2) * w + j / 2) * c + k]);
    }
}

TEST_P(Ops, RopeInterleavedAndNeox) {
    for (int64_t d : {2L, 16L, 32L, 34L, 128L}) {
        int64_t S = 11, H = 3, ld = H * d + 5;  // padded token stride
        auto x = randn(size_t(S * ld), 17), tab = std::vector<float>(size_t(S * d));
        std::vector<float> cs(size_t(S * d / 2)), sn(size_t(S * d / 2));
        for (int64_t s = 0; s < S; ++s)
            for (int64_t k = 0; k < d / 2; ++k) {
                double ang = double(s) * std::pow(256.0, -2.0 * double(k) / double(d));
                tab[s * d + 2 * k] = float(std::cos(ang));
                tab[s * d + 2 * k + 1] = float(std::sin(ang));
                cs[s * d / 2 + k] = float(std::cos(ang));
                sn[s * d / 2 + k] = float(std::sin(ang));
            }
        std::vector<float> xi = x, xn = x;
        rope_interleaved(cx, xi.data(), S, H, d, tab.data(), ld);
        rope_neox(cx, xn.data(), S, H, d, cs.data(), sn.data(), ld);
        std::vector<double> ri(x.begin(), x.end()), rn(x.begin(), x.end());
        for (int64_t s = 0; s < S; ++s)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t k = 0; k < d / 2; ++k) {
                    double c = tab[s * d + 2 * k], sv = tab[s * d + 2 * k + 1];
                    int64_t b = s * ld + h * d;
                    double e = x[b + 2 * k], o = x[b + 2 * k + 1];
                    ri[b + 2 * k] = e * c - o * sv;
                    ri[b + 2 * k + 1] = e * sv + o * c;
                    double x1 = x[b + k], x2 = x[b + d / 2 + k];
                    rn[b + k] = x1 * c - x2 * sv;
                    rn[b + d / 2 + k] = x2 * c + x1 * sv;
                }
        EXPECT_TRUE(near_all(xi, ri, 1e-6, kTol)) << "interleaved d " << d;
        EXPECT_TRUE(near_all(xn, rn, 1e-6, kTol)) << "neox d " << d;
    }
}

INSTANTIATE_TEST_SUITE_P(Isa, Ops, ::testing::ValuesIn(isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace pictor::engine::test
