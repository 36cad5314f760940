// Small PNG decoder (libpng) used by tests and by image inputs: whatever the file's colour
// type or bit depth, the result is 8-bit RGB plus its text chunks (tEXt, zTXt, iTXt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/png_writer.h"

namespace pictor {

struct DecodedPng {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> rgb;   // height·width·3, row-major
    bool had_alpha = false;     // the alpha channel (if any) was dropped
    std::vector<PngText> text;  // in file order

    // Value of the first text chunk with this key, or nullptr.
    const std::string* find_text(const std::string& key) const;
};

DecodedPng decode_png(const uint8_t* data, size_t size);
DecodedPng read_png_file(const std::string& path);

}  // namespace pictor
