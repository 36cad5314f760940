// The server address from PICTOR_HOST, parsed the way Ollama parses OLLAMA_HOST so that the
// same values work: "host", "host:port", "http://host:port", ":port", "[::1]:port".
#pragma once

#include <string>
#include <string_view>

namespace pictor::server {

inline constexpr std::string_view kDefaultBindHost = "127.0.0.1";
inline constexpr int kDefaultPort = 11434;

struct HostPort {
    std::string scheme = "http";
    // Empty means "all interfaces" when listening (":port"), loopback when connecting.
    std::string host = std::string(kDefaultBindHost);
    int port = kDefaultPort;

    // Address to bind: empty host becomes 0.0.0.0 (Ollama listens everywhere for ":port").
    std::string bind_host() const;
    // Address a client dials: empty/unspecified hosts become loopback.
    std::string connect_host() const;
    // "scheme://host:port" for HTTP clients (IPv6 literals bracketed).
    std::string url() const;
    // "host:port" for log lines.
    std::string display() const;
    // True when a client on this machine reaches a server it may start itself.
    bool is_local() const;
};

// Never throws: an unparsable port falls back to the default like Ollama does (the caller may
// warn, see `port_was_invalid`).
HostPort parse_host(std::string_view value, bool* port_was_invalid = nullptr);
// $PICTOR_HOST, else 127.0.0.1:11434.
HostPort host_from_env();

}  // namespace pictor::server
