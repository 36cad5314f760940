// Test doubles for the OpenAI endpoint tests: a fake ImageService that behaves like the
// scheduler from the handlers' point of view (progress per step, cancellation, each error
// kind on request), a small SSE parser, and a fixture that runs a real in-process Server with
// the fake plugged in and the dev model in its store.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/image_service.h"
#include "server/server_fixture.h"
#include "util/error.h"

namespace pictor::server::test {

class FakeImageService : public ImageService {
public:
    struct Behaviour {
        int steps = 3;                          // when the request says 0
        std::optional<ErrorKind> fail;          // throw this kind...
        int fail_after_steps = 0;               // ...after this many progress steps (0 = at once)
        std::string fail_message = "the fake runner failed";
        std::chrono::milliseconds step_delay{0};
        bool run_until_cancelled = false;       // keep reporting steps until cancelled() is true
    };

    void set(Behaviour b);
    ImageResult generate(const ImageRequest& req, const ImageProgressFn& progress,
                         const std::function<bool()>& cancelled) override;
    void load(const std::string&, std::optional<Millis>) override {}
    bool unload(const std::string&) override { return false; }
    // The models generate() was called for, as /api/ps would list them.
    std::vector<LoadedModelInfo> running() override;

    std::vector<ImageRequest> calls() const;
    // Waits until a generation observed cancelled() == true.
    bool wait_cancelled(std::chrono::milliseconds timeout);

    // The PNG the fake returns for a request: 8x8, colour from the seed, seed in a tEXt chunk.
    static std::string png_for(uint64_t seed);

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    Behaviour b_;
    std::vector<ImageRequest> calls_;
    std::vector<std::string> loaded_;
    bool saw_cancel_ = false;
};

struct SseEvent {
    std::string event;  // "message" when the event had no event: field
    std::string data;
};
// Parses a complete text/event-stream body per the HTML standard's rules (comments and unknown
// fields ignored, data lines joined with "\n", an event is dispatched at a blank line).
// `complete` is set false if the body ended in the middle of an event.
std::vector<SseEvent> parse_sse(const std::string& body, bool* complete = nullptr);

class OpenAiServerTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    httplib::Result post(const std::string& path, const std::string& body);
    httplib::Result post_json(const nlohmann::json& body) { return post("/v1/images/generations", body.dump()); }

    std::filesystem::path models_;
    FakeImageService fake_;
    std::unique_ptr<TestServer> server_;
};

// Checks the OpenAI envelope shape; returns the error object.
nlohmann::json expect_envelope(const httplib::Result& r, int status, const std::string& type);

}  // namespace pictor::server::test
