#include "cli/line_editor.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "cli/server_launcher.h"

namespace pictor::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDim = "\x1b[38;5;245m";
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kPasteOn = "\x1b[?2004h";
constexpr const char* kPasteOff = "\x1b[?2004l";
constexpr int kEscTimeoutMs = 50;  // a lone ESC vs. the start of an escape sequence

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

size_t code_points(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s)
        if (!continuation(c)) ++n;
    return n;
}

// Puts the terminal in raw mode for its lifetime and always restores it, exceptions included.
class RawMode {
public:
    explicit RawMode(int fd) : fd_(fd) {
        if (tcgetattr(fd_, &saved_) != 0) return;
        termios raw = saved_;
        // No echo, no line buffering, no signals from Ctrl-C/Z (they are keys here), no
        // CR->NL translation or flow control; output processing stays on so "\n" is CR LF.
        raw.c_iflag &= ~static_cast<tcflag_t>(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
        raw.c_cflag |= CS8;
        raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ICANON | IEXTEN | ISIG);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        // TCSADRAIN, not TCSAFLUSH: what was typed ahead while the terminal was cooked (during
        // a generation, or just before the prompt came back) must reach the editor, not be
        // discarded.
        active_ = tcsetattr(fd_, TCSADRAIN, &raw) == 0;
    }
    ~RawMode() {
        if (active_) tcsetattr(fd_, TCSADRAIN, &saved_);
    }
    RawMode(const RawMode&) = delete;
    RawMode& operator=(const RawMode&) = delete;
    bool active() const { return active_; }

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

// One byte, or -1 at end of input / error. EINTR (a resize) is retried.
int read_byte(int fd) {
    unsigned char c;
    for (;;) {
        const ssize_t n = ::read(fd, &c, 1);
        if (n == 1) return c;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

int read_byte_within(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return -1;
    return read_byte(fd);
}

enum class Key { None, Up, Down, Left, Right, Home, End, Delete, PasteStart, PasteEnd };

// After ESC: CSI ("ESC [ ... final") and SS3 ("ESC O x") sequences; Alt-key and unknown ones
// are dropped.
Key read_escape(int fd) {
    const int c1 = read_byte_within(fd, kEscTimeoutMs);
    if (c1 == 'O') {
        switch (read_byte_within(fd, kEscTimeoutMs)) {
            case 'A': return Key::Up;
            case 'B': return Key::Down;
            case 'C': return Key::Right;
            case 'D': return Key::Left;
            case 'H': return Key::Home;
            case 'F': return Key::End;
            default: return Key::None;
        }
    }
    if (c1 != '[') return Key::None;
    std::string params;
    int final = -1;
    for (int i = 0; i < 16; ++i) {
        const int c = read_byte_within(fd, kEscTimeoutMs);
        if (c < 0) return Key::None;
        if (c >= 0x40 && c <= 0x7E) {
            final = c;
            break;
        }
        params += static_cast<char>(c);
    }
    switch (final) {
        case 'A': return Key::Up;
        case 'B': return Key::Down;
        case 'C': return Key::Right;
        case 'D': return Key::Left;
        case 'H': return Key::Home;
        case 'F': return Key::End;
        case '~':
            if (params == "1" || params == "7") return Key::Home;
            if (params == "4" || params == "8") return Key::End;
            if (params == "3") return Key::Delete;
            if (params == "200") return Key::PasteStart;
            if (params == "201") return Key::PasteEnd;
            return Key::None;
        default: return Key::None;
    }
}

int terminal_columns(int fd) {
    winsize ws{};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

}  // namespace

// ---- EditBuffer ----

void EditBuffer::set(std::string text) {
    text_ = std::move(text);
    cursor_ = text_.size();
}

size_t EditBuffer::prev_boundary(size_t pos) const {
    if (pos == 0) return 0;
    --pos;
    while (pos > 0 && continuation(static_cast<unsigned char>(text_[pos]))) --pos;
    return pos;
}

size_t EditBuffer::next_boundary(size_t pos) const {
    if (pos >= text_.size()) return text_.size();
    ++pos;
    while (pos < text_.size() && continuation(static_cast<unsigned char>(text_[pos]))) ++pos;
    return pos;
}

void EditBuffer::insert(std::string_view utf8) {
    text_.insert(cursor_, utf8);
    cursor_ += utf8.size();
}

void EditBuffer::left() { cursor_ = prev_boundary(cursor_); }
void EditBuffer::right() { cursor_ = next_boundary(cursor_); }

void EditBuffer::backspace() {
    const size_t p = prev_boundary(cursor_);
    text_.erase(p, cursor_ - p);
    cursor_ = p;
}

void EditBuffer::erase() { text_.erase(cursor_, next_boundary(cursor_) - cursor_); }

void EditBuffer::kill_to_start() {
    text_.erase(0, cursor_);
    cursor_ = 0;
}

void EditBuffer::kill_to_end() { text_.erase(cursor_); }

void EditBuffer::kill_word_back() {
    size_t p = cursor_;
    while (p > 0 && text_[p - 1] == ' ') --p;
    while (p > 0 && text_[p - 1] != ' ') --p;
    text_.erase(p, cursor_ - p);
    cursor_ = p;
}

// ---- History ----

History::History(std::optional<fs::path> file, size_t limit) : file_(std::move(file)), limit_(limit) {
    if (!file_) return;
    std::ifstream in(*file_);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) entries_.push_back(line);
    if (entries_.size() > limit_) entries_.erase(entries_.begin(), entries_.end() - static_cast<long>(limit_));
}

void History::add(const std::string& line) {
    if (line.empty() || line.find('\n') != std::string::npos) return;
    if (!entries_.empty() && entries_.back() == line) return;
    entries_.push_back(line);
    if (entries_.size() > limit_) entries_.erase(entries_.begin());
    if (!file_) return;
    // History is a convenience: a file that cannot be written must not break the session.
    std::error_code ec;
    fs::create_directories(file_->parent_path(), ec);
    std::ofstream out(*file_, std::ios::app);
    if (out) out << line << '\n';
}

std::optional<fs::path> default_history_file() {
    const char* off = std::getenv("PICTOR_NOHISTORY");
    if (off && *off) return std::nullopt;
    // server_log_path() is ~/.pictor/logs/server.log: reuse its idea of the home directory.
    return server_log_path().parent_path().parent_path() / "history";
}

// ---- LineEditor ----

LineEditor::LineEditor(int in_fd, int out_fd, History& history) : in_(in_fd), out_(out_fd), history_(history) {}

void LineEditor::write(std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::write(out_, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        s.remove_prefix(static_cast<size_t>(n));
    }
}

ReadResult LineEditor::read_line(const std::string& prompt, const std::string& placeholder) {
    if (!isatty(in_) || !isatty(out_)) return read_plain(prompt);
    return read_raw(prompt, placeholder);
}

ReadResult LineEditor::read_plain(const std::string& prompt) {
    if (isatty(out_)) write(prompt);
    std::string line;
    for (;;) {
        const int c = read_byte(in_);
        if (c < 0) return line.empty() ? ReadResult{ReadStatus::Eof, ""} : ReadResult{ReadStatus::Line, line};
        if (c == '\n') break;
        line += static_cast<char>(c);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return {ReadStatus::Line, line};
}

void LineEditor::refresh(const std::string& prompt, const std::string& placeholder, const EditBuffer& buf,
                         bool show_placeholder) {
    const int cols = terminal_columns(out_);
    const int pw = static_cast<int>(code_points(prompt));
    const int avail = std::max(1, cols - pw - 1);
    std::string s = "\r" + prompt;
    int col = pw;
    if (buf.text().empty() && show_placeholder && !placeholder.empty()) {
        std::string ph;
        int n = 0;
        for (size_t i = 0; i < placeholder.size(); ++i) {
            const unsigned char c = static_cast<unsigned char>(placeholder[i]);
            if (!continuation(c) && n++ == avail) break;
            ph += static_cast<char>(c);
        }
        s += kDim + ph + kReset;
    } else {
        // Code point offsets, then the window of at most `avail` of them that holds the cursor.
        std::vector<size_t> offs;
        const std::string& t = buf.text();
        for (size_t i = 0; i < t.size(); ++i)
            if (!continuation(static_cast<unsigned char>(t[i]))) offs.push_back(i);
        offs.push_back(t.size());
        const size_t n = offs.size() - 1;
        size_t cur = 0;
        while (cur < n && offs[cur] < buf.cursor()) ++cur;
        const size_t start = cur > static_cast<size_t>(avail) ? cur - static_cast<size_t>(avail) : 0;
        const size_t end = std::min(n, start + static_cast<size_t>(avail));
        s += t.substr(offs[start], offs[end] - offs[start]);
        col += static_cast<int>(cur - start);
    }
    s += "\x1b[K\r";
    if (col > 0) s += "\x1b[" + std::to_string(col) + "C";  // "ESC[0C" would move one column
    write(s);
}

ReadResult LineEditor::read_raw(const std::string& prompt, const std::string& placeholder) {
    RawMode raw(in_);
    if (!raw.active()) return read_plain(prompt);
    write(kPasteOn);
    struct PasteOff {
        LineEditor& self;
        ~PasteOff() { self.write(kPasteOff); }
    } paste_off{*this};

    EditBuffer buf;
    const auto& hist = history_.entries();
    size_t hist_pos = hist.size();  // == size: the line being typed
    std::string draft;
    bool pasting = false;
    auto redraw = [&](bool placeholder_on = true) { refresh(prompt, placeholder, buf, placeholder_on); };
    redraw();
    if (pending_interrupt_ && pending_interrupt_()) return {ReadStatus::Interrupt, ""};

    for (;;) {
        const int c = read_byte(in_);
        if (c < 0) {
            redraw(false);
            return {ReadStatus::Eof, ""};
        }
        Key key = Key::None;
        switch (c) {
            case '\r':
            case '\n':
                if (pasting) {
                    buf.insert(" ");  // a pasted multi-line prompt stays one prompt
                    break;
                }
                redraw(false);
                write("\n");
                return {ReadStatus::Line, buf.text()};
            case 0x03:  // Ctrl-C
                redraw(false);
                if (!buf.text().empty()) write("^C\n");
                return {ReadStatus::Interrupt, buf.text()};
            case 0x04:  // Ctrl-D
                if (buf.text().empty()) {
                    redraw(false);
                    return {ReadStatus::Eof, ""};
                }
                buf.erase();
                break;
            case 0x7f:
            case 0x08: buf.backspace(); break;
            case 0x01: buf.home(); break;
            case 0x05: buf.end(); break;
            case 0x02: buf.left(); break;
            case 0x06: buf.right(); break;
            case 0x15: buf.kill_to_start(); break;
            case 0x0b: buf.kill_to_end(); break;
            case 0x17: buf.kill_word_back(); break;
            case 0x0c: write("\x1b[H\x1b[2J"); break;
            case 0x10: key = Key::Up; break;
            case 0x0e: key = Key::Down; break;
            case 0x1b: key = read_escape(in_); break;
            case '\t': buf.insert(" "); break;
            default:
                if (c >= 0x20 && c != 0x7f) {
                    std::string ch(1, static_cast<char>(c));
                    const int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
                    for (int i = 0; i < more; ++i) {
                        const int d = read_byte(in_);
                        if (d < 0 || !continuation(static_cast<unsigned char>(d))) break;
                        ch += static_cast<char>(d);
                    }
                    if (!continuation(static_cast<unsigned char>(ch[0]))) buf.insert(ch);
                }
                break;  // other control characters are ignored
        }
        switch (key) {
            case Key::Up:
                if (hist_pos > 0) {
                    if (hist_pos == hist.size()) draft = buf.text();
                    buf.set(hist[--hist_pos]);
                }
                break;
            case Key::Down:
                if (hist_pos < hist.size()) {
                    ++hist_pos;
                    buf.set(hist_pos == hist.size() ? draft : hist[hist_pos]);
                }
                break;
            case Key::Left: buf.left(); break;
            case Key::Right: buf.right(); break;
            case Key::Home: buf.home(); break;
            case Key::End: buf.end(); break;
            case Key::Delete: buf.erase(); break;
            case Key::PasteStart: pasting = true; break;
            case Key::PasteEnd: pasting = false; break;
            case Key::None: break;
        }
        redraw();
    }
}

}  // namespace pictor::cli
