// FP8 (E4M3) weight quantization with one float32 scale per output row (product.md §2.8).
// Eligibility is the reference's rule (§5.2); no group-size check because the scale is per row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "store/safetensors.h"

namespace pictor::create {

inline constexpr std::string_view kQuantizeFp8 = "fp8";
inline constexpr float kFp8Max = 448.0f;  // largest finite E4M3FN value

// Whether a tensor is stored quantized: not in the VAE; `.weight` (and not `.bias`); none of
// audio_tower / embed_audio / embed / norm / ln_ / layernorm in the name; rank >= 2 with a
// non-empty last dimension; a float dtype.
bool should_quantize_fp8(std::string_view component, std::string_view name, store::DType dtype,
                         std::span<const int64_t> shape);

bool is_float_dtype(store::DType t);

// Per-row scales of a [rows, cols] tensor stored in `dtype`: max|w[r,:]| / 448 over the finite
// values, 1 for rows that are all zero (or non-finite), so that w / scale fits E4M3's range.
void fp8_row_scales(const std::byte* src, store::DType dtype, int64_t rows, int64_t cols, float* scales);

// Quantizes rows [row0, row0 + nrows) into out[(r - row0) * cols + c] = f8e4m3(w[r,c] / scale[r])
// (saturating, round to nearest even).
void fp8_quantize_rows(const std::byte* src, store::DType dtype, int64_t cols, const float* scales,
                       int64_t row0, int64_t nrows, uint8_t* out);

}  // namespace pictor::create
