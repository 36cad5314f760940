// Scalar conversions between float32 and the 16/8-bit storage types (bf16, f16, fp8 E4M3).
// Round to nearest even everywhere; fp8 saturates to ±448 (no inf in E4M3FN).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace pictor {

inline uint32_t f32_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float f32_from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline float bf16_to_f32(uint16_t h) { return f32_from_bits(uint32_t(h) << 16); }
inline uint16_t f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
}

inline float f16_to_f32(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
    if (exp == 0) {
        if (man == 0) return f32_from_bits(sign);
        float v = std::ldexp(float(man), -24);
        return sign ? -v : v;
    }
    if (exp == 31) return f32_from_bits(sign | 0x7f800000u | (man << 13));
    return f32_from_bits(sign | ((exp + 112) << 23) | (man << 13));
}
uint16_t f32_to_f16(float f);

// FP8 E4M3FN: bias 7, no infinities, 0x7f/0xff = NaN, max finite 448.
float f8e4m3_to_f32(uint8_t v);
uint8_t f32_to_f8e4m3(float f);  // saturating, round to nearest even

}  // namespace pictor
