// `pictor run MODEL [PROMPT...]` (reference §1.1): dispatch between one-shot generation and
// interactive mode. The prompt comes from the arguments, with stdin prepended when stdin is not
// a terminal; every image flag is sent to the server (the reference dropped --negative), and
// width/height/steps/seed only when given, so the model's own defaults apply otherwise.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/api_client.h"
#include "cli/cmd_run_generate.h"
#include "cli/cmd_run_interactive.h"
#include "cli/cmd_run_options.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/server_launcher.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

using nlohmann::json;

struct RunOptions {
    std::string model;
    std::vector<std::string> words;
    int width = 0, height = 0, steps = 0;
    uint64_t seed = 0;
    std::string negative;
    std::optional<double> guidance;
    std::string output;
    std::string keepalive;
};

std::string join(const std::vector<std::string>& words) {
    std::string s;
    for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
    return s;
}

// POST /api/show: the model must exist and be an image model.
void check_image_model(const ApiClient& client, const std::string& model) {
    json show;
    try {
        show = client.post("/api/show", json{{"model", model}});
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::NotFound) fail(ErrorKind::NotFound, "model '" + model + "' not found");
        throw;
    }
    const json caps = show.value("capabilities", json::array());
    for (const auto& c : caps)
        if (c == "image") return;
    fail(ErrorKind::InvalidArgument,
         "model '" + model + "' does not support image generation (capabilities: " + caps.dump() + ")");
}

int run(CliContext& ctx, const RunOptions& o) {
    const bool stdin_tty = isatty(STDIN_FILENO) == 1;
    const bool stdout_tty = isatty(STDOUT_FILENO) == 1;
    std::string prompt = join(o.words);
    bool interactive = prompt.empty() && stdout_tty;
    if (!stdin_tty) {
        // Like the reference, piped text comes first: `cat style.txt | pictor run m "a cat"`.
        const std::string in{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
        const std::string piped(trim(in));
        if (!piped.empty()) prompt = prompt.empty() ? piped : piped + " " + prompt;
        interactive = false;
    }

    ImageSettings settings;
    settings.width = o.width;
    settings.height = o.height;
    settings.steps = o.steps;
    settings.seed = o.seed;
    settings.negative = o.negative;
    settings.guidance = o.guidance;
    if (!o.keepalive.empty()) settings.keep_alive = parse_keepalive(o.keepalive);

    const server::HostPort host = server::host_from_env();
    ApiClient client(host);
    ensure_server(client, ctx.err);
    check_image_model(client, o.model);
    if (prompt.empty() && !interactive) {
        ctx.err << "Error: image generation models require a prompt. Usage: pictor run " << o.model
                << " \"your prompt here\"" << std::endl;
        return 2;
    }

    RunTerminal term;
    term.stdout_tty = stdout_tty;
    term.stderr_tty = isatty(STDERR_FILENO) == 1;
    term.inline_protocol = detect_inline_protocol([](const char* name) { return std::getenv(name); });
    RunStreams io{ctx.out, ctx.err, term};
    try {
        if (interactive) return run_interactive(host, o.model, settings, o.output, io);
        generate_image(host, o.model, prompt, prompt, settings, o.output, io);
        return 0;
    } catch (const Interrupted&) {
        // "^C" is already on the screen; no "Error:" line for what the user asked for.
        return kExitInterrupted;
    }
}

}  // namespace

void add_run_command(CLI::App& app, CliContext& ctx) {
    auto o = std::make_shared<RunOptions>();
    auto* sub = app.add_subcommand("run", "Generate an image from a prompt (interactive without one)");
    sub->add_option("model", o->model, "Model name")->required();
    sub->add_option("prompt", o->words, "Prompt (stdin is prepended when it is not a terminal)");
    // 0 = the model's default, as in the reference; the server checks the allowed sizes.
    const CLI::Validator size_flag(check_size_flag, "INT");
    sub->add_option("--width", o->width, "Image width in pixels (0 or absent: the model's)")->check(size_flag);
    sub->add_option("--height", o->height, "Image height in pixels (0 or absent: the model's)")->check(size_flag);
    sub->add_option("--steps", o->steps, "Denoising steps (0 or absent: the model's)")->check(size_flag);
    // Any 64-bit integer; negatives wrap as torch.manual_seed does (rewritten before conversion).
    sub->add_option("--seed", o->seed, "Random seed; 0 = random (the seed used is printed)")
        ->transform(CLI::Validator(
            [](std::string& v) {
                const auto seed = parse_seed(v);
                if (!seed) return "must be an integer between -2^63 and 2^64-1, got " + v;
                v = std::to_string(*seed);
                return std::string();
            },
            "INT"));
    sub->add_option("--negative", o->negative, "Negative prompt");
    sub->add_option("--guidance", o->guidance, "Guidance scale (default: the model's)")
        ->check(CLI::Validator(check_guidance_flag, "FLOAT"));
    sub->add_option("-o,--output", o->output, "File to write, or an existing directory for the default name");
    sub->add_option("--keepalive", o->keepalive, "How long the model stays loaded (e.g. 5m, 1h, -1 = forever)")
        ->check([](const std::string& v) {
            try {
                parse_keepalive(v);
                return std::string();
            } catch (const Error& e) {
                return std::string(e.what());
            }
        });
    sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return run(ctx, *o); }; });
}

}  // namespace pictor::cli
