// SIGTERM/SIGINT handling for the runner, with no global state: the signals are blocked in
// every thread (construct this before starting any) and a watcher thread collects them. The
// first signal sets `requested`; if the process has not finished `grace` later (a load or a
// VAE decode cannot be interrupted) it exits at once — a runner holds nothing that needs
// saving, its weights are read-only mappings.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pictor::runner {

class StopSignals {
public:
    explicit StopSignals(std::chrono::milliseconds grace);
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    const std::atomic<bool>& requested() const { return requested_; }

private:
    sigset_t set_{};
    sigset_t old_{};
    std::chrono::milliseconds grace_;
    std::atomic<bool> requested_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    bool finished_ = false;
    std::thread thread_;
};

}  // namespace pictor::runner
