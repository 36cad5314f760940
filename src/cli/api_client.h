// HTTP client of the CLI verbs that go through the server (list, show, rm, cp, pull, push).
// Failures become pictor::Error with the server's own message, so the CLI prints
// "Error: <what the server said>".
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "server/host.h"
#include "util/error.h"

namespace httplib {
class Client;
class Result;
}

namespace pictor::cli {

// The error kind a server answer carries (400 InvalidArgument, 404 NotFound, 499 Cancelled,
// 501 Unsupported, 503 Unavailable, anything else Internal), for the CLI's exit codes.
ErrorKind kind_for_status(int status);

class ApiClient {
public:
    explicit ApiClient(server::HostPort address);
    ~ApiClient();

    const server::HostPort& address() const { return address_; }

    // GET / answers 200 within `timeout`.
    bool heartbeat(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) const;

    nlohmann::json get(const std::string& path) const;
    nlohmann::json post(const std::string& path, const nlohmann::json& body) const;
    void del(const std::string& path, const nlohmann::json& body) const;

private:
    // Error(Unavailable) when nothing answers; Error(kind of status) with the server's message
    // for non-2xx answers.
    std::string check(const char* method, const std::string& path, const httplib::Result& result) const;
    server::HostPort address_;
    std::unique_ptr<httplib::Client> http_;
};

}  // namespace pictor::cli
