#include "server/server.h"

#include <sys/socket.h>

#include "server/half_closed_reply.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/openai_types.h"
#include "util/error.h"

namespace pictor::server {
namespace {

// Request bodies are small JSON documents; a cap keeps a hostile client from filling memory.
constexpr size_t kMaxBody = 16u << 20;  // reason(413) names it

const char* reason(int status) {
    switch (status) {
        // httplib answers 400 itself only for a request it could not read: a malformed request
        // line or header, or a body that stopped short of its Content-Length (read timeout).
        case 400: return "bad request: the request could not be read (malformed, or its body ended before Content-Length)";
        case 404: return "404 page not found";
        case 405: return "method not allowed";
        case 413: return "request body too large: the limit is 16 MiB";
        case 414: return "request URI too long";
        default: return "request failed";
    }
}

}  // namespace

Server::Server(ServerContext& ctx) : ctx_(ctx), requests_(ctx.log), router_(http_, ctx.log) {
    http_.set_payload_max_length(kMaxBody);
    // httplib writes a response's head and body separately; with Nagle's algorithm the body
    // then waits for the client's delayed ACK of the head: 26 ms per keep-alive request on
    // loopback before this (Linux copies the option from the listening socket to each accepted one).
    http_.set_tcp_nodelay(true);
    // httplib's default also sets SO_REUSEPORT, which lets a second `pictor serve` bind the same
    // port and take half of the connections (two schedulers, duplicate runners). SO_REUSEADDR
    // alone still allows a restart while old connections sit in TIME_WAIT.
    http_.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
        requests_.begin(req);
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http_.set_logger([this](const httplib::Request& req, const httplib::Response& res) { requests_.end(req, res); });
    // Responses httplib produces itself (unknown route, a body cut short or too large) get our
    // JSON error shape too, the OpenAI envelope under /v1/; responses our handlers already
    // filled are left alone (and were already offered to a half-closed client by the router).
    http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (req.path.rfind("/v1/", 0) == 0)
            set_json(res, res.status, openai_error_body(res.status, reason(res.status)));
        else
            set_error(res, res.status, reason(res.status));
        reply_if_peer_half_closed(req, res);
    });
    http_.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
            if (ep) std::rethrow_exception(ep);
            set_error(res, 500, "internal error");
        } catch (...) {
            respond_with_current_exception(res, &ctx_.log);
        }
    });

    register_system_routes(router_, ctx_);
    register_model_routes(router_, ctx_);
    register_create_routes(router_, ctx_);
    register_transfer_routes(router_, ctx_);
    register_generate_routes(router_, ctx_);
    register_ps_routes(router_, ctx_);
    register_openai_routes(router_, ctx_);
    register_unsupported_routes(router_, ctx_);
}

Server::~Server() {
    stop();
    if (thread_.joinable()) thread_.join();
}

int Server::bind() {
    const HostPort& a = ctx_.settings.address;
    const std::string host = a.bind_host();
    if (a.port == 0) {
        port_ = http_.bind_to_any_port(host);
        if (port_ < 0) fail(ErrorKind::Unavailable, "listen tcp " + a.display() + ": cannot bind");
    } else {
        if (!http_.bind_to_port(host, a.port))
            fail(ErrorKind::Unavailable, "listen tcp " + a.display() +
                                             ": cannot bind (is another pictor or ollama server running?)");
        port_ = a.port;
    }
    return port_;
}

void Server::run() {
    if (port_ < 0) bind();
    if (stop_requested_) return;
    http_.listen_after_bind();
}

void Server::start() {
    if (port_ < 0) bind();
    thread_ = std::thread([this] {
        run();
        finished_ = true;
    });
    // Until listen_after_bind sets is_running, httplib's stop() is a no-op; wait for it so a
    // prompt stop() cannot be lost. Connections made meanwhile queue on the bound socket.
    while (!http_.is_running() && !stop_requested_ && !finished_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Server::stop() {
    stop_requested_ = true;
    http_.stop();
}

}  // namespace pictor::server
