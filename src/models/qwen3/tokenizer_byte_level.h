// The GPT-2 byte-to-unicode alphabet used by byte-level BPE (Qwen2/Qwen3, GPT-2, Llama 3).
// Every byte 0..255 gets one printable code point, so that BPE can work on "characters" while
// still being able to represent arbitrary bytes: printable Latin-1 bytes map to themselves and the
// other 68 bytes (controls, space, 0x7f-0xa0, 0xad) map to U+0100.. in byte order.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace pictor::qwen3 {

// Code point that stands for each byte.
constexpr std::array<char32_t, 256> byte_to_unicode_table() {
    std::array<char32_t, 256> table{};
    char32_t next_extra = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
        table[b] = printable ? static_cast<char32_t>(b) : next_extra++;
    }
    return table;
}

// Byte that a code point of the alphabet stands for, or -1 if the code point is not in it.
// The alphabet lies entirely below U+0144, so a small table covers it.
constexpr std::array<int16_t, 324> unicode_to_byte_table() {
    std::array<int16_t, 324> table{};
    for (auto& v : table) v = -1;
    const auto forward = byte_to_unicode_table();
    for (int b = 0; b < 256; ++b) table[forward[b]] = static_cast<int16_t>(b);
    return table;
}

inline void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

}  // namespace pictor::qwen3
