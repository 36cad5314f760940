// Image-generation test support: a scheduler whose runners are real `pictor runner` processes
// in the fake-engine test mode (runner/fake_engine.h: the real process, protocol, model lookup
// and cancellation, with sleeps instead of maths), and an HTTP server around it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <httplib.h>

#include "server/context.h"
#include "server/logger.h"
#include "server/scheduler.h"
#include "server/server.h"

namespace pictor::server::test {

std::filesystem::path pictor_binary();  // $PICTOR_BINARY_DIR/pictor

// Runners started as `pictor runner ... --fake-engine --fake-step-ms S --fake-load-ms L`.
SchedulerOptions fake_runner_options(int step_ms = 50, int load_ms = 0);
// Runners that run the real Z-Image pipeline.
SchedulerOptions real_runner_options();

// Pids of this process's children running `pictor runner`.
std::vector<pid_t> runner_pids();
// True while `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

// A log sink that can be read while threads write to it.
class LogCapture : public std::stringbuf {
public:
    std::string text();

protected:
    int sync() override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int overflow(int c) override;

private:
    std::recursive_mutex mu_;  // stringbuf::xsputn calls overflow()
};

// A scheduler plus an HTTP server on an ephemeral port over `models`.
class ImageServer {
public:
    ImageServer(const std::filesystem::path& models, SchedulerOptions options);
    ~ImageServer();
    Scheduler& scheduler() { return *scheduler_; }
    httplib::Client client() const;
    int port() const { return port_; }
    std::string log_text() { return log_buf_.text(); }

private:
    LogCapture log_buf_;
    std::ostream log_stream_{&log_buf_};
    Logger logger_{log_stream_};
    std::unique_ptr<ServerContext> ctx_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<Server> server_;
    int port_ = 0;
};

}  // namespace pictor::server::test
