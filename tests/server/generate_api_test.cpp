// POST /api/generate and GET /api/ps over HTTP, with fake-engine runners (image_fixture.h):
// the NDJSON frames and the single-object answer, validation messages and their order,
// load/unload requests, client disconnects, and runner deaths before and after the first frame.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <thread>

#include "image_fixture.h"
#include "server/server_fixture.h"
#include "util/base64.h"
#include "util/png_reader.h"

namespace pictor::server::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

std::vector<json> ndjson(const std::string& body) {
    std::vector<json> out;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(json::parse(line));
    return out;
}

DecodedPng png_of(const json& frame) {
    const auto bytes = base64_decode(frame.at("image").get<std::string>());
    if (!bytes) throw std::runtime_error("image is not base64");
    return decode_png(bytes->data(), bytes->size());
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return cond();
}

// A client that sends one request and hangs up when told to.
class RawClient {
public:
    RawClient(int port, const std::string& body) {
        fd_ = connect_loopback(port);
        const std::string req = "POST /api/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) throw std::runtime_error("send");
    }
    ~RawClient() { hang_up(); }
    // Reads until `needle` has arrived (or the peer closes); returns everything read.
    std::string read_until(const std::string& needle) {
        char buf[4096];
        while (got_.find(needle) == std::string::npos) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) break;
            got_.append(buf, static_cast<size_t>(n));
        }
        return got_;
    }
    void hang_up() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
    std::string got_;
};

class GenerateApi : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        models_ = new fs::path(make_temp_dir("pictor-gen"));
        import_dev_model(*models_, "dev");
    }
    static void TearDownTestSuite() {
        fs::remove_all(*models_);
        delete models_;
    }
    void start(SchedulerOptions o = fake_runner_options()) { server_ = std::make_unique<ImageServer>(*models_, std::move(o)); }
    void TearDown() override { server_.reset(); }

    httplib::Result post(const json& body) {
        auto c = server_->client();
        return c.Post("/api/generate", body.dump(), "application/json");
    }
    static void expect_error(const httplib::Result& r, int status, const std::string& message) {
        ASSERT_TRUE(r) << "no response";
        EXPECT_EQ(r->status, status) << r->body;
        const json j = json::parse(r->body, nullptr, false);
        EXPECT_EQ(j.value("error", ""), message) << r->body;
    }

    static fs::path* models_;
    std::unique_ptr<ImageServer> server_;
};
fs::path* GenerateApi::models_ = nullptr;

TEST_F(GenerateApi, StreamsProgressFramesThenTheImage) {
    start();
    auto r = post({{"model", "dev"}, {"prompt", "a lighthouse"}, {"width", 64}, {"height", 64}, {"steps", 3},
                   {"options", {{"seed", 7}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-ndjson");
    const auto frames = ndjson(r->body);
    ASSERT_EQ(frames.size(), 5u) << r->body;
    // Field order as Go writes the reference's struct.
    const auto ordered = [](const std::string& line, std::vector<std::string> keys) {
        size_t at = 0;
        for (const auto& k : keys) {
            const size_t p = line.find("\"" + k + "\":", at);
            if (p == std::string::npos) return false;
            at = p;
        }
        return true;
    };
    const std::string second = r->body.substr(r->body.find('\n') + 1);
    EXPECT_TRUE(ordered(second, {"model", "created_at", "response", "done", "completed", "total"})) << second;
    const std::string final_line = r->body.substr(r->body.rfind("{\"model\""));
    EXPECT_TRUE(ordered(final_line, {"model", "created_at", "response", "done", "done_reason", "total_duration",
                                     "load_duration", "image", "seed"}))
        << final_line.substr(0, 200);
    // (0,3): completed omitted when zero, as Go's omitempty does; then 1..3.
    EXPECT_FALSE(frames[0].contains("completed"));
    EXPECT_EQ(frames[0]["total"], 3);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(frames[i]["model"], "dev");
        EXPECT_EQ(frames[i]["response"], "");
        EXPECT_EQ(frames[i]["done"], false);
        if (i > 0) {
            EXPECT_EQ(frames[i]["completed"], i);
        }
        EXPECT_TRUE(std::regex_match(frames[i]["created_at"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT.*)")));
    }
    const json& last = frames.back();
    EXPECT_EQ(last["done"], true);
    EXPECT_EQ(last["done_reason"], "stop");
    EXPECT_EQ(last["seed"], 7);
    EXPECT_EQ(last["response"], "");
    EXPECT_TRUE(last["total_duration"].is_number_integer());
    EXPECT_TRUE(last["load_duration"].is_number_integer());
    EXPECT_GE(last["total_duration"].get<int64_t>(), last["load_duration"].get<int64_t>());
    const DecodedPng png = png_of(last);
    EXPECT_EQ(png.width, 64);
    EXPECT_EQ(png.height, 64);
}

TEST_F(GenerateApi, NonStreamingAnswersOneObject) {
    start();
    auto r = post({{"model", "dev"}, {"prompt", "a lighthouse"}, {"stream", false}, {"options", {{"seed", 7}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
    const json j = json::parse(r->body);
    EXPECT_EQ(j["done"], true);
    EXPECT_EQ(j["done_reason"], "stop");
    EXPECT_EQ(j["seed"], 7);
    const DecodedPng png = png_of(j);
    EXPECT_EQ(png.width, 64) << "the fake model's default size";
    // Same seed, same image, streamed or not.
    auto s = post({{"model", "dev"}, {"prompt", "a lighthouse"}, {"options", {{"seed", 7}}}});
    ASSERT_TRUE(s);
    EXPECT_EQ(ndjson(s->body).back()["image"], j["image"]);
}

TEST_F(GenerateApi, SeedZeroOrAbsentIsRandomAndReported) {
    start(fake_runner_options(1));
    auto a = post({{"model", "dev"}, {"prompt", "x"}, {"stream", false}, {"options", {{"seed", 0}}}});
    auto b = post({{"model", "dev"}, {"prompt", "x"}, {"stream", false}});
    ASSERT_TRUE(a && b);
    const json ja = json::parse(a->body), jb = json::parse(b->body);
    EXPECT_GT(ja["seed"].get<uint64_t>(), 0u);
    EXPECT_NE(ja["seed"], jb["seed"]);
}

TEST_F(GenerateApi, Validation) {
    start();
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"width", 5000}}), 400, "width and height must be <= 4096");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"height", 4097}}), 400, "width and height must be <= 4096");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"width", 70}}), 400,
                 "width must be a multiple of 16 between 64 and 4096, got 70");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"height", 32}}), 400,
                 "height must be a multiple of 16 between 64 and 4096, got 32");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"steps", 1001}}), 400, "steps must be between 1 and 1000, got 1001");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"steps", -1}}), 400, "steps must be between 1 and 1000, got -1");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"width", "big"}}), 400, "width must be an integer");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"guidance", -1}}), 400, "guidance must be a number between 0 and 100");
    expect_error(post({{"model", "dev"}, {"prompt", "x"}, {"keep_alive", "soon"}}), 400,
                 "invalid keep_alive \"soon\": use a duration such as \"5m\", \"1h30m\", \"-1\" or a number of seconds");
    expect_error(post({{"prompt", "x"}}), 400, "model is required");
    // An unknown model is a 404 whatever else is wrong (the reference checks the model first).
    expect_error(post({{"model", "nope"}, {"prompt", "x"}, {"width", 5000}}), 404, "model 'nope' not found");
    auto c = server_->client();
    expect_error(c.Post("/api/generate", "", "application/json"), 400, "missing request body");
    EXPECT_TRUE(runner_pids().empty()) << "no runner for invalid requests";
}

TEST_F(GenerateApi, LoadOnlyAndUnload) {
    start();
    auto r = post({{"model", "dev"}, {"prompt", ""}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = json::parse(r->body);
    EXPECT_EQ(j["done"], true);
    EXPECT_EQ(j["done_reason"], "load");
    EXPECT_EQ(j["response"], "");
    EXPECT_EQ(j["model"], "dev");
    EXPECT_EQ(runner_pids().size(), 1u);

    auto c = server_->client();
    auto ps = c.Get("/api/ps");
    ASSERT_TRUE(ps);
    const json models = json::parse(ps->body)["models"];
    ASSERT_EQ(models.size(), 1u) << ps->body;
    const json& m = models[0];
    EXPECT_EQ(m["name"], "dev:latest");
    EXPECT_EQ(m["model"], "dev:latest");
    EXPECT_EQ(m["size_vram"], 0) << "CPU only, said honestly";
    EXPECT_GT(m["size"].get<uint64_t>(), 0u);
    EXPECT_GT(m["memory_estimate"].get<uint64_t>(), 0u);
    EXPECT_EQ(m["queue_length"], 0);
    EXPECT_TRUE(std::regex_match(m["digest"].get<std::string>(), std::regex("[0-9a-f]{64}")));
    EXPECT_EQ(m["details"]["format"], "safetensors");
    EXPECT_EQ(m["details"]["family"], "ZImagePipeline");
    EXPECT_TRUE(std::regex_match(m["expires_at"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*)")));

    r = post({{"model", "dev"}, {"prompt", ""}, {"keep_alive", 0}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    j = json::parse(r->body);
    EXPECT_EQ(j["done_reason"], "unload");
    ps = c.Get("/api/ps");
    EXPECT_EQ(json::parse(ps->body)["models"].size(), 0u) << ps->body;
    EXPECT_TRUE(runner_pids().empty());
    // Unloading what is not loaded still answers "unload"; an unknown model is a 404.
    r = post({{"model", "dev"}, {"prompt", ""}, {"keep_alive", "0s"}});
    EXPECT_EQ(json::parse(r->body)["done_reason"], "unload");
    expect_error(post({{"model", "nope"}, {"keep_alive", 0}}), 404, "model 'nope' not found");
}

TEST_F(GenerateApi, DeletingALoadedModelUnloadsItFirst) {
    start();
    auto c = server_->client();
    ASSERT_EQ(c.Post("/api/copy", json({{"source", "dev"}, {"destination", "doomed"}}).dump(), "application/json")->status, 200);
    ASSERT_EQ(post({{"model", "doomed"}, {"prompt", ""}, {"keep_alive", -1}})->status, 200);
    ASSERT_FALSE(runner_pids().empty());
    auto r = c.Delete("/api/delete", json({{"model", "doomed"}}).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(c.Get("/api/ps")->body)["models"].size(), 0u);
    EXPECT_TRUE(eventually([] { return runner_pids().empty(); })) << "the runner exits";
    // The other name for the same blobs is untouched and loads again.
    EXPECT_EQ(post({{"model", "dev"}, {"prompt", "x"}, {"steps", 1}, {"stream", false}})->status, 200);
    expect_error(post({{"model", "doomed"}, {"prompt", "x"}}), 404, "model 'doomed' not found");
}

TEST_F(GenerateApi, KeepAliveStringsAndNumbers) {
    start();
    ASSERT_EQ(post({{"model", "dev"}, {"prompt", ""}, {"keep_alive", "1h30m"}})->status, 200);
    auto c = server_->client();
    auto expires = [&] {
        const json m = json::parse(c.Get("/api/ps")->body)["models"][0];
        return m["expires_at"].get<std::string>();
    };
    const std::string later = expires();
    ASSERT_EQ(post({{"model", "dev"}, {"prompt", ""}, {"keep_alive", 1}})->status, 200);
    EXPECT_LT(expires(), later);  // RFC 3339 strings of one zone sort by time
    EXPECT_TRUE(eventually([&] { return json::parse(c.Get("/api/ps")->body)["models"].empty(); }));
}

TEST_F(GenerateApi, ClientHangingUpMidStreamCancelsTheGeneration) {
    start(fake_runner_options(100));
    ASSERT_EQ(post({{"model", "dev"}, {"prompt", ""}})->status, 200);
    {
        RawClient raw(server_->port(), json({{"model", "dev"}, {"prompt", "long"}, {"steps", 100}}).dump());
        const std::string got = raw.read_until("\"completed\":2");
        ASSERT_NE(got.find("200 OK"), std::string::npos) << got;
    }  // hangs up
    EXPECT_TRUE(eventually([&] { return server_->log_text().find("canceled") != std::string::npos; }, 2000ms))
        << server_->log_text();
    // The runner is free again: a 1-step request does not wait for the 98 abandoned steps.
    const auto t0 = std::chrono::steady_clock::now();
    auto r = post({{"model", "dev"}, {"prompt", "next"}, {"steps", 1}, {"stream", false}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_F(GenerateApi, ClientHangingUpWhileWaitingForANonStreamingAnswerCancels) {
    start(fake_runner_options(100));
    ASSERT_EQ(post({{"model", "dev"}, {"prompt", ""}})->status, 200);
    {
        RawClient raw(server_->port(), json({{"model", "dev"}, {"prompt", "long"}, {"steps", 100}, {"stream", false}}).dump());
        std::this_thread::sleep_for(500ms);
    }
    EXPECT_TRUE(eventually([&] { return server_->log_text().find("canceled") != std::string::npos; }, 2000ms))
        << server_->log_text();
}

TEST_F(GenerateApi, RunnerDyingBeforeTheFirstFrameIsA500) {
    start(fake_runner_options(50, /*load_ms=*/3000));
    std::thread killer([&] {
        eventually([] { return !runner_pids().empty(); });
        std::this_thread::sleep_for(200ms);
        for (pid_t p : runner_pids()) ::kill(p, SIGKILL);
    });
    auto r = post({{"model", "dev"}, {"prompt", "x"}});
    killer.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500) << r->body;
    const std::string msg = json::parse(r->body).value("error", "");
    EXPECT_NE(msg.find("runner for dev:latest exited unexpectedly while loading"), std::string::npos) << msg;
    EXPECT_NE(msg.find("signal: killed"), std::string::npos) << msg;
}

TEST_F(GenerateApi, RunnerDyingMidStreamEndsTheStreamWithAnError) {
    start(fake_runner_options(100));
    std::thread killer([&] {
        std::this_thread::sleep_for(100ms);
        eventually([] { return !runner_pids().empty(); });
        std::this_thread::sleep_for(600ms);  // well into the steps
        for (pid_t p : runner_pids()) ::kill(p, SIGKILL);
    });
    auto r = post({{"model", "dev"}, {"prompt", "x"}, {"steps", 50}});
    killer.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    const auto frames = ndjson(r->body);
    ASSERT_GE(frames.size(), 2u) << r->body;
    const json& last = frames.back();
    ASSERT_TRUE(last.contains("error")) << r->body;
    EXPECT_NE(last["error"].get<std::string>().find("exited unexpectedly"), std::string::npos);
    // And the next request gets a new runner.
    auto next = post({{"model", "dev"}, {"prompt", "y"}, {"steps", 1}, {"stream", false}});
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200) << next->body;
}

TEST_F(GenerateApi, PsIsEmptyWithoutLoadedModels) {
    start();
    auto c = server_->client();
    auto r = c.Get("/api/ps");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, R"({"models":[]})");
}

}  // namespace
}  // namespace pictor::server::test
