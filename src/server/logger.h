// Line-oriented server log. Handlers run on many threads; one mutex keeps lines whole.
#pragma once

#include <iosfwd>
#include <mutex>
#include <string_view>

namespace pictor::server {

class Logger {
public:
    explicit Logger(std::ostream& out) : out_(out) {}
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    // Writes `line` plus a newline and flushes, so a log file tails in real time.
    void line(std::string_view line);
    // "time=... level=INFO msg=..." like Ollama's slog lines, for events that are not requests.
    void info(std::string_view msg);
    void warn(std::string_view msg);

private:
    void leveled(std::string_view level, std::string_view msg);
    std::ostream& out_;
    std::mutex mu_;
};

}  // namespace pictor::server
