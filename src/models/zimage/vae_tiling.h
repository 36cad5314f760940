// Tiled VAE decoding, exactly diffusers' AutoencoderKL.tiled_decode (with enable_tiling()):
//
//   tile_latent = int(sample_size / 2^(blocks-1))      latent px per tile side (128 for Z-Image)
//   stride      = int(tile_latent · (1 - 0.25))        latent px between tile origins (96)
//   blend       = int(sample_size · 0.25)              image px blended at each seam (256)
//   row_limit   = sample_size - blend                  image px each tile keeps (768)
//
// Tiles start at every multiple of `stride` below the latent size (row-major, the last ones may
// be small), are decoded independently, then, in that order and IN PLACE, each tile's top
// `blend` rows are cross-faded with the bottom rows of the (already blended) tile above and its
// left `blend` columns with the right columns of the (already blended) tile to its left, with
// weight k/blend for the current tile at row/column k; finally each tile is cropped to its top-left
// row_limit × row_limit px and the crops are concatenated. Ollama's tiler is the same algorithm
// with 64-latent tiles, i.e. sample_size 512 (spec reference-ollama-imagegen.md §6.7).
// diffusers only tiles when a latent side exceeds tile_latent; so does VaeDecoder.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace pictor::zimage {

struct VaeConfig;

struct VaeTileParams {
    int64_t tile_latent = 0, stride_latent = 0, blend = 0, row_limit = 0;
    // diffusers' values for a config (see above).
    static VaeTileParams from_config(const VaeConfig& cfg);
    // Same rule for another tile size in image px (sample_size).
    static VaeTileParams for_tile_size(int64_t tile_px, int64_t scale_factor);
    // True when a latent of h×w needs more than one tile.
    bool needs_tiling(int64_t h, int64_t w) const { return h > tile_latent || w > tile_latent; }
};

// Decodes one planar latent tile [channels, h, w] to planar [out_channels, h·f, w·f].
using VaeTileDecoder = std::function<std::vector<float>(std::span<const float> z, int64_t h, int64_t w)>;

// z planar [channels, h, w] -> planar [out_channels, h·f, w·f], decoding tile by tile.
// Keeps only two rows of decoded tiles alive. Error(Unsupported) for tile sizes where diffusers'
// crops would not add up to the image size (sample_size not a multiple of 4·f).
std::vector<float> vae_tiled_decode(std::span<const float> z, int64_t channels, int64_t h, int64_t w,
                                    int64_t scale_factor, int64_t out_channels, const VaeTileParams& params,
                                    const VaeTileDecoder& decode_tile);

}  // namespace pictor::zimage
