// End to end with the real pipeline: the zimage-dev model imported into a temporary store, an
// in-process server whose runners are real `pictor runner` processes, and POST /api/generate.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace pictor::server::test
