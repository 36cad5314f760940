#include "create/parameters.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>

namespace pictor::create {

namespace {

std::optional<int64_t> parse_int(std::string_view s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<uint64_t> parse_uint(std::string_view s) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// Strict JSON-number-like float: the whole string must be consumed and the result finite.
std::optional<double> parse_double(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::string tmp(s);  // strtod needs a terminated string; from_chars(double) is spotty in g++ 12 for some forms
    char* end = nullptr;
    double v = std::strtod(tmp.c_str(), &end);
    if (end != tmp.c_str() + tmp.size() || !std::isfinite(v)) return std::nullopt;
    // strtod accepts hex floats and leading spaces/'+'; JSON does not.
    if (tmp.find_first_of("xXpP ") != std::string::npos || tmp.front() == '+') return std::nullopt;
    return v;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::string check_parameter(std::string_view key, std::string_view value) {
    if (key == "width" || key == "height") {
        auto v = parse_int(value);
        if (!v || *v < 64 || *v > 4096 || *v % 16 != 0)
            return std::string(key) + " must be a multiple of 16 between 64 and 4096, got " + quoted(value);
        return "";
    }
    if (key == "steps") {
        auto v = parse_int(value);
        if (!v || *v < 1 || *v > 1000) return "steps must be an integer between 1 and 1000, got " + quoted(value);
        return "";
    }
    if (key == "guidance") {
        auto v = parse_double(value);
        if (!v || *v < 0) return "guidance must be a number >= 0, got " + quoted(value);
        return "";
    }
    if (key == "seed") {
        if (!parse_int(value) && !parse_uint(value)) return "seed must be an integer, got " + quoted(value);
        return "";
    }
    if (key == "negative_prompt") return "";
    return "unknown parameter " + quoted(key) +
           " (supported: width, height, steps, guidance, seed, negative_prompt)";
}

nlohmann::json parameters_json(const std::map<std::string, std::string>& params) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : params) {
        if (k != "negative_prompt") {
            if (auto i = parse_int(v)) { j[k] = *i; continue; }
            if (auto u = parse_uint(v)) { j[k] = *u; continue; }
            if (auto d = parse_double(v)) { j[k] = *d; continue; }
        }
        j[k] = v;  // a negative prompt of "5" is still text
    }
    return j;
}

}  // namespace pictor::create
