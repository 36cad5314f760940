// Helpers shared by the create tests: temporary folders, a tiny safetensors writer (kept
// independent of the store's writer so the tests check the importer against a second opinion),
// synthetic diffusers folders of any size, and blob inspection.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/model_store.h"
#include "store/safetensors.h"
#include "util/half.h"

namespace pictor::create::testing {

namespace fs = std::filesystem;

inline fs::path zimage_dev_dir() { return fs::path(PICTOR_SHARED_DIR) / "testdata" / "zimage-dev" / "model"; }

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("pictor-create-test-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Copies a folder tree, making the copies writable (the shared test data is read-only).
inline void copy_tree(const fs::path& from, const fs::path& to) {
    fs::copy(from, to, fs::copy_options::recursive);
    for (auto& e : fs::recursive_directory_iterator(to))
        fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
    fs::permissions(to, fs::perms::owner_write, fs::perm_options::add);
}

struct SynthTensor {
    std::string name;
    std::string dtype;  // "BF16" or "F32"
    std::vector<int64_t> shape;
};

inline uint64_t numel_of(const std::vector<int64_t>& shape) {
    uint64_t n = 1;
    for (auto d : shape) n *= uint64_t(d);
    return n;
}

// Writes a safetensors file with pseudo-random, tensor-specific values (weights ~ U(-0.05, 0.05)
// scaled per row so rows have different magnitudes) — distinct tensors never share a blob.
inline void write_synth_safetensors(const fs::path& path, const std::vector<SynthTensor>& tensors, uint64_t seed) {
    nlohmann::ordered_json h = nlohmann::ordered_json::object();
    h["__metadata__"] = {{"format", "pt"}};
    uint64_t off = 0;
    for (const auto& t : tensors) {
        uint64_t nb = numel_of(t.shape) * (t.dtype == "F32" ? 4 : 2);
        h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {off, off + nb}}};
        off += nb;
    }
    std::string hs = h.dump();
    while (hs.size() % 8) hs += ' ';
    std::ofstream out(path, std::ios::binary);
    uint64_t hl = hs.size();
    out.write(reinterpret_cast<const char*>(&hl), 8);
    out.write(hs.data(), std::streamsize(hs.size()));
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    std::vector<char> buf;
    for (const auto& t : tensors) {
        const uint64_t n = numel_of(t.shape);
        const uint64_t cols = t.shape.empty() ? 1 : uint64_t(t.shape.back());
        const size_t es = t.dtype == "F32" ? 4 : 2;
        buf.resize(std::min<uint64_t>(n, 1u << 22) * es);
        float row_scale = 1.0f;
        for (uint64_t done = 0; done < n;) {
            uint64_t m = std::min<uint64_t>(n - done, buf.size() / es);
            for (uint64_t i = 0; i < m; ++i) {
                if ((done + i) % cols == 0) row_scale = 0.25f + float((s >> 40) & 0xff) / 64.0f;
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                float v = (float(uint32_t(s >> 32)) / 4294967296.0f - 0.5f) * 0.1f * row_scale;
                if (es == 4) std::memcpy(&buf[i * 4], &v, 4);
                else { uint16_t b = pictor::f32_to_bf16(v); std::memcpy(&buf[i * 2], &b, 2); }
            }
            out.write(buf.data(), std::streamsize(m * es));
            done += m;
        }
    }
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

inline void write_text(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << s;
}

// A diffusers folder of roughly `transformer_mb` MiB of BF16 transformer weights in `shards`
// files, plus a small text encoder and VAE. dim must be a multiple of 64.
inline void make_synth_model(const fs::path& dir, uint64_t transformer_mb, int shards = 2, int64_t dim = 1024,
                             uint64_t seed = 1) {
    fs::create_directories(dir / "transformer");
    fs::create_directories(dir / "text_encoder");
    fs::create_directories(dir / "vae");
    write_text(dir / "model_index.json",
               R"({"_class_name":"ZImagePipeline","_diffusers_version":"0.36.0","transformer":["diffusers","ZImageTransformer2DModel"],"vae":["diffusers","AutoencoderKL"]})");
    write_text(dir / "transformer" / "config.json", R"({"dim":)" + std::to_string(dim) + "}");
    write_text(dir / "text_encoder" / "config.json", R"({"torch_dtype":"bfloat16"})");
    write_text(dir / "vae" / "config.json", R"({"latent_channels":16})");
    // Per layer: to_q/to_k/to_v/to_out (dim x dim) + w1/w3 (4dim x dim) + w2 (dim x 4dim) + norms.
    const uint64_t layer_bytes = uint64_t(dim) * uint64_t(dim) * 2 * (4 + 12);
    const uint64_t layers = std::max<uint64_t>(1, (transformer_mb << 20) / layer_bytes);
    const uint64_t per_shard = (layers + uint64_t(shards) - 1) / uint64_t(shards);
    for (int s = 0; s < shards; ++s) {
        std::vector<SynthTensor> ts;
        for (uint64_t l = uint64_t(s) * per_shard; l < std::min(layers, uint64_t(s + 1) * per_shard); ++l) {
            std::string p = "layers." + std::to_string(l) + ".";
            for (const char* n : {"to_q", "to_k", "to_v", "to_out.0"})
                ts.push_back({p + "attention." + n + ".weight", "BF16", {dim, dim}});
            ts.push_back({p + "feed_forward.w1.weight", "BF16", {4 * dim, dim}});
            ts.push_back({p + "feed_forward.w2.weight", "BF16", {dim, 4 * dim}});
            ts.push_back({p + "feed_forward.w3.weight", "BF16", {4 * dim, dim}});
            ts.push_back({p + "attention_norm1.weight", "BF16", {dim}});
            ts.push_back({p + "attention.to_out.0.bias", "BF16", {dim}});
        }
        char name[96];
        std::snprintf(name, sizeof name, "diffusion_pytorch_model-%05d-of-%05d.safetensors", s + 1, shards);
        write_synth_safetensors(dir / "transformer" / name, ts, seed * 1000 + uint64_t(s));
    }
    write_text(dir / "transformer" / "diffusion_pytorch_model.safetensors.index.json", "{}");
    write_synth_safetensors(dir / "text_encoder" / "model.safetensors",
                            {{"model.embed_tokens.weight", "BF16", {512, 64}},
                             {"model.layers.0.self_attn.q_proj.weight", "BF16", {64, 64}},
                             {"model.norm.weight", "BF16", {64}}},
                            seed * 1000 + 900);
    write_synth_safetensors(dir / "vae" / "diffusion_pytorch_model.safetensors",
                            {{"decoder.conv_in.weight", "F32", {32, 16, 3, 3}}, {"decoder.conv_in.bias", "F32", {32}}},
                            seed * 1000 + 901);
}

inline std::set<std::string> blob_files(const store::ModelStore& st) {
    std::set<std::string> r;
    std::error_code ec;
    if (!fs::is_directory(st.blobs().dir(), ec)) return r;
    for (auto& e : fs::directory_iterator(st.blobs().dir())) r.insert(e.path().filename().string());
    return r;
}

// Every blob of the model (layers, config) re-hashes to its name.
inline void expect_model_intact(const store::ModelStore& st, const store::ModelName& name) {
    auto e = st.find(name);
    ASSERT_TRUE(e.has_value()) << name.display() << " is gone";
    EXPECT_TRUE(st.blobs().verify(e->manifest.config.digest));
    for (const auto& l : e->manifest.layers) EXPECT_TRUE(st.blobs().verify(l.digest)) << l.name;
}

}  // namespace pictor::create::testing
