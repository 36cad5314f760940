#include "runner/runner_loop.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "util/base64.h"

namespace pictor::runner {
namespace {

// State shared by the reader thread and the generating thread.
struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<GenerateCommand> pending;
    std::optional<uint64_t> current;
    bool input_closed = false;
    std::atomic<bool> cancel{false};  // the pipeline polls it between DiT blocks and VAE ResNets
};

void log(const std::string& msg) { std::cerr << "runner: " << msg << std::endl; }

void handle_line(const std::string& line, Shared& sh, EventWriter& out) {
    Command cmd;
    try {
        cmd = parse_command(line);
    } catch (const std::exception& e) {
        // A malformed line has no id to answer; say so on stderr, which the server logs.
        log(std::string("ignoring bad command: ") + e.what());
        return;
    }
    std::unique_lock lock(sh.mu);
    if (auto* g = std::get_if<GenerateCommand>(&cmd)) {
        sh.pending.push_back(std::move(*g));
        sh.cv.notify_all();
        return;
    }
    const uint64_t id = std::get<CancelCommand>(cmd).id;
    if (sh.current == id) {
        sh.cancel = true;
        return;
    }
    for (auto it = sh.pending.begin(); it != sh.pending.end(); ++it) {
        if (it->id != id) continue;
        sh.pending.erase(it);
        lock.unlock();
        out.write(FailedEvent{id, "request canceled", ErrorKind::Cancelled});
        return;
    }
    // Unknown or already finished: nothing to do (a cancel can cross a final event in flight).
}

// Reads newline-terminated commands until EOF, an error, or stop. poll() with a timeout so that
// stop is noticed without closing the fd under a blocked read.
void read_commands(int fd, Shared& sh, EventWriter& out, const std::atomic<bool>& stop) {
    std::string buf;
    char chunk[65536];
    while (!stop) {
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, 100);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        if (r == 0) continue;
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
            std::string line = buf.substr(start, nl - start);
            if (!line.empty()) handle_line(line, sh, out);
        }
        buf.erase(0, start);
    }
    std::lock_guard lock(sh.mu);
    sh.input_closed = true;
    sh.cancel = true;
    sh.cv.notify_all();
}

void generate_one(Engine& engine, const LoopConfig& config, const GenerateCommand& cmd, Shared& sh, EventWriter& out) {
    try {
        const EngineRequest req = resolve_request(cmd, config.defaults, config.params);
        int last_step = -1;
        auto progress = [&](EnginePhase phase, int step, int total) {
            switch (phase) {
                case EnginePhase::TextEncoding: out.write(PhaseEvent{cmd.id, PhaseEvent::Phase::Text}); break;
                case EnginePhase::Decoding: out.write(PhaseEvent{cmd.id, PhaseEvent::Phase::Decode}); break;
                case EnginePhase::Denoising:
                    // Clients draw a bar from (0,T); make sure it comes first and never repeats.
                    if (last_step < 0 && step > 0) out.write(StepEvent{cmd.id, 0, total});
                    if (step > last_step) out.write(StepEvent{cmd.id, step, total});
                    last_step = std::max(last_step, step);
                    break;
            }
        };
        const auto t0 = std::chrono::steady_clock::now();
        EngineImage img = engine.generate(req, progress, sh.cancel);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
        log("request " + std::to_string(cmd.id) + ": " + std::to_string(img.width) + "x" + std::to_string(img.height) +
            ", " + std::to_string(img.steps) + " steps, seed " + std::to_string(img.seed) + " in " +
            std::to_string(ms.count()) + " ms");
        out.write(ImageEvent{cmd.id, base64_encode(std::span<const uint8_t>(img.png)), img.seed, img.width, img.height,
                             img.steps});
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Cancelled) log("request " + std::to_string(cmd.id) + " canceled");
        else log("request " + std::to_string(cmd.id) + " failed: " + e.what());
        out.write(FailedEvent{cmd.id, e.kind() == ErrorKind::Cancelled ? "request canceled" : e.what(), e.kind()});
    } catch (const std::bad_alloc&) {
        log("request " + std::to_string(cmd.id) + " failed: out of memory");
        out.write(FailedEvent{cmd.id, "out of memory while generating", ErrorKind::Internal});
    } catch (const std::exception& e) {
        log("request " + std::to_string(cmd.id) + " failed: " + e.what());
        out.write(FailedEvent{cmd.id, e.what(), ErrorKind::Internal});
    }
}

}  // namespace

void serve_commands(Engine& engine, const LoopConfig& config, int in_fd, EventWriter& out,
                    const std::atomic<bool>& stop) {
    Shared sh;
    std::thread reader([&] { read_commands(in_fd, sh, out, stop); });
    for (;;) {
        GenerateCommand cmd;
        {
            std::unique_lock lock(sh.mu);
            sh.cv.wait(lock, [&] { return sh.input_closed || !sh.pending.empty(); });
            if (sh.input_closed) break;
            cmd = std::move(sh.pending.front());
            sh.pending.pop_front();
            sh.current = cmd.id;
            sh.cancel = false;
        }
        generate_one(engine, config, cmd, sh, out);
        std::lock_guard lock(sh.mu);
        sh.current.reset();
    }
    reader.join();
}

}  // namespace pictor::runner
