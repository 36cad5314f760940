// The VAE decoder against diffusers' float32 AutoencoderKL decoder outputs of
// shared/testdata/zimage-dev (tiny random VAE, block_out_channels [32,32,64,64]) in F32 and BF16,
// tiled decoding against a literal port of diffusers' tiled_decode, config and weight validation.
#include "models/zimage/vae_decoder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "models/zimage/vae_tiling.h"
#include "store/model_files.h"
#include "util/error.h"
#include "util/npy.h"
#include "zimage_test_util.h"

namespace {

using pictor::zimage::test::dev_dir;
using pictor::zimage::test::DevModel;

using pictor::Error;
using pictor::ErrorKind;
using pictor::engine::Context;
using pictor::engine::Precision;
using pictor::store::ModelFiles;
using pictor::zimage::VaeConfig;
using pictor::zimage::VaeDecoder;
using pictor::zimage::VaeTileParams;
using pictor::zimage::VaeTiling;

using pictor::zimage::test::OverlayFiles;
using pictor::zimage::test::rel_l2;


std::vector<float> random_latent(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> z(static_cast<size_t>(n));
    for (float& v : z) v = d(rng);
    return z;
}

double run_case(VaeDecoder& vae, const char* name, const char* label) {
    const std::string dir = dev_dir() + "cases/" + name + "/";
    pictor::NpyArray in = pictor::read_npy(dir + "vae_input.npy");
    const int64_t h = in.shape.at(2), w = in.shape.at(3);
    const std::vector<float> ref = pictor::read_npy(dir + "decoded.npy").to_f32();
    const std::vector<float> out = vae.decode(in.to_f32(), h, w, VaeTiling::Off);
    const double e = rel_l2(out, ref);
    std::printf("[%s] %s latent %lldx%lld -> %lldx%lld: rel L2 = %.3e\n", label, name, (long long)h, (long long)w,
                (long long)(h * 8), (long long)(w * 8), e);
    return e;
}

TEST(VaeConfig, ParsesTheDevConfig) {
    DevModel m;
    VaeConfig c = VaeConfig::parse(m.files->require_text("vae/config.json"));
    EXPECT_EQ(c.block_out_channels, (std::vector<int64_t>{32, 32, 64, 64}));
    EXPECT_EQ(c.latent_channels, 16);
    EXPECT_EQ(c.layers_per_block, 2);
    EXPECT_EQ(c.norm_num_groups, 32);
    EXPECT_EQ(c.out_channels, 3);
    EXPECT_EQ(c.sample_size, 1024);
    EXPECT_TRUE(c.mid_block_add_attention);
    EXPECT_DOUBLE_EQ(c.scaling_factor, 0.3611);
    EXPECT_DOUBLE_EQ(c.shift_factor, 0.1159);
    EXPECT_EQ(c.scale_factor(), 8);
    // diffusers' AutoencoderKL tiling for sample_size 1024 and 4 blocks.
    VaeTileParams t = VaeTileParams::from_config(c);
    EXPECT_EQ(t.tile_latent, 128);
    EXPECT_EQ(t.stride_latent, 96);
    EXPECT_EQ(t.blend, 256);
    EXPECT_EQ(t.row_limit, 768);
    // Ollama's tiler = the same rule at 512 px.
    t = VaeTileParams::for_tile_size(512, 8);
    EXPECT_EQ(t.tile_latent, 64);
    EXPECT_EQ(t.stride_latent, 48);
    EXPECT_EQ(t.blend, 128);
    EXPECT_EQ(t.row_limit, 384);
}

TEST(VaeConfig, MissingOrInvalidKeysAreCorrupt) {
    DevModel m;
    const auto base = nlohmann::json::parse(m.files->require_text("vae/config.json"));
    auto expect_corrupt = [&](const std::string& text, const std::string& needle) {
        try {
            VaeConfig::parse(text);
            ADD_FAILURE() << "accepted a bad config: " << text;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("vae/config.json"), std::string::npos) << e.what();
        }
    };
    auto j = base;
    j.erase("block_out_channels");
    expect_corrupt(j.dump(), "block_out_channels");
    j = base;
    j["block_out_channels"] = nlohmann::json::array();
    expect_corrupt(j.dump(), "block_out_channels");
    j = base;
    j["block_out_channels"] = {32, 48, 64, 64};  // 48 is not a multiple of 32 groups
    expect_corrupt(j.dump(), "norm_num_groups");
    j = base;
    j["layers_per_block"] = "two";
    expect_corrupt(j.dump(), "layers_per_block");
    j = base;
    j["latent_channels"] = 0;
    expect_corrupt(j.dump(), "latent_channels");
    j = base;
    j.erase("scaling_factor");
    expect_corrupt(j.dump(), "scaling_factor");
    j = base;
    j["act_fn"] = "gelu";
    expect_corrupt(j.dump(), "act_fn");
    j = base;
    j["use_post_quant_conv"] = true;
    expect_corrupt(j.dump(), "use_post_quant_conv");
    j = base;
    j["mid_block_add_attention"] = 1;
    expect_corrupt(j.dump(), "mid_block_add_attention");
    expect_corrupt("{not json", "JSON");
    expect_corrupt("[1, 2]", "object");
    // Optional keys: diffusers' null shift_factor is 0.
    j = base;
    j["shift_factor"] = nullptr;
    EXPECT_DOUBLE_EQ(VaeConfig::parse(j.dump()).shift_factor, 0.0);
}

TEST(VaeDecoder, MatchesReferenceF32) {
    DevModel m;
    Context cx(Precision::F32, 2);
    auto vae = VaeDecoder::load(cx, *m.files);
    std::printf("resident bytes (before decoding): %zu\n", vae->resident_bytes());
    for (const char* c : {"d1", "d2"}) EXPECT_LT(run_case(*vae, c, "f32"), 1e-4) << c;
    // Auto does not tile these small images: same result.
    pictor::NpyArray in = pictor::read_npy(dev_dir() + "cases/d2/vae_input.npy");
    const int64_t h = in.shape.at(2), w = in.shape.at(3);
    EXPECT_EQ(vae->decode(in.to_f32(), h, w, VaeTiling::Auto), vae->decode(in.to_f32(), h, w, VaeTiling::Off));
    // On is a no-op when the latent fits one tile (here 128 latent px).
    EXPECT_EQ(vae->decode(in.to_f32(), h, w, VaeTiling::On), vae->decode(in.to_f32(), h, w, VaeTiling::Off));
}

TEST(VaeDecoder, MatchesReferenceBF16) {
    DevModel m;
    Context cx(Precision::BF16, 2);
    auto vae = VaeDecoder::load(cx, *m.files);
    for (const char* c : {"d1", "d2"}) EXPECT_LT(run_case(*vae, c, "bf16"), 0.02) << c;
}

TEST(VaeDecoder, BuffersAreReusedAcrossShapes) {
    DevModel m;
    Context cx(Precision::F32, 2);
    auto vae = VaeDecoder::load(cx, *m.files);
    const int64_t lc = vae->config().latent_channels;
    const std::vector<float> big = random_latent(lc * 12 * 10, 1), small = random_latent(lc * 4 * 6, 2);
    const std::vector<float> a = vae->decode(small, 4, 6, VaeTiling::Off);
    vae->decode(big, 12, 10, VaeTiling::Off);
    EXPECT_EQ(vae->decode(small, 4, 6, VaeTiling::Off), a);  // stale larger buffers do not leak in
    EXPECT_THROW(vae->decode(small, 5, 6), Error);             // wrong latent size
}

TEST(VaeDecoder, CancelStopsTheDecode) {
    DevModel m;
    Context cx(Precision::F32, 2);
    auto vae = VaeDecoder::load(cx, *m.files);
    const std::vector<float> z = random_latent(vae->config().latent_channels * 4 * 6, 3);
    const std::vector<float> before = vae->decode(z, 4, 6, VaeTiling::Off);
    std::atomic<bool> cancel{true};
    for (VaeTiling t : {VaeTiling::Off, VaeTiling::On}) {
        try {
            vae->decode(z, 4, 6, t, &cancel);
            ADD_FAILURE() << "a cancelled decode returned";
        } catch (const pictor::Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
        }
    }
    cancel = false;
    EXPECT_EQ(vae->decode(z, 4, 6, VaeTiling::Off, &cancel), before);
}

// The tiled decode, written out exactly like diffusers' AutoencoderKL.tiled_decode (lists of
// tiles, in-place blend_v/blend_h, crops, concatenation), using the decoder on each tile.
std::vector<float> diffusers_tiled_decode(VaeDecoder& vae, const std::vector<float>& z, int64_t h, int64_t w,
                                          int64_t sample_size) {
    const int64_t C = vae.config().latent_channels, f = vae.config().scale_factor(), oc = vae.config().out_channels;
    const int64_t tile_latent_min_size = int64_t(double(sample_size) / double(f));
    const int64_t overlap_size = int64_t(double(tile_latent_min_size) * (1 - 0.25));
    const int64_t blend_extent = int64_t(double(sample_size) * 0.25);
    const int64_t row_limit = sample_size - blend_extent;
    struct T {
        std::vector<float> v;
        int64_t H, W;
        float& at(int64_t c, int64_t y, int64_t x) { return v[size_t((c * H + y) * W + x)]; }
    };
    std::vector<std::vector<T>> rows;
    for (int64_t i = 0; i < h; i += overlap_size) {
        std::vector<T> row;
        for (int64_t j = 0; j < w; j += overlap_size) {
            const int64_t th = std::min(tile_latent_min_size, h - i), tw = std::min(tile_latent_min_size, w - j);
            std::vector<float> zt;
            for (int64_t c = 0; c < C; ++c)
                for (int64_t y = 0; y < th; ++y)
                    for (int64_t x = 0; x < tw; ++x) zt.push_back(z[size_t((c * h + i + y) * w + j + x)]);
            row.push_back({vae.decode(zt, th, tw, VaeTiling::Off), th * f, tw * f});
        }
        rows.push_back(std::move(row));
    }
    auto blend_v = [&](T& a, T& b, int64_t e) {
        e = std::min({a.H, b.H, e});
        for (int64_t y = 0; y < e; ++y)
            for (int64_t c = 0; c < oc; ++c)
                for (int64_t x = 0; x < b.W; ++x)
                    b.at(c, y, x) = a.at(c, a.H - e + y, x) * float(1 - double(y) / double(e)) +
                                    b.at(c, y, x) * float(double(y) / double(e));
    };
    auto blend_h = [&](T& a, T& b, int64_t e) {
        e = std::min({a.W, b.W, e});
        for (int64_t x = 0; x < e; ++x)
            for (int64_t c = 0; c < oc; ++c)
                for (int64_t y = 0; y < b.H; ++y)
                    b.at(c, y, x) = a.at(c, y, a.W - e + x) * float(1 - double(x) / double(e)) +
                                    b.at(c, y, x) * float(double(x) / double(e));
    };
    const int64_t H = h * f, W = w * f;
    std::vector<float> out(size_t(oc * H * W), NAN);
    int64_t oy = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        int64_t ox = 0, kh = 0;
        for (size_t j = 0; j < rows[i].size(); ++j) {
            T& t = rows[i][j];
            if (i > 0) blend_v(rows[i - 1][j], t, blend_extent);
            if (j > 0) blend_h(rows[i][j - 1], t, blend_extent);
            kh = std::min(row_limit, t.H);
            const int64_t kw = std::min(row_limit, t.W);
            for (int64_t c = 0; c < oc; ++c)
                for (int64_t y = 0; y < kh; ++y)
                    for (int64_t x = 0; x < kw; ++x) out[size_t((c * H + oy + y) * W + ox + x)] = t.at(c, y, x);
            ox += kw;
        }
        EXPECT_EQ(ox, W);
        oy += kh;
    }
    EXPECT_EQ(oy, H);
    return out;
}

TEST(VaeTiling, MatchesDiffusersTiledDecode) {
    DevModel m;
    Context cx(Precision::F32, 2);
    // sample_size 256 -> tiles of 32 latent px, stride 24, 64 px blended, 192 px kept.
    OverlayFiles files(*m.files);
    auto j = nlohmann::json::parse(m.files->require_text("vae/config.json"));
    j["sample_size"] = 256;
    files.texts["vae/config.json"] = j.dump();
    auto vae = VaeDecoder::load(cx, files);
    const int64_t h = 40, w = 36, lc = vae->config().latent_channels;  // 2 x 2 tiles: 32+16 rows, 32+12 cols
    const std::vector<float> z = random_latent(lc * h * w, 7);
    const std::vector<float> tiled = vae->decode(z, h, w, VaeTiling::On);
    const std::vector<float> ref = diffusers_tiled_decode(*vae, z, h, w, 256);
    ASSERT_EQ(tiled.size(), ref.size());
    double worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        ASSERT_TRUE(std::isfinite(tiled[i])) << i;
        worst = std::max(worst, double(std::fabs(tiled[i] - ref[i])));
    }
    std::printf("tiled vs diffusers-style reference: max |diff| = %.3e\n", worst);
    EXPECT_LE(worst, 1e-6);

    // Against the untiled decode: GroupNorm statistics are per tile, so tiles differ from the
    // whole image a little everywhere and most near the seams. Compare tile interiors (pixels
    // at least 48 px from any blended band) and the whole image.
    const std::vector<float> full = vae->decode(z, h, w, VaeTiling::Off);
    const double all = rel_l2(tiled, full);
    const int64_t H = h * 8, W = w * 8;
    auto near_seam = [](int64_t p, int64_t n) {
        // Seams (blend bands) are at [192k, 192k + 64) in output px for k >= 1.
        for (int64_t s = 192; s < n; s += 192)
            if (p >= s - 48 && p < s + 64 + 48) return true;
        return false;
    };
    std::vector<float> a, b;
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x)
                if (!near_seam(y, H) && !near_seam(x, W)) {
                    a.push_back(tiled[size_t((c * H + y) * W + x)]);
                    b.push_back(full[size_t((c * H + y) * W + x)]);
                }
    const double interior = rel_l2(a, b);
    std::printf("tiled vs untiled (latent %lldx%lld, tiles 32/24): rel L2 whole = %.3e, interior (%zu values) = %.3e\n",
                (long long)h, (long long)w, all, a.size(), interior);
    EXPECT_GT(a.size(), 0u);
    EXPECT_LT(interior, 0.15);
    EXPECT_LT(all, 0.25);
}

TEST(VaeTiling, PointwiseDecoderIsSeamless) {
    // With a decoder whose output pixel depends only on its own latent pixel, tiling changes
    // nothing (blending equal values), for any size, including small tail tiles.
    const int64_t C = 2, f = 4, oc = 3;
    auto decode = [&](std::span<const float> z, int64_t h, int64_t w) {
        std::vector<float> out(size_t(oc * h * f * w * f));
        for (int64_t c = 0; c < oc; ++c)
            for (int64_t y = 0; y < h * f; ++y)
                for (int64_t x = 0; x < w * f; ++x)
                    out[size_t((c * h * f + y) * w * f + x)] =
                        z[size_t(((c % C) * h + y / f) * w + x / f)] * float(c + 1);
        return out;
    };
    for (auto [h, w] : {std::pair<int64_t, int64_t>{37, 50}, {16, 17}, {13, 9}, {64, 64}}) {
        const std::vector<float> z = random_latent(C * h * w, uint32_t(h * 100 + w));
        const VaeTileParams p = VaeTileParams::for_tile_size(64, f);  // 16 latent, stride 12
        const std::vector<float> tiled = pictor::zimage::vae_tiled_decode(z, C, h, w, f, oc, p, decode);
        const std::vector<float> direct = decode(z, h, w);
        ASSERT_EQ(tiled.size(), direct.size());
        double worst = 0;
        for (size_t i = 0; i < direct.size(); ++i) worst = std::max(worst, double(std::fabs(tiled[i] - direct[i])));
        EXPECT_LT(worst, 1e-5) << h << "x" << w;
    }
    // Sizes whose crops would not tile the image are refused.
    const std::vector<float> z = random_latent(C * 40 * 40, 3);
    EXPECT_THROW(pictor::zimage::vae_tiled_decode(z, C, 40, 40, f, oc, VaeTileParams::for_tile_size(100, f), decode),
                 Error);
}

TEST(VaeDecoder, WrongWeightsAreCorrupt) {
    DevModel m;
    Context cx(Precision::F32, 2);
    auto expect_corrupt = [&](OverlayFiles& files, const std::string& needle) {
        try {
            VaeDecoder::load(cx, files);
            ADD_FAILURE() << "loaded bad weights";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            std::printf("%s\n", e.what());
        }
    };
    {  // a mis-shaped conv weight
        OverlayFiles files(*m.files);
        const std::string name = "decoder.up_blocks.1.resnets.0.conv1.weight";
        pictor::store::WeightView v = *m.files->find("vae", name);
        v.shape = {64, 32, 3, 3};  // real [64, 64, 3, 3]: claim another shape over the same bytes
        v.bytes = v.bytes.subspan(0, v.bytes.size() / 2);
        files.weights["vae/" + name] = v;
        expect_corrupt(files, "up_blocks.1.resnets.0.conv1.weight");
    }
    {  // a missing attention projection
        OverlayFiles files(*m.files);
        files.hidden.insert("vae/decoder.mid_block.attentions.0.to_k.weight");
        expect_corrupt(files, "to_k");
    }
    {  // a mis-shaped norm
        OverlayFiles files(*m.files);
        const std::string name = "decoder.conv_norm_out.weight";
        pictor::store::WeightView v = *m.files->find("vae", name);
        v.shape = {16};
        v.bytes = v.bytes.subspan(0, v.bytes.size() / 2);
        files.weights["vae/" + name] = v;
        expect_corrupt(files, "conv_norm_out");
    }
    // Configs that do not match the weights.
    const auto base = nlohmann::json::parse(m.files->require_text("vae/config.json"));
    auto with = [&](const char* key, nlohmann::json value, const std::string& needle) {
        OverlayFiles files(*m.files);
        auto j = base;
        j[key] = value;
        if (std::string(key) == "block_out_channels") j["up_block_types"] = std::vector<std::string>(value.size(), "UpDecoderBlock2D");
        files.texts["vae/config.json"] = j.dump();
        expect_corrupt(files, needle);
    };
    with("block_out_channels", {32, 32, 64, 128}, "expected");
    with("block_out_channels", {32, 64, 64}, "up_blocks.3");  // the checkpoint has a 4th block
    with("layers_per_block", 3, "resnets.3");
    with("layers_per_block", 1, "resnets.2");
    with("latent_channels", 4, "conv_in");
    with("mid_block_add_attention", false, "attentions");
    with("up_block_types", {"UpDecoderBlock2D"}, "up_block_types");
}

}  // namespace
