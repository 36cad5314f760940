// End-to-end: the whole pipeline on zimage-dev against the float32 reference of both cases
// (token ids exact, noise bit-exact, sigmas within 1 ulp, final latents and image within the
// tolerances of cases.json), in f32 and bf16 precision.
#include "models/zimage/pipeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>

#include <unistd.h>

#include "util/error.h"
#include "util/npy.h"
#include "util/png_reader.h"
#include "zimage_test_util.h"

namespace {

using pictor::zimage::test::dev_dir;

namespace fs = std::filesystem;
using pictor::engine::Precision;
using pictor::zimage::test::rel_l2;

double psnr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    double se = 0;
    for (size_t i = 0; i < a.size(); ++i) se += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    if (se == 0) return 1e9;
    return 10 * std::log10(255.0 * 255.0 / (se / double(a.size())));
}

int ulp_distance(float a, float b) {
    int32_t ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    return std::abs(ia - ib);
}

struct Case {
    std::string name, prompt;
    std::optional<std::string> negative;
    int width, height, steps;
    float guidance;
    uint64_t seed;
};

std::vector<Case> load_cases() {
    std::ifstream in(dev_dir() + "cases.json");
    nlohmann::json j = nlohmann::json::parse(in);
    std::vector<Case> out;
    for (auto& c : j["cases"]) {
        Case k{c["name"], c["prompt"], std::nullopt, c["width"], c["height"], c["steps"], c["guidance"], c["seed"]};
        if (!c["negative_prompt"].is_null()) k.negative = c["negative_prompt"].get<std::string>();
        out.push_back(k);
    }
    return out;
}

fs::path temp_dir(const std::string& tag) {
    fs::path p = fs::temp_directory_path() / ("pictor-pipeline-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

void run_case(const Case& c, Precision precision) {
    fs::path dump = temp_dir(c.name + (precision == Precision::F32 ? "-f32" : "-bf16"));
    pictor::zimage::PipelineOptions opts;
    opts.precision = precision;
    opts.dump_dir = dump;
    auto pipe = pictor::zimage::Pipeline::load(pictor::store::ModelFiles::open_directory(dev_dir() + "model"), opts);
    pictor::zimage::GenerateParams p;
    p.prompt = c.prompt;
    p.negative_prompt = c.negative;
    p.width = c.width;
    p.height = c.height;
    p.steps = c.steps;
    p.guidance = c.guidance;
    p.seed = c.seed;
    std::vector<int> steps_seen;
    auto img = pipe->generate(p, [&](const pictor::zimage::ProgressEvent& ev) {
        if (ev.phase == pictor::zimage::Phase::Denoising) steps_seen.push_back(ev.step);
    });
    ASSERT_EQ(int(steps_seen.size()), c.steps + 1);
    EXPECT_EQ(steps_seen.back(), c.steps);

    const std::string ref = dev_dir() + "cases/" + c.name + "/";
    auto want_ids = pictor::read_npy(ref + "token_ids.npy").as<int64_t>();
    EXPECT_EQ(pictor::read_npy((dump / "token_ids.npy").string()).as<int64_t>(), want_ids);
    auto noise = pictor::read_npy((dump / "noise.npy").string());
    auto want_noise = pictor::read_npy(ref + "noise.npy");
    EXPECT_EQ(noise.shape, want_noise.shape);
    EXPECT_EQ(noise.bytes, want_noise.bytes) << "noise must be bit-exact";
    auto sig = pictor::read_npy((dump / "sigmas.npy").string()).as<float>();
    auto want_sig = pictor::read_npy(ref + "sigmas.npy").to_f32();
    ASSERT_EQ(sig.size(), want_sig.size());
    for (size_t i = 0; i < sig.size(); ++i) EXPECT_LE(ulp_distance(sig[i], want_sig[i]), 1) << i;

    const bool f32 = precision == Precision::F32;
    double e_emb = rel_l2(pictor::read_npy((dump / "prompt_embeds.npy").string()).as<float>(),
                          pictor::read_npy(ref + "prompt_embeds.npy").to_f32());
    double e_lat = rel_l2(pictor::read_npy((dump / "final_latents.npy").string()).as<float>(),
                          pictor::read_npy(ref + "final_latents.npy").to_f32());
    auto want_png = pictor::read_png_file(ref + "image.png");
    ASSERT_EQ(img.width, want_png.width);
    ASSERT_EQ(img.height, want_png.height);
    double db = psnr(img.rgb, want_png.rgb);
    std::printf("%s %s: prompt_embeds rel L2 %.3g, final latents rel L2 %.3g, image PSNR %.1f dB\n", c.name.c_str(),
                f32 ? "f32" : "bf16", e_emb, e_lat, db);
    if (f32) {
        EXPECT_LT(e_emb, 1e-4);
        for (int i = 0; i < c.steps; ++i) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "step%02d_model_out.npy", i);
            double e = rel_l2(pictor::read_npy((dump / buf).string()).as<float>(), pictor::read_npy(ref + buf).to_f32());
            EXPECT_LT(e, 1e-4) << buf;
        }
        EXPECT_LT(e_lat, 5e-4);
        EXPECT_GE(db, 50.0);
    } else {
        EXPECT_LT(e_lat, 0.12);
        EXPECT_GE(db, 30.0);
    }
    // The PNG records how it was made.
    auto png = pictor::decode_png(img.png.data(), img.png.size());
    ASSERT_NE(png.find_text("seed"), nullptr);
    EXPECT_EQ(*png.find_text("seed"), std::to_string(c.seed));
    ASSERT_NE(png.find_text("prompt"), nullptr);
    EXPECT_EQ(*png.find_text("prompt"), c.prompt);
    fs::remove_all(dump);
}

}  // namespace

TEST(Pipeline, ReferenceCasesF32) {
    for (const Case& c : load_cases()) run_case(c, Precision::F32);
}

TEST(Pipeline, ReferenceCasesBF16) {
    for (const Case& c : load_cases()) run_case(c, Precision::BF16);
}

TEST(Pipeline, RejectsBadSizesAndCancels) {
    auto pipe = pictor::zimage::Pipeline::load(pictor::store::ModelFiles::open_directory(dev_dir() + "model"), {});
    pictor::zimage::GenerateParams p;
    p.prompt = "x";
    p.width = 72;
    p.height = 64;
    p.steps = 1;
    EXPECT_THROW(pipe->generate(p), pictor::Error);
    p.width = 64;
    std::atomic<bool> cancel{true};
    try {
        pipe->generate(p, {}, &cancel);
        FAIL() << "expected cancellation";
    } catch (const pictor::Error& e) {
        EXPECT_EQ(e.kind(), pictor::ErrorKind::Cancelled);
    }
    // Empty prompt is valid.
    p.prompt = "";
    auto img = pipe->generate(p);
    EXPECT_EQ(img.rgb.size(), size_t(64 * 64 * 3));
}

// A 10,000-token prompt is truncated (templated ids cut at 512), not an error: two of them that
// differ only past the cut give the same image, bit for bit.
TEST(Pipeline, LongPromptsAreTruncated) {
    auto pipe = pictor::zimage::Pipeline::load(pictor::store::ModelFiles::open_directory(dev_dir() + "model"), {});
    std::string base;
    for (int i = 0; i < 10000; ++i) base += "word ";
    pictor::zimage::GenerateParams p;
    p.width = p.height = 64;
    p.steps = 2;
    p.seed = 7;
    p.prompt = base + "cat";
    const auto a = pipe->generate(p);
    p.prompt = base + "dog";
    const auto b = pipe->generate(p);
    ASSERT_EQ(a.rgb.size(), size_t(64 * 64 * 3));
    EXPECT_EQ(a.rgb, b.rgb);
    // A short prompt does differ (so the comparison above can fail).
    p.prompt = "cat";
    EXPECT_NE(pipe->generate(p).rgb, a.rgb);
}

// NaN appearing in a step (here: from a weight of the first main layer) stops the generation
// with an error that says where, instead of decoding garbage into a PNG.
TEST(Pipeline, NanInAStepIsAClearError) {
    pictor::zimage::test::DevModel m;
    const std::string name = "layers.0.attention.to_out.0.weight";
    const pictor::store::WeightView* w = m.files->find("transformer", name);
    ASSERT_NE(w, nullptr);
    auto overlay = std::make_unique<pictor::zimage::test::OverlayFiles>(*m.files);
    std::vector<std::byte> nan_bytes(w->bytes.size());
    if (w->dtype == pictor::store::DType::F32) {
        const float nan = std::nanf("");
        for (size_t i = 0; i + 4 <= nan_bytes.size(); i += 4) std::memcpy(nan_bytes.data() + i, &nan, 4);
    } else {
        ASSERT_TRUE(w->dtype == pictor::store::DType::BF16 || w->dtype == pictor::store::DType::F16);
        const uint16_t nan = w->dtype == pictor::store::DType::BF16 ? 0x7fc0 : 0x7e00;
        for (size_t i = 0; i + 2 <= nan_bytes.size(); i += 2) std::memcpy(nan_bytes.data() + i, &nan, 2);
    }
    overlay->storage.push_back(std::move(nan_bytes));
    pictor::store::WeightView nan_w = *w;
    nan_w.bytes = {overlay->storage.back().data(), overlay->storage.back().size()};
    overlay->weights["transformer/" + name] = nan_w;
    auto pipe = pictor::zimage::Pipeline::load(std::move(overlay), {});
    pictor::zimage::GenerateParams p;
    p.prompt = "x";
    p.width = p.height = 64;
    p.steps = 2;
    try {
        pipe->generate(p);
        FAIL() << "expected an error";
    } catch (const pictor::Error& e) {
        EXPECT_NE(std::string(e.what()).find("denoising step 1 produced NaN or Inf"), std::string::npos) << e.what();
    }
}
