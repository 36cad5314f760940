// --quantize fp8: eligibility (reference §5.2), blob layout (weight + per-row .scale, metadata),
// size and accuracy against the BF16 source.
#include <cmath>
#include <cstdio>

#include "create/import.h"
#include "create/quantize_fp8.h"
#include "create_test_util.h"
#include "util/error.h"

namespace pictor::create {
namespace {

using namespace testing;
using store::DType;
using store::ModelName;
using store::SafetensorsFile;

float load_f32(const std::byte* p, DType t, size_t i) {
    if (t == DType::BF16) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        return bf16_to_f32(h);
    }
    float f;
    std::memcpy(&f, p + 4 * i, 4);
    return f;
}

// The rule restated independently of the implementation, for the names in zimage-dev.
bool expect_quantized(const std::string& component, const std::string& name, size_t rank) {
    if (component == "vae") return false;
    if (name.find("norm") != std::string::npos || name.find("embed") != std::string::npos) return false;
    if (!name.ends_with(".weight")) return false;
    return rank >= 2;
}

TEST(Fp8Eligibility, ReferenceRule) {
    const int64_t mat[] = {128, 128}, vec[] = {128}, pad[] = {1, 128};
    EXPECT_TRUE(should_quantize_fp8("transformer", "layers.0.attention.to_q.weight", DType::BF16, mat));
    EXPECT_TRUE(should_quantize_fp8("text_encoder", "model.layers.0.mlp.down_proj.weight", DType::F32, mat));
    EXPECT_FALSE(should_quantize_fp8("vae", "decoder.up_blocks.0.weight", DType::BF16, mat));
    EXPECT_FALSE(should_quantize_fp8("transformer", "layers.0.adaLN_modulation.0.bias", DType::BF16, mat));
    EXPECT_FALSE(should_quantize_fp8("transformer", "layers.0.attention.norm_k.weight", DType::BF16, mat));
    EXPECT_FALSE(should_quantize_fp8("transformer", "t_embedder.mlp.0.weight", DType::BF16, mat));
    EXPECT_FALSE(should_quantize_fp8("text_encoder", "model.embed_tokens.weight", DType::BF16, mat));
    EXPECT_FALSE(should_quantize_fp8("text_encoder", "model.layers.0.ln_1.weight", DType::BF16, mat));
    EXPECT_FALSE(should_quantize_fp8("transformer", "x_pad_token", DType::BF16, pad));
    EXPECT_FALSE(should_quantize_fp8("transformer", "proj.weight", DType::BF16, vec));
    EXPECT_FALSE(should_quantize_fp8("transformer", "proj.weight", DType::I32, mat));
}

TEST(Fp8Kernel, ScalesAndSaturation) {
    // Row 0 all zeros -> scale 1 and zeros; row 1 max |w| = 896 -> scale 2, w/scale = 448.
    float w[2][4] = {{0, 0, 0, 0}, {896.0f, -448.0f, 1.0f, -896.0f}};
    float scales[2];
    fp8_row_scales(reinterpret_cast<const std::byte*>(w), DType::F32, 2, 4, scales);
    EXPECT_EQ(scales[0], 1.0f);
    EXPECT_EQ(scales[1], 2.0f);
    uint8_t q[8];
    fp8_quantize_rows(reinterpret_cast<const std::byte*>(w), DType::F32, 4, scales, 0, 2, q);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(q[i], 0);
    EXPECT_EQ(f8e4m3_to_f32(q[4]) * scales[1], 896.0f);
    EXPECT_EQ(f8e4m3_to_f32(q[5]) * scales[1], -448.0f);
    EXPECT_EQ(f8e4m3_to_f32(q[6]) * scales[1], 1.0f);
    EXPECT_EQ(f8e4m3_to_f32(q[7]) * scales[1], -896.0f);
}

TEST(Fp8Import, UnsupportedTypeIsRejectedBeforeAnyWrite) {
    TempDir tmp;
    store::ModelStore st(tmp.path() / "models");
    CreateRequest req;
    req.name = ModelName::parse("zq");
    req.source_dir = zimage_dev_dir();
    req.quantize = "int4";
    try {
        create_model(st, req, nullptr);
        FAIL() << "int4 accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
        EXPECT_STREQ(e.what(), "unsupported quantization type \"int4\": supported types are fp8");
    }
    EXPECT_TRUE(blob_files(st).empty());
    req.quantize = "FP8";  // case-sensitive like the reference
    EXPECT_THROW(create_model(st, req, nullptr), Error);
}

TEST(Fp8Import, ZimageDev) {
    TempDir tmp;
    store::ModelStore st(tmp.path() / "models");
    CreateRequest req;
    req.name = ModelName::parse("zq");
    req.source_dir = zimage_dev_dir();
    req.quantize = "fp8";
    std::vector<std::string> lines;
    create_model(st, req, [&](const Progress& p) {
        if (p.total == 0) lines.push_back(p.status);
    });
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "importing text_encoder/model.safetensors (35 tensors, quantizing to fp8)"),
              lines.end());
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "importing transformer/diffusion_pytorch_model.safetensors (73 tensors, quantizing to fp8)"),
              lines.end());
    EXPECT_NE(std::find(lines.begin(), lines.end(), "importing vae/diffusion_pytorch_model.safetensors (240 tensors)"),
              lines.end());

    auto e = st.get(ModelName::parse("zq"));
    std::map<std::string, const store::Layer*> by_name;
    for (auto& l : e.manifest.layers) by_name[l.name] = &l;

    size_t quantized = 0;
    uint64_t q_blob_bytes = 0, q_src_bytes = 0, tr_blob_bytes = 0, tr_src_bytes = 0;
    for (std::string component : {"text_encoder", "transformer", "vae"}) {
        fs::path f = zimage_dev_dir() / component /
                     (component == "text_encoder" ? "model.safetensors" : "diffusion_pytorch_model.safetensors");
        auto src = SafetensorsFile::open(f);
        for (const auto& t : src.tensors()) {
            auto it = by_name.find(component + "/" + t.name);
            ASSERT_NE(it, by_name.end()) << t.name;
            auto blob = SafetensorsFile::open(st.blobs().path_of(it->second->digest));
            if (component == "transformer") {
                tr_blob_bytes += it->second->size;
                tr_src_bytes += t.nbytes();
            }
            if (!expect_quantized(component, t.name, t.shape.size())) {
                ASSERT_EQ(blob.tensors().size(), 1u) << it->first;
                EXPECT_EQ(blob.tensors()[0].dtype, t.dtype) << it->first;
                EXPECT_TRUE(blob.metadata().empty());
                auto a = blob.data(blob.tensors()[0]), b = src.data(t);
                ASSERT_EQ(a.size(), b.size());
                EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size()), 0) << it->first;
                continue;
            }
            ++quantized;
            ASSERT_EQ(blob.tensors().size(), 2u) << it->first;
            EXPECT_EQ(blob.metadata().at("quant_type"), "fp8");
            const auto* w = blob.find(t.name);
            const auto* s = blob.find(t.name + ".scale");
            ASSERT_TRUE(w && s) << it->first;
            EXPECT_EQ(w->dtype, DType::F8_E4M3);
            EXPECT_EQ(w->shape, t.shape);
            EXPECT_EQ(s->dtype, DType::F32);
            EXPECT_EQ(s->shape, std::vector<int64_t>{t.shape[0]});
            EXPECT_EQ((blob.data_offset() + s->begin) % 4, 0u) << "scale must be float-aligned";
            const int64_t rows = t.shape[0], cols = t.numel() / rows;
            auto wd = blob.data(*w), sd = blob.data(*s), od = src.data(t);
            double err2 = 0, ref2 = 0;
            for (int64_t r = 0; r < rows; ++r) {
                float sc;
                std::memcpy(&sc, sd.data() + 4 * r, 4);
                for (int64_t c = 0; c < cols; ++c) {
                    size_t i = size_t(r * cols + c);
                    double ref = load_f32(od.data(), t.dtype, i);
                    double deq = double(f8e4m3_to_f32(uint8_t(wd[i]))) * sc;
                    err2 += (deq - ref) * (deq - ref);
                    ref2 += ref * ref;
                }
            }
            double rel = ref2 > 0 ? std::sqrt(err2 / ref2) : 0;
            std::printf("  fp8 %-55s rel L2 error %.4f\n", it->first.c_str(), rel);
            EXPECT_LT(rel, 0.05) << it->first;
            q_blob_bytes += it->second->size;
            q_src_bytes += t.nbytes();
        }
    }
    EXPECT_GT(quantized, 40u);
    double ratio = double(q_blob_bytes) / double(q_src_bytes);
    std::printf("fp8: %zu quantized tensors, blob/source bytes %.3f; whole transformer %.3f "
                "(zimage-dev's unquantized t_embedder is a large share of this tiny model)\n",
                quantized, ratio, double(tr_blob_bytes) / double(tr_src_bytes));
    EXPECT_GT(ratio, 0.45);
    EXPECT_LT(ratio, 0.6);

    auto mi = nlohmann::json::parse(*st.read_json(e, "model_index.json"));
    EXPECT_EQ(mi["quantization"], "FP8");
    auto cfg = nlohmann::json::parse(st.blobs().read(e.manifest.config.digest));
    EXPECT_EQ(cfg["file_type"], "fp8");
}

TEST(Fp8Import, SyntheticTransformerIsAboutHalf) {
    // Big matrices (no embeddings) so that the whole-transformer ratio is meaningful.
    TempDir tmp;
    fs::path dir = tmp.path() / "m";
    make_synth_model(dir, 8, 1, 256);
    store::ModelStore st(tmp.path() / "models");
    CreateRequest req;
    req.name = ModelName::parse("synq");
    req.source_dir = dir;
    req.quantize = "fp8";
    create_model(st, req, nullptr);
    auto e = st.get(req.name);
    uint64_t blob = 0, src = 0;
    for (auto& l : e.manifest.layers)
        if (l.name.starts_with("transformer/")) blob += l.size;
    for (auto& f : fs::directory_iterator(dir / "transformer"))
        if (f.path().extension() == ".safetensors")
            for (auto& t : SafetensorsFile::read_header(f.path())) src += t.nbytes();
    double ratio = double(blob) / double(src);
    std::printf("fp8 synthetic transformer: blob/source bytes %.3f\n", ratio);
    EXPECT_GT(ratio, 0.45);
    EXPECT_LT(ratio, 0.6);
}

}  // namespace
}  // namespace pictor::create
