// One POST /api/generate as `pictor run` sees it: NDJSON progress frames, a final frame with
// the image, or an error — an HTTP status with {"error"}, an {"error"} line mid-stream, a
// stream that ends early or a "done" without an image all become pictor::Error (never a
// silent success). cancel() from another thread closes the connection, which is how the
// server learns to stop the generation.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/host.h"

namespace httplib {
class Client;
}

namespace pictor::cli {

struct GenerateOutcome {
    std::string done_reason;          // "stop", "load", "unload"
    std::string png;                  // decoded image; empty for load/unload answers
    std::optional<uint64_t> seed;     // the effective seed, when the server reports it
};

// Feeds NDJSON bytes in arbitrary pieces; exposed so that frame handling is tested without
// sockets. Errors (an {"error"} line, bad JSON, bad base64) throw pictor::Error.
class FrameParser {
public:
    using Progress = std::function<void(int completed, int total)>;
    explicit FrameParser(Progress on_progress) : on_progress_(std::move(on_progress)) {}
    void feed(std::string_view bytes);
    // End of stream: parses a last line without '\n' and returns the outcome. Throws when no
    // final frame arrived, or when `expect_image` and the final frame has no image.
    GenerateOutcome finish(bool expect_image);

private:
    void line(std::string_view text);
    Progress on_progress_;
    std::string pending_;
    std::optional<GenerateOutcome> done_;
};

class GenerateCall {
public:
    explicit GenerateCall(const server::HostPort& address);
    ~GenerateCall();
    GenerateCall(const GenerateCall&) = delete;
    GenerateCall& operator=(const GenerateCall&) = delete;

    // Sends `body` and reads the answer to its end. Error(Cancelled) after cancel().
    GenerateOutcome run(const nlohmann::json& body, bool expect_image, const FrameParser::Progress& on_progress);
    // Thread-safe; aborts a run() in progress (or the next one).
    void cancel();
    bool cancelled() const { return cancelled_; }

private:
    server::HostPort address_;
    std::unique_ptr<httplib::Client> http_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace pictor::cli
