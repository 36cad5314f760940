#include "cli/run_fake_server.h"

#include <httplib.h>

#include <chrono>

#include "util/base64.h"
#include "util/png_writer.h"

namespace pictor::cli::test {
namespace {

using nlohmann::json;

std::string line(const json& j) { return j.dump() + "\n"; }

void send_json(httplib::Response& res, int status, const json& j) {
    res.status = status;
    res.set_content(j.dump(), "application/json");
}

}  // namespace

FakeServer::FakeServer() : server_(std::make_unique<httplib::Server>()) {
    std::vector<uint8_t> pixels(16 * 16 * 3);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7);
    const auto bytes = encode_png(pixels.data(), 16, 16, 3);
    png_.assign(bytes.begin(), bytes.end());

    server_->Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("pictor is running", "text/plain"); });
    server_->Post("/api/show", [](const httplib::Request& req, httplib::Response& res) {
        const std::string model = json::parse(req.body).value("model", "");
        if (model == "img" || model == "midfail" || model == "noimage" || model == "status500" || model == "slow")
            return send_json(res, 200, json{{"capabilities", {"image"}}, {"details", {{"format", "safetensors"}}}});
        if (model == "textonly") return send_json(res, 200, json{{"capabilities", {"completion"}}});
        send_json(res, 404, json{{"error", "model '" + model + "' not found"}});
    });
    server_->Get("/api/ps", [this](const httplib::Request&, httplib::Response& res) {
        std::lock_guard lock(mu_);
        json models = json::array();
        for (const auto& [name, queue] : running_)
            models.push_back(json{{"name", name},
                                  {"model", name},
                                  {"size", 12'000'000'000ULL},
                                  {"digest", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
                                  {"expires_at", "2099-01-01T00:00:00Z"},
                                  {"size_vram", 0},
                                  {"memory_estimate", 14'500'000'000ULL},
                                  {"queue_length", queue}});
        send_json(res, 200, json{{"models", models}});
    });
    server_->Post("/api/generate", [this](const httplib::Request& req, httplib::Response& res) {
        const json body = json::parse(req.body);
        {
            std::lock_guard lock(mu_);
            bodies_.push_back(body);
        }
        const std::string model = body.value("model", "");
        const std::string prompt = body.value("prompt", "");
        if (prompt.empty()) {
            const bool unload = body.contains("keep_alive") && body["keep_alive"] == 0;
            return send_json(res, 200, json{{"model", model}, {"done", true}, {"done_reason", unload ? "unload" : "load"}});
        }
        if (model == "status500")
            return send_json(res, 500, json{{"error", "model requires 99 GiB but only 8 GiB are available"}});
        res.set_chunked_content_provider("application/x-ndjson", [this, model](size_t, httplib::DataSink& sink) {
            auto write = [&sink](const json& j) {
                const std::string s = line(j);
                return sink.write(s.data(), s.size());
            };
            write(json{{"model", model}, {"done", false}, {"total", 2}});
            if (model == "slow") {
                for (int i = 0; i < 600; ++i) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    if (!sink.is_writable() || !write(json{{"done", false}, {"completed", 1}, {"total", 2}})) {
                        client_went_away_ = true;
                        return false;
                    }
                }
                return false;
            }
            write(json{{"done", false}, {"completed", 1}, {"total", 2}});
            write(json{{"done", false}, {"completed", 2}, {"total", 2}});
            if (model == "midfail") write(json{{"error", "runner crashed: out of memory"}});
            else if (model == "noimage") write(json{{"done", true}, {"done_reason", "stop"}});
            else
                write(json{{"model", model}, {"done", true}, {"done_reason", "stop"}, {"seed", 1234},
                           {"image", base64_encode(png_)}});
            sink.done();
            return true;
        });
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
}

FakeServer::~FakeServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

std::vector<json> FakeServer::generate_bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
}

void FakeServer::set_running(std::vector<std::pair<std::string, int>> models) {
    std::lock_guard lock(mu_);
    running_ = std::move(models);
}

}  // namespace pictor::cli::test
