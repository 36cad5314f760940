// A fake pictor server for `pictor run/ps/stop` tests: speaks /api/show, /api/generate (NDJSON
// frames, final frame with a real PNG, and the failure shapes) and /api/ps, and records the
// request bodies it received. The model name picks the behaviour:
//   "img"        frames 0..2 of 2, then the image (seed 1234)
//   "midfail"    frames, then {"error":"runner crashed: out of memory"}
//   "noimage"    frames, then done without an image
//   "status500"  500 {"error":"model requires 99 GiB but only 8 GiB are available"}
//   "slow"       frames every 100 ms until the client goes away (for Ctrl-C)
//   "textonly"   /api/show without the image capability
//   anything else: 404 "model '<name>' not found"
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace pictor::cli::test {

class FakeServer {
public:
    FakeServer();
    ~FakeServer();
    int port() const { return port_; }
    std::vector<nlohmann::json> generate_bodies();
    const std::string& png() const { return png_; }
    bool client_went_away() const { return client_went_away_; }
    // Models /api/ps reports: name -> queue length.
    void set_running(std::vector<std::pair<std::string, int>> models);

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
    std::string png_;
    std::mutex mu_;
    std::vector<nlohmann::json> bodies_;
    std::vector<std::pair<std::string, int>> running_;
    std::atomic<bool> client_went_away_{false};
};

}  // namespace pictor::cli::test
