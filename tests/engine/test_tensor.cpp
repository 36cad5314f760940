// Tensor storage/view semantics and the storage-type conversions.
#include <cstring>

#include "engine/tensor.h"
#include "engine_test_util.h"
#include "util/error.h"

namespace pictor::engine::test {
namespace {

TEST(Tensor, OwningZerosReshapeClone) {
    Tensor t = Tensor::zeros(DType::F32, {2, 3, 4});
    EXPECT_EQ(t.numel(), 24);
    EXPECT_EQ(t.nbytes(), 96u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.bytes()) % 64, 0u);
    EXPECT_EQ(t.f32()[23], 0.0f);
    Tensor v = t.reshape({6, -1});
    EXPECT_EQ(v.dim(1), 4);
    EXPECT_EQ(v.dim(-1), 4);
    v.f32()[5] = 7.0f;  // views share storage
    EXPECT_EQ(t.f32()[5], 7.0f);
    Tensor c = t.clone();
    c.f32()[5] = 1.0f;
    EXPECT_EQ(t.f32()[5], 7.0f);
    EXPECT_THROW(t.reshape({5, 5}), Error);
}

TEST(Tensor, BorrowedIsReadOnlyAndChecksSize) {
    std::vector<uint16_t> raw = {0x3f80, 0xc000, 0x0000};  // bf16 1, -2, 0
    auto bytes = std::as_bytes(std::span(raw));
    Tensor t = Tensor::borrow(DType::BF16, {3}, bytes);
    EXPECT_TRUE(t.borrowed());
    EXPECT_EQ(t.bytes(), bytes.data());
    EXPECT_THROW(t.mutable_bytes(), Error);
    EXPECT_THROW(t.f32(), Error);
    Tensor f = t.to_f32();
    EXPECT_EQ(f.f32()[0], 1.0f);
    EXPECT_EQ(f.f32()[1], -2.0f);
    EXPECT_THROW(Tensor::borrow(DType::BF16, {4}, bytes), Error);
}

TEST(Convert, AllDtypesExactAgainstScalar) {
    const int n = 1000 + 5;  // vector body + tail
    std::vector<uint16_t> bf(n), hf(n);
    std::vector<uint8_t> f8(n);
    auto x = randn(n, 21, 3.0f);
    for (int i = 0; i < n; ++i) {
        bf[i] = f32_to_bf16(x[i]);
        hf[i] = f32_to_f16(x[i]);
        f8[i] = uint8_t(i & 0xff);  // every fp8 code, subnormals included
    }
    std::vector<float> out(n);
    to_f32(bf.data(), DType::BF16, n, out.data());
    for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], bf16_to_f32(bf[i]));
    to_f32(hf.data(), DType::F16, n, out.data());
    for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], f16_to_f32(hf[i]));
    to_f32(f8.data(), DType::F8_E4M3, n, out.data());
    for (int i = 0; i < n; ++i) {
        if ((f8[i] & 0x7f) == 0x7f) continue;  // NaN code: documented as not preserved
        ASSERT_EQ(out[i], f8e4m3_to_f32(f8[i])) << int(f8[i]);
    }
    f8_to_f32_scaled(f8.data(), 0.37f, n, out.data());
    for (int i = 0; i < n; ++i)
        if ((f8[i] & 0x7f) != 0x7f) {
            ASSERT_EQ(out[i], f8e4m3_to_f32(f8[i]) * 0.37f);
        }
    std::vector<uint16_t> back(n);
    f32_to_bf16_n(x.data(), n, back.data());
    for (int i = 0; i < n; ++i) ASSERT_EQ(back[i], f32_to_bf16(x[i]));
    round_to_bf16(x.data(), n, out.data());
    for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], bf16_to_f32(f32_to_bf16(x[i])));
    to_bf16(hf.data(), DType::F16, n, back.data());
    for (int i = 0; i < n; ++i) ASSERT_EQ(back[i], f32_to_bf16(f16_to_f32(hf[i])));
}

}  // namespace
}  // namespace pictor::engine::test
