// VAE decoder benchmark: decodes a random latent at 256², 512² (and optionally 1024²) and prints
// seconds and GFLOP/s (convolution + attention FLOPs of the decoder as configured).
//
// Usage: vae_bench MODEL_DIR [--make-full] [--f32] [--threads N] [--sizes 256,512,1024] [--reps N]
//                            [--tiling auto|on|off]
//   MODEL_DIR      a diffusers folder with vae/config.json and vae/*.safetensors
//   --make-full    first write a random full-size Z-Image/Flux VAE decoder (bf16, block_out_channels
//                  [128,256,512,512], ~100 MB) into MODEL_DIR/vae if it has none
//   defaults: bf16, 2 threads, sizes 256,512, 1 timed run after a warm-up decode.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/context.h"
#include "models/zimage/vae_decoder.h"
#include "store/model_files.h"
#include "store/safetensors.h"
#include "util/error.h"
#include "util/half.h"

namespace fs = std::filesystem;
using namespace pictor;

namespace {

// The decoder tensors of an AutoencoderKL config, as diffusers names them.
std::vector<store::TensorDecl> decoder_tensors(const std::vector<int64_t>& boc, int64_t layers, int64_t latent,
                                               int64_t out_ch) {
    std::vector<store::TensorDecl> t;
    auto conv = [&](const std::string& p, int64_t o, int64_t i, int64_t k) {
        t.push_back({p + ".weight", store::DType::BF16, {o, i, k, k}});
        t.push_back({p + ".bias", store::DType::BF16, {o}});
    };
    auto norm = [&](const std::string& p, int64_t c) {
        t.push_back({p + ".weight", store::DType::BF16, {c}});
        t.push_back({p + ".bias", store::DType::BF16, {c}});
    };
    auto res = [&](const std::string& p, int64_t i, int64_t o) {
        norm(p + ".norm1", i);
        conv(p + ".conv1", o, i, 3);
        norm(p + ".norm2", o);
        conv(p + ".conv2", o, o, 3);
        if (i != o) conv(p + ".conv_shortcut", o, i, 1);
    };
    std::vector<int64_t> rev(boc.rbegin(), boc.rend());
    const int64_t top = rev.front();
    conv("decoder.conv_in", top, latent, 3);
    res("decoder.mid_block.resnets.0", top, top);
    norm("decoder.mid_block.attentions.0.group_norm", top);
    for (const char* p : {"to_q", "to_k", "to_v", "to_out.0"}) {
        t.push_back({std::string("decoder.mid_block.attentions.0.") + p + ".weight", store::DType::BF16, {top, top}});
        t.push_back({std::string("decoder.mid_block.attentions.0.") + p + ".bias", store::DType::BF16, {top}});
    }
    res("decoder.mid_block.resnets.1", top, top);
    int64_t prev = top;
    for (size_t i = 0; i < rev.size(); ++i) {
        const std::string p = "decoder.up_blocks." + std::to_string(i);
        for (int64_t j = 0; j <= layers; ++j) res(p + ".resnets." + std::to_string(j), j ? rev[i] : prev, rev[i]);
        if (i + 1 < rev.size()) conv(p + ".upsamplers.0.conv", rev[i], rev[i], 3);
        prev = rev[i];
    }
    norm("decoder.conv_norm_out", rev.back());
    conv("decoder.conv_out", out_ch, rev.back(), 3);
    return t;
}

void make_full_vae(const fs::path& dir) {
    const fs::path vae = dir / "vae";
    if (fs::exists(vae / "config.json")) return;
    fs::create_directories(vae);
    nlohmann::json cfg = {{"_class_name", "AutoencoderKL"}, {"act_fn", "silu"},
                          {"block_out_channels", {128, 256, 512, 512}}, {"in_channels", 3},
                          {"out_channels", 3}, {"latent_channels", 16}, {"layers_per_block", 2},
                          {"norm_num_groups", 32}, {"mid_block_add_attention", true}, {"sample_size", 1024},
                          {"scaling_factor", 0.3611}, {"shift_factor", 0.1159}, {"force_upcast", true},
                          {"use_quant_conv", false}, {"use_post_quant_conv", false},
                          {"up_block_types", std::vector<std::string>(4, "UpDecoderBlock2D")}};
    std::ofstream(vae / "config.json") << cfg.dump(2) << "\n";
    const auto decls = decoder_tensors({128, 256, 512, 512}, 2, 16, 3);
    store::SafetensorsWriter wr(vae / "diffusion_pytorch_model.safetensors", decls);
    std::mt19937 rng(1);
    int64_t params = 0;
    for (const auto& d : decls) {
        int64_t n = 1, fan_in = 1;
        for (int64_t s : d.shape) n *= s;
        for (size_t k = 1; k < d.shape.size(); ++k) fan_in *= d.shape[k];
        // PyTorch's default init bound for weights; norm gains around 1; small biases.
        const bool gain = d.shape.size() == 1 && d.name.find("norm") != std::string::npos && d.name.ends_with(".weight");
        const float bound = d.shape.size() > 1 ? 1.0f / std::sqrt(float(fan_in)) : 0.05f;
        std::uniform_real_distribution<float> u(-bound, bound);
        std::vector<uint16_t> v(static_cast<size_t>(n));
        for (auto& x : v) x = f32_to_bf16((gain ? 1.0f : 0.0f) + u(rng));
        wr.write(v.data(), v.size() * 2);
        params += n;
    }
    wr.finish();
    std::printf("wrote a random full-size VAE decoder (%lld params, bf16) to %s\n", (long long)params, vae.c_str());
}

// Decoder FLOPs for a latent of h×w (2 per multiply-add): convolutions, attention projections and
// the attention itself (QKᵀ and PV: 4·N²·C).
double decoder_flops(const zimage::VaeConfig& c, int64_t h, int64_t w) {
    std::vector<int64_t> rev(c.block_out_channels.rbegin(), c.block_out_channels.rend());
    double hw = double(h * w), f = 0;
    auto conv = [&](double o, double i, double k) { f += 2.0 * hw * o * i * k * k; };
    const double top = double(rev.front());
    conv(top, double(c.latent_channels), 3);
    for (int r = 0; r < 2; ++r) conv(top, top, 3), conv(top, top, 3);
    if (c.mid_block_add_attention) f += 2.0 * hw * top * top * 4 + 4.0 * hw * hw * top;
    double prev = top;
    for (size_t i = 0; i < rev.size(); ++i) {
        const double ch = double(rev[i]);
        for (int64_t j = 0; j <= c.layers_per_block; ++j) {
            const double in = j ? ch : prev;
            conv(ch, in, 3), conv(ch, ch, 3);
            if (in != ch) conv(ch, in, 1);
        }
        if (i + 1 < rev.size()) hw *= 4, conv(ch, ch, 3);
        prev = ch;
    }
    conv(double(c.out_channels), double(rev.back()), 3);
    return f;
}

// Process CPU seconds (all threads): on a shared, oversubscribed machine wall time mostly
// measures the neighbours, while CPU time / threads still says how fast the kernels are.
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 2) {
        std::fprintf(stderr, "usage: vae_bench MODEL_DIR [--make-full] [--f32] [--threads N] [--sizes 256,512] "
                             "[--reps N] [--tiling auto|on|off]\n");
        return 2;
    }
    const fs::path dir = argv[1];
    bool make = false, f32 = false;
    int threads = 2, reps = 1;
    std::vector<int64_t> sizes{256, 512};
    zimage::VaeTiling tiling = zimage::VaeTiling::Off;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) fail(ErrorKind::InvalidArgument, a + " needs a value");
            return argv[++i];
        };
        if (a == "--make-full") make = true;
        else if (a == "--f32") f32 = true;
        else if (a == "--threads") threads = std::stoi(next());
        else if (a == "--reps") reps = std::max(1, std::stoi(next()));
        else if (a == "--tiling") {
            const std::string t = next();
            tiling = t == "on" ? zimage::VaeTiling::On : t == "auto" ? zimage::VaeTiling::Auto : zimage::VaeTiling::Off;
        } else if (a == "--sizes") {
            sizes.clear();
            std::stringstream ss(next());
            for (std::string s; std::getline(ss, s, ',');) sizes.push_back(std::stoll(s));
        } else fail(ErrorKind::InvalidArgument, "unknown option " + a);
    }
    if (make) make_full_vae(dir);

    engine::Context cx(f32 ? engine::Precision::F32 : engine::Precision::BF16, threads);
    auto files = store::ModelFiles::open_directory(dir);
    auto t0 = std::chrono::steady_clock::now();
    auto vae = zimage::VaeDecoder::load(cx, *files);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const zimage::VaeConfig& c = vae->config();
    std::printf("VAE %s: block_out_channels [", dir.c_str());
    for (size_t i = 0; i < c.block_out_channels.size(); ++i) std::printf("%s%lld", i ? "," : "", (long long)c.block_out_channels[i]);
    std::printf("], %s, %d threads, native bf16: %s, load %.2f s, weights %.1f MB\n", f32 ? "f32" : "bf16", threads,
                cx.native_bf16() ? "yes" : "no (emulated)", load_s, double(vae->resident_bytes()) / 1e6);

    const int64_t f = c.scale_factor();
    std::mt19937 rng(42);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int64_t px : sizes) {
        const int64_t h = px / f, w = px / f;
        std::vector<float> z(size_t(c.latent_channels * h * w));
        for (float& v : z) v = nd(rng);
        // Warm-up: oneDNN primitive creation for this shape and first-touch of the buffers.
        auto w0 = std::chrono::steady_clock::now();
        std::vector<float> out = vae->decode(z, h, w, tiling);
        const double first = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
        std::vector<double> t, cpu;
        for (int r = 0; r < reps; ++r) {
            auto a = std::chrono::steady_clock::now();
            const double c0 = cpu_seconds();
            out = vae->decode(z, h, w, tiling);
            cpu.push_back(cpu_seconds() - c0);
            t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
        }
        std::sort(t.begin(), t.end());
        std::sort(cpu.begin(), cpu.end());
        const double s = t[t.size() / 2], cs = cpu[cpu.size() / 2], fl = decoder_flops(c, h, w);
        bool finite = true;
        for (float v : out) finite = finite && std::isfinite(v);
        std::printf("%5lld² (latent %lldx%lld): %8.3f s  %7.1f GFLOP/s | CPU %.3f s = %.1f GFLOP/s per thread | "
                    "first %.3f s, %.3f TFLOP, %s, resident %.0f MB\n",
                    (long long)px, (long long)h, (long long)w, s, fl / s / 1e9, cs, fl / cs / 1e9, first, fl / 1e12,
                    finite ? "finite" : "NON-FINITE", double(vae->resident_bytes()) / 1e6);
        std::fflush(stdout);
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "vae_bench: %s\n", e.what());
    return 1;
}
