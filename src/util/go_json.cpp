#include "util/go_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace pictor {
namespace {

void append_go_float(std::string& out, double f) {
    // encoding/json's floatEncoder: 'f' format unless the magnitude is tiny or huge.
    const double a = std::fabs(f);
    const bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, f, exp ? std::chars_format::scientific : std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (exp) {
        // "1e-07" -> "1e-7", as Go cleans up a two-digit negative exponent.
        const size_t n = s.size();
        if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
    }
    out += s;
}

void newline(std::string& out, std::string_view indent, int depth) {
    out += '\n';
    for (int i = 0; i < depth; ++i) out += indent;
}

void append_value(std::string& out, const nlohmann::json& v, std::string_view indent, int depth,
                  std::initializer_list<std::string_view> exact, bool top) {
    switch (v.type()) {
        case nlohmann::json::value_t::null: out += "null"; break;
        case nlohmann::json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
        case nlohmann::json::value_t::string: append_go_string(out, v.get_ref<const std::string&>()); break;
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float: append_go_float(out, v.get<double>()); break;
        case nlohmann::json::value_t::array: {
            if (v.empty()) {
                out += "[]";
                break;
            }
            out += '[';
            bool first = true;
            for (const auto& e : v) {
                if (!first) out += ',';
                first = false;
                newline(out, indent, depth + 1);
                append_value(out, e, indent, depth + 1, {}, false);
            }
            newline(out, indent, depth);
            out += ']';
            break;
        }
        case nlohmann::json::value_t::object: {
            if (v.empty()) {
                out += "{}";
                break;
            }
            out += '{';
            bool first = true;
            for (auto it = v.begin(); it != v.end(); ++it) {  // nlohmann::json keeps keys sorted
                if (!first) out += ',';
                first = false;
                newline(out, indent, depth + 1);
                append_go_string(out, it.key());
                out += ": ";
                bool is_exact = false;
                if (top)
                    for (std::string_view k : exact) is_exact = is_exact || k == it.key();
                if (is_exact && it->is_number_integer()) out += std::to_string(it->get<int64_t>());
                else append_value(out, *it, indent, depth + 1, {}, false);
            }
            newline(out, indent, depth);
            out += '}';
            break;
        }
        default: out += "null"; break;  // binary/discarded values do not come from JSON text
    }
}

}  // namespace

void append_go_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            switch (b) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (b < 0x20 || b == '<' || b == '>' || b == '&') {
                        out += "\\u00";
                        out += kHex[b >> 4];
                        out += kHex[b & 0xf];
                    } else {
                        out += static_cast<char>(b);
                    }
            }
            ++i;
            continue;
        }
        // Decode one UTF-8 sequence; anything malformed (overlong, surrogate, truncated, out of
        // range) is one invalid byte, as in Go's utf8.DecodeRuneInString.
        size_t len = 0;
        uint32_t cp = 0;
        if (b >= 0xc2 && b <= 0xdf) len = 2, cp = b & 0x1f;
        else if (b >= 0xe0 && b <= 0xef) len = 3, cp = b & 0x0f;
        else if (b >= 0xf0 && b <= 0xf4) len = 4, cp = b & 0x07;
        bool ok = len != 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xc0) != 0x80) ok = false;
            cp = (cp << 6) | (c & 0x3f);
        }
        if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                   (cp >= 0xd800 && cp <= 0xdfff)))
            ok = false;
        if (!ok) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            out += cp == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
            out.append(s.substr(i, len));
        }
        i += len;
    }
    out += '"';
}

std::string go_marshal_indent(const nlohmann::json& v, std::string_view indent,
                              std::initializer_list<std::string_view> exact_integers) {
    std::string out;
    append_value(out, v, indent, 0, exact_integers, true);
    return out;
}

}  // namespace pictor
