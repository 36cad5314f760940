// Import of the tiny zimage-dev diffusers folder: blob format, layer order, JSON layers,
// rewritten model_index.json, config blob, v2 link, progress lines, idempotence.
#include <algorithm>
#include <map>

#include "create/import.h"
#include "create_test_util.h"
#include "util/error.h"

namespace pictor::create {
namespace {

using namespace testing;
using store::ModelName;
using store::SafetensorsFile;

struct Imported {
    CreateResult result;
    std::vector<Progress> events;
};

Imported import_dir(store::ModelStore& st, const std::string& name, const fs::path& dir, std::string quantize = {},
                    std::map<std::string, std::string> params = {}, std::optional<std::string> license = {}) {
    Imported out;
    CreateRequest req;
    req.name = ModelName::parse(name);
    req.source_dir = dir;
    req.quantize = std::move(quantize);
    req.parameters = std::move(params);
    req.license = std::move(license);
    out.result = create_model(st, req, [&](const Progress& p) { out.events.push_back(p); });
    return out;
}

std::vector<std::string> status_lines(const std::vector<Progress>& ev) {
    std::vector<std::string> r;
    for (const auto& p : ev)
        if (p.total == 0) r.push_back(p.status);
    return r;
}

const std::vector<std::string> kExpectedJson = {
    "model_index.json",           "text_encoder/config.json",        "transformer/config.json",
    "vae/config.json",            "scheduler/scheduler_config.json", "tokenizer/tokenizer.json",
    "tokenizer/tokenizer_config.json",
};

const std::vector<std::pair<std::string, std::string>> kWeightFiles = {
    {"text_encoder", "model.safetensors"},
    {"transformer", "diffusion_pytorch_model.safetensors"},
    {"vae", "diffusion_pytorch_model.safetensors"},
};

class ZimageImport : public ::testing::Test {
protected:
    TempDir tmp;
    store::ModelStore st{tmp.path() / "models"};
};

TEST_F(ZimageImport, OneBlobPerTensorWithSourceBytes) {
    auto imp = import_dir(st, "zdev", zimage_dev_dir());
    auto e = st.get(ModelName::parse("zdev"));
    const auto& layers = e.manifest.layers;

    size_t li = 0;
    uint64_t params = 0;
    for (const auto& [component, file] : kWeightFiles) {
        auto src = SafetensorsFile::open(zimage_dev_dir() / component / file);
        ASSERT_TRUE(std::is_sorted(src.tensors().begin(), src.tensors().end(),
                                   [](auto& a, auto& b) { return a.name < b.name; }));
        for (const auto& t : src.tensors()) {
            params += uint64_t(t.numel());
            ASSERT_LT(li, layers.size());
            const auto& l = layers[li++];
            EXPECT_EQ(l.media_type, store::kTensorMediaType);
            ASSERT_EQ(l.name, component + "/" + t.name);
            fs::path bp = st.blobs().path_of(l.digest);
            EXPECT_EQ(fs::file_size(bp), l.size);
            auto blob = SafetensorsFile::open(bp);
            ASSERT_EQ(blob.tensors().size(), 1u) << l.name;
            const auto& bt = blob.tensors()[0];
            EXPECT_EQ(bt.name, t.name);
            EXPECT_EQ(bt.dtype, t.dtype);
            EXPECT_EQ(bt.shape, t.shape);
            EXPECT_TRUE(blob.metadata().empty());
            auto a = blob.data(bt), b = src.data(t);
            ASSERT_EQ(a.size(), b.size());
            EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size()), 0) << l.name;
            // Header padded to a multiple of 8 (reference §3.6).
            EXPECT_EQ(blob.data_offset() % 8, 0u);
        }
    }
    EXPECT_EQ(li, 35u + 73u + 240u);
    // Then the JSON layers in the fixed order, nothing else (no Modelfile layers).
    ASSERT_EQ(layers.size(), li + kExpectedJson.size());
    for (size_t j = 0; j < kExpectedJson.size(); ++j) {
        EXPECT_EQ(layers[li + j].media_type, store::kJsonMediaType);
        EXPECT_EQ(layers[li + j].name, kExpectedJson[j]);
        if (kExpectedJson[j] != "model_index.json") {
            std::ifstream in(zimage_dev_dir() / kExpectedJson[j], std::ios::binary);
            std::string src((std::istreambuf_iterator<char>(in)), {});
            EXPECT_EQ(st.blobs().read(layers[li + j].digest), src) << kExpectedJson[j];
        }
    }
    EXPECT_EQ(imp.result.layer_count, layers.size());
    EXPECT_EQ(imp.result.manifest_digest_hex, e.digest_hex);

    // model_index.json rewritten.
    auto mi_text = st.read_json(e, "model_index.json");
    ASSERT_TRUE(mi_text);
    auto mi = nlohmann::ordered_json::parse(*mi_text);
    EXPECT_EQ(mi["architecture"], "ZImagePipeline");
    EXPECT_FALSE(mi.contains("_class_name"));
    EXPECT_FALSE(mi.contains("_diffusers_version"));
    EXPECT_EQ(mi["parameter_count"].get<uint64_t>(), params);
    EXPECT_EQ(mi["quantization"], "bfloat16");
    EXPECT_EQ(mi["vae"], nlohmann::ordered_json::array({"diffusers", "AutoencoderKL"}));
    // Byte for byte what the reference's json.MarshalIndent of a Go map writes: sorted keys.
    EXPECT_EQ(*mi_text, "{\n    \"architecture\": \"ZImagePipeline\",\n    \"parameter_count\": " + std::to_string(params) +
                            ",\n    \"quantization\": \"bfloat16\",\n"
                            "    \"scheduler\": [\n        \"diffusers\",\n        \"FlowMatchEulerDiscreteScheduler\"\n    ],\n"
                            "    \"text_encoder\": [\n        \"transformers\",\n        \"Qwen3Model\"\n    ],\n"
                            "    \"tokenizer\": [\n        \"transformers\",\n        \"Qwen2Tokenizer\"\n    ],\n"
                            "    \"transformer\": [\n        \"diffusers\",\n        \"ZImageTransformer2DModel\"\n    ],\n"
                            "    \"vae\": [\n        \"diffusers\",\n        \"AutoencoderKL\"\n    ]\n}");

    // Config blob, byte for byte (Go field order).
    EXPECT_EQ(e.manifest.config.media_type, store::kConfigMediaType);
    EXPECT_EQ(st.blobs().read(e.manifest.config.digest),
              R"({"model_format":"safetensors","model_family":"","model_families":null,"model_type":"",)"
              R"("file_type":"","requires":"0.19.0","capabilities":["image"],"architecture":"","os":"",)"
              R"("rootfs":{"type":"","diff_ids":null}})");
}

TEST_F(ZimageImport, ManifestV2LinkAndProgressLines) {
    auto imp = import_dir(st, "zdev", zimage_dev_dir());
    fs::path link = st.root() / "manifests-v2" / "ollama.com" / "library" / "zdev" / "latest";
    ASSERT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(fs::canonical(link), fs::canonical(st.blobs().path_of("sha256:" + imp.result.manifest_digest_hex)));

    auto lines = status_lines(imp.events);
    std::vector<std::string> want = {
        "importing image generation model",
        "importing text_encoder/model.safetensors (35 tensors)",
        "importing transformer/diffusion_pytorch_model.safetensors (73 tensors)",
        "importing vae/diffusion_pytorch_model.safetensors (240 tensors)",
    };
    for (auto& j : kExpectedJson) want.push_back("importing config " + j);
    want.push_back("writing manifest for zdev:latest");
    want.push_back("successfully imported zdev:latest with 355 layers");
    EXPECT_EQ(lines, want);

    // Byte progress per weight file ends at completed == total == the file's tensor bytes.
    for (const auto& [component, file] : kWeightFiles) {
        std::string status = "importing " + component + "/" + file;
        const Progress* last = nullptr;
        uint64_t prev = 0;
        for (const auto& p : imp.events)
            if (p.total > 0 && p.status.starts_with(status)) {
                EXPECT_GE(p.completed, prev);
                prev = p.completed;
                last = &p;
            }
        ASSERT_NE(last, nullptr) << status;
        auto src = SafetensorsFile::open(zimage_dev_dir() / component / file);
        uint64_t bytes = 0;
        for (auto& t : src.tensors()) bytes += t.nbytes();
        EXPECT_EQ(last->total, bytes);
        EXPECT_EQ(last->completed, bytes);
    }
}

TEST_F(ZimageImport, ReimportIsIdempotentAndSharesBlobs) {
    auto a = import_dir(st, "zdev", zimage_dev_dir());
    auto files = blob_files(st);
    auto b = import_dir(st, "zdev", zimage_dev_dir());
    EXPECT_EQ(a.result.manifest_digest_hex, b.result.manifest_digest_hex);
    EXPECT_EQ(blob_files(st), files);
    // Another name: same content, same manifest bytes, no new blob at all.
    auto c = import_dir(st, "other/zdev:v2", zimage_dev_dir());
    EXPECT_EQ(a.result.manifest_digest_hex, c.result.manifest_digest_hex);
    EXPECT_EQ(blob_files(st), files);
    EXPECT_EQ(st.list().size(), 2u);
    expect_model_intact(st, ModelName::parse("zdev"));
}

TEST_F(ZimageImport, ModelfileLayersComeLast) {
    auto imp = import_dir(st, "zdev", zimage_dev_dir(), "",
                          {{"steps", "8"}, {"guidance", "3.5"}, {"negative_prompt", "blurry"}, {"seed", "42"}},
                          std::string("Apache 2.0\nsecond line\n"));
    auto e = st.get(ModelName::parse("zdev"));
    const auto& layers = e.manifest.layers;
    ASSERT_GE(layers.size(), 2u);
    const auto& lic = layers[layers.size() - 2];
    const auto& par = layers.back();
    EXPECT_EQ(lic.media_type, store::kLicenseMediaType);
    EXPECT_EQ(st.blobs().read(lic.digest), "Apache 2.0\nsecond line\n");
    EXPECT_EQ(par.media_type, store::kParamsMediaType);
    auto pj = nlohmann::json::parse(st.blobs().read(par.digest));
    EXPECT_EQ(pj["steps"], 8);
    EXPECT_TRUE(pj["steps"].is_number_integer());
    EXPECT_DOUBLE_EQ(pj["guidance"].get<double>(), 3.5);
    EXPECT_EQ(pj["negative_prompt"], "blurry");
    EXPECT_EQ(pj["seed"], 42);
    EXPECT_EQ(layers[layers.size() - 3].name, "tokenizer/tokenizer_config.json");
    EXPECT_EQ(imp.result.layer_count, 357u);
}

TEST_F(ZimageImport, ShardsAndIndexFileAndVisionCapability) {
    TempDir src;
    fs::path dir = src.path() / "m";
    make_synth_model(dir, 2, 3, 64);
    write_text(dir / "model_index.json", R"({"_class_name":"Flux2KleinPipeline","_diffusers_version":"x"})");
    auto imp = import_dir(st, "klein", dir);
    auto e = st.get(ModelName::parse("klein"));
    std::vector<std::string> files;
    for (auto& s : status_lines(imp.events))
        if (s.starts_with("importing transformer/")) files.push_back(s);
    ASSERT_EQ(files.size(), 3u);
    EXPECT_TRUE(files[0].starts_with("importing transformer/diffusion_pytorch_model-00001-of-00003.safetensors ("));
    EXPECT_TRUE(files[2].starts_with("importing transformer/diffusion_pytorch_model-00003-of-00003.safetensors ("));
    for (auto& l : e.manifest.layers) EXPECT_EQ(l.name.find(".index.json"), std::string::npos) << l.name;
    auto cfg = nlohmann::json::parse(st.blobs().read(e.manifest.config.digest));
    EXPECT_EQ(cfg["capabilities"], nlohmann::json::array({"image", "vision"}));
}

}  // namespace
}  // namespace pictor::create
