#include "cli/cmd_run_generate.h"

#include <signal.h>

#include <chrono>
#include <optional>
#include <ostream>

#include "cli/cmd_run_stream.h"
#include "cli/image_file.h"
#include "cli/progress_bar.h"
#include "cli/signal_watcher.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

// Runs `body` with Ctrl-C wired to cancellation and the progress display on stderr. The
// watcher (ours, or the session's behind io.interrupts) is built before the display's ticker
// thread, so that thread inherits the blocked signals and a Ctrl-C can never take the default
// action (killing the process mid-draw).
GenerateOutcome call_with_progress(const server::HostPort& host, const nlohmann::json& body, bool expect_image,
                                   const std::string& first_phase, RunStreams& io) {
    GenerateCall call(host);
    std::optional<SignalWatcher> watcher;
    std::optional<InterruptRouter::Scope> routed;
    if (io.interrupts) routed.emplace(*io.interrupts, [&call] { call.cancel(); });
    else watcher.emplace(std::initializer_list<int>{SIGINT, SIGTERM}, [&call](int) { call.cancel(); });
    ProgressDisplay progress(io.err, io.term.stderr_tty);
    progress.phase(first_phase);
    try {
        GenerateOutcome out = call.run(body, expect_image, [&progress](int completed, int total) {
            // After the last step the VAE still decodes, which takes a while on a CPU.
            if (completed >= total) progress.phase("Decoding image");
            else progress.steps(completed, total);
        });
        progress.clear();
        return out;
    } catch (...) {
        progress.clear();
        if (call.cancelled()) {
            // On a terminal the line was just erased, echoed ^C included; put it back.
            io.err << (io.term.stderr_tty ? "^C" : "cancelled") << std::endl;
            throw Interrupted();
        }
        throw;
    }
}

}  // namespace

void load_model(const server::HostPort& host, const std::string& model, const ImageSettings& settings, RunStreams& io) {
    call_with_progress(host, load_body(model, settings), false, "Loading model", io);
}

std::filesystem::path generate_image(const server::HostPort& host, const std::string& model, const std::string& prompt,
                                     const std::string& name_source, const ImageSettings& settings,
                                     const std::string& output, RunStreams& io) {
    // Loading first gives the spinner an honest word for the slowest phase; an already loaded
    // model answers at once.
    load_model(host, model, settings, io);
    const GenerateOutcome result =
        call_with_progress(host, generate_body(model, prompt, settings), true, "Encoding prompt", io);

    const std::filesystem::path saved = save_image(result.png, name_source, output, std::chrono::system_clock::now());
    if (io.term.stdout_tty) io.out << inline_image(io.term.inline_protocol, result.png);
    // The effective seed makes a random picture reproducible; it is news only when random.
    if (settings.seed == 0 && result.seed) io.err << "Seed: " << *result.seed << std::endl;
    io.out << "Image saved to: " << saved.string() << std::endl;
    return saved;
}

}  // namespace pictor::cli
