// In-memory PNG encoder for generated images. Speed matters more than size here (a 1024²
// image is written once per request and usually re-encoded by the client anyway), so zlib
// level 1 with the SUB filter: SUB is the cheapest filter that still helps on smooth images.
// Text chunks carry the generation parameters; ASCII values go into tEXt (readable by every
// tool), anything else into iTXt, the only chunk type that is defined to hold UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pictor {

struct PngText {
    std::string key;    // 1-79 printable Latin-1 characters, e.g. "prompt", "seed"
    std::string value;  // UTF-8
};

// pixels: height rows of width·channels bytes, no padding; channels 3 (RGB) or 4 (RGBA).
std::vector<uint8_t> encode_png(const uint8_t* pixels, int width, int height, int channels,
                                const std::vector<PngText>& text = {});

}  // namespace pictor
