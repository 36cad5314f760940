// Float image → 8-bit pixels exactly as the diffusers pipelines do it (spec §6.3):
// v = clamp(x·0.5 + 0.5, 0, 1) in float32, then v·255 rounded half to even (numpy round),
// converted from planar NCHW (the VAE's layout) to interleaved HWC (what PNG wants).
#pragma once

#include <cstdint>
#include <vector>

namespace pictor {

// One float value in [-1, 1] (VAE output scale) to a byte.
uint8_t unit_to_u8(float x);

// x: planar [channels, height, width] (batch item of an NCHW tensor); returns interleaved
// [height, width, channels]. channels is 3 or 4.
std::vector<uint8_t> planar_to_interleaved_u8(const float* x, int channels, int height, int width);

}  // namespace pictor
