#include "server/host.h"

#include <charconv>
#include <cstdlib>

namespace pictor::server {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool parse_port(std::string_view s, int& out) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > 65535) return false;
    out = v;
    return true;
}

// Go's net.SplitHostPort, reduced to what PICTOR_HOST needs: "[v6]:port" or "host:port" with
// exactly one colon. Returns false when there is no port part.
bool split_host_port(std::string_view hp, std::string_view& host, std::string_view& port) {
    if (!hp.empty() && hp.front() == '[') {
        auto close = hp.find(']');
        if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':') return false;
        host = hp.substr(1, close - 1);
        port = hp.substr(close + 2);
        return true;
    }
    auto colon = hp.rfind(':');
    if (colon == std::string_view::npos || hp.find(':') != colon) return false;
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
    return true;
}

bool is_ipv6_literal(std::string_view h) { return h.find(':') != std::string_view::npos; }

std::string format_host(std::string_view h) {
    return is_ipv6_literal(h) ? "[" + std::string(h) + "]" : std::string(h);
}

}  // namespace

std::string HostPort::bind_host() const { return host.empty() ? "0.0.0.0" : host; }

std::string HostPort::connect_host() const {
    if (host.empty() || host == "0.0.0.0") return std::string(kDefaultBindHost);
    if (host == "::") return "::1";
    return host;
}

std::string HostPort::url() const {
    return scheme + "://" + format_host(connect_host()) + ":" + std::to_string(port);
}

std::string HostPort::display() const { return format_host(bind_host()) + ":" + std::to_string(port); }

bool HostPort::is_local() const {
    const std::string h = connect_host();
    return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

HostPort parse_host(std::string_view value, bool* port_was_invalid) {
    if (port_was_invalid) *port_was_invalid = false;
    HostPort out;
    std::string_view s = trim(value);
    int default_port = kDefaultPort;
    std::string_view hostport = s;
    if (auto sep = s.find("://"); sep != std::string_view::npos) {
        out.scheme = std::string(s.substr(0, sep));
        hostport = s.substr(sep + 3);
        // An explicit scheme without a port means the scheme's port, as in Ollama.
        if (out.scheme == "http") default_port = 80;
        else if (out.scheme == "https") default_port = 443;
    }
    if (auto slash = hostport.find('/'); slash != std::string_view::npos) hostport = hostport.substr(0, slash);

    std::string_view h, p;
    if (split_host_port(hostport, h, p)) {
        out.host = std::string(h);
        if (!parse_port(p, out.port)) {
            out.port = default_port;
            if (port_was_invalid) *port_was_invalid = true;
        }
    } else {
        out.port = default_port;
        std::string_view bare = hostport;
        if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
        out.host = bare.empty() ? std::string(kDefaultBindHost) : std::string(bare);
    }
    return out;
}

HostPort host_from_env() {
    const char* v = std::getenv("PICTOR_HOST");
    return parse_host(v ? v : "");
}

}  // namespace pictor::server
