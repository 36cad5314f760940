// Turns SIGINT/SIGTERM into a callback on an ordinary thread, with no global state: the
// signals are blocked in this thread (and in every thread started after construction) and a
// watcher thread collects them with sigtimedwait. Construct it before starting other threads.
// The destructor restores the previous signal mask.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <initializer_list>
#include <thread>

namespace pictor::cli {

class SignalWatcher {
public:
    SignalWatcher(std::initializer_list<int> signals, std::function<void(int)> on_signal);
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

private:
    sigset_t set_{};
    sigset_t old_{};
    std::function<void(int)> on_signal_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace pictor::cli
