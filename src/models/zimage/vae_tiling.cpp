#include "models/zimage/vae_tiling.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "models/zimage/vae_decoder.h"
#include "util/error.h"

namespace pictor::zimage {
namespace {

// A decoded tile, planar [c, rows, cols].
struct Tile {
    std::vector<float> px;
    int64_t rows = 0, cols = 0;
    float* at(int64_t ch, int64_t y) { return px.data() + (ch * rows + y) * cols; }
};

// The cross-fade weights exactly as PyTorch evaluates `a * (1 - y / e) + b * (y / e)` on float32
// tensors: the Python-float factors are rounded to float, each product and the sum in float
// (-ffp-contract=off keeps them unfused).
struct Fade {
    float keep_prev, take_cur;
    Fade(int64_t k, int64_t extent)
        : keep_prev(float(1.0 - double(k) / double(extent))), take_cur(float(double(k) / double(extent))) {}
    float operator()(float prev, float cur) const { return prev * keep_prev + cur * take_cur; }
};

// diffusers blend_v: b's top rows fade in from a's bottom rows.
void blend_v(Tile& a, Tile& b, int64_t channels, int64_t extent) {
    extent = std::min({a.rows, b.rows, extent});
    const int64_t cols = std::min(a.cols, b.cols);  // equal: tiles of one column share a width
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t y = 0; y < extent; ++y) {
            const Fade f(y, extent);
            const float* pa = a.at(c, a.rows - extent + y);
            float* pb = b.at(c, y);
            for (int64_t x = 0; x < cols; ++x) pb[x] = f(pa[x], pb[x]);
        }
}

// diffusers blend_h: b's left columns fade in from a's right columns.
void blend_h(Tile& a, Tile& b, int64_t channels, int64_t extent) {
    extent = std::min({a.cols, b.cols, extent});
    const int64_t rows = std::min(a.rows, b.rows);  // equal: tiles of one row share a height
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t y = 0; y < rows; ++y) {
            const float* pa = a.at(c, y) + a.cols - extent;
            float* pb = b.at(c, y);
            for (int64_t x = 0; x < extent; ++x) pb[x] = Fade(x, extent)(pa[x], pb[x]);
        }
}

}  // namespace

VaeTileParams VaeTileParams::for_tile_size(int64_t tile_px, int64_t scale_factor) {
    VaeTileParams p;
    // Integer truncations as in diffusers: int(sample_size / 2**n), int(latent * 0.75), int(size * 0.25).
    p.tile_latent = int64_t(double(tile_px) / double(scale_factor));
    p.stride_latent = int64_t(double(p.tile_latent) * (1.0 - 0.25));
    p.blend = int64_t(double(tile_px) * 0.25);
    p.row_limit = tile_px - p.blend;
    return p;
}

VaeTileParams VaeTileParams::from_config(const VaeConfig& cfg) {
    return for_tile_size(cfg.sample_size, cfg.scale_factor());
}

std::vector<float> vae_tiled_decode(std::span<const float> z, int64_t channels, int64_t h, int64_t w,
                                    int64_t f, int64_t out_channels, const VaeTileParams& p,
                                    const VaeTileDecoder& decode_tile) {
    if (int64_t(z.size()) != channels * h * w) fail(ErrorKind::InvalidArgument, "VAE tiling: latent size mismatch");
    // The crops tile the image exactly iff a tile's kept part equals the tile stride in px.
    if (p.tile_latent < 1 || p.stride_latent < 1 || p.stride_latent * f != p.row_limit)
        fail(ErrorKind::Unsupported, "VAE tiling: tile size " + std::to_string(p.row_limit + p.blend) +
                                         " px is not a multiple of 4 x " + std::to_string(f) +
                                         " (diffusers' crops would not add up to the image)");
    const int64_t H = h * f, W = w * f;
    std::vector<float> out(size_t(out_channels * H * W));
    std::vector<Tile> prev_row, row;
    std::vector<float> zt;
    int64_t out_y = 0;
    for (int64_t i = 0; i < h; i += p.stride_latent) {
        const int64_t th = std::min(p.tile_latent, h - i);
        row.clear();
        int64_t out_x = 0;
        for (int64_t j = 0; j < w; j += p.stride_latent) {
            const int64_t tw = std::min(p.tile_latent, w - j);
            zt.resize(size_t(channels * th * tw));
            for (int64_t c = 0; c < channels; ++c)
                for (int64_t y = 0; y < th; ++y)
                    std::memcpy(zt.data() + (c * th + y) * tw, z.data() + (c * h + i + y) * w + j,
                                size_t(tw) * sizeof(float));
            Tile t{decode_tile(zt, th, tw), th * f, tw * f};
            if (int64_t(t.px.size()) != out_channels * t.rows * t.cols)
                fail(ErrorKind::Internal, "VAE tiling: tile decoder returned the wrong size");
            const size_t col = row.size();
            if (!prev_row.empty()) blend_v(prev_row[col], t, out_channels, p.blend);
            if (col > 0) blend_h(row[col - 1], t, out_channels, p.blend);
            const int64_t keep_h = std::min(p.row_limit, t.rows), keep_w = std::min(p.row_limit, t.cols);
            for (int64_t c = 0; c < out_channels; ++c)
                for (int64_t y = 0; y < keep_h; ++y)
                    std::memcpy(out.data() + (c * H + out_y + y) * W + out_x, t.at(c, y), size_t(keep_w) * sizeof(float));
            out_x += keep_w;
            row.push_back(std::move(t));
        }
        out_y += std::min(p.row_limit, th * f);
        std::swap(prev_row, row);
    }
    return out;
}

}  // namespace pictor::zimage
