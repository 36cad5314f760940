#include "create/quantize_fp8.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "util/error.h"
#include "util/half.h"

namespace pictor::create {

using store::DType;

bool is_float_dtype(DType t) {
    return t == DType::F64 || t == DType::F32 || t == DType::F16 || t == DType::BF16 || t == DType::F8_E4M3 ||
           t == DType::F8_E5M2;
}

bool should_quantize_fp8(std::string_view component, std::string_view name, DType dtype,
                         std::span<const int64_t> shape) {
    if (component == "vae") return false;
    for (std::string_view bad : {"audio_tower", "embed_audio", "embed", "norm", "ln_", "layernorm"})
        if (name.find(bad) != std::string_view::npos) return false;
    if (name.ends_with(".bias") || !name.ends_with(".weight")) return false;
    if (shape.size() < 2 || shape.back() < 1 || shape.front() < 1) return false;
    return is_float_dtype(dtype);
}

namespace {

inline float f8e5m2_to_f32(uint8_t v) {
    // E5M2 is the top byte of an IEEE half.
    return f16_to_f32(uint16_t(uint16_t(v) << 8));
}

// Converts one row to float32. Rows are converted into a small buffer rather than element by
// element through a switch so the hot loops stay simple and vectorisable.
void row_to_f32(const std::byte* src, DType dtype, int64_t cols, float* dst) {
    switch (dtype) {
        case DType::F32: std::memcpy(dst, src, size_t(cols) * 4); return;
        case DType::BF16: {
            const auto* p = reinterpret_cast<const unsigned char*>(src);
            for (int64_t c = 0; c < cols; ++c) {
                uint16_t h;
                std::memcpy(&h, p + 2 * c, 2);
                dst[c] = bf16_to_f32(h);
            }
            return;
        }
        case DType::F16: {
            const auto* p = reinterpret_cast<const unsigned char*>(src);
            for (int64_t c = 0; c < cols; ++c) {
                uint16_t h;
                std::memcpy(&h, p + 2 * c, 2);
                dst[c] = f16_to_f32(h);
            }
            return;
        }
        case DType::F64: {
            const auto* p = reinterpret_cast<const unsigned char*>(src);
            for (int64_t c = 0; c < cols; ++c) {
                double d;
                std::memcpy(&d, p + 8 * c, 8);
                dst[c] = float(d);
            }
            return;
        }
        case DType::F8_E4M3: {
            const auto* p = reinterpret_cast<const uint8_t*>(src);
            for (int64_t c = 0; c < cols; ++c) dst[c] = f8e4m3_to_f32(p[c]);
            return;
        }
        case DType::F8_E5M2: {
            const auto* p = reinterpret_cast<const uint8_t*>(src);
            for (int64_t c = 0; c < cols; ++c) dst[c] = f8e5m2_to_f32(p[c]);
            return;
        }
        default: fail(ErrorKind::Internal, "fp8 quantization of a non-float tensor");
    }
}

}  // namespace

void fp8_row_scales(const std::byte* src, DType dtype, int64_t rows, int64_t cols, float* scales) {
    const size_t row_bytes = size_t(cols) * store::dtype_size(dtype);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        row_to_f32(src + size_t(r) * row_bytes, dtype, cols, row.data());
        float m = 0.0f;
        for (float v : row) {
            float a = std::fabs(v);
            if (std::isfinite(a) && a > m) m = a;
        }
        float s = m / kFp8Max;
        // A zero row gets scale 1 (any scale reproduces zeros; 1 avoids dividing by zero), and
        // so does a row of subnormal magnitude whose scale would underflow to 0.
        scales[r] = (s > 0.0f && std::isfinite(s)) ? s : 1.0f;
    }
}

void fp8_quantize_rows(const std::byte* src, DType dtype, int64_t cols, const float* scales, int64_t row0,
                       int64_t nrows, uint8_t* out) {
    const size_t row_bytes = size_t(cols) * store::dtype_size(dtype);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t i = 0; i < nrows; ++i) {
        const int64_t r = row0 + i;
        row_to_f32(src + size_t(r) * row_bytes, dtype, cols, row.data());
        const float s = scales[r];
        uint8_t* o = out + size_t(i) * size_t(cols);
        for (int64_t c = 0; c < cols; ++c) o[c] = f32_to_f8e4m3(row[size_t(c)] / s);
    }
}

}  // namespace pictor::create
