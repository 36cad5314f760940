#include "runner/stop_signals.h"

#include <pthread.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <iostream>

namespace pictor::runner {

StopSignals::StopSignals(std::chrono::milliseconds grace) : grace_(grace) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this] {
        const timespec tick{0, 100'000'000};
        for (;;) {
            {
                std::lock_guard lock(mu_);
                if (finished_) return;
            }
            siginfo_t info{};
            const int sig = sigtimedwait(&set_, &info, &tick);
            if (sig <= 0) continue;
            std::cerr << "runner: received " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping" << std::endl;
            requested_ = true;
            std::unique_lock lock(mu_);
            if (!cv_.wait_for(lock, grace_, [this] { return finished_; })) {
                std::cerr << "runner: still busy after " << grace_.count() << " ms, exiting now" << std::endl;
                std::_Exit(0);
            }
            return;
        }
    });
}

StopSignals::~StopSignals() {
    {
        std::lock_guard lock(mu_);
        finished_ = true;
    }
    cv_.notify_all();
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace pictor::runner
