// End to end with the real pipeline: the zimage-dev model imported into a temporary store, an
// in-process server whose runners are real `pictor runner` processes, and POST /api/generate.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "image_fixture.h"
#include "server/server_fixture.h"
#include "util/base64.h"
#include "util/png_reader.h"

namespace pictor::server::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class GenerateE2E : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        models_ = new fs::path(make_temp_dir("pictor-e2e"));
        import_dev_model(*models_, "dev");
    }
    static void TearDownTestSuite() {
        fs::remove_all(*models_);
        delete models_;
    }
    void SetUp() override { server_ = std::make_unique<ImageServer>(*models_, real_runner_options()); }
    void TearDown() override {
        if (HasFailure()) std::cerr << server_->log_text();
        server_.reset();
    }
    static fs::path* models_;
    std::unique_ptr<ImageServer> server_;
};
fs::path* GenerateE2E::models_ = nullptr;

const json kRequest = {{"model", "dev"}, {"prompt", "a lighthouse on a cliff at dusk"}, {"width", 64},
                       {"height", 64},   {"steps", 2},                                  {"options", {{"seed", 7}}}};

std::vector<uint8_t> image_bytes(const json& frame) {
    auto b = base64_decode(frame.at("image").get<std::string>());
    if (!b) throw std::runtime_error("not base64");
    return *b;
}

TEST_F(GenerateE2E, StreamingAndNonStreamingGiveTheSamePng) {
    auto c = server_->client();
    auto r = c.Post("/api/generate", kRequest.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body.substr(0, 500);
    std::vector<json> frames;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) frames.push_back(json::parse(line));
    ASSERT_EQ(frames.size(), 4u) << r->body.substr(0, 1000);
    for (int i = 0; i <= 2; ++i) {
        EXPECT_EQ(frames[i]["done"], false);
        EXPECT_EQ(frames[i]["total"], 2);
        EXPECT_EQ(frames[i].value("completed", 0), i);
    }
    const json& last = frames.back();
    ASSERT_FALSE(last.contains("error")) << last.dump();
    EXPECT_EQ(last["done_reason"], "stop");
    EXPECT_EQ(last["seed"], 7);
    const auto png = image_bytes(last);
    const DecodedPng d = decode_png(png.data(), png.size());
    EXPECT_EQ(d.width, 64);
    EXPECT_EQ(d.height, 64);
    EXPECT_EQ(d.rgb.size(), 64u * 64u * 3u);

    json once = kRequest;
    once["stream"] = false;
    auto r2 = c.Post("/api/generate", once.dump(), "application/json");
    ASSERT_TRUE(r2);
    ASSERT_EQ(r2->status, 200) << r2->body.substr(0, 500);
    const json j = json::parse(r2->body);
    EXPECT_EQ(image_bytes(j), png) << "same seed, byte-identical PNG";
}

// Acceptance: one seed, one picture, whichever way it is asked for — the native API, the
// OpenAI API (its `seed` extension) and `pictor run` all reach the same runner and pipeline.
TEST_F(GenerateE2E, SameSeedSameImageThroughNativeOpenAiAndCli) {
    auto c = server_->client();
    json native = kRequest;
    native["stream"] = false;
    auto r = c.Post("/api/generate", native.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body.substr(0, 500);
    const auto native_png = image_bytes(json::parse(r->body));
    const DecodedPng want = decode_png(native_png.data(), native_png.size());

    const json openai{{"model", "dev"}, {"prompt", kRequest["prompt"]}, {"size", "64x64"},
                      {"steps", 2},     {"seed", 7},                    {"response_format", "b64_json"}};
    r = c.Post("/v1/images/generations", openai.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body.substr(0, 500);
    const json data = json::parse(r->body).at("data").at(0);
    EXPECT_EQ(data["seed"], 7);
    const auto openai_bytes = base64_decode(data.at("b64_json").get<std::string>());
    ASSERT_TRUE(openai_bytes);
    const DecodedPng got_openai = decode_png(openai_bytes->data(), openai_bytes->size());
    EXPECT_EQ(got_openai.width, 64);
    EXPECT_TRUE(got_openai.rgb == want.rgb) << "OpenAI API: other pixels for the same seed";

    const fs::path dir = make_temp_dir("pictor-e2e-cli");
    const fs::path out = dir / "out.png";
    const std::string cmd = "cd '" + dir.string() + "' && HOME='" + dir.string() + "' PICTOR_NOHISTORY=1 PICTOR_HOST=127.0.0.1:" +
                            std::to_string(server_->port()) + " '" + pictor_binary().string() + "' run dev '" +
                            kRequest["prompt"].get<std::string>() +
                            "' --width 64 --height 64 --steps 2 --seed 7 -o out.png </dev/null >cli.log 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream log(dir / "cli.log");
    const std::string cli_log((std::istreambuf_iterator<char>(log)), {});
    ASSERT_EQ(rc, 0) << cli_log;
    std::ifstream png_in(out, std::ios::binary);
    const std::vector<uint8_t> cli_png((std::istreambuf_iterator<char>(png_in)), {});
    ASSERT_FALSE(cli_png.empty()) << cli_log;
    const DecodedPng got_cli = decode_png(cli_png.data(), cli_png.size());
    EXPECT_TRUE(got_cli.rgb == want.rgb) << "CLI: other pixels for the same seed";
    EXPECT_EQ(cli_png, native_png) << "the CLI saves the server's PNG as it came";
    fs::remove_all(dir);
}

}  // namespace
}  // namespace pictor::server::test
