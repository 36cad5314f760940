// The peak working memory of one Z-Image generation beyond the resident weights, from the model's
// dimensions. A formula rather than a measurement so that the server can show it before a
// request runs; it counts the large float32 buffers the pipeline keeps alive at its peak and
// deliberately rounds up (product §2.10: warn honestly, refuse only what cannot fit).
#pragma once

#include <cstdint>

namespace pictor::runner {

struct ActivationShape {
    int64_t dit_dim = 3840;        // transformer hidden width
    int64_t dit_ffn = 10240;       // SwiGLU hidden width
    int64_t text_tokens = 512;     // caption tokens (the pipeline truncates to 512)
    int64_t text_dim = 2560;       // text encoder hidden width
    int64_t vae_channels = 128;    // widest full-resolution VAE block (block_out_channels[0])
    int64_t vae_scale = 8;         // pixels per latent
    int64_t vae_tile = 512;        // pixel side above which the VAE decodes in tiles
    bool cfg = false;              // classifier-free guidance doubles the DiT batch
};

// Bytes of activations for a width×height image.
uint64_t activation_bytes(const ActivationShape& s, int width, int height);

}  // namespace pictor::runner
