// pictor-dev generate: runs the Z-Image pipeline on a model folder or a stored model, writes
// the PNG and, with --dump, every intermediate as .npy in the layout of
// ../shared/testdata/zimage-dev (for differential testing against reference implementations).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "models/zimage/pipeline.h"
#include "store/model_files.h"
#include "store/model_store.h"
#include "tools.h"
#include "util/error.h"

namespace pictor::dev {

namespace {

struct GenerateArgs {
    std::string model, prompt, negative, output = "out.png", dump, precision = "bf16", tiling = "auto", models_dir;
    bool has_negative = false;
    int width = 0, height = 0, steps = 0, threads = 0;
    float guidance = -1;
    uint64_t seed = 0;
};

// A folder with model_index.json is read directly; anything else is a name in the store.
std::unique_ptr<store::ModelFiles> open_model(const GenerateArgs& a, std::string& display) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::path(a.model) / "model_index.json", ec)) {
        display = a.model;
        return store::ModelFiles::open_directory(a.model);
    }
    store::ModelStore st(a.models_dir.empty() ? store::ModelStore::default_root() : std::filesystem::path(a.models_dir));
    store::ModelEntry e = st.get(store::ModelName::parse(a.model));
    display = e.name.display();
    return store::ModelFiles::open_store_model(st, e);
}

int run_generate(const GenerateArgs& a) {
    using clock = std::chrono::steady_clock;
    zimage::PipelineOptions opts;
    if (a.precision == "f32") opts.precision = engine::Precision::F32;
    else if (a.precision != "bf16") fail(ErrorKind::InvalidArgument, "--precision must be bf16 or f32");
    opts.threads = a.threads;
    opts.dump_dir = a.dump;
    std::string display;
    auto t0 = clock::now();
    auto pipe = zimage::Pipeline::load(open_model(a, display), opts);
    auto t1 = clock::now();
    std::fprintf(stderr, "loaded %s in %.2f s\n", display.c_str(), std::chrono::duration<double>(t1 - t0).count());

    zimage::GenerateParams p;
    p.prompt = a.prompt;
    if (a.has_negative) p.negative_prompt = a.negative;
    p.width = a.width;
    p.height = a.height;
    p.steps = a.steps;
    if (a.guidance >= 0) p.guidance = a.guidance;
    p.seed = a.seed;
    p.model_name = display;
    p.tiling = a.tiling == "on" ? zimage::VaeTiling::On : a.tiling == "off" ? zimage::VaeTiling::Off : zimage::VaeTiling::Auto;

    auto last = clock::now();
    auto on_progress = [&](const zimage::ProgressEvent& ev) {
        auto now = clock::now();
        double dt = std::chrono::duration<double>(now - last).count();
        last = now;
        switch (ev.phase) {
            case zimage::Phase::TextEncoding: std::fprintf(stderr, "encoding text\n"); break;
            case zimage::Phase::Denoising:
                if (ev.step == 0) std::fprintf(stderr, "text encoding took %.2f s\n", dt);
                else std::fprintf(stderr, "step %d/%d  %.2f s\n", ev.step, ev.total, dt);
                break;
            case zimage::Phase::Decoding: std::fprintf(stderr, "decoding\n"); break;
        }
    };
    zimage::GeneratedImage img = pipe->generate(p, on_progress);
    std::fprintf(stderr, "decode + png took %.2f s\n",
                 std::chrono::duration<double>(clock::now() - last).count());
    std::ofstream out(a.output, std::ios::binary);
    out.write(reinterpret_cast<const char*>(img.png.data()), std::streamsize(img.png.size()));
    if (!out) fail(ErrorKind::Io, "cannot write " + a.output);
    std::printf("%s\n", a.output.c_str());
    return 0;
}

}  // namespace

void register_generate(CLI::App& app) {
    auto a = std::make_shared<GenerateArgs>();
    CLI::App* cmd = app.add_subcommand("generate", "Generate an image with a Z-Image model (folder or stored name)");
    cmd->add_option("--model", a->model, "Model folder (diffusers layout) or stored model name")->required();
    cmd->add_option("--prompt", a->prompt, "Prompt");
    cmd->add_option("--negative", a->negative, "Negative prompt (used when guidance > 0)")
        ->each([a](const std::string&) { a->has_negative = true; });
    cmd->add_option("--seed", a->seed, "Seed (torch.Generator('cpu').manual_seed)");
    cmd->add_option("--steps", a->steps, "Denoising steps (0 = model default)");
    cmd->add_option("--width", a->width, "Width in pixels (multiple of 16)");
    cmd->add_option("--height", a->height, "Height in pixels (multiple of 16)");
    cmd->add_option("--guidance", a->guidance, "Guidance scale (default: the model's)");
    cmd->add_option("--precision", a->precision, "bf16 (default) or f32");
    cmd->add_option("--tiling", a->tiling, "VAE tiling: auto, on, off");
    cmd->add_option("--threads", a->threads, "Threads (default: all cores)");
    cmd->add_option("--models", a->models_dir, "Models directory (default: PICTOR_MODELS or ~/.pictor/models)");
    cmd->add_option("-o,--output", a->output, "Output PNG");
    cmd->add_option("--dump", a->dump, "Write intermediates as .npy into this folder");
    cmd->callback([a] {
        int rc = run_generate(*a);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace pictor::dev
