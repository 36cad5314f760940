// Route registration with one safety net: every handler runs inside a catch-all that turns
// exceptions into {"error": ...} responses, so bad input can never take the server down.
// Handler groups (models, create, transfer, later generate) register themselves through it.
#pragma once

#include <functional>
#include <string>

#include <httplib.h>

namespace pictor::server {

class Logger;

class Router {
public:
    using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

    Router(httplib::Server& http, Logger& log);

    // GET also answers HEAD (httplib routes HEAD to GET handlers and drops the body).
    void get(const std::string& path, Handler h);
    // POST and DELETE handlers see the whole body in req.body, read by with_body().
    void post(const std::string& path, Handler h);
    void del(const std::string& path, Handler h);

private:
    Handler guarded(Handler h);
    httplib::Server::HandlerWithContentReader with_body(Handler h);
    httplib::Server& http_;
    Logger& log_;
};

}  // namespace pictor::server
