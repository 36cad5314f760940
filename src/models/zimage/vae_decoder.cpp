#include "models/zimage/vae_decoder.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "engine/ops.h"
#include "models/zimage/vae_attention.h"
#include "models/zimage/vae_layers.h"
#include "models/zimage/vae_resnet.h"
#include "models/zimage/vae_tiling.h"
#include "models/zimage/vae_upsample.h"
#include "util/error.h"

namespace pictor::zimage {
namespace {

// diffusers UpDecoderBlock2D: layers_per_block+1 ResNets, then (all but the last block) Upsample2D.
struct UpBlock {
    std::vector<VaeResnet> resnets;
    std::optional<VaeUpsample> upsample;
};

// Bytes MemAvailable reports, or 0 when /proc/meminfo cannot be read (then memory never forces tiling).
size_t mem_available_bytes() {
    std::ifstream f("/proc/meminfo");
    std::string key;
    size_t kb = 0;
    std::string unit;
    while (f >> key >> kb >> unit)
        if (key == "MemAvailable:") return kb * 1024;
    return 0;
}

}  // namespace

struct VaeDecoder::Impl {
    engine::Context* cx = nullptr;
    VaeConfig cfg;
    engine::Conv2d conv_in;
    VaeResnet mid_res0, mid_res1;
    std::optional<VaeAttention> mid_attn;
    std::vector<UpBlock> up;
    VaeGroupNorm norm_out;
    engine::Conv2d conv_out;

    // Reused activations: three buffers of `cap` floats (see VaeBuffers) plus the NHWC latent.
    engine::AlignedBuffer act[3];
    size_t cap = 0;
    std::vector<float> z_nhwc;

    // Floats each activation buffer needs for a latent of h×w: the largest tensor any block
    // reads, writes or keeps as a temporary (walks the same plan as forward()).
    int64_t buffer_floats(int64_t h, int64_t w) const {
        const int64_t top = cfg.block_out_channels.back();
        int64_t hw = h * w, need = hw * top;
        if (mid_attn) need = std::max(need, 3 * hw * top);  // fused q|k|v
        for (const UpBlock& b : up) {
            for (const VaeResnet& r : b.resnets) need = std::max(need, hw * std::max(r.in_channels(), r.out_channels()));
            if (b.upsample) {
                hw *= 4;
                need = std::max(need, hw * b.resnets.back().out_channels());
            }
        }
        return std::max(need, hw * cfg.out_channels);
    }

    // Peak bytes of an untiled decode: three activation buffers, the engine's conv input copy
    // (about one more buffer), the output, and the mid attention's packed K/V.
    size_t peak_bytes(int64_t h, int64_t w) const {
        const double f = double(cfg.scale_factor());
        const double acts = 4.0 * double(buffer_floats(h, w)) * sizeof(float);
        const double out = double(cfg.out_channels) * h * f * w * f * sizeof(float);
        const double kv = 2.0 * double(h * w * cfg.block_out_channels.back()) * sizeof(float);
        return size_t(acts + out + kv);
    }

    VaeBuffers buffers(int64_t h, int64_t w) {
        const size_t need = size_t(buffer_floats(h, w));
        if (need > cap) {
            for (auto& b : act) b = engine::AlignedBuffer();  // free before growing: peak memory
            for (auto& b : act) b.ensure(need * sizeof(float));
            cap = need;
        }
        return {act[0].as<float>(), act[1].as<float>(), act[2].as<float>()};
    }

    // One image, no tiling: z planar [latent, h, w] -> planar [out, h·f, w·f].
    std::vector<float> decode_direct(std::span<const float> z, int64_t h, int64_t w, models::CancelFlag cancel) {
        engine::Context& c = *cx;
        const int64_t lc = cfg.latent_channels, hw = h * w;
        // Planar -> NHWC once; everything after runs in NHWC, which oneDNN convolves fastest.
        z_nhwc.resize(size_t(lc * hw));
        for (int64_t ch = 0; ch < lc; ++ch)
            for (int64_t p = 0; p < hw; ++p) z_nhwc[size_t(p * lc + ch)] = z[size_t(ch * hw + p)];
        const VaeBuffers buf = buffers(h, w);
        conv_in.forward(z_nhwc.data(), 1, h, w, buf.x);
        models::throw_if_cancelled(cancel);
        mid_res0.forward(c, buf, h, w);
        if (mid_attn) mid_attn->forward(c, buf, hw);
        mid_res1.forward(c, buf, h, w);
        int64_t H = h, W = w;
        for (UpBlock& b : up) {
            for (VaeResnet& r : b.resnets) {
                models::throw_if_cancelled(cancel);
                r.forward(c, buf, H, W);
            }
            if (b.upsample) {
                models::throw_if_cancelled(cancel);
                b.upsample->forward(c, buf, H, W);
                H *= 2;
                W *= 2;
            }
        }
        norm_out.apply(c, buf.x, buf.t, H * W, /*silu=*/true);
        conv_out.forward(buf.t, 1, H, W, buf.h);
        // NHWC -> planar (the only full-size copy out of the buffers).
        const int64_t oc = cfg.out_channels, HW = H * W;
        std::vector<float> out(size_t(oc * HW));
        const float* src = buf.h;
        float* dst = out.data();
#pragma omp parallel for num_threads(c.num_threads()) schedule(static)
        for (int64_t p = 0; p < HW; ++p)
            for (int64_t ch = 0; ch < oc; ++ch) dst[ch * HW + p] = src[p * oc + ch];
        return out;
    }
};

VaeDecoder::VaeDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VaeDecoder::~VaeDecoder() = default;
const VaeConfig& VaeDecoder::config() const { return impl_->cfg; }

std::unique_ptr<VaeDecoder> VaeDecoder::load(engine::Context& cx, const store::ModelFiles& files) {
    auto m = std::make_unique<Impl>();
    m->cx = &cx;
    m->cfg = VaeConfig::parse(files.require_text("vae/config.json"));
    const VaeConfig& c = m->cfg;
    const int64_t g = c.norm_num_groups;
    // Decoder channels run through block_out_channels reversed: up_blocks[i] outputs rev[i].
    std::vector<int64_t> rev(c.block_out_channels.rbegin(), c.block_out_channels.rend());
    const int64_t top = rev.front();
    m->conv_in = load_vae_conv(cx, files, "decoder.conv_in", top, c.latent_channels, 3);
    m->mid_res0 = VaeResnet::load(cx, files, "decoder.mid_block.resnets.0", top, top, g);
    if (c.mid_block_add_attention)
        m->mid_attn = VaeAttention::load(cx, files, "decoder.mid_block.attentions.0", top, g);
    m->mid_res1 = VaeResnet::load(cx, files, "decoder.mid_block.resnets.1", top, top, g);
    int64_t prev = top;
    for (size_t i = 0; i < rev.size(); ++i) {
        const std::string p = "decoder.up_blocks." + std::to_string(i);
        UpBlock b;
        for (int64_t j = 0; j <= c.layers_per_block; ++j) {
            b.resnets.push_back(
                VaeResnet::load(cx, files, p + ".resnets." + std::to_string(j), j == 0 ? prev : rev[i], rev[i], g));
        }
        if (i + 1 < rev.size()) b.upsample = VaeUpsample::load(cx, files, p + ".upsamplers.0", rev[i]);
        prev = rev[i];
        m->up.push_back(std::move(b));
    }
    // A checkpoint with more blocks or layers than the config says would otherwise load silently.
    const std::string extra_block = "decoder.up_blocks." + std::to_string(rev.size()) + ".resnets.0.conv1.weight";
    const std::string extra_layer = "decoder.up_blocks.0.resnets." + std::to_string(c.layers_per_block + 1) + ".conv1.weight";
    const std::string extra_attn = "decoder.mid_block.attentions.0.to_q.weight";
    for (const std::string& n : {extra_block, extra_layer, c.mid_block_add_attention ? std::string() : extra_attn})
        if (!n.empty() && files.find("vae", n))
            fail(ErrorKind::Corrupt, "vae/" + n + " exists but vae/config.json does not describe it");
    m->norm_out = VaeGroupNorm::load(files, "decoder.conv_norm_out", rev.back(), g);
    m->conv_out = load_vae_conv(cx, files, "decoder.conv_out", c.out_channels, rev.back(), 3);
    return std::unique_ptr<VaeDecoder>(new VaeDecoder(std::move(m)));
}

std::vector<float> VaeDecoder::decode(std::span<const float> z, int64_t h, int64_t w, VaeTiling tiling,
                                      models::CancelFlag cancel) {
    Impl& m = *impl_;
    const VaeConfig& c = m.cfg;
    if (h <= 0 || w <= 0 || int64_t(z.size()) != c.latent_channels * h * w)
        fail(ErrorKind::InvalidArgument, "VAE decode: latent of " + std::to_string(z.size()) + " values is not [" +
                                             std::to_string(c.latent_channels) + ", " + std::to_string(h) + ", " +
                                             std::to_string(w) + "]");
    const int64_t f = c.scale_factor();
    VaeTileParams tp = VaeTileParams::from_config(c);
    bool tile = tiling == VaeTiling::On;
    if (tiling == VaeTiling::Auto) {
        // Large images: tile like diffusers would with enable_tiling(). Memory: count the buffers
        // already held as available, since a larger decode frees them first.
        const bool large = h * f * w * f > int64_t(1024) * 1024;
        const size_t avail = mem_available_bytes();
        const size_t held = 3 * m.cap * sizeof(float);
        auto fits = [&](int64_t th, int64_t tw) { return avail == 0 || m.peak_bytes(th, tw) <= avail + held; };
        const bool short_mem = !fits(h, w);
        tile = large || short_mem;
        // If even one tile of the configured size does not fit, halve the tile until it does
        // (results then differ from diffusers' tile size, which beats running out of memory).
        if (short_mem)
            while (tp.tile_latent > 16 && !fits(std::min(h, tp.tile_latent), std::min(w, tp.tile_latent)))
                tp = VaeTileParams::for_tile_size((tp.row_limit + tp.blend) / 2, f);
    }
    if (!tile || !tp.needs_tiling(h, w)) return m.decode_direct(z, h, w, cancel);
    return vae_tiled_decode(z, c.latent_channels, h, w, f, c.out_channels, tp,
                            [&m, cancel](std::span<const float> zt, int64_t th, int64_t tw) {
                                return m.decode_direct(zt, th, tw, cancel);
                            });
}

size_t VaeDecoder::resident_bytes() const {
    const Impl& m = *impl_;
    size_t b = m.conv_in.resident_bytes() + m.mid_res0.resident_bytes() + m.mid_res1.resident_bytes() +
               (m.mid_attn ? m.mid_attn->resident_bytes() : 0) + m.norm_out.resident_bytes() +
               m.conv_out.resident_bytes();
    for (const UpBlock& u : m.up) {
        for (const VaeResnet& r : u.resnets) b += r.resident_bytes();
        if (u.upsample) b += u.upsample->resident_bytes();
    }
    return b + 3 * m.cap * sizeof(float) + m.z_nhwc.size() * sizeof(float);
}

}  // namespace pictor::zimage
