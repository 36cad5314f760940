// dit_bench: seconds per Z-Image DiT forward and achieved GFLOP/s.
//
//   dit_bench MODEL_DIR [--size PX | --size WxH] [--cap N] [--iters N] [--threads N] [--precision bf16|f32]
//
// MODEL_DIR is a diffusers folder (transformer/config.json + safetensors), e.g. from
// `pictor-dev make-model DIR --full`. Inputs are random (the timing does not depend on them);
// the caption (context refiner) is prepared once, as in the pipeline, and not timed per step.
// FLOPs count the matmuls and attention of one forward (spec §9: 2 per multiply-add). When the
// model has fewer blocks than the real one, the time of the real 30+2-layer model at the same
// GFLOP/s is printed as well.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "engine/context.h"
#include "models/zimage/transformer.h"
#include "store/model_files.h"
#include "util/error.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: dit_bench MODEL_DIR [--size PX|WxH] [--cap TOKENS] [--iters N] [--threads N] "
                 "[--precision bf16|f32]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace pictor;
    if (argc < 2) usage();
    std::string dir = argv[1];
    int64_t width = 256, height = 256, cap_len = 32;
    int iters = 3, threads = 2;
    engine::Precision precision = engine::Precision::BF16;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--size") {
            std::string s = next();
            auto x = s.find('x');
            width = std::stoll(s.substr(0, x));
            height = x == std::string::npos ? width : std::stoll(s.substr(x + 1));
        } else if (a == "--cap") {
            cap_len = std::stoll(next());
        } else if (a == "--iters") {
            iters = std::stoi(next());
        } else if (a == "--threads") {
            threads = std::stoi(next());
        } else if (a == "--precision") {
            std::string p = next();
            if (p == "f32") precision = engine::Precision::F32;
            else if (p != "bf16") usage();
        } else {
            usage();
        }
    }
    if (width % 16 || height % 16 || iters < 1 || cap_len < 1) usage();

    try {
        engine::Context cx(precision, threads);
        std::printf("precision %s, %d threads, isa %s, native bf16 %s\n",
                    precision == engine::Precision::BF16 ? "bf16" : "f32", cx.num_threads(),
                    cx.isa() == engine::Isa::Avx512 ? "avx512" : "avx2", cx.native_bf16() ? "yes" : "no");
        auto files = store::ModelFiles::open_directory(dir);
        auto t0 = Clock::now();
        auto dit = zimage::Transformer::load(cx, *files);
        const auto& cfg = dit->config();
        std::printf("load: %.2f s, dim %lld, %lld layers + %lld refiners, resident %.1f MB\n", seconds_since(t0),
                    (long long)cfg.dim, (long long)cfg.n_layers, (long long)cfg.n_refiner_layers,
                    double(dit->resident_bytes()) / 1e6);

        std::mt19937 rng(1);
        std::normal_distribution<float> nd;
        const int64_t h = height / 8, w = width / 8;
        std::vector<float> latent(size_t(cfg.in_channels * h * w)), feats(size_t(cap_len * cfg.cap_feat_dim));
        for (float& v : latent) v = nd(rng);
        for (float& v : feats) v = nd(rng);

        t0 = Clock::now();
        auto cap = dit->prepare_caption(feats, cap_len);
        std::printf("prepare_caption (%lld tokens): %.3f s\n", (long long)cap_len, seconds_since(t0));

        const double flops = dit->forward_flops(h, w, cap_len);
        const int64_t n_img = (h / 2) * (w / 2);
        const int64_t tokens = (n_img + 31) / 32 * 32 + (cap_len + 31) / 32 * 32;
        std::vector<double> times, cpu_times;
        for (int it = 0; it <= iters; ++it) {  // iteration 0 warms up (primitive creation, buffers)
            t0 = Clock::now();
            const std::clock_t c0 = std::clock();
            auto out = dit->forward(latent, h, w, 0.5f, *cap);
            const double s = seconds_since(t0);
            // Process CPU seconds over all threads: on a shared machine wall time alone overstates
            // the cost when other processes take the cores.
            const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
            std::printf("  forward %d: %.3f s wall, %.3f s CPU (%.1f GFLOP per CPU-second)%s\n", it, s, cpu, flops / cpu / 1e9,
                        it == 0 ? " (warm-up)" : "");
            if (it > 0) times.push_back(s);
        }
        std::sort(times.begin(), times.end());
        const double med = times[times.size() / 2];
        std::printf("%lldx%lld px, %lld tokens (%lld image + caption %lld): %.3f s/forward (median of %d, best %.3f), "
                    "%.2f TFLOP, %.1f GFLOP/s\n",
                    (long long)width, (long long)height, (long long)tokens, (long long)n_img, (long long)cap_len, med,
                    iters, times.front(), flops / 1e12, flops / med / 1e9);
        if (cfg.n_layers != 30 || cfg.n_refiner_layers != 2) {
            zimage::TransformerConfig full = cfg;
            full.n_layers = 30;
            full.n_refiner_layers = 2;
            const double full_flops = zimage::Transformer::forward_flops(full, h, w, cap_len);
            std::printf("  -> a 30-layer, 2-refiner model of this width at this rate: %.1f s/forward (%.2f TFLOP)\n",
                        full_flops / (flops / med), full_flops / 1e12);
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "dit_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
