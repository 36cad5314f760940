#include "cli/status_printer.h"

#include <ostream>

#include "cli/format.h"

namespace pictor::cli {
namespace {

// Ollama's spinner frames.
constexpr const char* kFrames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};

}  // namespace

std::string progress_bar(uint64_t completed, uint64_t total, int width) {
    if (total == 0) return "";
    if (completed > total) completed = total;
    const int pct = static_cast<int>(completed * 100 / total);
    const int filled = static_cast<int>(completed * static_cast<uint64_t>(width) / total);
    std::string bar = std::to_string(pct) + "% ▕";
    for (int i = 0; i < width; ++i) bar += i < filled ? "█" : " ";
    bar += "▏ " + human_bytes(completed) + "/" + human_bytes(total);
    return bar;
}

StatusPrinter::StatusPrinter(std::ostream& out, bool tty) : out_(out), tty_(tty) {
    if (!tty_) return;
    ticker_ = std::thread([this] {
        std::unique_lock lock(mu_);
        while (!stopping_) {
            cv_.wait_for(lock, std::chrono::milliseconds(100));
            if (stopping_) break;
            if (open_) {
                ++frame_;
                draw_locked(false);
            }
        }
    });
}

StatusPrinter::~StatusPrinter() { finish(); }

void StatusPrinter::draw_locked(bool final_draw) {
    std::string line = status_;
    if (total_ > 0) line += " " + progress_bar(completed_, total_);
    if (!final_draw) line += " " + std::string(kFrames[frame_ % std::size(kFrames)]);
    // \r + clear-to-end redraws the current line in place.
    out_ << "\r\x1b[K" << line;
    if (final_draw) out_ << "\n";
    out_.flush();
}

void StatusPrinter::update(const std::string& status, uint64_t completed, uint64_t total) {
    std::lock_guard lock(mu_);
    const bool same = open_ && status == status_;
    if (!tty_) {
        if (!same) out_ << status << std::endl;  // byte progress repeats the status: print it once
        status_ = status;
        open_ = true;
        return;
    }
    if (!same && open_) draw_locked(true);
    status_ = status;
    completed_ = completed;
    total_ = total;
    open_ = true;
    draw_locked(false);
}

void StatusPrinter::finish() {
    {
        std::lock_guard lock(mu_);
        if (tty_ && open_) draw_locked(true);
        open_ = false;
        stopping_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
}

}  // namespace pictor::cli
