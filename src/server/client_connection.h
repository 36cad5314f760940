// Whether the client of a request is still there. httplib 0.11 tells a handler nothing about
// its connection (Request::is_connection_closed came later) and a streaming sink only notices a
// dead peer when a write fails — far too late for a request that waits in a queue or renders
// for a minute before its first byte. So we find the request's own socket among the process's
// descriptors by its address pair (Request has local_addr/local_port and remote_addr/
// remote_port) and ask the kernel whether the peer has closed it. The descriptor stays valid
// for as long as the handler runs, because httplib closes it only after the handler returns.
#pragma once

#include <optional>

#include <httplib.h>

namespace pictor::server {

class ClientConnection {
public:
    // nullopt when no descriptor matches (then the caller cannot detect a disconnect).
    static std::optional<ClientConnection> find(const httplib::Request& req);

    // True once the peer has closed or reset the connection. Data the client may have sent
    // after its request (a pipelined request) is left unread.
    bool closed() const;

    int fd() const { return fd_; }

private:
    explicit ClientConnection(int fd) : fd_(fd) {}
    int fd_;  // borrowed from httplib: never closed here
};

}  // namespace pictor::server
