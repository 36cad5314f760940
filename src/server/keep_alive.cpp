#include "server/keep_alive.h"

#include <cmath>
#include <string>

#include "util/error.h"

namespace pictor::server {
namespace {

Millis from_seconds(double s) {
    if (!std::isfinite(s)) return kKeepForever;
    if (s < 0) return kKeepForever;
    if (s > 1e12) return kKeepForever;  // beyond any uptime: the same as forever
    return Millis(static_cast<int64_t>(std::llround(s * 1000.0)));
}

Millis from_duration(std::chrono::nanoseconds d) {
    if (d.count() < 0) return kKeepForever;
    // Round up so that "300us" does not become an immediate unload.
    return Millis((d.count() + 999'999) / 1'000'000);
}

std::optional<double> plain_number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::string t(s);
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || t.find_first_of("xXpPnNiI ") != std::string::npos) return std::nullopt;
    return v;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return std::chrono::nanoseconds(0);
    if (s.empty()) return std::nullopt;
    long double total = 0;
    while (!s.empty()) {
        size_t i = 0;
        long double whole = 0, frac = 0, scale = 1;
        bool digits = false;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') whole = whole * 10 + (s[i++] - '0'), digits = true;
        if (i < s.size() && s[i] == '.') {
            ++i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') frac = frac * 10 + (s[i++] - '0'), scale *= 10, digits = true;
        }
        if (!digits) return std::nullopt;
        size_t u = i;
        while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
        const std::string_view unit = s.substr(i, u - i);
        long double ns;
        if (unit == "ns") ns = 1;
        else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") ns = 1e3;
        else if (unit == "ms") ns = 1e6;
        else if (unit == "s") ns = 1e9;
        else if (unit == "m") ns = 60e9;
        else if (unit == "h") ns = 3600e9;
        else return std::nullopt;  // missing or unknown unit
        total += (whole + frac / scale) * ns;
        s.remove_prefix(u);
    }
    if (total > 9.2233720368547758e18L) return std::nullopt;  // Go: "invalid duration" on overflow
    const auto v = static_cast<int64_t>(total);
    return std::chrono::nanoseconds(neg ? -v : v);
}

std::optional<Millis> keep_alive_from_json(const nlohmann::json& v) {
    if (v.is_null()) return std::nullopt;
    if (v.is_number()) return from_seconds(v.get<double>());
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (auto d = parse_go_duration(s)) return from_duration(*d);
        if (auto n = plain_number(s)) return from_seconds(*n);
        fail(ErrorKind::InvalidArgument,
             "invalid keep_alive " + v.dump() + ": use a duration such as \"5m\", \"1h30m\", \"-1\" or a number of seconds");
    }
    fail(ErrorKind::InvalidArgument, "keep_alive must be a duration string or a number of seconds");
}

Millis keep_alive_from_env(const char* value) {
    if (!value || !*value) return kDefaultKeepAlive;
    if (auto d = parse_go_duration(value)) return from_duration(*d);
    if (auto n = plain_number(value)) return from_seconds(*n);
    return kDefaultKeepAlive;
}

}  // namespace pictor::server
