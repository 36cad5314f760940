// Dropping the text encoder's weights and mapped pages after use (PipelineOptions::
// release_text_encoder, issue 3's peak RSS) must not change a single output byte: the weights
// are re-read from the same mapping (and repacked identically where they are packed).
#include <gtest/gtest.h>

#include <string>

#include "models/zimage/pipeline.h"
#include "store/model_files.h"

namespace {

const std::string kModel = std::string(PICTOR_SHARED_DIR) + "/testdata/zimage-dev/model";

pictor::zimage::GeneratedImage run(pictor::zimage::Pipeline& pipe, const std::string& prompt, float guidance) {
    pictor::zimage::GenerateParams p;
    p.prompt = prompt;
    p.negative_prompt = "blurry";
    p.width = 64;
    p.height = 48;
    p.steps = 2;
    p.guidance = guidance;
    p.seed = 3;
    return pipe.generate(p);
}

TEST(ReleaseTextEncoder, BitIdenticalToKeepingItAcrossRepeatedGenerations) {
    for (auto precision : {pictor::engine::Precision::BF16, pictor::engine::Precision::F32}) {
        pictor::zimage::PipelineOptions keep, drop;
        keep.precision = drop.precision = precision;
        keep.release_text_encoder = false;
        drop.release_text_encoder = true;
        auto a = pictor::zimage::Pipeline::load(pictor::store::ModelFiles::open_directory(kModel), keep);
        auto b = pictor::zimage::Pipeline::load(pictor::store::ModelFiles::open_directory(kModel), drop);
        // Twice each (the second encode re-reads released weights), with and without CFG (two
        // encodes per generation).
        for (int round = 0; round < 2; ++round) {
            for (float guidance : {0.0f, 2.0f}) {
                const auto ia = run(*a, "a red kite over green fields", guidance);
                const auto ib = run(*b, "a red kite over green fields", guidance);
                ASSERT_FALSE(ia.rgb.empty());
                EXPECT_EQ(ia.rgb, ib.rgb) << "round " << round << ", guidance " << guidance;
            }
        }
    }
}

}  // namespace
