// HTTP client of the CLI verbs that go through the server (list, show, rm, cp, pull, push).
// Failures become pictor::Error with the server's own message, so the CLI prints
// "Error: <what the server said>".
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "server/host.h"

namespace httplib {
class Client;
class Result;
}

namespace pictor::cli {

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
