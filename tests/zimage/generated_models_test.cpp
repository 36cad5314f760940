// The pipeline on models the generator makes with other dimensions, dtypes, sharding and fp8
// quantization, at sizes that are not square. There is no external reference for these, so the
// checks are relations that a correct implementation must satisfy: the f32 and bf16 paths agree
// within the bf16 tolerance of cases.json, sharding and the store do not change a single bit,
// and fp8 stays close to the unquantized model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "models/zimage/pipeline.h"
#include "store/model_files.h"
#include "store/model_store.h"
#include "util/error.h"
#include "util/npy.h"
#include "zimage_test_util.h"

namespace {

using pictor::zimage::test::rel_l2;

namespace fs = std::filesystem;
using pictor::engine::Precision;

const std::string kBin = PICTOR_BINARY_DIR;
const std::string kTokenizer = std::string(PICTOR_SHARED_DIR) + "/testdata/qwen3-tokenizer";

class GeneratedModels : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("pictor-genmodels-" + std::to_string(::getpid()));
        fs::remove_all(root_);
        fs::create_directories(root_);
        if (!fs::exists(kBin + "/pictor-dev") || !fs::exists(kBin + "/pictor")) GTEST_SKIP() << "binaries not built";
    }
    void TearDown() override { fs::remove_all(root_); }

    fs::path make_model(const std::string& name, const std::string& flags) {
        fs::path dir = root_ / name;
        std::string cmd = kBin + "/pictor-dev make-model " + dir.string() + " --tokenizer-dir " + kTokenizer + " " + flags +
                          " > " + (root_ / (name + ".log")).string() + " 2>&1";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
        return dir;
    }

    std::vector<float> final_latents(std::unique_ptr<pictor::store::ModelFiles> files, Precision precision, int w, int h,
                                      float guidance = 0.0f) {
        fs::path dump = root_ / ("dump-" + std::to_string(counter_++));
        pictor::zimage::PipelineOptions o;
        o.precision = precision;
        o.dump_dir = dump;
        auto pipe = pictor::zimage::Pipeline::load(std::move(files), o);
        pictor::zimage::GenerateParams p;
        p.prompt = "a red circle on a white background";
        p.negative_prompt = "blurry";
        p.width = w;
        p.height = h;
        p.steps = 2;
        p.guidance = guidance;
        p.seed = 99;
        auto img = pipe->generate(p);
        EXPECT_EQ(img.width, w);
        EXPECT_EQ(img.height, h);
        return pictor::read_npy((dump / "final_latents.npy").string()).as<float>();
    }

    fs::path root_;
    int counter_ = 0;
};

TEST_F(GeneratedModels, OtherDimsDtypesAndShardingAgree) {
    const std::string dims =
        "--seed 5 --dim 96 --heads 2 --layers 1 --refiners 1 --axes-dims 16,16,16 --te-hidden 48 --te-layers 2 "
        "--te-heads 2 --te-kv-heads 1 --te-head-dim 24 --te-intermediate 80 --vae-channels 32,32,32,32 --shift 3";
    fs::path a = make_model("a", dims + " --transformer-dtype F16 --text-encoder-dtype BF16 --vae-dtype F32");
    fs::path b = make_model("b", dims + " --transformer-dtype F16 --text-encoder-dtype BF16 --vae-dtype F32 --shards 3");

    // Non-square, and N_img = 5*3 = 15 image tokens: exercises the pad-token path.
    auto f32 = final_latents(pictor::store::ModelFiles::open_directory(a), Precision::F32, 48, 80, 1.5f);
    auto f32_sharded = final_latents(pictor::store::ModelFiles::open_directory(b), Precision::F32, 48, 80, 1.5f);
    EXPECT_EQ(f32, f32_sharded) << "sharding must not change a bit";
    for (float x : f32) ASSERT_TRUE(std::isfinite(x));
    auto bf16 = final_latents(pictor::store::ModelFiles::open_directory(a), Precision::BF16, 48, 80, 1.5f);
    double e = rel_l2(bf16, f32);
    std::printf("generated model: bf16 vs f32 final latents rel L2 %.3g\n", e);
    EXPECT_LT(e, 0.12);
}

TEST_F(GeneratedModels, StoreAndFp8) {
    fs::path dir = make_model("m", "--seed 11 --dtype BF16 --vae-dtype F32");
    fs::path models = root_ / "models";
    for (const char* args : {"create plain ", "create quant --quantize fp8 "}) {
        std::string cmd = "PICTOR_MODELS=" + models.string() + " " + kBin + "/pictor " + args + dir.string() + " > " +
                          (root_ / "create.log").string() + " 2>&1";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    pictor::store::ModelStore store(models);
    auto from_dir = final_latents(pictor::store::ModelFiles::open_directory(dir), Precision::F32, 64, 32);
    auto from_store = final_latents(
        pictor::store::ModelFiles::open_store_model(store, store.get(pictor::store::ModelName::parse("plain"))),
        Precision::F32, 64, 32);
    EXPECT_EQ(from_dir, from_store) << "the store must hand out the same bytes";
    auto fp8 = final_latents(
        pictor::store::ModelFiles::open_store_model(store, store.get(pictor::store::ModelName::parse("quant"))),
        Precision::BF16, 64, 32);
    double e = rel_l2(fp8, from_dir);
    std::printf("generated model: fp8 (bf16 compute) vs f32 final latents rel L2 %.3g\n", e);
    EXPECT_LT(e, 0.12);
}

}  // namespace
