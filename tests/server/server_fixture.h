// An in-process pictor server on an ephemeral port over a temporary models directory, with the
// zimage-dev test model imported once per test binary.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/logger.h"
#include "server/server.h"

namespace pictor::server::test {

std::filesystem::path make_temp_dir(const std::string& prefix);
// A TCP socket connected to 127.0.0.1:port (the caller closes it); throws when it cannot connect.
int connect_loopback(int port);
std::filesystem::path dev_model_dir();  // $PICTOR_SHARED_DIR/testdata/zimage-dev/model

// A running server; destroying it stops it. The log goes to `log_text()` (read after stop()).
class TestServer {
public:
    explicit TestServer(const std::filesystem::path& models);
    ~TestServer();
    void stop();
    int port() const { return port_; }
    std::string log_text() const { return log_stream_.str(); }
    ServerContext& context() { return *ctx_; }
    httplib::Client client() const;

private:
    std::ostringstream log_stream_;
    Logger logger_{log_stream_};
    std::unique_ptr<ServerContext> ctx_;
    std::unique_ptr<Server> server_;
    int port_ = 0;
};

// Imports the dev model as `name` into `models` through create_model.
void import_dev_model(const std::filesystem::path& models, const std::string& name, const std::string& quantize = "");

nlohmann::json json_of(const httplib::Result& r);

}  // namespace pictor::server::test
