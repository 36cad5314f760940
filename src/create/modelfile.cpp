#include "create/modelfile.h"

#include <cctype>
#include <cstdlib>
#include <system_error>

#include "create/model_index.h"
#include "create/parameters.h"
#include "util/error.h"

namespace pictor::create {

namespace fs = std::filesystem;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string lower(std::string_view s) {
    std::string r(s);
    for (char& c : r) c = char(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

// A cursor over the text that knows its line number, so every error can point at the line.
class Parser {
public:
    Parser(std::string_view text, std::string_view source) : t_(text), source_(source) {}

    [[noreturn]] void error(const std::string& why, size_t line = 0) const {
        fail(ErrorKind::InvalidArgument, source_ + ":" + std::to_string(line ? line : line_) + ": " + why);
    }

    bool at_end() const { return pos_ >= t_.size(); }
    size_t line() const { return line_; }

    // Skips blank lines and comment lines; returns false at the end of the text.
    bool next_command() {
        while (!at_end()) {
            char c = t_[pos_];
            if (c == '\n') { ++line_; ++pos_; }
            else if (is_space(c)) ++pos_;
            else if (c == '#') skip_to_eol();
            else return true;
        }
        return false;
    }

    std::string word() {
        size_t b = pos_;
        while (!at_end() && !is_space(t_[pos_]) && t_[pos_] != '\n') ++pos_;
        return std::string(t_.substr(b, pos_ - b));
    }

    void skip_blanks() {
        while (!at_end() && is_space(t_[pos_])) ++pos_;
    }

    // The argument of a command: bare rest of line, "quoted" or """triple quoted""".
    std::string value(const std::string& what) {
        skip_blanks();
        if (at_end() || t_[pos_] == '\n') error("missing " + what);
        std::string v;
        if (t_.substr(pos_).starts_with("\"\"\"")) {
            size_t start_line = line_;
            pos_ += 3;
            size_t end = t_.find("\"\"\"", pos_);
            if (end == std::string_view::npos) error("unterminated \"\"\" string", start_line);
            v = std::string(t_.substr(pos_, end - pos_));
            for (char c : v) line_ += c == '\n';
            pos_ = end + 3;
            expect_eol();
        } else if (t_[pos_] == '"') {
            ++pos_;
            for (;;) {
                if (at_end() || t_[pos_] == '\n') error("unterminated quoted string");
                char c = t_[pos_++];
                if (c == '"') break;
                if (c == '\\' && !at_end() && (t_[pos_] == '"' || t_[pos_] == '\\')) c = t_[pos_++];
                v += c;
            }
            expect_eol();
        } else {
            size_t b = pos_;
            while (!at_end() && t_[pos_] != '\n') ++pos_;
            std::string_view raw = t_.substr(b, pos_ - b);
            while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
            v = std::string(raw);
        }
        return v;
    }

private:
    void skip_to_eol() {
        while (!at_end() && t_[pos_] != '\n') ++pos_;
    }
    void expect_eol() {
        skip_blanks();
        if (!at_end() && t_[pos_] != '\n') error("unexpected text after closing quote");
    }

    std::string_view t_;
    std::string source_;
    size_t pos_ = 0;
    size_t line_ = 1;
};

fs::path resolve_from(const std::string& arg, const fs::path& base_dir) {
    fs::path p;
    if (arg == "~" || arg.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        p = fs::path(home ? home : "") / arg.substr(arg.size() > 1 ? 2 : 1);
    } else {
        p = arg;
    }
    if (p.is_relative()) p = base_dir / p;
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec);
    return (ec ? p : abs).lexically_normal();
}

}  // namespace

Modelfile parse_modelfile(std::string_view text, const fs::path& base_dir, std::string_view source_name) {
    Parser ps(text, source_name);
    Modelfile mf;
    bool have_from = false;
    while (ps.next_command()) {
        const size_t line = ps.line();
        std::string cmd = lower(ps.word());
        if (cmd == "from") {
            if (have_from) ps.error("FROM given twice");
            std::string arg = ps.value("model directory after FROM");
            if (arg.empty()) ps.error("empty FROM", line);
            mf.from = resolve_from(arg, base_dir);
            have_from = true;
        } else if (cmd == "parameter") {
            ps.skip_blanks();
            std::string key = lower(ps.word());
            if (key.empty()) ps.error("missing parameter name after PARAMETER");
            std::string val = ps.value("value for PARAMETER " + key);
            if (std::string why = check_parameter(key, val); !why.empty()) ps.error(why, line);
            if (!mf.parameters.emplace(key, val).second) ps.error("PARAMETER " + key + " given twice", line);
        } else if (cmd == "license") {
            if (mf.license) ps.error("LICENSE given twice");
            mf.license = ps.value("license text after LICENSE");
        } else {
            ps.error("unknown command \"" + cmd + "\" (image models support FROM, PARAMETER and LICENSE)", line);
        }
    }
    if (!have_from) fail(ErrorKind::InvalidArgument, std::string(source_name) + ": no FROM line");
    return mf;
}

Modelfile read_modelfile(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) fail(ErrorKind::NotFound, file.string() + ": no such file");
    std::string text = read_text_file(file);
    fs::path abs = fs::absolute(file, ec);
    return parse_modelfile(text, (ec ? file : abs).parent_path(), file.string());
}

}  // namespace pictor::create
