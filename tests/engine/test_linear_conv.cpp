// Linear (every weight dtype, fp8 + per-row scale, bias, lazy/release) and Conv2d NHWC
// (3x3, 1x1, stride 2 with asymmetric padding) against naive double references, both precisions.
// BF16 references round the inputs to bf16 exactly as the engine does, so tolerances stay tight:
// only the f32 accumulation order differs.
#include <cstring>

#include "engine/conv2d.h"
#include "engine/linear.h"
#include "engine_test_util.h"
#include "util/error.h"

namespace pictor::engine::test {
namespace {

// Weight tensor of dtype `dt` built from f32 values; returns the exactly representable values.
Tensor make_weight(DType dt, const std::vector<float>& w, Tensor::Shape shape, std::vector<float>& exact) {
    exact.resize(w.size());
    Tensor t = Tensor::empty(dt, shape);
    for (size_t i = 0; i < w.size(); ++i) {
        switch (dt) {
            case DType::F32: t.mutable_data<float>()[i] = w[i]; exact[i] = w[i]; break;
            case DType::BF16: t.mutable_data<uint16_t>()[i] = f32_to_bf16(w[i]); exact[i] = bf16_to_f32(f32_to_bf16(w[i])); break;
            case DType::F16: t.mutable_data<uint16_t>()[i] = f32_to_f16(w[i]); exact[i] = f16_to_f32(f32_to_f16(w[i])); break;
            case DType::F8_E4M3: t.mutable_data<uint8_t>()[i] = f32_to_f8e4m3(w[i]); exact[i] = f8e4m3_to_f32(f32_to_f8e4m3(w[i])); break;
        }
    }
    return t;
}

struct LinCase { int64_t M, K, N; };

class LinearP : public ::testing::TestWithParam<Precision> {};

TEST_P(LinearP, AllWeightDtypesAgainstReference) {
    const Precision prec = GetParam();
    Context cx(prec);
    // The last three cross the AVX2 GEMM's depth and feature blocks (256 each): accumulation
    // across depth blocks, ragged last blocks, K not a multiple of 8.
    std::vector<LinCase> cases = {{1, 16, 8}, {3, 17, 5}, {37, 64, 33}, {64, 256, 100}, {130, 96, 48}, {13, 600, 70}, {7, 1037, 19}, {20, 520, 300}};
    if (sanitized()) cases.resize(3);
    for (auto [M, K, N] : cases) {
        for (DType dt : {DType::F32, DType::BF16, DType::F16, DType::F8_E4M3}) {
            for (bool with_bias : {false, true}) {
                auto x = randn(size_t(M * K), 31), wf = randn(size_t(N * K), 32, 0.5f), bias = randn(size_t(N), 33);
                std::vector<float> w_exact;
                Tensor w = make_weight(dt, wf, {N, K}, w_exact);
                std::vector<float> scale(static_cast<size_t>(N));
                for (int64_t n = 0; n < N; ++n) scale[n] = 0.01f * float(n + 1);
                Tensor scale_t = dt == DType::F8_E4M3 ? Tensor::from_f32(scale, {N}) : Tensor();
                Tensor bias_t = with_bias ? Tensor::from_f32(bias, {N}) : Tensor();
                Linear lin(cx, w, bias_t, scale_t);
                std::vector<float> y(size_t(M * N));
                lin.forward(x.data(), M, y.data());
                std::vector<double> ref(y.size()), mag(y.size());
                for (int64_t m = 0; m < M; ++m)
                    for (int64_t n = 0; n < N; ++n) {
                        double acc = 0, a = 0;
                        for (int64_t k = 0; k < K; ++k) {
                            double wv = w_exact[n * K + k];
                            if (dt == DType::F8_E4M3) wv = double(float(wv) * scale[n]);
                            double xv = x[m * K + k];
                            if (prec == Precision::BF16) {
                                wv = bf(wv);
                                xv = bf(xv);
                            }
                            acc += xv * wv;
                            a += std::fabs(xv * wv);
                        }
                        ref[m * N + n] = acc + (with_bias ? bias[n] : 0.0);
                        mag[m * N + n] = a + (with_bias ? std::fabs(bias[n]) : 0.0);
                    }
                for (size_t i = 0; i < y.size(); ++i)
                    ASSERT_NEAR(y[i], ref[i], 1e-5 * mag[i] + 1e-7)
                        << "M " << M << " K " << K << " N " << N << " dtype " << dtype_name(dt) << " bias " << with_bias;
            }
        }
    }
}

TEST_P(LinearP, CachedPrimitivesLazyAndRelease) {
    Context cx(GetParam());
    const int64_t K = 40, N = 24;
    auto wf = randn(size_t(N * K), 41);
    std::vector<uint16_t> raw(wf.size());
    for (size_t i = 0; i < wf.size(); ++i) raw[i] = f32_to_bf16(wf[i]);
    Tensor w = Tensor::borrow(DType::BF16, {N, K}, std::as_bytes(std::span(raw)));
    Linear eager(cx, w), lazy(cx, w, {}, {}, LinearOptions{.lazy = true});
    EXPECT_EQ(lazy.resident_bytes(), 0u);
    for (int64_t M : {5, 1, 5, 77}) {
        auto x = randn(size_t(M * K), uint32_t(50 + M));
        std::vector<float> a(size_t(M * N)), b(size_t(M * N));
        eager.forward(x.data(), M, a.data());
        lazy.forward(x.data(), M, b.data());
        EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4)) << "M " << M;
        lazy.release();
        EXPECT_EQ(lazy.resident_bytes(), 0u);
    }
    eager.release();
    std::vector<float> x(static_cast<size_t>(K)), y(static_cast<size_t>(N));
    EXPECT_THROW(eager.forward(x.data(), 1, y.data()), Error);
    EXPECT_THROW(Linear(cx, Tensor::zeros(DType::F32, {4})), Error);
}

INSTANTIATE_TEST_SUITE_P(Prec, LinearP, ::testing::Values(Precision::F32, Precision::BF16),
                         [](const auto& info) { return std::string(info.param == Precision::F32 ? "f32" : "bf16"); });

class ConvP : public ::testing::TestWithParam<Precision> {};

TEST_P(ConvP, NhwcAgainstNaive) {
    const Precision prec = GetParam();
    Context cx(prec);
    struct Case { int64_t ic, oc, k, h, w; Conv2dOptions opt; };
    Conv2dOptions down;
    down.stride = 2;
    down.pad_top = down.pad_left = 0;
    down.pad_bottom = down.pad_right = 1;
    std::vector<Case> cases = {{3, 8, 3, 5, 7, {}}, {16, 32, 3, 9, 6, {}}, {17, 5, 1, 4, 3, {}},
                               {32, 16, 1, 6, 6, {}}, {8, 8, 3, 8, 10, down}, {3, 3, 3, 1, 1, {}}};
    if (sanitized()) cases.resize(3);
    for (auto& cs : cases) {
        auto x = randn(size_t(cs.h * cs.w * cs.ic), 61), wf = randn(size_t(cs.oc * cs.ic * cs.k * cs.k), 62, 0.3f),
             bias = randn(size_t(cs.oc), 63);
        std::vector<float> w_exact;
        Tensor w = make_weight(DType::BF16, wf, {cs.oc, cs.ic, cs.k, cs.k}, w_exact);
        Conv2d conv(cx, w, Tensor::from_f32(bias, {cs.oc}), cs.opt);
        const int64_t oh = conv.out_h(cs.h), ow = conv.out_w(cs.w);
        std::vector<float> y(size_t(oh * ow * cs.oc));
        conv.forward(x.data(), 1, cs.h, cs.w, y.data());
        const int pt = cs.opt.pad_top < 0 ? int(cs.k / 2) : cs.opt.pad_top;
        const int pl = cs.opt.pad_left < 0 ? int(cs.k / 2) : cs.opt.pad_left;
        for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j)
                for (int64_t o = 0; o < cs.oc; ++o) {
                    double acc = bias[o], mag = std::fabs(bias[o]);
                    for (int64_t di = 0; di < cs.k; ++di)
                        for (int64_t dj = 0; dj < cs.k; ++dj) {
                            int64_t yi = i * cs.opt.stride + di - pt, xj = j * cs.opt.stride + dj - pl;
                            if (yi < 0 || yi >= cs.h || xj < 0 || xj >= cs.w) continue;
                            for (int64_t c = 0; c < cs.ic; ++c) {
                                double xv = x[(yi * cs.w + xj) * cs.ic + c];
                                double wv = w_exact[((o * cs.ic + c) * cs.k + di) * cs.k + dj];
                                if (prec == Precision::BF16) xv = bf(xv);
                                acc += xv * wv;
                                mag += std::fabs(xv * wv);
                            }
                        }
                    ASSERT_NEAR(y[(i * ow + j) * cs.oc + o], acc, 1e-5 * mag + 1e-7)
                        << "ic " << cs.ic << " oc " << cs.oc << " k " << cs.k << " at " << i << "," << j << "," << o;
                }
    }
}

// Large convolutions run in bands of output rows (so a cancel can land between them); the bands
// must give what one whole-image primitive gives, at the edges (padding) and for batches too.
TEST_P(ConvP, RowBandsMatchOneCall) {
    Context cx(GetParam());
    struct Case { int64_t ic, oc, k, h, w; Conv2dOptions opt; };
    Conv2dOptions down;
    down.stride = 2;
    down.pad_top = down.pad_left = 0;
    down.pad_bottom = down.pad_right = 1;
    const std::vector<Case> cases = {{16, 24, 3, 13, 9, {}}, {16, 8, 1, 7, 5, {}}, {8, 16, 3, 11, 10, down}};
    for (const auto& cs : cases) {
        const int64_t n = 2;
        auto x = randn(size_t(n * cs.h * cs.w * cs.ic), 71), wf = randn(size_t(cs.oc * cs.ic * cs.k * cs.k), 72, 0.3f),
             bias = randn(size_t(cs.oc), 73);
        std::vector<float> w_exact;
        Tensor w = make_weight(DType::BF16, wf, {cs.oc, cs.ic, cs.k, cs.k}, w_exact);
        auto run = [&](int64_t band_flops) {
            Conv2dOptions opt = cs.opt;
            opt.band_flops = band_flops;
            Conv2d conv(cx, w, Tensor::from_f32(bias, {cs.oc}), opt);
            std::vector<float> y(size_t(n * conv.out_h(cs.h) * conv.out_w(cs.w) * cs.oc), -999.0f);
            conv.forward(x.data(), n, cs.h, cs.w, y.data());
            return y;
        };
        const std::vector<float> whole = run(0);
        const double row_flops = 2.0 * double(cs.oc * cs.ic * cs.k * cs.k) * double((cs.w + 1) / cs.opt.stride);
        for (int64_t rows : {1, 2, 4}) {
            const std::vector<float> banded = run(int64_t(row_flops * double(rows)));
            ASSERT_EQ(banded.size(), whole.size());
            for (size_t i = 0; i < whole.size(); ++i)
                ASSERT_NEAR(banded[i], whole[i], 1e-5 * (std::fabs(whole[i]) + 1.0))
                    << "k " << cs.k << " stride " << cs.opt.stride << " rows/band " << rows << " at " << i;
        }
    }
}

TEST(ConvCancel, FlagStopsBeforeAndBetweenBands) {
    Context cx(Precision::BF16, kCancelTestThreads);
    if (sanitized()) GTEST_SKIP() << "too slow under sanitizers";
    Conv2dOptions opt;
    opt.band_flops = int64_t(1) << 26;  // 67 MFLOP bands: ~72 of them
    const int64_t c = 64, h = 256, w = 256;
    std::vector<float> wf(size_t(c * c * 9), 0.01f), x(size_t(h * w * c), 1.0f), y(size_t(h * w * c), 0.0f);
    Conv2d conv(cx, Tensor::from_f32(wf, {c, c, 3, 3}), {}, opt);
    expect_cancel_stops_op(cx, "4.8 GFLOP Conv2d", [&] { conv.forward(x.data(), 1, h, w, y.data()); });
}

INSTANTIATE_TEST_SUITE_P(Prec, ConvP, ::testing::Values(Precision::F32, Precision::BF16),
                         [](const auto& info) { return std::string(info.param == Precision::F32 ? "f32" : "bf16"); });

// A set cancel flag stops a Linear before it starts; set while the emulated-bf16 GEMM runs, it
// stops the GEMM between blocks (long before the 34 GFLOP would be done) and the op throws.
TEST(LinearCancel, FlagStopsTheOpBeforeAndDuringTheGemm) {
    Context cx(Precision::BF16, kCancelTestThreads);
    const int64_t M = 512, K = 4096, N = 8192;
    if (cx.native_bf16() || sanitized()) GTEST_SKIP() << "oneDNN runs this shape; nothing to interrupt";
    Tensor w = Tensor::empty(DType::BF16, {N, K});
    std::memset(w.mutable_bytes(), 0, w.nbytes());
    Linear lin(cx, w);
    std::vector<float> x(size_t(M * K), 1.0f), y(size_t(M * N));
    expect_cancel_stops_op(cx, "34 GFLOP Linear", [&] { lin.forward(x.data(), M, y.data()); });
}

}  // namespace
}  // namespace pictor::engine::test
