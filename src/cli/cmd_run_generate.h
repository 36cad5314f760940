// One image from prompt to file, as both one-shot `pictor run` and each interactive line do
// it: load the model (spinner "Loading model"), generate (spinner, then the step bar), save
// the PNG (image_file.h), show it inline when stdout is a terminal that can, and print
// "Image saved to: <path>". Ctrl-C (SIGINT) or SIGTERM closes the connection, so the server
// cancels the work, and ends the call with Interrupted (see RunStreams::interrupts).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "cli/cmd_run_options.h"
#include "cli/inline_image.h"
#include "cli/interrupt_router.h"
#include "server/host.h"
#include "util/error.h"

namespace pictor::cli {

struct RunTerminal {
    bool stdout_tty = false;
    bool stderr_tty = false;
    InlineProtocol inline_protocol = InlineProtocol::None;  // only used when stdout_tty
};

struct RunStreams {
    std::ostream& out;
    std::ostream& err;
    RunTerminal term;
    // Null: each request watches SIGINT/SIGTERM itself (one-shot run). Set: the caller owns the
    // signal watcher and routes interrupts here (interactive session).
    InterruptRouter* interrupts = nullptr;
};

// Load-only request with the spinner. Error with the server's message on failure.
void load_model(const server::HostPort& host, const std::string& model, const ImageSettings& settings, RunStreams& io);

// Generates and saves. `name_source` is the text the default file name comes from (the raw
// interactive line, or the prompt); `output` is --output. Returns the saved path.
std::filesystem::path generate_image(const server::HostPort& host, const std::string& model, const std::string& prompt,
                                     const std::string& name_source, const ImageSettings& settings,
                                     const std::string& output, RunStreams& io);

// Thrown when Ctrl-C (or SIGTERM) cancelled the request; "^C" has been printed already.
class Interrupted : public Error {
public:
    Interrupted() : Error(ErrorKind::Cancelled, "interrupted") {}
};

// The exit status for a signal-cancelled run (128 + SIGINT = 130).
inline constexpr int kExitInterrupted = 130;

}  // namespace pictor::cli
