// A store laid out the old way (a regular manifest file under manifests/registry.ollama.ai/,
// tensor blobs with the legacy "data" key), written by hand as an older Ollama would have:
// listed, shown and deleted like any other model.
#include <gtest/gtest.h>

#include <fstream>

#include "server/server_fixture.h"
#include "store/blob_store.h"
#include "store/manifest.h"
#include "store/safetensors.h"

namespace pictor::server::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

store::Layer layer(std::string_view media, const store::BlobRef& ref, std::string name = {}) {
    store::Layer l;
    l.media_type = std::string(media);
    l.digest = ref.digest;
    l.size = ref.size;
    l.name = std::move(name);
    return l;
}

class LegacyStore : public ::testing::Test {
protected:
    void SetUp() override {
        models_ = make_temp_dir("pictor-srv-legacy");
        store::BlobStore blobs(models_);
        fs::create_directories(blobs.dir());

        const json config{{"model_format", "safetensors"}, {"model_family", ""},  {"model_families", nullptr},
                          {"model_type", ""},              {"file_type", ""},     {"requires", "0.19.0"},
                          {"capabilities", {"image"}},    {"architecture", ""}, {"os", ""},
                          {"rootfs", {{"type", ""}, {"diff_ids", nullptr}}}};
        const json index{{"architecture", "ZImagePipeline"}, {"parameter_count", 10300000}, {"quantization", ""}};

        const std::vector<int64_t> shape{4, 2};
        std::string weight = store::single_tensor_header("data", store::DType::BF16, shape);  // legacy key
        weight.append(16, '\0');
        const std::vector<int64_t> bshape{4};
        std::string bias = store::single_tensor_header("layers.0.bias", store::DType::F32, bshape);
        bias.append(16, '\0');

        store::Manifest m;
        m.config = layer(store::kConfigMediaType, blobs.put(config.dump()));
        m.layers.push_back(layer(store::kTensorMediaType, blobs.put(weight), "transformer/layers.0.weight"));
        m.layers.push_back(layer(store::kTensorMediaType, blobs.put(bias), "transformer/layers.0.bias"));
        m.layers.push_back(layer(store::kJsonMediaType, blobs.put(index.dump(4)), "model_index.json"));
        m.layers.push_back(layer(store::kLicenseMediaType, blobs.put("MIT License\n"), ""));
        manifest_ = models_ / "manifests" / "registry.ollama.ai" / "library" / "old" / "latest";
        fs::create_directories(manifest_.parent_path());
        std::ofstream(manifest_) << m.serialize();
        for (const auto& l : m.layers) blob_files_.push_back(blobs.path_of(l.digest));
        blob_files_.push_back(blobs.path_of(m.config.digest));

        server_ = std::make_unique<TestServer>(models_);
    }
    void TearDown() override {
        server_.reset();
        fs::remove_all(models_);
    }

    fs::path models_, manifest_;
    std::vector<fs::path> blob_files_;
    std::unique_ptr<TestServer> server_;
};

TEST_F(LegacyStore, ListedShownAndDeleted) {
    auto c = server_->client();
    const json tags = json_of(c.Get("/api/tags"));
    ASSERT_EQ(tags["models"].size(), 1u) << tags.dump();
    const json m = tags["models"][0];
    EXPECT_EQ(m["name"], "old:latest");
    EXPECT_EQ(m["details"]["family"], "ZImagePipeline");
    EXPECT_EQ(m["details"]["parameter_size"], "10.3M");
    EXPECT_EQ(m["details"]["quantization_level"], "BF16");  // nothing says otherwise

    auto s = c.Post("/api/show", R"({"model":"old","verbose":true})", "application/json");
    ASSERT_TRUE(s);
    ASSERT_EQ(s->status, 200) << s->body;
    const json j = json_of(s);
    EXPECT_EQ(j["license"], "MIT License\n");
    EXPECT_EQ(j["requires"], "0.19.0");
    EXPECT_EQ(j["capabilities"], json::array({"image"}));
    ASSERT_EQ(j["tensors"].size(), 2u);
    EXPECT_EQ(j["tensors"][0], json({{"name", "transformer/layers.0.bias"}, {"type", "F32"}, {"shape", {4}}}));
    EXPECT_EQ(j["tensors"][1], json({{"name", "transformer/layers.0.weight"}, {"type", "BF16"}, {"shape", {4, 2}}}));

    auto d = c.Delete("/api/delete", R"({"model":"old"})", "application/json");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 200) << d->body;
    EXPECT_FALSE(fs::exists(manifest_));
    for (const auto& b : blob_files_) EXPECT_FALSE(fs::exists(b)) << b;
    EXPECT_EQ(json_of(c.Get("/api/tags"))["models"].size(), 0u);
}

TEST_F(LegacyStore, MissingBlobIsAnErrorNotACrash) {
    fs::remove(blob_files_[0]);  // the weight tensor
    auto c = server_->client();
    auto s = c.Post("/api/show", R"({"model":"old","verbose":true})", "application/json");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, 500) << s->body;
    EXPECT_NE(json_of(s).value("error", "").find("transformer/layers.0.weight"), std::string::npos) << s->body;
    // Non-verbose show and the listing still work.
    auto plain = c.Post("/api/show", R"({"model":"old"})", "application/json");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->status, 200) << plain->body;
    EXPECT_EQ(json_of(c.Get("/api/tags"))["models"].size(), 1u);
}

}  // namespace
}  // namespace pictor::server::test
