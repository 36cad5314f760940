// Drives `pictor-dev make-model` and checks its output with the strict safetensors reader: the
// tensor names the configs imply (derived here independently of the generator), shapes, dtypes,
// shard indexes, determinism, and agreement with shared/testdata/zimage-dev.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "store/safetensors.h"
#include "util/error.h"
#include "util/half.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace pictor;
using namespace pictor::store;

namespace {

const fs::path kBinary = fs::path(PICTOR_BINARY_DIR) / "pictor-dev";
const fs::path kShared = fs::path(PICTOR_SHARED_DIR);
const fs::path kTokenizer = kShared / "testdata/qwen3-tokenizer";
const fs::path kDevModel = kShared / "testdata/zimage-dev/model";

struct RunResult {
    int status = -1;
    std::string output;
};

RunResult run_tool(const std::string& args) {
    std::string cmd = "'" + kBinary.string() + "' make-model " + args + " 2>&1";
    RunResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

json read_json(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every tensor of a component: name -> info, read from its single file or from the shards
// listed in the index (checking the index against the files on the way).
struct Component {
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, std::string> file_of;
};

Component load_component(const fs::path& dir, const std::string& base) {
    Component c;
    fs::path single = dir / (base + ".safetensors");
    fs::path index = dir / (base + ".safetensors.index.json");
    std::set<std::string> files;
    if (fs::exists(single)) {
        files.insert(single.filename().string());
    } else {
        json idx = read_json(index);
        for (auto it = idx.at("weight_map").begin(); it != idx.at("weight_map").end(); ++it) {
            files.insert(it.value().get<std::string>());
        }
    }
    uint64_t total = 0;
    for (const auto& f : files) {
        auto st = SafetensorsFile::open(dir / f);  // strict reader: throws on any defect
        EXPECT_EQ(st.metadata().at("format"), "pt");
        for (const auto& t : st.tensors()) {
            EXPECT_TRUE(c.tensors.emplace(t.name, t).second) << "tensor in two files: " << t.name;
            c.file_of[t.name] = f;
            total += t.nbytes();
        }
    }
    if (fs::exists(index)) {
        json idx = read_json(index);
        EXPECT_EQ(idx.at("metadata").at("total_size").get<uint64_t>(), total);
        EXPECT_EQ(idx.at("weight_map").size(), c.tensors.size());
        for (auto it = idx.at("weight_map").begin(); it != idx.at("weight_map").end(); ++it)
            EXPECT_EQ(c.file_of[it.key()], it.value().get<std::string>()) << it.key();
    }
    return c;
}

std::set<std::string> names_of(const Component& c) {
    std::set<std::string> s;
    for (const auto& [n, t] : c.tensors) s.insert(n);
    return s;
}

// ---- expected names, derived from the configs (zimage.md §2) --------------------------------

std::set<std::string> expected_transformer(const json& cfg) {
    std::set<std::string> s;
    std::string k = std::to_string(cfg["all_patch_size"][0].get<int>()) + "-" +
                    std::to_string(cfg["all_f_patch_size"][0].get<int>());
    for (std::string n : {"all_x_embedder." + k + ".weight", "all_x_embedder." + k + ".bias",
                          "all_final_layer." + k + ".adaLN_modulation.1.weight",
                          "all_final_layer." + k + ".adaLN_modulation.1.bias", "all_final_layer." + k + ".linear.weight",
                          "all_final_layer." + k + ".linear.bias", std::string("t_embedder.mlp.0.weight"),
                          std::string("t_embedder.mlp.0.bias"), std::string("t_embedder.mlp.2.weight"),
                          std::string("t_embedder.mlp.2.bias"), std::string("cap_embedder.0.weight"),
                          std::string("cap_embedder.1.weight"), std::string("cap_embedder.1.bias"),
                          std::string("x_pad_token"), std::string("cap_pad_token")})
        s.insert(n);
    auto block = [&](const std::string& p, bool modulated) {
        for (const char* n : {"attention.to_q.weight", "attention.to_k.weight", "attention.to_v.weight",
                              "attention.to_out.0.weight", "attention.norm_q.weight", "attention.norm_k.weight",
                              "feed_forward.w1.weight", "feed_forward.w2.weight", "feed_forward.w3.weight",
                              "attention_norm1.weight", "attention_norm2.weight", "ffn_norm1.weight", "ffn_norm2.weight"})
            s.insert(p + n);
        if (modulated) {
            s.insert(p + "adaLN_modulation.0.weight");
            s.insert(p + "adaLN_modulation.0.bias");
        }
    };
    for (int i = 0; i < cfg["n_refiner_layers"].get<int>(); ++i) {
        block("noise_refiner." + std::to_string(i) + ".", true);
        block("context_refiner." + std::to_string(i) + ".", false);
    }
    for (int i = 0; i < cfg["n_layers"].get<int>(); ++i) block("layers." + std::to_string(i) + ".", true);
    return s;
}

std::set<std::string> expected_text_encoder(const json& cfg) {
    std::set<std::string> s{"model.embed_tokens.weight", "model.norm.weight"};
    for (int i = 0; i < cfg["num_hidden_layers"].get<int>(); ++i)
        for (const char* n : {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                              "self_attn.o_proj.weight", "self_attn.q_norm.weight", "self_attn.k_norm.weight",
                              "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
                              "input_layernorm.weight", "post_attention_layernorm.weight"})
            s.insert("model.layers." + std::to_string(i) + "." + n);
    return s;
}

std::set<std::string> expected_vae(const json& cfg) {
    std::set<std::string> s;
    auto wb = [&](const std::string& p) {
        s.insert(p + ".weight");
        s.insert(p + ".bias");
    };
    auto resnet = [&](const std::string& p, bool shortcut) {
        for (const char* n : {"norm1", "conv1", "norm2", "conv2"}) wb(p + n);
        if (shortcut) wb(p + "conv_shortcut");
    };
    auto mid = [&](const std::string& p) {
        resnet(p + "resnets.0.", false);
        resnet(p + "resnets.1.", false);
        for (const char* n : {"group_norm", "to_q", "to_k", "to_v", "to_out.0"}) wb(p + "attentions.0." + n);
    };
    std::vector<int> ch = cfg["block_out_channels"].get<std::vector<int>>();
    int lpb = cfg["layers_per_block"].get<int>();
    size_t n = ch.size();
    for (const char* p : {"encoder.conv_in", "encoder.conv_norm_out", "encoder.conv_out", "decoder.conv_in",
                          "decoder.conv_norm_out", "decoder.conv_out"})
        wb(p);
    mid("encoder.mid_block.");
    mid("decoder.mid_block.");
    for (size_t b = 0; b < n; ++b) {
        int in = b ? ch[b - 1] : ch[0];
        for (int j = 0; j < lpb; ++j) {
            resnet("encoder.down_blocks." + std::to_string(b) + ".resnets." + std::to_string(j) + ".", j == 0 && in != ch[b]);
        }
        if (b + 1 < n) wb("encoder.down_blocks." + std::to_string(b) + ".downsamplers.0.conv");
        int out = ch[n - 1 - b], prev = b ? ch[n - b] : ch[n - 1];
        for (int j = 0; j <= lpb; ++j)
            resnet("decoder.up_blocks." + std::to_string(b) + ".resnets." + std::to_string(j) + ".", j == 0 && prev != out);
        if (b + 1 < n) wb("decoder.up_blocks." + std::to_string(b) + ".upsamplers.0.conv");
    }
    return s;
}

class MakeModelTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(kBinary)) GTEST_SKIP() << kBinary << " is not built";
        if (!fs::exists(kTokenizer)) GTEST_SKIP() << "no tokenizer at " << kTokenizer;
        dir_ = fs::temp_directory_path() /
               ("pictor-mm-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    std::string tok() const { return " --tokenizer-dir '" + kTokenizer.string() + "'"; }
    fs::path dir_;
};

std::vector<int64_t> shape(std::initializer_list<int64_t> s) { return s; }

}  // namespace

TEST_F(MakeModelTest, ShardedMixedDtypes) {
    const std::string opts = " --seed 7 --shards 3 --transformer-dtype F16 --text-encoder-dtype bf16 --vae-dtype F32"
                             " --dim 64 --heads 2 --layers 3 --refiners 2 --axes-dims 8,12,12 --te-hidden 48"
                             " --te-layers 2 --te-heads 4 --te-kv-heads 1 --te-head-dim 16 --te-intermediate 96"
                             " --te-vocab 1000 --vae-channels 32,64 --vae-layers-per-block 1 --shift 1.5";
    auto r = run_tool("'" + (dir_ / "a").string() + "'" + opts + tok());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("transformer"), std::string::npos) << r.output;
    const fs::path m = dir_ / "a";

    json tcfg = read_json(m / "transformer/config.json");
    json tecfg = read_json(m / "text_encoder/config.json");
    json vcfg = read_json(m / "vae/config.json");
    EXPECT_EQ(tcfg["dim"], 64);
    EXPECT_EQ(tcfg["cap_feat_dim"], 48);  // follows --te-hidden
    EXPECT_EQ(tecfg["torch_dtype"], "bfloat16");
    EXPECT_EQ(tecfg["num_key_value_heads"], 1);
    EXPECT_EQ(read_json(m / "scheduler/scheduler_config.json")["shift"].get<double>(), 1.5);
    EXPECT_EQ(vcfg["block_out_channels"], json::array({32, 64}));
    EXPECT_EQ(vcfg["down_block_types"].size(), 2u);

    auto tr = load_component(m / "transformer", "diffusion_pytorch_model");
    auto te = load_component(m / "text_encoder", "model");
    auto vae = load_component(m / "vae", "diffusion_pytorch_model");
    EXPECT_EQ(names_of(tr), expected_transformer(tcfg));
    EXPECT_EQ(names_of(te), expected_text_encoder(tecfg));
    EXPECT_EQ(names_of(vae), expected_vae(vcfg));
    EXPECT_EQ(tr.tensors.size(), size_t(15 + 15 * (3 + 2) + 13 * 2));
    EXPECT_EQ(te.tensors.size(), size_t(2 + 11 * 2));
    for (const auto& [n, t] : tr.tensors) EXPECT_EQ(t.dtype, DType::F16) << n;
    for (const auto& [n, t] : te.tensors) EXPECT_EQ(t.dtype, DType::BF16) << n;
    for (const auto& [n, t] : vae.tensors) EXPECT_EQ(t.dtype, DType::F32) << n;
    for (int k = 1; k <= 3; ++k) {
        char f[64];
        std::snprintf(f, sizeof f, "diffusion_pytorch_model-%05d-of-00003.safetensors", k);
        EXPECT_TRUE(fs::exists(m / "transformer" / f)) << f;
        std::snprintf(f, sizeof f, "model-%05d-of-00003.safetensors", k);
        EXPECT_TRUE(fs::exists(m / "text_encoder" / f)) << f;
    }
    EXPECT_FALSE(fs::exists(m / "vae/diffusion_pytorch_model.safetensors"));

    EXPECT_EQ(tr.tensors["all_x_embedder.2-1.weight"].shape, shape({64, 64}));
    EXPECT_EQ(tr.tensors["layers.2.feed_forward.w1.weight"].shape, shape({170, 64}));  // int(64/3*8)
    EXPECT_EQ(tr.tensors["layers.0.feed_forward.w2.weight"].shape, shape({64, 170}));
    EXPECT_EQ(tr.tensors["noise_refiner.1.adaLN_modulation.0.weight"].shape, shape({256, 64}));  // [4D, min(D,256)]
    EXPECT_EQ(tr.tensors["all_final_layer.2-1.adaLN_modulation.1.weight"].shape, shape({64, 64}));
    EXPECT_EQ(tr.tensors["t_embedder.mlp.0.weight"].shape, shape({1024, 256}));
    EXPECT_EQ(tr.tensors["t_embedder.mlp.2.weight"].shape, shape({64, 1024}));
    EXPECT_EQ(tr.tensors["cap_embedder.1.weight"].shape, shape({64, 48}));
    EXPECT_EQ(tr.tensors["context_refiner.1.attention.norm_q.weight"].shape, shape({32}));
    EXPECT_EQ(tr.tensors["x_pad_token"].shape, shape({1, 64}));
    EXPECT_EQ(te.tensors["model.embed_tokens.weight"].shape, shape({1000, 48}));
    EXPECT_EQ(te.tensors["model.layers.1.self_attn.q_proj.weight"].shape, shape({64, 48}));
    EXPECT_EQ(te.tensors["model.layers.1.self_attn.k_proj.weight"].shape, shape({16, 48}));
    EXPECT_EQ(te.tensors["model.layers.0.self_attn.o_proj.weight"].shape, shape({48, 64}));
    EXPECT_EQ(te.tensors["model.layers.0.mlp.down_proj.weight"].shape, shape({48, 96}));
    EXPECT_EQ(vae.tensors["encoder.conv_in.weight"].shape, shape({32, 3, 3, 3}));
    EXPECT_EQ(vae.tensors["encoder.down_blocks.1.resnets.0.conv_shortcut.weight"].shape, shape({64, 32, 1, 1}));
    EXPECT_EQ(vae.tensors["encoder.conv_out.weight"].shape, shape({32, 64, 3, 3}));
    EXPECT_EQ(vae.tensors["decoder.conv_in.weight"].shape, shape({64, 16, 3, 3}));
    EXPECT_EQ(vae.tensors["decoder.up_blocks.1.resnets.0.conv1.weight"].shape, shape({32, 64, 3, 3}));
    EXPECT_EQ(vae.tensors["decoder.conv_out.weight"].shape, shape({3, 32, 3, 3}));

    // Values: linear weights within PyTorch's ±1/sqrt(fan_in), norms near 1, all finite.
    {
        const auto& t = tr.tensors["layers.0.attention.to_q.weight"];
        auto f = SafetensorsFile::open(m / "transformer" / tr.file_of["layers.0.attention.to_q.weight"]);
        auto bytes = f.data(*f.find(t.name));
        const auto* h = reinterpret_cast<const uint16_t*>(bytes.data());
        float mn = 1e9f, mx = -1e9f;
        double sum = 0;
        for (int64_t i = 0; i < t.numel(); ++i) {
            float v = f16_to_f32(h[i]);
            ASSERT_TRUE(std::isfinite(v));
            mn = std::min(mn, v);
            mx = std::max(mx, v);
            sum += v;
        }
        EXPECT_LE(mx, 0.126f);
        EXPECT_GE(mn, -0.126f);
        EXPECT_GT(mx - mn, 0.2f);
        EXPECT_LT(std::fabs(sum / double(t.numel())), 0.01);
    }
    {
        auto f = SafetensorsFile::open(m / "text_encoder" / te.file_of["model.norm.weight"]);
        auto bytes = f.data(*f.find("model.norm.weight"));
        const auto* h = reinterpret_cast<const uint16_t*>(bytes.data());
        for (int i = 0; i < 48; ++i) {
            float v = bf16_to_f32(h[i]);
            EXPECT_GE(v, 0.89f);
            EXPECT_LE(v, 1.11f);
        }
    }
    EXPECT_EQ(slurp(m / "tokenizer/tokenizer.json"), slurp(kTokenizer / "tokenizer.json"));
    EXPECT_EQ(slurp(m / "tokenizer/tokenizer_config.json"), slurp(kTokenizer / "tokenizer_config.json"));
    EXPECT_TRUE(fs::exists(m / "text_encoder/generation_config.json"));
    EXPECT_EQ(read_json(m / "model_index.json")["_class_name"], "ZImagePipeline");

    // Same seed: byte-identical tree. Other seed: same configs, different weights.
    ASSERT_EQ(run_tool("'" + (dir_ / "b").string() + "'" + opts + tok()).status, 0);
    std::string other = opts;
    other.replace(other.find("--seed 7"), 8, "--seed 8");
    ASSERT_EQ(run_tool("'" + (dir_ / "c").string() + "'" + other + tok()).status, 0);
    size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(m)) {
        if (!e.is_regular_file()) continue;
        ++files;
        fs::path rel = fs::relative(e.path(), m);
        ASSERT_TRUE(fs::exists(dir_ / "b" / rel)) << rel;
        EXPECT_TRUE(slurp(e.path()) == slurp(dir_ / "b" / rel)) << rel << " differs between identical runs";
        bool weights = rel.extension() == ".safetensors";
        EXPECT_EQ(slurp(e.path()) == slurp(dir_ / "c" / rel), !weights) << rel;
    }
    // model_index, scheduler, tokenizer ×2, and per component config + 3 shards + index
    // (+ generation_config for the text encoder).
    EXPECT_EQ(files, 20u);
}

TEST_F(MakeModelTest, DefaultsMatchZImageDev) {
    if (!fs::exists(kDevModel)) GTEST_SKIP() << "no zimage-dev model";
    auto r = run_tool("'" + (dir_ / "m").string() + "'" + tok());
    ASSERT_EQ(r.status, 0) << r.output;
    const fs::path m = dir_ / "m";
    for (const char* cfg : {"model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
                            "transformer/config.json", "vae/config.json"})
        EXPECT_EQ(read_json(m / cfg), read_json(kDevModel / cfg)) << cfg;
    for (const char* f : {"transformer/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
                          "vae/diffusion_pytorch_model.safetensors"}) {
        SCOPED_TRACE(f);
        auto got = SafetensorsFile::read_header(m / f);
        auto want = SafetensorsFile::read_header(kDevModel / f);
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].name, want[i].name);
            EXPECT_EQ(got[i].shape, want[i].shape) << got[i].name;
            EXPECT_EQ(got[i].dtype, want[i].dtype) << got[i].name;
        }
    }
}

TEST_F(MakeModelTest, FullShapesMatchPublishedParameterCounts) {
    auto r = run_tool("'" + (dir_ / "full").string() + "' --full --dry-run" + tok());
    ASSERT_EQ(r.status, 0) << r.output;
    // zimage.md §9 / §1.1: the exact parameter counts of Z-Image-Turbo.
    EXPECT_NE(r.output.find("transformer 6.15B params (6154908736, 521 tensors)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("text_encoder 4.02B params (4022468096, 398 tensors)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("(83819683, "), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "full"));
}

TEST_F(MakeModelTest, RejectsBadOptions) {
    auto bad = [&](const std::string& args, const std::string& why) {
        auto r = run_tool("'" + (dir_ / "x").string() + "' " + args + tok());
        EXPECT_NE(r.status, 0) << args;
        EXPECT_NE(r.output.find(why), std::string::npos) << args << " -> " << r.output;
    };
    bad("--cap-feat-dim 32", "must equal --te-hidden");
    bad("--axes-dims 8,8,8", "must sum to the head dim");
    bad("--dim 100 --heads 3", "multiple of --heads");
    bad("--dtype F8", "unknown weight dtype");
    bad("--vae-channels 32,48", "multiples of 32");
    bad("--te-heads 4 --te-kv-heads 3", "--te-kv-heads");
    bad("--shards 100000", "--shards");
    auto r = run_tool("'" + (dir_ / "y").string() + "' --tokenizer-dir '" + (dir_ / "none").string() + "'");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("tokenizer.json"), std::string::npos) << r.output;
    // An existing non-empty folder is never overwritten.
    fs::create_directories(dir_ / "z");
    std::ofstream(dir_ / "z" / "keep") << "x";
    r = run_tool("'" + (dir_ / "z").string() + "'" + tok());
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("not empty"), std::string::npos) << r.output;
}
