// The Qwen3 text encoder against the float32 reference of zimage-dev (hidden_states[-2] of the
// tiny model for both cases' prompts, and d2's negative prompt).
#include "models/qwen3/text_encoder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>

#include "store/model_files.h"
#include "util/error.h"
#include "util/npy.h"

namespace {

const std::string kDev = std::string(PICTOR_SHARED_DIR) + "/testdata/zimage-dev";

double rel_l2(const std::vector<float>& got, const std::vector<float>& want) {
    double num = 0, den = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        double d = double(got[i]) - double(want[i]);
        num += d * d;
        den += double(want[i]) * double(want[i]);
    }
    return std::sqrt(num / den);
}

double encode_case(pictor::engine::Precision precision, const std::string& ids_file, const std::string& embeds_file) {
    auto files = pictor::store::ModelFiles::open_directory(kDev + "/model");
    pictor::engine::Context cx(precision);
    auto te = pictor::qwen3::TextEncoder::load(cx, *files);
    std::vector<int64_t> ids64 = pictor::read_npy(ids_file).as<int64_t>();
    std::vector<int32_t> ids(ids64.begin(), ids64.end());
    pictor::NpyArray want = pictor::read_npy(embeds_file);
    EXPECT_EQ(want.shape.at(0), int64_t(ids.size()));
    EXPECT_EQ(want.shape.at(1), te->hidden_size());
    std::vector<float> got = te->encode(ids);
    EXPECT_EQ(got.size(), want.numel());
    for (float x : got) EXPECT_TRUE(std::isfinite(x));
    return rel_l2(got, want.to_f32());
}

}  // namespace

TEST(TextEncoder, MatchesReferenceF32) {
    for (std::string c : {"d1", "d2"}) {
        double e = encode_case(pictor::engine::Precision::F32, kDev + "/cases/" + c + "/token_ids.npy",
                               kDev + "/cases/" + c + "/prompt_embeds.npy");
        std::printf("text encoder f32 %s: rel L2 %.3g\n", c.c_str(), e);
        EXPECT_LT(e, 1e-4) << c;
    }
    double e = encode_case(pictor::engine::Precision::F32, kDev + "/cases/d2/negative_token_ids.npy",
                           kDev + "/cases/d2/negative_prompt_embeds.npy");
    std::printf("text encoder f32 d2 negative: rel L2 %.3g\n", e);
    EXPECT_LT(e, 1e-4);
}

TEST(TextEncoder, MatchesReferenceBF16) {
    for (std::string c : {"d1", "d2"}) {
        double e = encode_case(pictor::engine::Precision::BF16, kDev + "/cases/" + c + "/token_ids.npy",
                               kDev + "/cases/" + c + "/prompt_embeds.npy");
        std::printf("text encoder bf16 %s: rel L2 %.3g\n", c.c_str(), e);
        EXPECT_LT(e, 0.05) << c;
    }
}

TEST(TextEncoder, EmptySequenceAndBadIds) {
    auto files = pictor::store::ModelFiles::open_directory(kDev + "/model");
    pictor::engine::Context cx(pictor::engine::Precision::F32);
    auto te = pictor::qwen3::TextEncoder::load(cx, *files);
    EXPECT_TRUE(te->encode({}).empty());
    std::vector<int32_t> bad{1, 999999999};
    EXPECT_THROW(te->encode(bad), pictor::Error);
}

TEST(TextEncoder, CancelStopsTheEncodeAndLeavesTheEncoderUsable) {
    auto files = pictor::store::ModelFiles::open_directory(kDev + "/model");
    pictor::engine::Context cx(pictor::engine::Precision::F32);
    auto te = pictor::qwen3::TextEncoder::load(cx, *files);
    const std::vector<int32_t> ids{151644, 872, 198, 14990, 151645};
    const std::vector<float> before = te->encode(ids);
    std::atomic<bool> cancel{true};
    try {
        te->encode(ids, &cancel);
        ADD_FAILURE() << "a cancelled encode returned";
    } catch (const pictor::Error& e) {
        EXPECT_EQ(e.kind(), pictor::ErrorKind::Cancelled);
    }
    cancel = false;
    EXPECT_EQ(te->encode(ids, &cancel), before);
}
