// The Z-Image DiT against the float32 diffusers reference outputs of shared/testdata/zimage-dev
// (tiny random model, every code path of the real one), in F32 and BF16 precision, plus config
// validation, the image-pad path, fp8 weights and buffer reuse across shapes.
#include "models/zimage/transformer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/tensor.h"
#include "store/model_files.h"
#include "util/error.h"
#include "util/half.h"
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
using pictor::zimage::Transformer;
using pictor::zimage::TransformerConfig;

using pictor::zimage::test::OverlayFiles;
using pictor::zimage::test::rel_l2;


std::vector<float> load(const std::string& path) { return pictor::read_npy(path).to_f32(); }

// Runs every step of a case and returns the worst relative L2 error over all DiT outputs.
double run_case(Transformer& dit, const std::string& name, const char* label) {
    const std::string dir = dev_dir() + "cases/" + name + "/";
    const int64_t cap_feat = dit.config().cap_feat_dim;
    pictor::NpyArray noise = pictor::read_npy(dir + "noise.npy");
    const int64_t h = noise.shape.at(2), w = noise.shape.at(3);
    struct Prompt {
        std::string embeds, out_suffix;
    };
    std::vector<Prompt> prompts = {{"prompt_embeds.npy", "_model_out.npy"}};
    if (std::ifstream(dir + "negative_prompt_embeds.npy").good())
        prompts.push_back({"negative_prompt_embeds.npy", "_model_out_neg.npy"});
    double worst = 0;
    for (const Prompt& pr : prompts) {
        const std::vector<float> feats = load(dir + pr.embeds);
        auto cap = dit.prepare_caption(feats, int64_t(feats.size()) / cap_feat);
        for (int step = 0;; ++step) {
            char nn[16];
            std::snprintf(nn, sizeof nn, "%02d", step);
            const std::string ref_path = dir + "step" + nn + pr.out_suffix;
            if (!std::ifstream(ref_path).good()) break;
            const std::vector<float> latent =
                step == 0 ? noise.to_f32() : load(dir + "step" + [&] {
                    char p[16];
                    std::snprintf(p, sizeof p, "%02d", step - 1);
                    return std::string(p);
                }() + "_latents.npy");
            const float t_model = load(dir + "step" + nn + "_t_model.npy").at(0);
            const std::vector<float> out = dit.forward(latent, h, w, t_model, *cap);
            const double e = rel_l2(out, load(ref_path));
            std::printf("[%s] %s step%s %-28s rel L2 = %.3e\n", label, name.c_str(), nn, pr.embeds.c_str(), e);
            worst = std::max(worst, e);
        }
    }
    return worst;
}

TEST(TransformerConfig, ParsesTheDevConfig) {
    DevModel m;
    TransformerConfig c = TransformerConfig::parse(m.files->require_text("transformer/config.json"));
    EXPECT_EQ(c.dim, 128);
    EXPECT_EQ(c.n_heads, 4);
    EXPECT_EQ(c.head_dim(), 32);
    EXPECT_EQ(c.ffn_dim(), 341);  // int(128 / 3 * 8)
    EXPECT_EQ(c.adaln_dim(), 128);
    EXPECT_EQ(c.patch_size, 2);
    EXPECT_EQ(c.f_patch_size, 1);
    EXPECT_EQ(c.axes_dims, (std::vector<int64_t>{8, 12, 12}));
    EXPECT_DOUBLE_EQ(c.t_scale, 1000.0);
    TransformerConfig full = c;
    full.dim = 3840;
    EXPECT_EQ(full.ffn_dim(), 10240);
    EXPECT_EQ(full.adaln_dim(), 256);
}

TEST(TransformerConfig, MissingOrInvalidKeysAreCorrupt) {
    DevModel m;
    const auto base = nlohmann::json::parse(m.files->require_text("transformer/config.json"));
    auto expect_corrupt = [&](nlohmann::json j, const std::string& needle) {
        try {
            TransformerConfig::parse(j.dump());
            ADD_FAILURE() << "accepted a bad config: " << j.dump();
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    auto j = base;
    j.erase("dim");
    expect_corrupt(j, "dim");
    j = base;
    j["n_heads"] = "four";
    expect_corrupt(j, "n_heads");
    j = base;
    j["axes_dims"] = {8, 8, 8};
    expect_corrupt(j, "axes_dims");
    j = base;
    j["n_heads"] = 3;
    expect_corrupt(j, "n_heads");
    EXPECT_THROW(TransformerConfig::parse("{not json"), Error);
}

TEST(Transformer, ConfigNotMatchingWeightsIsCorrupt) {
    DevModel m;
    Context cx(Precision::F32, 2);
    const auto base = nlohmann::json::parse(m.files->require_text("transformer/config.json"));
    auto expect_corrupt = [&](const char* key, int value, const std::string& needle, const char* key2 = nullptr,
                              int value2 = 0) {
        OverlayFiles files(*m.files);
        auto j = base;
        j[key] = value;
        if (key2) j[key2] = value2;
        files.texts["transformer/config.json"] = j.dump();
        try {
            Transformer::load(cx, files);
            ADD_FAILURE() << "loaded with " << key << " = " << value;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            std::printf("%s = %d: %s\n", key, value, e.what());
        }
    };
    expect_corrupt("dim", 64, "expected", "n_heads", 2);  // consistent config, wrong for these weights
    expect_corrupt("cap_feat_dim", 32, "cap_embedder");
    expect_corrupt("n_layers", 1, "layers.1");
    expect_corrupt("n_layers", 3, "layers.2");  // missing weight
    expect_corrupt("in_channels", 4, "x_embedder");
}

TEST(Transformer, MatchesReferenceF32) {
    DevModel m;
    Context cx(Precision::F32, 2);
    auto dit = Transformer::load(cx, *m.files);
    std::printf("resident bytes: %zu\n", dit->resident_bytes());
    for (const char* c : {"d1", "d2"}) {
        const double e = run_case(*dit, c, "f32");
        EXPECT_LT(e, 1e-4) << c;
    }
}

TEST(Transformer, MatchesReferenceBF16) {
    DevModel m;
    Context cx(Precision::BF16, 2);
    auto dit = Transformer::load(cx, *m.files);
    for (const char* c : {"d1", "d2"}) {
        const double e = run_case(*dit, c, "bf16");
        EXPECT_LT(e, 0.05) << c;
    }
}

// Evicting the fused weights' sources after copying them (TransformerLoadOptions) changes
// nothing in the results: the copies are complete before their sources go.
TEST(Transformer, EvictingFusedSourcesKeepsTheResults) {
    DevModel m;
    Context cx(Precision::BF16, 2);
    auto kept = Transformer::load(cx, *m.files);
    auto evicted = Transformer::load(cx, *m.files, {.evict_fused_sources = true});
    const auto feats = load(dev_dir() + "cases/d1/prompt_embeds.npy");
    const int64_t len = int64_t(feats.size()) / kept->config().cap_feat_dim;
    auto cap_a = kept->prepare_caption(feats, len);
    auto cap_b = evicted->prepare_caption(feats, len);
    std::vector<float> latent(16 * 8 * 6);
    for (size_t i = 0; i < latent.size(); ++i) latent[i] = std::sin(float(i) * 0.37f);
    const auto a = kept->forward(latent, 8, 6, 0.4f, *cap_a);
    const auto b = evicted->forward(latent, 8, 6, 0.4f, *cap_b);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
}

// Latent 10×6 -> 5×3 = 15 image tokens, padded to 32 with x_pad_token; also checks that
// buffers and cached RoPE tables reused across shapes do not leak between calls.
TEST(Transformer, OddSizesAndBufferReuse) {
    DevModel m;
    Context cx(Precision::F32, 2);
    auto dit = Transformer::load(cx, *m.files);
    const auto feats = load(dev_dir() + "cases/d1/prompt_embeds.npy");
    auto cap = dit->prepare_caption(feats, int64_t(feats.size()) / dit->config().cap_feat_dim);
    std::mt19937 rng(5);
    std::normal_distribution<float> nd;
    std::vector<float> small(16 * 10 * 6), big(16 * 16 * 12);
    for (float& v : small) v = nd(rng);
    for (float& v : big) v = nd(rng);
    const auto a1 = dit->forward(small, 10, 6, 0.3f, *cap);
    ASSERT_EQ(a1.size(), small.size());
    for (float v : a1) ASSERT_TRUE(std::isfinite(v));
    const auto b1 = dit->forward(big, 16, 12, 0.7f, *cap);
    const auto a2 = dit->forward(small, 10, 6, 0.3f, *cap);
    const auto b2 = dit->forward(big, 16, 12, 0.7f, *cap);
    EXPECT_EQ(0, std::memcmp(a1.data(), a2.data(), a1.size() * 4));
    EXPECT_EQ(0, std::memcmp(b1.data(), b2.data(), b1.size() * 4));
    // Wrong sizes are the caller's error.
    EXPECT_THROW(dit->forward(small, 5, 12, 0.3f, *cap), Error);
    EXPECT_THROW(dit->forward(small, 10, 7, 0.3f, *cap), Error);
}

// A set cancel flag stops the forward before its next block; the model stays usable and a
// later forward gives the same result as one that was never interrupted.
TEST(Transformer, CancelStopsTheForwardAndLeavesTheModelUsable) {
    DevModel m;
    Context cx(Precision::F32, 2);
    auto dit = Transformer::load(cx, *m.files);
    const auto feats = load(dev_dir() + "cases/d1/prompt_embeds.npy");
    auto cap = dit->prepare_caption(feats, int64_t(feats.size()) / dit->config().cap_feat_dim);
    std::vector<float> latent(16 * 8 * 8, 0.25f);
    const auto before = dit->forward(latent, 8, 8, 0.5f, *cap);
    std::atomic<bool> cancel{true};
    try {
        dit->forward(latent, 8, 8, 0.5f, *cap, &cancel);
        ADD_FAILURE() << "a cancelled forward returned";
    } catch (const pictor::Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    cancel = false;
    EXPECT_EQ(dit->forward(latent, 8, 8, 0.5f, *cap, &cancel), before);
}

// fp8 weights (per-row scale), including the fused QKV / w1|w3 concatenation of scales, must
// give what the same dequantised weights give in f32.
TEST(Transformer, Fp8WeightsMatchDequantised) {
    DevModel m;
    OverlayFiles fp8(*m.files), deq(*m.files);
    for (const std::string& name : m.files->names("transformer")) {
        const auto& w = m.files->get("transformer", name);
        if (w.shape.size() != 2 || w.shape[0] < 4 || w.shape[1] < 4 || name.find("pad_token") != std::string::npos)
            continue;
        const int64_t rows = w.shape[0], cols = w.shape[1];
        std::vector<float> f(size_t(rows * cols));
        pictor::engine::to_f32(w.bytes.data(), pictor::engine::DType::BF16, rows * cols, f.data());
        ASSERT_EQ(w.dtype, pictor::store::DType::BF16);
        std::vector<std::byte> q(size_t(rows * cols)), sc(size_t(rows) * 4), dq(size_t(rows * cols) * 4);
        for (int64_t r = 0; r < rows; ++r) {
            float amax = 0;
            for (int64_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(f[size_t(r * cols + c)]));
            const float s = amax > 0 ? amax / 448.0f : 1.0f;
            std::memcpy(sc.data() + r * 4, &s, 4);
            for (int64_t c = 0; c < cols; ++c) {
                const uint8_t b = pictor::f32_to_f8e4m3(f[size_t(r * cols + c)] / s);
                q[size_t(r * cols + c)] = std::byte(b);
                const float v = pictor::f8e4m3_to_f32(b) * s;
                std::memcpy(dq.data() + (r * cols + c) * 4, &v, 4);
            }
        }
        fp8.storage.push_back(std::move(q));
        fp8.storage.push_back(std::move(sc));
        const auto& qb = fp8.storage[fp8.storage.size() - 2];
        const auto& sb = fp8.storage.back();
        fp8.weights["transformer/" + name] = {pictor::store::DType::F8_E4M3, w.shape, {qb.data(), qb.size()}, {sb.data(), sb.size()}};
        deq.storage.push_back(std::move(dq));
        const auto& db = deq.storage.back();
        deq.weights["transformer/" + name] = {pictor::store::DType::F32, w.shape, {db.data(), db.size()}, {}};
    }
    const std::string dir = dev_dir() + "cases/d1/";
    const auto feats = load(dir + "prompt_embeds.npy");
    const auto noise = load(dir + "noise.npy");
    const float t = load(dir + "step00_t_model.npy").at(0);
    for (Precision prec : {Precision::F32, Precision::BF16}) {
        Context cx(prec, 2);
        auto a = Transformer::load(cx, fp8);
        auto b = Transformer::load(cx, deq);
        const int64_t L = int64_t(feats.size()) / a->config().cap_feat_dim;
        const auto ya = a->forward(noise, 8, 8, t, *a->prepare_caption(feats, L));
        const auto yb = b->forward(noise, 8, 8, t, *b->prepare_caption(feats, L));
        const double e = rel_l2(ya, yb);
        std::printf("fp8 vs dequantised (%s): rel L2 = %.3e; vs reference %.3e\n", prec == Precision::F32 ? "f32" : "bf16",
                    e, rel_l2(ya, load(dir + "step00_model_out.npy")));
        EXPECT_LT(e, 1e-5);
    }
}

}  // namespace
