#include "server/router.h"

#include "server/half_closed_reply.h"
#include "server/http_errors.h"
#include "server/logger.h"

#include <strings.h>

#include <vector>

namespace pictor::server {
namespace {

bool is_chunked(const httplib::Request& req) {
    const std::string te = req.get_header_value("Transfer-Encoding");
    return strcasestr(te.c_str(), "chunked") != nullptr;
}

}  // namespace

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

// Bodies are read here, through httplib's content reader, instead of by httplib before the
// handler runs, because its own reading gets two things wrong for our clients:
//  - it refuses an application/x-www-form-urlencoded body over 8 KiB (a compile-time limit of
//    the library), and that is the type `curl -d` sends whatever the body is: a long prompt
//    from the reference README's curl examples got a 413;
//  - a request with neither Content-Length nor chunked encoding has no body (RFC 9112 §6.3),
//    but httplib waits for the connection to close (a bodiless `curl -X POST` hung for the
//    read timeout, then got a 400 about a truncated body).
// set_payload_max_length still applies. When reading fails, httplib has set 400 (cut short)
// or 413 (too large), and the server's error handler words the answer.
httplib::Server::HandlerWithContentReader Router::with_body(Handler h) {
    return [h = guarded(std::move(h))](const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& read) {
        if (!req.has_header("Content-Length") && !is_chunked(req)) return h(req, res);
        httplib::Request whole = req;
        whole.body.clear();
        bool complete = false;
        if (req.is_multipart_form_data()) {  // the parts, as httplib would have parsed them
            std::vector<httplib::MultipartFormData> parts;
            complete = read(
                [&parts](const httplib::MultipartFormData& header) {
                    parts.push_back(header);
                    return true;
                },
                [&parts](const char* data, size_t n) {
                    parts.back().content.append(data, n);
                    return true;
                });
            for (auto& part : parts) whole.files.emplace(part.name, std::move(part));
        } else {
            complete = read([&whole](const char* data, size_t n) {
                whole.body.append(data, n);
                return true;
            });
        }
        if (!complete) {
            if (res.status < 400) res.status = 400;
            return;
        }
        h(whole, res);
    };
}

void Router::get(const std::string& path, Handler h) { http_.Get(path, guarded(std::move(h))); }
void Router::post(const std::string& path, Handler h) { http_.Post(path, with_body(std::move(h))); }
void Router::del(const std::string& path, Handler h) { http_.Delete(path, with_body(std::move(h))); }

}  // namespace pictor::server
