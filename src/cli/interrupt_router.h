// Where Ctrl-C goes during an interactive session. The session blocks SIGINT for its whole
// life (one SignalWatcher) and routes each signal here: to the request in flight, if any,
// which cancels it; otherwise it is remembered, so a Ctrl-C pressed in the short gap between
// a finished generation and the next prompt (when the terminal is not in raw mode and the
// key becomes a signal, not a byte) acts like one pressed at the prompt instead of killing
// the process.
#pragma once

#include <functional>
#include <mutex>

namespace pictor::cli {

class InterruptRouter {
public:
    // Delivers one interrupt: to the current target, or remembered as pending.
    void fire();

    // True once per interrupt that arrived with no target.
    bool take_pending();

    // While alive, interrupts call `target` (a pending one is dropped: it predates the request).
    class Scope {
    public:
        Scope(InterruptRouter& router, std::function<void()> target);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        InterruptRouter& router_;
    };

private:
    std::mutex mu_;
    std::function<void()> target_;
    bool pending_ = false;
};

}  // namespace pictor::cli
