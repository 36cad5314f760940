// create's progress on stderr, like Ollama's: one line per status, lines accumulate. On a
// terminal the current line has a spinner (redrawn by a ticker thread) and, for byte progress,
// a bar; a finished line keeps its text. Elsewhere (logs, pipes) each status is one plain line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>

namespace pictor::cli {

class StatusPrinter {
public:
    StatusPrinter(std::ostream& out, bool tty);
    ~StatusPrinter();  // finish()
    StatusPrinter(const StatusPrinter&) = delete;
    StatusPrinter& operator=(const StatusPrinter&) = delete;

    // A new status starts a new line; the same status with completed/total updates the bar.
    void update(const std::string& status, uint64_t completed = 0, uint64_t total = 0);
    // Ends the current line and stops the ticker.
    void finish();

private:
    void draw_locked(bool final_draw);
    std::ostream& out_;
    const bool tty_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::string status_;
    uint64_t completed_ = 0, total_ = 0;
    size_t frame_ = 0;
    bool open_ = false;      // a status line is on screen and not yet ended
    bool stopping_ = false;
    std::thread ticker_;     // tty only
};

// "45% ▕█████     ▏ 1.2 GB/2.6 GB" for byte progress (Ollama's bar shape).
std::string progress_bar(uint64_t completed, uint64_t total, int width = 25);

}  // namespace pictor::cli
