#include "cli/api_client.h"

#include <httplib.h>

#include "util/error.h"

namespace pictor::cli {
namespace {

std::string server_message(const httplib::Response& res) {
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
    if (!res.body.empty()) return res.body;
    return "server answered " + std::to_string(res.status);
}

}  // namespace

ErrorKind kind_for_status(int status) {
    switch (status) {
        case 400: return ErrorKind::InvalidArgument;
        case 404: return ErrorKind::NotFound;
        case 499: return ErrorKind::Cancelled;
        case 501: return ErrorKind::Unsupported;
        case 503: return ErrorKind::Unavailable;
        default: return ErrorKind::Internal;
    }
}

ApiClient::ApiClient(server::HostPort address)
    : address_(std::move(address)), http_(std::make_unique<httplib::Client>(address_.url())) {
    http_->set_tcp_nodelay(true);  // a request's head and body go out at once (no Nagle wait)
    http_->set_connection_timeout(std::chrono::seconds(5));
    // show --verbose of a large model reads a thousand headers; be patient.
    http_->set_read_timeout(std::chrono::minutes(5));
}

ApiClient::~ApiClient() = default;

bool ApiClient::heartbeat(std::chrono::milliseconds timeout) const {
    httplib::Client probe(address_.url());
    probe.set_connection_timeout(timeout);
    probe.set_read_timeout(timeout);
    auto res = probe.Get("/");
    return res && res->status == 200;
}

std::string ApiClient::check(const char* method, const std::string& path, const httplib::Result& result) const {
    if (!result)
        fail(ErrorKind::Unavailable, std::string("could not connect to pictor server at ") + address_.url() + " (" +
                                         method + " " + path + ": " + httplib::to_string(result.error()) + ")");
    if (result->status < 200 || result->status >= 300) fail(kind_for_status(result->status), server_message(*result));
    return result->body;
}

nlohmann::json ApiClient::get(const std::string& path) const {
    auto r = http_->Get(path.c_str());
    const std::string body = check("GET", path, r);
    return body.empty() ? nlohmann::json::object() : nlohmann::json::parse(body);
}

nlohmann::json ApiClient::post(const std::string& path, const nlohmann::json& body) const {
    auto r = http_->Post(path.c_str(), body.dump(), "application/json");
    const std::string text = check("POST", path, r);
    return text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
}

void ApiClient::del(const std::string& path, const nlohmann::json& body) const {
    auto r = http_->Delete(path.c_str(), body.dump(), "application/json");
    check("DELETE", path, r);
}

}  // namespace pictor::cli
