// pictor_bench: the end-to-end benchmark of issue 3 ("Performance"). It generates the random
// full-size Z-Image-Turbo model once (`pictor-dev make-model --full` shapes), imports it into a
// temporary store (optionally quantized to fp8), and measures with 2 threads, per phase:
//
//   model load        ModelFiles open + Pipeline::load
//   text encoding     at ≈20 and ≈100 tokens (chat template included), each run twice; the
//                     second (warm page cache) is reported
//   denoising         seconds per DiT step at each size (the first step of a run faults the
//                     weights in and creates primitives, so it is reported apart when --steps ≥ 2)
//   VAE decode        at each size (includes the u8 conversion and PNG encoding, a few ms)
//   peak RSS          VmHWM of /proc/self/status, per phase (reset through /proc/self/clear_refs
//                     "5" at each phase boundary) and over the whole run
//
// Everything goes through the public Pipeline: its progress callback marks the phase
// boundaries (TextEncoding -> Denoising 0 -> each step -> Decoding -> return), and a text-only
// measurement cancels the generation when denoising would start. So the numbers are what
// `pictor run` pays, release of the text encoder's pages included.
//
// Achieved GFLOP/s of a DiT step = FLOPs / (s/step), FLOPs from Transformer::forward_flops,
// 2 FLOPs per multiply-add, matmuls and attention only:
//   D = dim, F = int(D/3·8) (FFN), P = p²·C (patch features), n_img = (H/16)·(W/16) image
//   tokens, n_p = round_up(n_img, 32), n = n_p + round_up(cap_tokens, 32),
//   block(rows, out) = 2·rows·3D² (QKV) + 2·out·D² (attention out) + 2·out·3·D·F (SwiGLU)
//                    + 4·out·rows·D (QKᵀ and P·V),
//   step = 2·n_img·P·D (x embedder) + 2·n_img·D·P (final layer)
//        + n_refiner·block(n_p, n_p) (noise refiner) + (n_layers−1)·block(n, n) + block(n, n_img)
//          (the last layer only computes image rows).
// The context refiner runs once per prompt and adaLN/t-embedder matmuls (one row) are left out.
// 256²: 3.3 TFLOP, 512²: 12.5 TFLOP for the real model. The ceiling is the bf16 `vdpbf16ps`
// peak of ../shared/spec/cpu-ceilings.md (233 GFLOP/s per thread, 455 at 2 threads; with
// --precision f32 the fp32 FMA peak, 116 and 230).
//
// Usage: pictor_bench [options]   (a Markdown table on stdout, progress on stderr)
//   --model-dir DIR   use the model folder DIR; generated there first when it does not exist
//                     (kept afterwards, so the ~20 GB are written once)
//   --work-dir DIR    where the temporary model/store go (default: the system temp folder)
//   --tiny            the tiny generator preset instead of --full (a smoke run in seconds)
//   --sizes 256,512   image sizes (square, multiples of 16)
//   --steps N         denoising steps timed per size (default 2)
//   --threads N       default: PICTOR_NUM_THREADS, else 2
//   --precision bf16|f32
//   --quantize fp8    import with fp8 weights (targets: ≤ 9 GiB peak RSS)
//   --skip-import     run from the folder directly (no store; no --quantize)
//   --keep            keep the temporary folders
//   --dry-run         print the plan (sizes, disk and memory needed) and exit
//   --keep-text-encoder  PipelineOptions::release_text_encoder = false (keep its weights
//                     resident: faster repeated encodes, the peak RSS of both models)
//   --text-only       measure load and text encoding only (no denoising or decoding)
//   --tokenizer-dir   tokenizer for generated models (default ../shared/testdata/qwen3-tokenizer)
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "create/import.h"
#include "engine/context.h"
#include "model_generator.h"
#include "models/qwen3/tokenizer.h"
#include "models/zimage/pipeline.h"
#include "models/zimage/transformer.h"
#include "models/zimage/transformer_config.h"
#include "store/model_files.h"
#include "store/model_store.h"
#include "store/names.h"
#include "util/error.h"

#ifndef PICTOR_SHARED_DIR
#define PICTOR_SHARED_DIR "../shared"
#endif

namespace fs = std::filesystem;
using namespace pictor;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// ---- process measurements ------------------------------------------------------------------

// A /proc/self/status field ("VmHWM", "VmRSS") in bytes; -1 when absent.
int64_t status_bytes(const char* key) {
    std::ifstream in("/proc/self/status");
    const std::string prefix = std::string(key) + ":";
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size())) * 1024;
    return -1;
}

// "5" resets VmHWM to the current RSS (Linux ≥ 4.0), which makes per-phase peaks possible.
bool reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return bool(out);
}

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

using Clock = std::chrono::steady_clock;

// Phase boundaries: each mark() closes the interval since the previous one.
class Meter {
public:
    struct Interval {
        double wall = 0, cpu = 0;
        int64_t peak = 0, rss_after = 0;  // bytes
    };
    Meter() { start(); }
    void start() {
        hwm_resets_ = reset_peak_rss();
        t_ = Clock::now();
        c_ = cpu_seconds();
    }
    Interval mark() {
        Interval iv;
        const auto now = Clock::now();
        const double c = cpu_seconds();
        iv.wall = std::chrono::duration<double>(now - t_).count();
        iv.cpu = c - c_;
        iv.peak = status_bytes("VmHWM");
        iv.rss_after = status_bytes("VmRSS");
        overall_peak_ = std::max(overall_peak_, iv.peak);
        hwm_resets_ = reset_peak_rss() && hwm_resets_;
        // Read the clock after the /proc work so that it is not charged to the next phase.
        t_ = Clock::now();
        c_ = cpu_seconds();
        return iv;
    }
    int64_t overall_peak() const { return std::max(overall_peak_, status_bytes("VmHWM")); }
    bool per_phase_peaks() const { return hwm_resets_; }

private:
    Clock::time_point t_;
    double c_ = 0;
    int64_t overall_peak_ = 0;
    bool hwm_resets_ = true;
};

// ---- options -------------------------------------------------------------------------------

struct Options {
    std::string model_dir, work_dir, tokenizer_dir = std::string(PICTOR_SHARED_DIR) + "/testdata/qwen3-tokenizer";
    bool tiny = false, skip_import = false, keep = false, dry_run = false, keep_text_encoder = false, text_only = false;
    std::vector<int> sizes{256, 512};
    int steps = 2, threads = 0;
    engine::Precision precision = engine::Precision::BF16;
    std::string quantize;
};

[[noreturn]] void usage(const std::string& why = {}) {
    if (!why.empty()) std::fprintf(stderr, "pictor_bench: %s\n", why.c_str());
    std::fprintf(stderr,
                 "usage: pictor_bench [--model-dir DIR] [--work-dir DIR] [--tiny] [--sizes 256,512] [--steps N]\n"
                 "                    [--threads N] [--precision bf16|f32] [--quantize fp8] [--skip-import]\n"
                 "                    [--keep] [--dry-run] [--keep-text-encoder] [--text-only] [--tokenizer-dir DIR]\n");
    std::exit(2);
}

Options parse_options(int argc, char** argv) {
    Options o;
    if (const char* env = std::getenv("PICTOR_NUM_THREADS")) o.threads = std::atoi(env);
    if (o.threads <= 0) o.threads = 2;  // the setting, not "all cores"
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        auto to_int = [&](const std::string& s) {
            try {
                size_t used = 0;
                int v = std::stoi(s, &used);
                if (used == s.size()) return v;
            } catch (const std::exception&) {
            }
            usage(a + ": not an integer: " + s);
        };
        if (a == "--model-dir") o.model_dir = next();
        else if (a == "--work-dir") o.work_dir = next();
        else if (a == "--tokenizer-dir") o.tokenizer_dir = next();
        else if (a == "--tiny") o.tiny = true;
        else if (a == "--skip-import") o.skip_import = true;
        else if (a == "--keep") o.keep = true;
        else if (a == "--dry-run") o.dry_run = true;
        else if (a == "--keep-text-encoder") o.keep_text_encoder = true;
        else if (a == "--text-only") o.text_only = true;
        else if (a == "--steps") o.steps = to_int(next());
        else if (a == "--threads") o.threads = to_int(next());
        else if (a == "--quantize") o.quantize = next();
        else if (a == "--precision") {
            const std::string p = next();
            if (p == "f32") o.precision = engine::Precision::F32;
            else if (p != "bf16") usage("--precision must be bf16 or f32");
        } else if (a == "--sizes") {
            o.sizes.clear();
            std::stringstream ss(next());
            for (std::string s; std::getline(ss, s, ',');) o.sizes.push_back(to_int(s));
        } else if (a == "-h" || a == "--help") {
            usage();
        } else {
            usage("unknown option " + a);
        }
    }
    if (o.sizes.empty()) usage("--sizes is empty");
    for (int s : o.sizes)
        if (s < 16 || s % 16 || s > 4096) usage("sizes must be multiples of 16 between 16 and 4096");
    if (o.steps < 1 || o.threads < 1) usage("--steps and --threads must be at least 1");
    if (!o.quantize.empty() && o.quantize != "fp8") usage("--quantize supports only fp8");
    if (!o.quantize.empty() && o.skip_import) usage("--quantize happens at import; it cannot go with --skip-import");
    return o;
}

// ---- helpers -------------------------------------------------------------------------------

std::string fmt(const char* f, double a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, a);
    return buf;
}
std::string gib(int64_t bytes) { return bytes < 0 ? "?" : fmt("%.2f GiB", double(bytes) / kGiB); }

uint64_t free_disk(const fs::path& p) {
    struct statvfs st{};
    fs::path q = p;
    while (!q.empty() && !fs::exists(q)) q = q.parent_path();
    if (q.empty() || ::statvfs(q.c_str(), &st) != 0) return 0;
    return uint64_t(st.f_bavail) * uint64_t(st.f_frsize);
}

// A prompt whose chat-template encoding has at least `target` tokens (deterministic).
std::string prompt_with_tokens(const qwen3::Tokenizer& tok, size_t target) {
    static const char* words[] = {"a",      "quiet",   "harbour", "at",      "dawn,",   "fishing", "boats",
                                  "resting", "on",     "still",   "water,",  "mist",    "over",    "the",
                                  "hills,", "gulls",   "circling", "above", "weathered", "wooden", "piers,",
                                  "soft",   "golden",  "light",   "and",     "long",    "shadows"};
    std::string p = "A photograph of";
    for (size_t i = 0; tok.encode_chat(p).size() < target && i < 10000; ++i)
        p += std::string(" ") + words[i % (sizeof words / sizeof *words)];
    return p;
}

struct Row {
    std::string phase, measured, target, peer, status;
    int64_t peak = -1, rss_after = -1;
};

std::string verdict(bool tiny, std::optional<bool> ok) {
    if (!ok) return "";
    if (tiny) return "n/a (not the full model)";
    return *ok ? "✅ met" : "❌ missed";
}

}  // namespace

int main(int argc, char** argv) try {
    Options o = parse_options(argc, argv);

    // ---- plan --------------------------------------------------------------------------------
    const fs::path base = o.work_dir.empty() ? fs::temp_directory_path() : fs::path(o.work_dir);
    const fs::path work = base / ("pictor-bench-" + std::to_string(::getpid()));
    fs::path model_dir = o.model_dir.empty() ? work / "model" : fs::path(o.model_dir);
    const bool have_model = fs::is_regular_file(model_dir / "model_index.json");
    const bool temp_model = o.model_dir.empty();

    dev::ModelSpec spec = o.tiny ? dev::ModelSpec::tiny() : dev::ModelSpec::full();
    dev::GenerateOptions dry;
    dry.tokenizer_dir = o.tokenizer_dir;
    dry.dry_run = true;
    uint64_t model_bytes = 0, dit_bytes = 0;
    for (const auto& c : dev::generate_model(work / "dry-run", spec, dry)) {
        model_bytes += c.bytes;
        if (c.name == "transformer") dit_bytes = c.bytes;
    }
    // Import writes one blob per tensor: as many bytes again (fp8 halves the DiT's matrices).
    const uint64_t import_bytes = o.skip_import ? 0 : o.quantize == "fp8" ? model_bytes - dit_bytes / 2 : model_bytes;
    const uint64_t need = (have_model ? 0 : model_bytes) + import_bytes;
    const int64_t mem_total = [] {
        std::ifstream in("/proc/meminfo");
        for (std::string line; std::getline(in, line);)
            if (line.rfind("MemTotal:", 0) == 0) return int64_t(std::stoll(line.substr(9))) * 1024;
        return int64_t(-1);
    }();
    std::fprintf(stderr,
                 "plan: %s model (%.2f GB of weights, DiT %.2f GB) %s %s; import %s (%.2f GB); %d thread(s), "
                 "sizes", o.tiny ? "tiny" : "full-size", double(model_bytes) / 1e9, double(dit_bytes) / 1e9,
                 have_model ? "reused from" : "generated into", model_dir.c_str(),
                 o.skip_import ? "skipped" : o.quantize.empty() ? "bf16" : "fp8", double(import_bytes) / 1e9,
                 o.threads);
    for (int s : o.sizes) std::fprintf(stderr, " %d²", s);
    std::fprintf(stderr, ", %d step(s) each\n      disk needed %.2f GB, free %.2f GB under %s; RAM %s\n", o.steps,
                 double(need) / 1e9, double(free_disk(base)) / 1e9, base.c_str(), gib(mem_total).c_str());
    if (o.dry_run) return 0;
    if (need > 0 && free_disk(base) < need + (uint64_t(1) << 30))
        fail(ErrorKind::Io, "not enough free disk for the benchmark (needs " + fmt("%.1f", double(need) / 1e9) + " GB)");

    struct Cleanup {
        fs::path dir;
        bool keep;
        ~Cleanup() {
            std::error_code ec;
            if (!keep) fs::remove_all(dir, ec);
            else if (fs::exists(dir, ec)) std::fprintf(stderr, "kept %s\n", dir.c_str());
        }
    } cleanup{work, o.keep};
    fs::create_directories(work);

    Meter prep;  // model generation and import: not part of the reported peak
    std::vector<Row> rows;

    // ---- model -------------------------------------------------------------------------------
    if (!have_model) {
        std::fprintf(stderr, "generating the %s random model into %s ...\n", o.tiny ? "tiny" : "full-size",
                     model_dir.c_str());
        dev::GenerateOptions go;
        go.tokenizer_dir = o.tokenizer_dir;
        go.progress = [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); };
        prep.start();
        dev::generate_model(model_dir, spec, go);
        const auto iv = prep.mark();
        std::fprintf(stderr, "generated in %.1f s\n", iv.wall);
    }

    std::optional<store::ModelStore> st;
    std::optional<store::ModelEntry> entry;
    if (!o.skip_import) {
        st.emplace(work / "models");
        create::CreateRequest req;
        req.name = store::ModelName::parse("pictor-bench/zimage:latest");
        req.source_dir = model_dir;
        req.quantize = o.quantize;
        std::fprintf(stderr, "importing into %s%s ...\n", st->root().c_str(), o.quantize.empty() ? "" : " (fp8)");
        prep.start();
        std::string last;
        create::create_model(*st, req, [&](const create::Progress& p) {
            if (p.status != last && p.total == 0) std::fprintf(stderr, "  %s\n", p.status.c_str());
            last = p.status;
        });
        const auto iv = prep.mark();
        std::fprintf(stderr, "imported in %.1f s (peak RSS %s)\n", iv.wall, gib(iv.peak).c_str());
        entry = st->get(req.name);
    }

    // ---- load --------------------------------------------------------------------------------
    zimage::PipelineOptions popts;
    popts.precision = o.precision;
    popts.threads = o.threads;
    popts.release_text_encoder = !o.keep_text_encoder;
    Meter meter;
    auto files = entry ? store::ModelFiles::open_store_model(*st, *entry) : store::ModelFiles::open_directory(model_dir);
    const auto tcfg = zimage::TransformerConfig::parse(files->require_text("transformer/config.json"));
    auto pipe = zimage::Pipeline::load(std::move(files), popts);
    {
        const auto iv = meter.mark();
        rows.push_back({"model load (open + Pipeline::load)", fmt("%.2f s", iv.wall) + fmt(" (CPU %.2f s)", iv.cpu), "", "",
                        "", iv.peak, iv.rss_after});
    }
    const engine::Context probe(o.precision, o.threads);
    // The targets are for the real model's shapes; any other model (--tiny, a custom
    // --model-dir) still gets every number, but no verdict.
    const bool tiny = !(tcfg.dim == 3840 && tcfg.n_layers == 30 && tcfg.n_refiner_layers == 2);
    // cpu-ceilings.md: bf16 vdpbf16ps 233 GFLOP/s on 1 thread, 455 on 2; fp32 FMA 116 and 230.
    const bool f32 = o.precision == engine::Precision::F32;
    const double ceiling = (o.threads == 1 ? (f32 ? 116.0 : 233.0) : (f32 ? 115.0 : 227.5) * o.threads) * 1e9;
    const char* ceiling_name = f32 ? "fp32" : "bf16";

    const auto tok = qwen3::Tokenizer::from_dir(model_dir / "tokenizer");
    const std::string short_prompt = prompt_with_tokens(tok, 20), long_prompt = prompt_with_tokens(tok, 100);

    zimage::GenerateParams gp;
    gp.guidance = 0.0f;  // Turbo: one DiT forward per step
    gp.seed = 42;
    gp.model_name = "pictor-bench";

    // ---- text encoding -----------------------------------------------------------------------
    for (const std::string* prompt : {&short_prompt, &long_prompt}) {
        const size_t n = tok.encode_chat(*prompt).size();
        Meter::Interval last{};
        std::vector<double> times, cpu;
        for (int rep = 0; rep < 2; ++rep) {
            std::atomic<bool> cancel{false};
            gp.prompt = *prompt;
            gp.width = gp.height = o.sizes.front();
            gp.steps = 1;
            meter.start();
            try {
                pipe->generate(gp, [&](const zimage::ProgressEvent& ev) {
                    if (ev.phase == zimage::Phase::TextEncoding) meter.start();
                    if (ev.phase == zimage::Phase::Denoising && ev.step == 0) {
                        last = meter.mark();
                        cancel = true;  // stop before the first step: only the text was wanted
                    }
                }, &cancel);
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::Cancelled) throw;
            }
            times.push_back(last.wall);
            cpu.push_back(last.cpu);
        }
        std::fprintf(stderr, "text encoding, %zu tokens: %.2f s (first run %.2f s)\n", n, times.back(), times.front());
        rows.push_back({"text encoding, " + std::to_string(n) + " tokens",
                        fmt("%.2f s", times.back()) + fmt(" (CPU %.2f s", cpu.back()) + fmt("; first run %.2f s)", times.front()),
                        "≤ 2 s",
                        "1.1–2.0 s (18 tokens)", verdict(tiny, times.back() <= 2.0), last.peak, last.rss_after});
    }

    // ---- denoising and decoding per size -----------------------------------------------------
    for (int px : o.text_only ? std::vector<int>{} : o.sizes) {
        gp.prompt = short_prompt;
        gp.width = gp.height = px;
        gp.steps = o.steps;
        const size_t cap = tok.encode_chat(gp.prompt).size();
        std::vector<Meter::Interval> steps;
        Meter::Interval text{}, decode{};
        meter.start();
        pipe->generate(gp, [&](const zimage::ProgressEvent& ev) {
            switch (ev.phase) {
                case zimage::Phase::TextEncoding: meter.start(); break;
                case zimage::Phase::Denoising:
                    if (ev.step == 0) text = meter.mark();
                    else steps.push_back(meter.mark());
                    break;
                case zimage::Phase::Decoding: meter.mark(); break;  // the Euler update of the last step
            }
        });
        decode = meter.mark();

        // Steady-state step time: leave out the first step (page faults, primitive creation).
        double sum = 0, cpu_sum = 0;
        int64_t peak = 0, rss_after = 0;
        const size_t first = steps.size() > 1 ? 1 : 0;
        for (size_t i = first; i < steps.size(); ++i) sum += steps[i].wall, cpu_sum += steps[i].cpu;
        for (const auto& s : steps) peak = std::max(peak, s.peak), rss_after = s.rss_after;
        const double per_step = sum / double(steps.size() - first);
        const int64_t h = px / 8;
        const double flops = zimage::Transformer::forward_flops(tcfg, h, h, int64_t(cap));
        const double gflops = flops / per_step;
        const double step_target = px == 256 ? 12 : px == 512 ? 40 : 0;
        const char* step_peer = px == 256 ? "26.8 s/step" : px == 512 ? "117.6 s/step" : "";
        std::string m = fmt("%.2f s/step", per_step) + fmt(" · %.1f GFLOP/s", gflops / 1e9) +
                        fmt(" (%.1f %% of the ", 100 * gflops / ceiling) + ceiling_name + " ceiling" +
                        fmt(", %.3f TFLOP/step)", flops / 1e12);
        m += fmt("; CPU %.2f s/step", cpu_sum / double(steps.size() - first));
        if (first) m += fmt("; first step %.2f s", steps.front().wall);
        std::fprintf(stderr, "%d²: %s; text %.2f s; decode %.2f s\n", px, m.c_str(), text.wall, decode.wall);
        rows.push_back({"denoising " + std::to_string(px) + "² (" + std::to_string((px / 16) * (px / 16)) +
                            " image + " + std::to_string(cap) + " caption tokens)",
                        m, step_target > 0 ? fmt("≤ %.0f s/step", step_target) : "", step_peer,
                        step_target > 0 ? verdict(tiny, per_step <= step_target) : "", peak, rss_after});
        const bool vae_target = px == 512;
        rows.push_back({"VAE decode " + std::to_string(px) + "²", fmt("%.2f s", decode.wall) + fmt(" (CPU %.2f s)", decode.cpu),
                        vae_target ? "≤ 10 s" : "",
                        px == 256 ? "13.8 s" : px == 512 ? "60.7 s" : "",
                        vae_target ? verdict(tiny, decode.wall <= 10.0) : "", decode.peak, decode.rss_after});
    }

    const int64_t peak = meter.overall_peak();
    const bool fp8 = o.quantize == "fp8";
    const double rss_target = fp8 ? 9 : 14;
    rows.push_back({"peak RSS (VmHWM, whole run after import)", gib(peak), fmt("≤ %.0f GiB", rss_target) + (fp8 ? " (fp8)" : " (bf16)"),
                    "20.1 GiB (256²), 21.4 GiB (512²)", verdict(tiny, double(peak) / kGiB <= rss_target), -1, -1});

    // ---- report ------------------------------------------------------------------------------
    std::printf("## pictor_bench: %s model (DiT dim %lld, %lld layers), %s%s, %d thread(s), %s kernels, bf16 %s, "
                "text encoder %s after use\n\n",
                tiny ? "reduced" : "full-size", (long long)tcfg.dim, (long long)tcfg.n_layers, o.precision == engine::Precision::BF16 ? "bf16" : "f32",
                fp8 ? " with fp8 weights" : "", o.threads, probe.isa() == engine::Isa::Avx512 ? "AVX-512" : "AVX2",
                probe.native_bf16() ? "native" : "emulated", o.keep_text_encoder ? "kept" : "released");
    std::printf("| phase | measured | target (issue 3) | peer (sd.cpp) | | peak RSS in phase | RSS after |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    for (const Row& r : rows)
        std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", r.phase.c_str(), r.measured.c_str(), r.target.c_str(),
                    r.peer.c_str(), r.status.c_str(), r.peak < 0 ? "" : gib(r.peak).c_str(),
                    r.rss_after < 0 ? "" : gib(r.rss_after).c_str());
    std::printf("\nDiT FLOPs: matmuls + attention, 2 per multiply-add (see bench/pictor_bench.cpp); ceiling: %s "
                "peak of cpu-ceilings.md (Zen 4) at %d thread(s) = %.0f GFLOP/s.%s\n",
                f32 ? "fp32 FMA" : "bf16 vdpbf16ps", o.threads, ceiling / 1e9,
                meter.per_phase_peaks() ? "" : " /proc/self/clear_refs could not be written: per-phase peaks are cumulative.");
    if (temp_model && o.keep) std::fprintf(stderr, "model folder: %s\n", model_dir.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "pictor_bench: %s\n", e.what());
    return 1;
}
