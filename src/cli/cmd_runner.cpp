// `pictor runner --model NAME`: hidden; the server starts one per loaded model (runner/runner_main.h).
// --fake-engine and its timings are a documented test mode (runner/fake_engine.h) used by the
// scheduler tests to drive real runner processes without model maths.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "runner/runner_main.h"

namespace pictor::cli {

void add_runner_command(CLI::App& app, CliContext& ctx) {
    struct Flags {
        runner::RunnerOptions options;
        int load_ms = 0, step_ms = 50;
    };
    auto flags = std::make_shared<Flags>();
    auto* sub = app.add_subcommand("runner", "Serve one model for the server over stdin/stdout (internal)");
    sub->group("");  // hidden from help: users never start it themselves
    sub->add_option("--model", flags->options.model, "Model name")->required();
    sub->add_option("--models", flags->options.models_dir, "Models directory (default PICTOR_MODELS)");
    sub->add_flag("--fake-engine", flags->options.fake_engine, "Test mode: no weights, sleeps per step");
    sub->add_option("--fake-load-ms", flags->load_ms, "Test mode: load time");
    sub->add_option("--fake-step-ms", flags->step_ms, "Test mode: time per step");
    sub->callback([&ctx, flags] {
        ctx.action = [flags] {
            flags->options.fake.load_time = std::chrono::milliseconds(flags->load_ms);
            flags->options.fake.step_time = std::chrono::milliseconds(flags->step_ms);
            return runner::run_runner(flags->options);
        };
    });
}

}  // namespace pictor::cli
