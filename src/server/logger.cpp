#include "server/logger.h"

#include <chrono>
#include <ostream>

#include "server/format.h"

namespace pictor::server {

void Logger::line(std::string_view line) {
    std::lock_guard lock(mu_);
    out_ << line << '\n';
    out_.flush();
}

void Logger::info(std::string_view msg) { leveled("INFO", msg); }
void Logger::warn(std::string_view msg) { leveled("WARN", msg); }

void Logger::leveled(std::string_view level, std::string_view msg) {
    std::string s = "time=" + rfc3339(std::chrono::system_clock::now(), false) + " level=" + std::string(level) +
                    " msg=" + std::string(msg);
    line(s);
}

}  // namespace pictor::server
