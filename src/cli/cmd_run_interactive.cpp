#include "cli/cmd_run_interactive.h"

#include <signal.h>
#include <unistd.h>

#include <ostream>

#include "cli/format.h"
#include "cli/interrupt_router.h"
#include "cli/line_editor.h"
#include "cli/signal_watcher.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

constexpr const char* kPrompt = ">>> ";
constexpr const char* kPlaceholder = "Describe an image to generate (/help for commands)";

// Handles a line starting with '/'; returns false for /bye.
bool command(const std::string& line, ImageSettings& settings, RunStreams& io) {
    const auto sp = line.find_first_of(" \t");
    const std::string word = line.substr(0, sp);
    const std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (word == "/bye") return false;
    if (word == "/help" || word == "/?") {
        io.err << interactive_help() << std::flush;
    } else if (word == "/set") {
        const SetOutcome r = apply_set(settings, rest);
        if (r.ok) io.out << r.message << std::endl;
        else io.err << "Error: " << r.message << std::endl;
    } else if (word == "/show") {
        io.out << settings_text(settings) << std::flush;
    } else {
        io.err << "Error: Unknown command: " << word << " (try /help)" << std::endl;
    }
    return true;
}

int session(const server::HostPort& host, const std::string& model, ImageSettings settings,
            const std::string& output, RunStreams& io, InterruptRouter& interrupts) {
    try {
        load_model(host, model, settings, io);
    } catch (const Interrupted&) {
        throw;
    } catch (const Error& e) {
        fail(e.kind(), std::string("failed to load model: ") + e.what());
    }

    History history(default_history_file());
    LineEditor editor(STDIN_FILENO, STDOUT_FILENO, history);
    // A Ctrl-C that came as a signal just before the prompt counts as one pressed at it.
    editor.set_pending_interrupt([&interrupts] { return interrupts.take_pending(); });
    for (;;) {
        io.out << std::flush;
        const ReadResult r = editor.read_line(kPrompt, kPlaceholder);
        if (r.status == ReadStatus::Eof) {
            io.out << std::endl;
            return 0;
        }
        if (r.status == ReadStatus::Interrupt) {
            if (r.line.empty()) io.out << "\nUse Ctrl + d or /bye to exit." << std::endl;
            continue;
        }
        const std::string line(trim(r.line));
        if (line.empty()) continue;
        history.add(line);
        if (line[0] == '/') {
            if (!command(line, settings, io)) return 0;
            continue;
        }
        try {
            generate_image(host, model, line, line, settings, output, io);
        } catch (const Interrupted&) {
            // Already said "^C"; Ctrl-C stops a generation, not the session.
        } catch (const std::exception& e) {
            io.err << "Error: " << e.what() << std::endl;
        }
        io.out << std::endl;  // a blank line after each generation, as the reference does
    }
}

}  // namespace

int run_interactive(const server::HostPort& host, const std::string& model, ImageSettings settings,
                    const std::string& output, RunStreams& io) {
    // One SIGINT watcher for the whole session (before any other thread starts): Ctrl-C
    // cancels the request in flight, and otherwise never kills the session. SIGTERM keeps its
    // default action; the server cancels the work of a client that went away.
    InterruptRouter interrupts;
    SignalWatcher watcher({SIGINT}, [&interrupts](int) { interrupts.fire(); });
    RunStreams session_io{io.out, io.err, io.term, &interrupts};
    return session(host, model, std::move(settings), output, session_io, interrupts);
}

}  // namespace pictor::cli
