// A small line editor for interactive `pictor run` (no readline library is available): raw
// termios input with left/right, Home/End, backspace/delete, Ctrl-A/E/U/K/W/L, up/down history,
// a dim placeholder on an empty line, and the reference's Ctrl-C / Ctrl-D behaviour. Long lines
// scroll horizontally inside one terminal row. When input is not a terminal it reads plain lines.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::cli {

// The text being edited and the cursor, in bytes of UTF-8 (the cursor always sits on a code
// point boundary). Pure, so that every editing key is unit-tested.
class EditBuffer {
public:
    const std::string& text() const { return text_; }
    size_t cursor() const { return cursor_; }
    void set(std::string text);  // cursor at the end

    void insert(std::string_view utf8);
    void left();
    void right();
    void home() { cursor_ = 0; }
    void end() { cursor_ = text_.size(); }
    void backspace();
    void erase();           // the character under the cursor (Delete, Ctrl-D on a non-empty line)
    void kill_to_start();   // Ctrl-U
    void kill_to_end();     // Ctrl-K
    void kill_word_back();  // Ctrl-W: spaces, then the word before the cursor

private:
    size_t prev_boundary(size_t pos) const;
    size_t next_boundary(size_t pos) const;
    std::string text_;
    size_t cursor_ = 0;
};

// Entries oldest first; with a file, loaded at construction and appended to on add().
class History {
public:
    explicit History(std::optional<std::filesystem::path> file = std::nullopt, size_t limit = 1000);
    // Skips empty lines and a repeat of the last entry.
    void add(const std::string& line);
    const std::vector<std::string>& entries() const { return entries_; }

private:
    std::optional<std::filesystem::path> file_;
    size_t limit_;
    std::vector<std::string> entries_;
};

// ~/.pictor/history, or nullopt when PICTOR_NOHISTORY is set.
std::optional<std::filesystem::path> default_history_file();

enum class ReadStatus { Line, Interrupt, Eof };
struct ReadResult {
    ReadStatus status = ReadStatus::Eof;
    std::string line;  // Line: the text; Interrupt: what was on the line when Ctrl-C came
};

class LineEditor {
public:
    LineEditor(int in_fd, int out_fd, History& history);

    // Line on Enter; Interrupt on Ctrl-C (the line is abandoned; a non-empty one is ended with
    // "^C" and a newline, an empty one is left for the caller's message); Eof on Ctrl-D on an
    // empty line or end of input (the cursor stays on the prompt line).
    ReadResult read_line(const std::string& prompt, const std::string& placeholder);

    // Asked once the terminal is in raw mode: did a Ctrl-C arrive as a signal just before
    // (while the terminal still turned the key into SIGINT)? If so, the read ends at once as
    // an Interrupt on an empty line, so no key press is lost to the race.
    void set_pending_interrupt(std::function<bool()> check) { pending_interrupt_ = std::move(check); }

private:
    ReadResult read_plain(const std::string& prompt);
    ReadResult read_raw(const std::string& prompt, const std::string& placeholder);
    void refresh(const std::string& prompt, const std::string& placeholder, const EditBuffer& buf, bool show_placeholder);
    void write(std::string_view s);
    int in_, out_;
    History& history_;
    std::function<bool()> pending_interrupt_;
};

}  // namespace pictor::cli
