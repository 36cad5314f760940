#include "cli/progress_bar.h"

#include <cstdio>
#include <ostream>

namespace pictor::cli {
namespace {

constexpr const char* kFrames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr const char* kHideCursor = "\x1b[?25l";
constexpr const char* kShowCursor = "\x1b[?25h";

}  // namespace

std::string step_bar(int completed, int total) {
    if (total <= 0) return "";
    if (completed < 0) completed = 0;
    if (completed > total) completed = total;
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3.0f", static_cast<double>(completed) / total * 100.0);
    std::string s = "Generating ";
    s += pct;
    s += "% ▕";
    for (int i = 0; i < total; ++i) s += i < completed ? "█" : " ";
    s += "▏ " + std::to_string(completed) + "/" + std::to_string(total);
    return s;
}

std::string spinner_line(size_t frame, std::string_view phase) {
    std::string s = kFrames[frame % std::size(kFrames)];
    if (!phase.empty()) s += " " + std::string(phase);
    return s;
}

ProgressDisplay::ProgressDisplay(std::ostream& err, bool tty) : err_(err), tty_(tty) {
    if (!tty_) return;
    ticker_ = std::thread([this] {
        std::unique_lock lock(mu_);
        while (!stopping_) {
            cv_.wait_for(lock, kTick);
            if (stopping_) break;
            if (shown_ && !bar_) {
                ++frame_;
                draw_locked();
            }
        }
    });
}

ProgressDisplay::~ProgressDisplay() {
    clear();
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
}

void ProgressDisplay::draw_locked() {
    const std::string line = bar_ ? step_bar(completed_, total_) : spinner_line(frame_, phase_);
    if (!shown_) err_ << kHideCursor;
    err_ << "\r\x1b[K" << line << std::flush;
    shown_ = true;
}

void ProgressDisplay::phase(std::string word) {
    if (!tty_) return;
    std::lock_guard lock(mu_);
    phase_ = std::move(word);
    bar_ = false;
    draw_locked();
}

void ProgressDisplay::steps(int completed, int total) {
    if (!tty_) return;
    std::lock_guard lock(mu_);
    completed_ = completed;
    total_ = total;
    bar_ = true;
    draw_locked();
}

void ProgressDisplay::clear() {
    if (!tty_) return;
    std::lock_guard lock(mu_);
    if (!shown_) return;
    err_ << "\r\x1b[K" << kShowCursor << std::flush;
    shown_ = false;
    bar_ = false;
}

}  // namespace pictor::cli
