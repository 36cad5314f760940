#include "server/router.h"

#include "server/half_closed_reply.h"
#include "server/http_errors.h"
#include "server/logger.h"

namespace pictor::server {

Router::Router(httplib::Server& http, Logger& log) : http_(http), log_(log) {}

Router::Handler Router::guarded(Handler h) {
    return [h = std::move(h), this](const httplib::Request& req, httplib::Response& res) {
        try {
            h(req, res);
        } catch (...) {
            respond_with_current_exception(res, &log_);
        }
        reply_if_peer_half_closed(req, res);
    };
}

void Router::get(const std::string& path, Handler h) { http_.Get(path, guarded(std::move(h))); }
void Router::post(const std::string& path, Handler h) { http_.Post(path, guarded(std::move(h))); }
void Router::del(const std::string& path, Handler h) { http_.Delete(path, guarded(std::move(h))); }

}  // namespace pictor::server
