// Request bodies that never arrive whole: cut short (the client half-closes), trickling in
// (slow loris), or headers that never end. The server never hands such a request to a handler,
// never blocks other clients meanwhile, gives up on a stalled one after its read timeout, and
// stays up. A body that ends early gets a 400 saying so: at once when the client has half-closed
// (the bytes can never come), after the read timeout when it just stalls.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "server/server_fixture.h"

namespace pictor::server::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class RawSocket {
public:
    explicit RawSocket(int port) : fd_(connect_loopback(port)) {}
    ~RawSocket() { ::close(fd_); }
    void send(const std::string& s) {
        if (::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(s.size()))
            throw std::runtime_error("send");
    }
    void shut_write() { ::shutdown(fd_, SHUT_WR); }
    // Everything the server sends until it closes the connection or `limit` passes.
    std::string read_all(std::chrono::milliseconds limit) {
        std::string got;
        const auto end = std::chrono::steady_clock::now() + limit;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (left <= 0ms) break;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, int(left.count())) <= 0) break;
            char buf[4096];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = true;
                break;
            }
            got.append(buf, size_t(n));
        }
        return got;
    }
    bool closed() const { return closed_; }

private:
    int fd_ = -1;
    bool closed_ = false;
};

std::string post_head(size_t content_length, const std::string& path = "/api/show") {
    return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(content_length) + "\r\n\r\n";
}

class HostileBodies : public ::testing::Test {
protected:
    void SetUp() override {
        models_ = make_temp_dir("pictor-hostile");
        server_ = std::make_unique<TestServer>(models_);
    }
    void TearDown() override {
        server_.reset();
        fs::remove_all(models_);
    }
    // The server still answers, and quickly.
    void expect_responsive() {
        auto c = server_->client();
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c.Get("/api/version");
        ASSERT_TRUE(r) << "server did not answer";
        EXPECT_EQ(r->status, 200);
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    }
    fs::path models_;
    std::unique_ptr<TestServer> server_;
};

TEST_F(HostileBodies, TruncatedBodyGetsA400AtOnce) {
    RawSocket s(server_->port());
    s.send(post_head(200) + R"({"model":"dev","verbose":tr)");
    s.shut_write();  // the client is done sending: the body can never be complete
    const auto t0 = std::chrono::steady_clock::now();
    const std::string got = s.read_all(10s);
    EXPECT_TRUE(s.closed());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "no wait for bytes that cannot come";
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << "never treated as a request: " << got;
    EXPECT_NE(got.find("body ended before Content-Length"), std::string::npos) << got;
    EXPECT_EQ(got.find("HTTP/1.1", 1), std::string::npos) << "exactly one response: " << got;
    expect_responsive();
}

// A client that shuts down its sending side once its request is out (`nc -N`, raw-socket
// scripts) is answered like any other, once, with the connection closed after the response.
TEST_F(HostileBodies, HalfClosedClientIsAnsweredOnce) {
    {
        RawSocket s(server_->port());
        s.send("GET /api/tags HTTP/1.1\r\nHost: localhost\r\n\r\n");
        s.shut_write();
        const std::string got = s.read_all(5s);
        EXPECT_TRUE(s.closed());
        EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
        EXPECT_NE(got.find("Content-Type: application/json"), std::string::npos) << got;
        EXPECT_NE(got.find("\r\n\r\n{\"models\":[]}"), std::string::npos) << got;
        EXPECT_EQ(got.find("HTTP/1.1", 1), std::string::npos) << "exactly one response: " << got;
    }
    {
        RawSocket s(server_->port());
        const std::string body = R"({"model":"dev"})";
        s.send(post_head(body.size()) + body);
        s.shut_write();
        const std::string got = s.read_all(5s);
        EXPECT_EQ(got.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << got;
        EXPECT_NE(got.find("model 'dev' not found"), std::string::npos) << got;
    }
    {
        RawSocket s(server_->port());  // an unknown route: httplib's own 404, in our JSON shape
        s.send("GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n");
        s.shut_write();
        const std::string got = s.read_all(5s);
        EXPECT_EQ(got.rfind("HTTP/1.1 404", 0), 0u) << got;
        EXPECT_NE(got.find("404 page not found"), std::string::npos) << got;
    }
    {
        RawSocket s(server_->port());  // HEAD: the headers of the answer, no body
        s.send("HEAD /api/version HTTP/1.1\r\nHost: localhost\r\n\r\n");
        s.shut_write();
        const std::string got = s.read_all(5s);
        EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
        EXPECT_EQ(got.substr(got.size() - 4), "\r\n\r\n") << got;
    }
    expect_responsive();
}

TEST_F(HostileBodies, TricklingBodyDoesNotBlockOthersAndTimesOut) {
    RawSocket s(server_->port());
    s.send(post_head(200) + R"({"model":)");
    // Meanwhile everyone else is served.
    expect_responsive();
    expect_responsive();
    // The stalled request is given up after the read timeout, not held forever.
    const std::string got = s.read_all(20s);
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << "a stalled body gets a 400: " << got;
    EXPECT_NE(got.find("body ended before Content-Length"), std::string::npos) << got;
    expect_responsive();
}

TEST_F(HostileBodies, HeadersThatNeverEndDoNotBlockOthers) {
    RawSocket s(server_->port());
    s.send("POST /api/show HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
    expect_responsive();
    s.read_all(15s);
    EXPECT_TRUE(s.closed()) << "the server drops a connection whose headers never end";
    expect_responsive();
}

TEST_F(HostileBodies, BodyLongerThanDeclaredIsNotMistakenForAnotherRequest) {
    RawSocket s(server_->port());
    const std::string body = R"({"model":"dev"})";
    // Declares fewer bytes than sent: the rest is garbage for the next request on the connection.
    s.send(post_head(body.size()) + body + "GARBAGE\r\n\r\n");
    const std::string got = s.read_all(3s);
    EXPECT_EQ(got.rfind("HTTP/1.1 404", 0), 0u) << got;  // the declared body: an unknown model
    EXPECT_NE(got.find("model 'dev' not found"), std::string::npos) << got;
    expect_responsive();
}

// `curl -d` labels every body application/x-www-form-urlencoded; httplib's own reading refused
// such bodies over 8 KiB, so a long prompt from the reference README's curl examples got a 413.
TEST_F(HostileBodies, FormEncodedLabelDoesNotCapTheBody) {
    auto c = server_->client();
    const std::string body = R"({"model":"dev","pad":")" + std::string(100000, 'x') + R"("})";
    auto r = c.Post("/api/show", body, "application/x-www-form-urlencoded");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << r->body;  // read and parsed: an unknown model
    EXPECT_NE(r->body.find("model 'dev' not found"), std::string::npos) << r->body;
}

TEST_F(HostileBodies, BodyOverTheLimitGets413) {
    auto c = server_->client();
    auto r = c.Post("/api/show", std::string(17u << 20, ' '), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_NE(r->body.find("request body too large: the limit is 16 MiB"), std::string::npos) << r->body;
    r = c.Post("/v1/images/generations", std::string(17u << 20, ' '), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_NE(r->body.find(R"("error":{)"), std::string::npos) << "OpenAI envelope under /v1/: " << r->body;
    expect_responsive();
}

// Neither Content-Length nor chunked: the request has no body (RFC 9112 §6.3), answered at once
// rather than after waiting for bytes or for the connection to close.
TEST_F(HostileBodies, BodilessPostIsAnsweredAtOnce) {
    RawSocket s(server_->port());
    const auto t0 = std::chrono::steady_clock::now();
    s.send("POST /api/generate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    const std::string got = s.read_all(1500ms);
    EXPECT_TRUE(s.closed());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
    EXPECT_NE(got.find("missing request body"), std::string::npos) << got;
}

TEST_F(HostileBodies, UnknownRouteUnderV1GetsTheOpenAiEnvelope) {
    auto c = server_->client();
    auto r = c.Post("/v1/nothing", "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    const auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["error"]["type"], "not_found_error") << r->body;
}

}  // namespace
}  // namespace pictor::server::test
