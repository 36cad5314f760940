#include "cli/format.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace pictor::cli {

std::string human_bytes(uint64_t n) {
    double value = 0;
    const char* unit = nullptr;
    if (n >= 1'000'000'000'000ULL) value = n / 1e12, unit = "TB";
    else if (n >= 1'000'000'000ULL) value = n / 1e9, unit = "GB";
    else if (n >= 1'000'000ULL) value = n / 1e6, unit = "MB";
    else if (n >= 1'000ULL) value = n / 1e3, unit = "KB";
    else return std::to_string(n) + " B";
    char buf[64];
    if (value >= 10 || value == std::trunc(value)) std::snprintf(buf, sizeof buf, "%d %s", static_cast<int>(value), unit);
    else std::snprintf(buf, sizeof buf, "%.1f %s", value, unit);
    return buf;
}

namespace {

std::string human_duration(std::chrono::nanoseconds d) {
    const double secs_f = std::chrono::duration<double>(d).count();
    const long long seconds = static_cast<long long>(secs_f);
    if (seconds < 1) return "Less than a second";
    if (seconds == 1) return "1 second";
    if (seconds < 60) return std::to_string(seconds) + " seconds";
    const long long minutes = static_cast<long long>(secs_f / 60);
    if (minutes == 1) return "About a minute";
    if (minutes < 60) return std::to_string(minutes) + " minutes";
    const long long hours = std::llround(secs_f / 3600);
    if (hours == 1) return "About an hour";
    if (hours < 48) return std::to_string(hours) + " hours";
    if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
    if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
    if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
    return std::to_string(static_cast<long long>(secs_f / 3600 / 24 / 365)) + " years";
}

}  // namespace

std::string human_time(std::chrono::system_clock::time_point t, std::chrono::system_clock::time_point now) {
    const auto delta = now - t;
    if (delta < std::chrono::nanoseconds(0)) return human_duration(-delta) + " from now";
    return human_duration(delta) + " ago";
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
    int y, mo, d, h, mi, sec, consumed = 0;
    const std::string str(s);
    if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6)
        return std::nullopt;
    std::string_view rest = s.substr(static_cast<size_t>(consumed));
    long long nanos = 0;
    if (!rest.empty() && rest.front() == '.') {
        rest.remove_prefix(1);
        int digits = 0;
        while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
            if (digits < 9) nanos = nanos * 10 + (rest.front() - '0'), ++digits;
            rest.remove_prefix(1);
        }
        while (digits++ < 9) nanos *= 10;
    }
    long offset = 0;
    if (rest == "Z" || rest == "z") {
        offset = 0;
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
        int oh = 0, om = 0;
        if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) return std::nullopt;
        offset = (oh * 3600L + om * 60L) * (rest[0] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    const time_t utc = timegm(&tm) - offset;
    return std::chrono::system_clock::from_time_t(utc) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(nanos));
}

namespace {

// Display width of UTF-8 text: count code points (good enough for names and numbers).
size_t width(std::string_view s) {
    size_t w = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++w;
    return w;
}

}  // namespace

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& r : rows) {
        if (widths.size() < r.size()) widths.resize(r.size(), 0);
        for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], width(r[i]));
    }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(widths[i] - width(r[i]) + 4, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace pictor::cli
