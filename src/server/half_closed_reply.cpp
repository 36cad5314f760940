#include "server/half_closed_reply.h"

#include <poll.h>
#include <strings.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "server/client_connection.h"

namespace pictor::server {
namespace {

// Reason phrases of the statuses this server sends (clients read the number, not the phrase).
const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 416: return "Range Not Satisfiable";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 499: return "Client Closed Request";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 507: return "Insufficient Storage";
        default: return status < 400 ? "OK" : "Error";
    }
}

bool is_framing_header(const std::string& name) {
    auto eq = [&name](const char* h) { return strcasecmp(name.c_str(), h) == 0; };
    return eq("Content-Length") || eq("Connection") || eq("Transfer-Encoding") || eq("Keep-Alive");
}

std::string serialize(const httplib::Request& req, const httplib::Response& res) {
    std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason_phrase(res.status) + "\r\n";
    for (const auto& [name, value] : res.headers)
        if (!is_framing_header(name)) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (req.method != "HEAD") out += res.body;
    return out;
}

// Like httplib's own writes, gives up when the client does not read for a while (its write
// timeout is 5 s too), or when the peer has gone entirely (reset).
void send_all(int fd, const std::string& data) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        pollfd p{fd, POLLOUT, 0};
        if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) return;
    }
}

}  // namespace

bool reply_if_peer_half_closed(const httplib::Request& req, const httplib::Response& res) {
    if (res.content_provider_ || res.status < 100) return false;
    const auto conn = ClientConnection::find(req);
    if (!conn || !conn->closed()) return false;
    send_all(conn->fd(), serialize(req, res));
    return true;
}

}  // namespace pictor::server
