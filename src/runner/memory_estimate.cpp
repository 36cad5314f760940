#include "runner/memory_estimate.h"

#include <algorithm>

namespace pictor::runner {

uint64_t activation_bytes(const ActivationShape& s, int width, int height) {
    const uint64_t f32 = 4;
    // DiT: image tokens are 2×2 latent patches, plus the caption. Per token at the peak of a
    // block: residual + normed input (2·dim), fused QKV (3·dim), attention output (dim), and the
    // two SwiGLU projections (2·ffn). Flash attention never materialises the score matrix.
    const uint64_t patch = static_cast<uint64_t>(s.vae_scale) * 2;
    const uint64_t tokens = (width / patch) * (height / patch) + s.text_tokens;
    const uint64_t per_token = (6 * s.dit_dim + 2 * s.dit_ffn) * f32;
    const uint64_t dit = tokens * per_token * (s.cfg ? 2 : 1);
    // Text encoder: a few hidden-state buffers of the caption (its weights count as resident).
    const uint64_t text = static_cast<uint64_t>(s.text_tokens) * s.text_dim * 8 * f32;
    // VAE decode: at full resolution a ResNet block holds its input, a hidden and an output map
    // of vae_channels, plus the upsampler's input; tiled decoding bounds that to one tile, but
    // the assembled float image is always whole.
    const uint64_t tw = std::min<int64_t>(width, s.vae_tile), th = std::min<int64_t>(height, s.vae_tile);
    const uint64_t vae = 4 * tw * th * s.vae_channels * f32 + static_cast<uint64_t>(width) * height * 3 * f32 * 2;
    // The phases run one after another, so the peak is the largest of them.
    return std::max({dit, text, vae});
}

}  // namespace pictor::runner
