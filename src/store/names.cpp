#include "store/names.h"

#include <optional>

#include "util/error.h"

namespace pictor::store {
namespace {

enum class Part { Host, Namespace, Model, Tag };

// Set by a separator whose neighbouring part is empty ("a/", ":tag"): the reference marks such
// a part as missing so that the whole name is invalid, instead of silently defaulting it.
struct Cut {
    std::string_view before;
    std::string_view after;
    bool found = false;
    bool missing = false;  // a promised part was empty
};

// Cuts at the last occurrence of sep (the reference's cutPromised).
Cut cut_last(std::string_view s, char sep) {
    Cut c;
    const size_t i = s.rfind(sep);
    if (i == std::string_view::npos) {
        c.before = s;
        return c;
    }
    c.found = true;
    c.before = s.substr(0, i);
    c.after = s.substr(i + 1);
    c.missing = c.before.empty() || c.after.empty();
    return c;
}

// ASCII only on purpose: std::isalnum depends on the locale and would let bytes of UTF-8
// sequences through in some locales.
bool alnum_or_underscore(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool valid_part(Part kind, std::string_view s) {
    const size_t max_len = kind == Part::Host ? 350 : 80;
    if (s.empty() || s.size() > max_len) return false;
    // The first character can never be '.', '-' or ':', which is what keeps "." and ".." (and
    // anything that looks like an option) out of the paths built from names.
    if (!alnum_or_underscore(s[0])) return false;
    for (size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (alnum_or_underscore(c) || c == '-') continue;
        if (c == '.' && kind != Part::Namespace) continue;
        if (c == ':' && kind == Part::Host) continue;
        return false;
    }
    return true;
}

[[noreturn]] void invalid(std::string_view s) {
    // Control bytes are shown as \xNN: a NUL would cut the message short and a newline would
    // forge a log line.
    static constexpr char kHex[] = "0123456789abcdef";
    std::string shown;
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7f) {
            shown += "\\x";
            shown += kHex[b >> 4];
            shown += kHex[b & 0xf];
        } else {
            shown += c;
        }
    }
    fail(ErrorKind::InvalidArgument, "invalid model name: " + shown);
}

// Parses without throwing; nullopt when the name is not valid.
std::optional<ModelName> parse_impl(std::string_view s) {
    // Rejected before anything else: a NUL would truncate the string when it reaches the OS.
    if (s.find('\0') != std::string_view::npos) return std::nullopt;

    ModelName n;
    n.scheme = "https";
    bool missing = false;

    // The tag is only what follows the last ':' when that ':' comes after the last '/', so a
    // host port ("host:5000/ns/model") is never mistaken for a tag.
    const size_t colon = s.rfind(':');
    const size_t slash = s.rfind('/');
    std::string_view tag;
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        Cut c = cut_last(s, ':');
        s = c.before;
        tag = c.after;
        missing |= c.missing;
    }

    std::string_view model, ns, host;
    Cut m = cut_last(s, '/');
    if (!m.found) {
        model = s;
    } else {
        model = m.after;
        missing |= m.missing;
        Cut n2 = cut_last(m.before, '/');
        if (!n2.found) {
            ns = m.before;
        } else {
            ns = n2.after;
            missing |= n2.missing;
            host = n2.before;
            // Only here can a scheme appear: "https://host/ns/model".
            const size_t sep = host.find("://");
            if (sep != std::string_view::npos) {
                const std::string_view scheme = host.substr(0, sep);
                if (!iequals(scheme, "https") && !iequals(scheme, "http")) return std::nullopt;
                n.scheme.clear();
                for (char c : scheme) n.scheme += lower(c);
                host = host.substr(sep + 3);
                if (host.empty()) missing = true;
            }
        }
    }
    if (missing) return std::nullopt;

    n.host = host.empty() ? std::string(kDefaultHost) : std::string(host);
    n.ns = ns.empty() ? std::string(kDefaultNamespace) : std::string(ns);
    n.model = std::string(model);
    n.tag = tag.empty() ? std::string(kDefaultTag) : std::string(tag);
    if (!n.valid()) return std::nullopt;
    return n;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool is_public_host(std::string_view host) { return iequals(host, kDefaultHost) || iequals(host, kCanonicalHost); }

ModelName ModelName::parse(std::string_view s) {
    auto n = parse_impl(s);
    if (!n) invalid(s);
    return *n;
}

bool ModelName::try_parse(std::string_view s, ModelName& out) {
    auto n = parse_impl(s);
    if (!n) return false;
    out = std::move(*n);
    return true;
}

bool ModelName::valid() const {
    return valid_part(Part::Host, host) && valid_part(Part::Namespace, ns) && valid_part(Part::Model, model) &&
           valid_part(Part::Tag, tag);
}

std::string ModelName::full() const { return host + "/" + ns + "/" + model + ":" + tag; }

std::string ModelName::display() const {
    std::string out;
    if (!iequals(host, kDefaultHost)) {
        out = host + "/" + ns + "/";
    } else if (!iequals(ns, kDefaultNamespace)) {
        out = ns + "/";
    }
    return out + model + ":" + tag;
}

ModelName ModelName::canonical() const {
    ModelName c = *this;
    if (is_public_host(host)) c.host = std::string(kCanonicalHost);
    return c;
}

std::filesystem::path ModelName::legacy_relpath() const {
    if (!valid()) invalid(full());
    return std::filesystem::path(host) / ns / model / tag;
}

std::filesystem::path ModelName::v2_relpath() const {
    if (!valid()) invalid(full());
    return canonical().legacy_relpath();
}

bool ModelName::same_as(const ModelName& other) const {
    const bool hosts_equal = iequals(host, other.host) || (is_public_host(host) && is_public_host(other.host));
    return hosts_equal && iequals(ns, other.ns) && iequals(model, other.model) && iequals(tag, other.tag);
}

}  // namespace pictor::store
