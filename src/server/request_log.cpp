#include "server/request_log.h"

#include <cstdio>
#include <ctime>

#include "server/format.h"
#include "server/logger.h"

namespace pictor::server {

void RequestLog::begin(const httplib::Request& req) {
    std::lock_guard lock(mu_);
    started_[&req] = std::chrono::steady_clock::now();
}

void RequestLog::end(const httplib::Request& req, const httplib::Response& res) {
    std::chrono::nanoseconds took{0};
    {
        std::lock_guard lock(mu_);
        if (auto it = started_.find(&req); it != started_.end()) {
            took = std::chrono::steady_clock::now() - it->second;
            started_.erase(it);
        }
    }
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y/%m/%d - %H:%M:%S", &tm);
    char buf[256];
    std::snprintf(buf, sizeof buf, "[GIN] %s | %3d | %13s | %15s | %-7s ", when, res.status,
                  go_duration(took).c_str(), req.remote_addr.c_str(), req.method.c_str());
    log_.line(std::string(buf) + quote(req.path));
}

}  // namespace pictor::server
