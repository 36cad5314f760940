// Request fields, then Modelfile PARAMETERs, then the architecture's defaults; the seed is the
// request's, else the Modelfile's, else random (below 2^53).
#include <gtest/gtest.h>

#include "runner/memory_estimate.h"
#include "runner/request_defaults.h"
#include "util/base64.h"

namespace pictor::runner {
namespace {

TEST(RequestDefaults, ArchitectureDefaultsApply) {
    GenerateCommand c;
    c.prompt = "p";
    const EngineRequest r = resolve_request(c, {1024, 1024, 8, 0.0f}, {}, [] { return uint64_t(77); });
    EXPECT_EQ(r.width, 1024);
    EXPECT_EQ(r.height, 1024);
    EXPECT_EQ(r.steps, 8);
    EXPECT_EQ(r.guidance, 0.0f);
    EXPECT_EQ(r.seed, 77u);
    EXPECT_EQ(r.negative_prompt, "");
}

TEST(RequestDefaults, ModelfileOverridesArchitectureAndRequestOverridesBoth) {
    const ModelParameters p = ModelParameters::from_json(nlohmann::json::parse(
        R"({"width":512,"height":768,"steps":20,"guidance":3.5,"seed":1234,"negative_prompt":"ugly","other":1})"));
    const ModelDefaults d = effective_defaults({1024, 1024, 8, 0.0f}, p);
    EXPECT_EQ(d.width, 512);
    EXPECT_EQ(d.height, 768);
    EXPECT_EQ(d.steps, 20);
    EXPECT_FLOAT_EQ(d.guidance, 3.5f);

    GenerateCommand c;
    c.prompt = "p";
    EngineRequest r = resolve_request(c, d, p, [] { return uint64_t(1); });
    EXPECT_EQ(r.seed, 1234u) << "the Modelfile's seed beats a random one";
    EXPECT_EQ(r.negative_prompt, "ugly");
    EXPECT_EQ(r.width, 512);

    c.width = 256;
    c.steps = 2;
    c.guidance = 0.0f;
    c.seed = 9;
    c.negative_prompt = "";
    r = resolve_request(c, d, p);
    EXPECT_EQ(r.width, 256);
    EXPECT_EQ(r.height, 768);
    EXPECT_EQ(r.steps, 2);
    EXPECT_EQ(r.guidance, 0.0f);
    EXPECT_EQ(r.seed, 9u);
    EXPECT_EQ(r.negative_prompt, "") << "an explicit empty negative prompt wins";
}

TEST(RequestDefaults, Validation) {
    GenerateCommand c;
    c.prompt = "p";
    const ModelDefaults d{1024, 1024, 8, 0.0f};
    auto msg = [&](GenerateCommand cmd) -> std::string {
        try {
            resolve_request(cmd, d, {});
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
            return e.what();
        }
        return "";
    };
    c.width = 70;
    EXPECT_EQ(msg(c), "width must be a multiple of 16 between 64 and 4096, got 70");
    c.width = 8192;
    EXPECT_EQ(msg(c), "width must be a multiple of 16 between 64 and 4096, got 8192");
    c.width = 0;
    c.height = 48;
    EXPECT_EQ(msg(c), "height must be a multiple of 16 between 64 and 4096, got 48");
    c.height = 0;
    c.steps = 1001;
    EXPECT_EQ(msg(c), "steps must be between 1 and 1000, got 1001");
    c.steps = 0;
    c.guidance = -1.0f;
    EXPECT_NE(msg(c).find("guidance must be a number >= 0"), std::string::npos);
}

TEST(RequestDefaults, RandomSeedsFitInADouble) {
    for (int i = 0; i < 1000; ++i) {
        const uint64_t s = random_seed();
        EXPECT_LT(s, uint64_t(1) << 53);
        EXPECT_EQ(static_cast<uint64_t>(static_cast<double>(s)), s);
    }
    EXPECT_NE(random_seed(), random_seed());
}

TEST(RequestDefaults, BadParameterTypesAreCorrupt) {
    EXPECT_THROW(ModelParameters::from_json(nlohmann::json::parse(R"({"width":"big"})")), Error);
    EXPECT_THROW(ModelParameters::from_json(nlohmann::json::parse(R"({"negative_prompt":5})")), Error);
}

TEST(MemoryEstimate, FullModelAt1024IsAboutAGigabyte) {
    const ActivationShape full;  // the real Z-Image dimensions
    const uint64_t b = activation_bytes(full, 1024, 1024);
    EXPECT_GT(b, uint64_t(500) << 20);
    EXPECT_LT(b, uint64_t(2) << 30);
    // Grows with the image, and CFG doubles the DiT's share.
    EXPECT_GT(activation_bytes(full, 2048, 2048), b);
    ActivationShape cfg = full;
    cfg.cfg = true;
    EXPECT_GT(activation_bytes(cfg, 1024, 1024), b);
}

TEST(Base64, KnownVectorsAndRoundTrip) {
    EXPECT_EQ(base64_encode(std::string_view("")), "");
    EXPECT_EQ(base64_encode(std::string_view("f")), "Zg==");
    EXPECT_EQ(base64_encode(std::string_view("fo")), "Zm8=");
    EXPECT_EQ(base64_encode(std::string_view("foo")), "Zm9v");
    EXPECT_EQ(base64_encode(std::string_view("foobar")), "Zm9vYmFy");
    std::vector<uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
    for (size_t n = 0; n <= all.size(); n += 37) {
        std::span<const uint8_t> part(all.data(), n);
        const auto back = base64_decode(base64_encode(part));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, std::vector<uint8_t>(part.begin(), part.end()));
    }
    for (const char* bad : {"Zg=", "Z===", "Zg==Zg==", "Zm9v!", "Zm 9", "=Zg="}) EXPECT_FALSE(base64_decode(bad)) << bad;
}

}  // namespace
}  // namespace pictor::runner
