#include "server/client_connection.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace pictor::server {
namespace {

// The numeric host and port of an address, spelled the way httplib spells them (getnameinfo
// with NI_NUMERICHOST), so that the comparison is textual and family-agnostic.
bool numeric(const sockaddr_storage& a, socklen_t len, std::string& host, int& port) {
    char h[NI_MAXHOST], p[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, h, sizeof h, p, sizeof p,
                      NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return false;
    host = h;
    port = std::atoi(p);
    return true;
}

bool matches(int fd, const httplib::Request& req) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    std::string host;
    int port = 0;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || !numeric(a, len, host, port)) return false;
    if (port != req.local_port || host != req.local_addr) return false;
    len = sizeof a;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || !numeric(a, len, host, port)) return false;
    return port == req.remote_port && host == req.remote_addr;
}

}  // namespace

std::optional<ClientConnection> ClientConnection::find(const httplib::Request& req) {
    if (req.local_port <= 0 || req.remote_port <= 0) return std::nullopt;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        char* end = nullptr;
        const std::string name = e.path().filename().string();
        const long fd = std::strtol(name.c_str(), &end, 10);
        if (*end != '\0' || fd < 0) continue;
        if (matches(static_cast<int>(fd), req)) return ClientConnection(static_cast<int>(fd));
    }
    return std::nullopt;
}

bool ClientConnection::closed() const {
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) return true;
    if (p.revents & POLLIN) {
        char c;
        const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
    return false;
}

}  // namespace pictor::server
