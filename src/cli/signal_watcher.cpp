#include "cli/signal_watcher.h"

#include <pthread.h>

#include <ctime>

namespace pictor::cli {

SignalWatcher::SignalWatcher(std::initializer_list<int> signals, std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)) {
    sigemptyset(&set_);
    for (int s : signals) sigaddset(&set_, s);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this] {
        // Poll with a short timeout so the destructor can stop the thread without sending a signal.
        const timespec tick{0, 100'000'000};
        while (!stop_) {
            siginfo_t info{};
            const int sig = sigtimedwait(&set_, &info, &tick);
            if (sig > 0 && on_signal_) on_signal_(sig);
        }
    });
}

SignalWatcher::~SignalWatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace pictor::cli
