#include "server/server_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "create/import.h"

namespace pictor::server::test {
namespace fs = std::filesystem;

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
    }
    return fd;
}

fs::path make_temp_dir(const std::string& prefix) {
    std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

fs::path dev_model_dir() { return fs::path(PICTOR_SHARED_DIR) / "testdata" / "zimage-dev" / "model"; }

TestServer::TestServer(const fs::path& models) {
    // A test that drops a connection must not kill the test binary.
    std::signal(SIGPIPE, SIG_IGN);
    Settings s;
    s.address = parse_host("127.0.0.1:0");
    s.models = models;
    ctx_ = std::make_unique<ServerContext>(s, logger_);
    server_ = std::make_unique<Server>(*ctx_);
    port_ = server_->bind();
    server_->start();
}

TestServer::~TestServer() { stop(); }

void TestServer::stop() {
    if (server_) {
        server_->stop();
        server_.reset();
    }
}

httplib::Client TestServer::client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(std::chrono::seconds(60));
    return c;
}

void import_dev_model(const fs::path& models, const std::string& name, const std::string& quantize) {
    store::ModelStore st(models);
    create::CreateRequest req;
    req.name = store::ModelName::parse(name);
    req.source_dir = dev_model_dir();
    req.quantize = quantize;
    create::create_model(st, req, nullptr);
}

nlohmann::json json_of(const httplib::Result& r) {
    if (!r) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
}

}  // namespace pictor::server::test
