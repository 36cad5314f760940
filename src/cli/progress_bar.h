// `pictor run`'s progress on stderr: a spinner with a phase word ("⠋ Loading model") while
// nothing can be counted, then the reference's step bar
// "Generating  37% ▕███     ▏ 3/8" (pct as %3.0f, one cell per step), redrawn in place with
// \r and cleared at the end. When stderr is not a terminal it prints nothing at all: logs and
// pipes get the result lines and errors, not escape codes or a line per step.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace pictor::cli {

// "Generating  37% ▕███     ▏ 3/8"; completed is clamped to [0, total]; total <= 0 gives "".
std::string step_bar(int completed, int total);
// "⠋ Loading model" with the frame-th spinner glyph.
std::string spinner_line(size_t frame, std::string_view phase);

class ProgressDisplay {
public:
    ProgressDisplay(std::ostream& err, bool tty);
    ~ProgressDisplay();  // clear()
    ProgressDisplay(const ProgressDisplay&) = delete;
    ProgressDisplay& operator=(const ProgressDisplay&) = delete;

    // Spinner with `word`.
    void phase(std::string word);
    // Step bar (step 0 is a bar too: the frame said how many steps there are).
    void steps(int completed, int total);
    // Erases the line and shows the cursor again; the display may be reused afterwards.
    void clear();

private:
    void draw_locked();
    std::ostream& err_;
    const bool tty_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::string phase_;
    int completed_ = 0, total_ = 0;
    bool bar_ = false;      // showing the step bar rather than the spinner
    bool shown_ = false;    // something is on the line (and the cursor is hidden)
    size_t frame_ = 0;
    bool stopping_ = false;
    std::thread ticker_;    // tty only: advances the spinner
};

}  // namespace pictor::cli
