// The HTTP server: binds the configured address, wires the handler groups through the router,
// logs every request, and serves until stop().
#pragma once

#include <atomic>
#include <thread>

#include <httplib.h>

#include "server/context.h"
#include "server/request_log.h"
#include "server/router.h"

namespace pictor::server {

class Server {
public:
    explicit Server(ServerContext& ctx);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds ctx.settings.address; port 0 picks a free port. Returns the bound port.
    // Error(Unavailable) when the address cannot be bound (in use, not permitted).
    int bind();
    // Serves on the calling thread until stop(). bind() first.
    void run();
    // run() on a thread this object owns; returns once the server accepts connections.
    void start();
    // Safe from any thread, and before run() has begun.
    void stop();
    int port() const { return port_; }

private:
    ServerContext& ctx_;
    httplib::Server http_;
    RequestLog requests_;
    Router router_;
    int port_ = -1;
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> finished_{false};  // run() returned (stopped, or listening failed)
    std::thread thread_;
};

}  // namespace pictor::server
