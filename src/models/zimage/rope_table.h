// Z-Image's 3-axis rotary embedding tables (diffusers RopeEmbedder, spec §3.3 d).
//
// Each axis a (frame, row, column) has d_a/2 frequencies ω_j = theta^(-2j/d_a). diffusers
// builds the per-axis tables once for positions 0..axes_lens[a]-1 with the angle pos·ω in
// float64, rounds the angle to float32 and then takes float32 cos/sin; we do the same so the
// rotations match it to the last bit that matters. A token's rotation row is the
// concatenation [axis0 | axis1 | axis2] looked up at its (p0, p1, p2).
#pragma once

#include <cstdint>
#include <vector>

#include "models/zimage/transformer_config.h"

namespace pictor::zimage {

class RopeTable {
public:
    RopeTable() = default;
    explicit RopeTable(const TransformerConfig& cfg);

    // (cos, sin) pairs per token: head_dim / 2.
    int64_t pairs() const { return pairs_; }
    // Writes pairs()·2 floats (cos, sin interleaved, the layout engine::rope_interleaved reads)
    // for position (p0, p1, p2). Error(InvalidArgument) when a position is beyond axes_lens,
    // i.e. the image or caption is larger than the model's tables allow.
    void fill(int64_t p0, int64_t p1, int64_t p2, float* dst) const;

private:
    int64_t pairs_ = 0;
    std::vector<int64_t> half_;            // d_a / 2 per axis
    std::vector<int64_t> lens_;            // axes_lens
    std::vector<std::vector<float>> axis_;  // per axis: [len, d_a/2, 2]
};

}  // namespace pictor::zimage
