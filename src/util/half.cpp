#include "util/half.h"

namespace pictor {

uint16_t f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = uint16_t((u >> 16) & 0x8000u);
    uint32_t au = u & 0x7fffffffu;
    if (au > 0x7f800000u) return uint16_t(sign | 0x7e00u);
    if (au >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to >= 65520 -> inf
    if (au < 0x38800000u) {                                      // subnormal or zero in f16
        float a = f32_from_bits(au);
        // a * 2^24 rounded to nearest even gives the subnormal mantissa.
        float m = std::nearbyint(a * 16777216.0f);
        return uint16_t(sign | uint16_t(m));
    }
    uint32_t r = au + 0xfffu + ((au >> 13) & 1u);
    return uint16_t(sign | uint16_t(((r >> 13) - (112u << 10)) & 0x7fffu));
}

float f8e4m3_to_f32(uint8_t v) {
    uint32_t sign = v & 0x80u, exp = (v >> 3) & 0xf, man = v & 7u;
    float r;
    if (exp == 15 && man == 7) return std::nanf("");
    if (exp == 0) r = std::ldexp(float(man), -9);
    else r = std::ldexp(float(8 + man), int(exp) - 10);
    return sign ? -r : r;
}

uint8_t f32_to_f8e4m3(float f) {
    if (std::isnan(f)) return 0x7f;
    uint8_t sign = std::signbit(f) ? 0x80 : 0;
    float a = std::fabs(f);
    if (a >= 448.0f) return uint8_t(sign | 0x7e);  // saturate
    if (a < std::ldexp(1.0f, -6)) {                // subnormal range: step 2^-9
        float m = std::nearbyint(a * 512.0f);      // ties to even (default rounding mode)
        return uint8_t(sign | uint8_t(m));         // m == 8 becomes the smallest normal: correct
    }
    int e;
    std::frexp(a, &e);  // a = x * 2^e, x in [0.5, 1)
    int exp = e - 1;    // a in [2^exp, 2^(exp+1))
    float scaled = std::nearbyint(std::ldexp(a, 3 - exp));  // in [8, 16]
    int man = int(scaled) - 8;
    if (man == 8) { man = 0; ++exp; }
    int biased = exp + 7;
    if (biased > 15 || (biased == 15 && man > 6)) return uint8_t(sign | 0x7e);
    return uint8_t(sign | uint8_t(biased << 3) | uint8_t(man));
}

}  // namespace pictor
