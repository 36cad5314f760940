// One line per request on the server log, shaped like Gin's access log that Ollama prints:
// [GIN] 2024/05/01 - 12:34:56 | 200 |    1.234567ms |       127.0.0.1 | POST     "/api/show"
// httplib's logger runs after the response (streams included) was written, so the duration
// covers the whole exchange; the start time is noted by the pre-routing hook.
#pragma once

#include <chrono>
#include <mutex>
#include <unordered_map>

#include <httplib.h>

namespace pictor::server {

class Logger;

class RequestLog {
public:
    explicit RequestLog(Logger& log) : log_(log) {}
    void begin(const httplib::Request& req);
    void end(const httplib::Request& req, const httplib::Response& res);

private:
    Logger& log_;
    std::mutex mu_;
    // Keyed by the Request's address: httplib keeps one Request object alive per exchange.
    std::unordered_map<const httplib::Request*, std::chrono::steady_clock::time_point> started_;
};

}  // namespace pictor::server
