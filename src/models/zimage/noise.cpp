#include "models/zimage/noise.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include "util/half.h"

namespace pictor::zimage {

// ---------------------------------------------------------------------------------------
// MT19937 as in ATen's core/MT19937RNGEngine.h. It produces std::mt19937's sequence, but we
// keep torch's own state layout (lazy twist on the first draw) so the code can be checked
// line by line against the reference.

void TorchCpuGenerator::manual_seed(uint64_t seed) {
    state_[0] = uint32_t(seed & 0xFFFFFFFFu);
    for (int j = 1; j < kN; ++j)
        state_[j] = 1812433253u * (state_[j - 1] ^ (state_[j - 1] >> 30)) + uint32_t(j);
    left_ = 1;
    next_ = 0;
    next_double_normal_.reset();
}

void TorchCpuGenerator::twist() {
    constexpr int kM = 397;
    constexpr uint32_t kMatrixA = 0x9908B0DFu, kUpper = 0x80000000u, kLower = 0x7FFFFFFFu;
    auto mix = [](uint32_t u, uint32_t v) {
        const uint32_t y = (u & kUpper) | (v & kLower);
        return (y >> 1) ^ ((v & 1u) ? kMatrixA : 0u);
    };
    int i = 0;
    for (; i < kN - kM; ++i) state_[i] = state_[i + kM] ^ mix(state_[i], state_[i + 1]);
    for (; i < kN - 1; ++i) state_[i] = state_[i + kM - kN] ^ mix(state_[i], state_[i + 1]);
    state_[kN - 1] = state_[kM - 1] ^ mix(state_[kN - 1], state_[0]);
    left_ = kN;
    next_ = 0;
}

uint32_t TorchCpuGenerator::random() {
    if (--left_ == 0) twist();
    uint32_t y = state_[size_t(next_++)];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9D2C5680u;
    y ^= (y << 15) & 0xEFC60000u;
    y ^= y >> 18;
    return y;
}

uint64_t TorchCpuGenerator::random64() {
    const uint64_t hi = random();
    const uint64_t lo = random();
    return (hi << 32) | lo;
}

namespace {

// uniform_real_distribution: as many random bits as the type's mantissa digits, scaled.
float uniform_f32(uint32_t r) { return float(r & 0xFFFFFFu) * 0x1p-24f; }
double uniform_f64(uint64_t r) { return double(r & ((uint64_t(1) << 53) - 1)) * 0x1p-53; }
float uniform_bf16(uint32_t r) { return float(r & 0xFFu) * 0x1p-8f; }

// --- A1: avx_mathfun.h log256_ps / sincos256_ps, as GCC compiles them for PyTorch's AVX2
// kernel (mul+add pairs contracted to FMAs exactly where written below; everything else
// rounds separately, which is why the project builds with -ffp-contract=off).

float cephes_log(float x) {  // x in (0, 1], always a normal number here (>= 2^-24)
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    float e = float(int32_t(bits >> 23) - 127) + 1.0f;
    const uint32_t mbits = (bits & ~0x7F800000u) | 0x3F000000u;  // exponent of 0.5
    float m;
    std::memcpy(&m, &mbits, 4);
    if (m < 0.707106781186547524f) {
        e = e - 1.0f;
        m = (m - 1.0f) + m;
    } else {
        m = m - 1.0f;
    }
    const float z = m * m;
    float y = 7.0376836292e-2f;
    for (float c : {-1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f, -1.6668057665e-1f,
                    2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f})
        y = std::fmaf(y, m, c);
    y = y * m;
    y = std::fmaf(y, z, e * -2.12194440e-4f);
    y = std::fmaf(-z, 0.5f, y);
    float r = m + y;
    r = std::fmaf(e, 0.693359375f, r);
    return r;
}

void cephes_sincos(float theta, float* s_out, float* c_out) {  // theta >= 0
    int32_t j = int32_t(theta * 1.27323954473516f);  // truncation, like cvttps2dq
    j = (j + 1) & ~1;
    const float y = float(j);
    float x = std::fmaf(y, -0.78515625f, theta);
    x = std::fmaf(y, -2.4187564849853515625e-4f, x);
    x = std::fmaf(y, -3.77489497744594108e-8f, x);
    const float z = x * x;

    float c = 2.443315711809948e-5f;
    c = std::fmaf(c, z, -1.388731625493765e-3f);
    c = std::fmaf(c, z, 4.166664568298827e-2f);
    c = c * z;
    c = std::fmaf(c, z, -(z * 0.5f));
    c = c + 1.0f;

    float s = -1.9515295891e-4f;
    s = std::fmaf(s, z, 8.3321608736e-3f);
    s = std::fmaf(s, z, -1.6666654611e-1f);
    s = s * z;
    s = std::fmaf(s, x, x);

    float sn = (j & 2) == 0 ? s : c;
    float cs = (j & 2) == 0 ? c : s;
    if ((j & 4) != 0) sn = -sn;
    if (((j - 2) & 4) == 0) cs = -cs;
    *s_out = sn;
    *c_out = cs;
}

// One block of 16 uniforms -> 16 normals (normal_fill_16_AVX2). The final fmaf(n, 1, 0) is
// torch's `* std + mean` with std 1, mean 0: exact except that it turns -0 into +0.
void fill16_avx2(float* d) {
    for (int j = 0; j < 8; ++j) {
        const float u1 = 1.0f - d[j];
        const float u2 = d[j + 8];
        const float radius = std::sqrt(-2.0f * cephes_log(u1));
        const float theta = 6.2831855f * u2;
        float s, c;
        cephes_sincos(theta, &s, &c);
        d[j] = std::fmaf(radius * c, 1.0f, 0.0f);
        d[j + 8] = std::fmaf(radius * s, 1.0f, 0.0f);
    }
}

// normal_fill_16<float>, the scalar kernel: libm float functions; theta = 2π·u2 in double.
void fill16_default(float* d) {
    for (int j = 0; j < 8; ++j) {
        const float u1 = 1.0f - d[j];
        const float u2 = d[j + 8];
        const float radius = std::sqrt(-2.0f * std::log(u1));
        const float theta = float(2.0 * std::numbers::pi * double(u2));
        d[j] = radius * std::cos(theta) * 1.0f + 0.0f;
        d[j + 8] = radius * std::sin(theta) * 1.0f + 0.0f;
    }
}

float bf16_round(float x) { return bf16_to_f32(f32_to_bf16(x)); }

// normal_fill_16<BFloat16>: every operator on c10::BFloat16 computes in float and rounds
// back to bf16; theta is a double product converted double -> float -> bf16.
void fill16_bf16(float* d) {
    for (int j = 0; j < 8; ++j) {
        const float u1 = bf16_round(1.0f - d[j]);
        const float u2 = d[j + 8];
        const float lg = bf16_round(std::log(u1));
        const float radius = bf16_round(std::sqrt(bf16_round(-2.0f * lg)));
        const float theta = bf16_round(float(2.0 * std::numbers::pi * double(u2)));
        const float c = bf16_round(std::cos(theta));
        const float s = bf16_round(std::sin(theta));
        d[j] = bf16_round(bf16_round(bf16_round(radius * c) * 1.0f) + 0.0f);
        d[j + 8] = bf16_round(bf16_round(bf16_round(radius * s) * 1.0f) + 0.0f);
    }
}

}  // namespace

double TorchCpuGenerator::normal_double() {
    if (next_double_normal_) {
        const double v = *next_double_normal_;
        next_double_normal_.reset();
        return v * 1.0 + 0.0;
    }
    const double u1 = uniform_f64(random64());
    const double u2 = uniform_f64(random64());
    const double r = std::sqrt(-2.0 * std::log1p(-u2));
    const double theta = 2.0 * std::numbers::pi * u1;
    next_double_normal_ = r * std::sin(theta);
    return r * std::cos(theta) * 1.0 + 0.0;
}

void TorchCpuGenerator::randn(float* out, size_t numel, NormalKernel kernel) {
    if (numel < 16) {  // Path B
        for (size_t i = 0; i < numel; ++i) out[i] = float(normal_double());
        return;
    }
    auto fill16 = kernel == NormalKernel::Avx2 ? fill16_avx2 : fill16_default;
    for (size_t i = 0; i < numel; ++i) out[i] = uniform_f32(random());
    for (size_t i = 0; i + 16 <= numel; i += 16) fill16(out + i);
    if (numel % 16 != 0) {
        // torch redraws the last 16 slots and transforms them as one more block, overwriting
        // up to 15 values of the last full block.
        float* tail = out + numel - 16;
        for (int i = 0; i < 16; ++i) tail[i] = uniform_f32(random());
        fill16(tail);
    }
}

std::vector<float> TorchCpuGenerator::randn(size_t numel, NormalKernel kernel) {
    std::vector<float> out(numel);
    randn(out.data(), numel, kernel);
    return out;
}

std::vector<uint16_t> TorchCpuGenerator::randn_bf16(size_t numel) {
    std::vector<uint16_t> out(numel);
    if (numel < 16) {  // Path B, double -> float -> bf16 like the C++ conversion chain
        for (size_t i = 0; i < numel; ++i) out[i] = f32_to_bf16(float(normal_double()));
        return out;
    }
    std::vector<float> v(numel);  // bf16 values held exactly in float
    for (size_t i = 0; i < numel; ++i) v[i] = uniform_bf16(random());
    for (size_t i = 0; i + 16 <= numel; i += 16) fill16_bf16(v.data() + i);
    if (numel % 16 != 0) {
        float* tail = v.data() + numel - 16;
        for (int i = 0; i < 16; ++i) tail[i] = uniform_bf16(random());
        fill16_bf16(tail);
    }
    for (size_t i = 0; i < numel; ++i) out[i] = f32_to_bf16(v[i]);
    return out;
}

}  // namespace pictor::zimage
