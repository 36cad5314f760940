#include "server/format.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace pictor::server {

std::string human_number(uint64_t n) {
    auto scaled = [](uint64_t v, double unit, const char* suffix) {
        const double x = static_cast<double>(v) / unit;
        char buf[64];
        if (x == std::floor(x)) std::snprintf(buf, sizeof buf, "%.0f%s", x, suffix);
        else std::snprintf(buf, sizeof buf, "%.1f%s", x, suffix);
        return std::string(buf);
    };
    if (n >= 1'000'000'000ULL) return scaled(n, 1e9, "B");
    if (n >= 1'000'000ULL) return scaled(n, 1e6, "M");
    if (n >= 1'000ULL) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.0fK", static_cast<double>(n) / 1e3);
        return buf;
    }
    return std::to_string(n);
}

std::string rfc3339(std::chrono::system_clock::time_point t, bool fraction) {
    using namespace std::chrono;
    const auto ns_total = duration_cast<nanoseconds>(t.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(ns_total / 1'000'000'000);
    long nanos = static_cast<long>(ns_total % 1'000'000'000);
    if (nanos < 0) {
        nanos += 1'000'000'000;
        --secs;
    }
    std::tm tm{};
    localtime_r(&secs, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = date;
    if (fraction && nanos != 0) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%09ld", nanos);
        std::string f = frac;
        while (f.back() == '0') f.pop_back();
        out += f;
    }
    const long off = tm.tm_gmtoff;
    if (off == 0) {
        out += 'Z';
    } else {
        char z[32];
        const long a = off < 0 ? -off : off;
        std::snprintf(z, sizeof z, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
        out += z;
    }
    return out;
}

std::chrono::system_clock::time_point to_system_time(std::filesystem::file_time_type t) {
    return std::chrono::time_point_cast<std::chrono::system_clock::duration>(std::chrono::file_clock::to_sys(t));
}

std::string go_duration(std::chrono::nanoseconds d) {
    long long ns = d.count();
    std::string sign;
    if (ns < 0) {
        sign = "-";
        ns = -ns;
    }
    auto with_fraction = [](long long whole, long long frac, int digits) {
        std::string s = std::to_string(whole);
        if (frac != 0) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%0*lld", digits, frac);
            std::string f = buf;
            while (!f.empty() && f.back() == '0') f.pop_back();
            s += "." + f;
        }
        return s;
    };
    if (ns == 0) return "0s";
    if (ns < 1'000) return sign + std::to_string(ns) + "ns";
    if (ns < 1'000'000) return sign + with_fraction(ns / 1'000, ns % 1'000, 3) + "µs";
    if (ns < 1'000'000'000) return sign + with_fraction(ns / 1'000'000, ns % 1'000'000, 6) + "ms";
    const long long total_s = ns / 1'000'000'000;
    const long long frac = ns % 1'000'000'000;
    const long long h = total_s / 3600, m = (total_s % 3600) / 60, s = total_s % 60;
    std::string out = sign;
    if (h > 0) out += std::to_string(h) + "h";
    if (h > 0 || m > 0) out += std::to_string(m) + "m";
    out += with_fraction(s, frac, 9) + "s";
    return out;
}

std::string quote(std::string_view s) {
    return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace pictor::server
