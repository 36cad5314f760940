#include "cli/cmd_run_stream.h"

#include <httplib.h>

#include "cli/api_client.h"
#include "util/base64.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

using nlohmann::json;

// Generation has long silent stretches (loading, text encoding, VAE decoding on a CPU); the
// user, not a timer, decides when to give up (Ctrl-C).
constexpr auto kReadTimeout = std::chrono::hours(24);

std::string error_message(const std::string& body, int status) {
    // The error may be the whole body or the last NDJSON line.
    std::string_view rest = body;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        const auto j = json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("error")) return j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
    }
    if (!body.empty() && body.size() < 500) return body;
    return "the server answered " + std::to_string(status);
}

}  // namespace

void FrameParser::feed(std::string_view bytes) {
    pending_.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
        line(std::string_view(pending_).substr(start, nl - start));
    pending_.erase(0, start);
}

void FrameParser::line(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    if (text.empty()) return;
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object()) fail(ErrorKind::Internal, "the server sent a malformed progress line: " + std::string(text.substr(0, 200)));
    if (j.contains("error") && !j["error"].is_null())
        fail(ErrorKind::Internal, j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump());
    if (!j.value("done", false)) {
        // "completed" is omitted at step 0 (Go's omitempty), so absent means 0.
        const int total = j.value("total", 0), completed = j.value("completed", 0);
        if (total > 0 && on_progress_) on_progress_(completed, total);
        return;
    }
    GenerateOutcome out;
    out.done_reason = j.value("done_reason", "");
    if (const auto it = j.find("image"); it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
        const auto bytes = base64_decode(it->get<std::string>());
        if (!bytes) fail(ErrorKind::Internal, "failed to decode image: the server sent invalid base64");
        out.png.assign(bytes->begin(), bytes->end());
    }
    if (const auto it = j.find("seed"); it != j.end() && it->is_number_unsigned()) out.seed = it->get<uint64_t>();
    else if (it != j.end() && it->is_number_integer() && it->get<int64_t>() >= 0) out.seed = static_cast<uint64_t>(it->get<int64_t>());
    done_ = std::move(out);
}

GenerateOutcome FrameParser::finish(bool expect_image) {
    if (!pending_.empty()) {
        const std::string last = std::move(pending_);
        pending_.clear();
        line(last);
    }
    if (!done_) fail(ErrorKind::Internal, "the server closed the stream before the image was finished");
    if (expect_image && done_->png.empty())
        fail(ErrorKind::Internal, "the server finished without an image (done_reason \"" + done_->done_reason + "\")");
    return std::move(*done_);
}

GenerateCall::GenerateCall(const server::HostPort& address)
    : address_(address), http_(std::make_unique<httplib::Client>(address.url())) {
    http_->set_tcp_nodelay(true);  // a request's head and body go out at once (no Nagle wait)
    http_->set_connection_timeout(std::chrono::seconds(5));
    http_->set_read_timeout(kReadTimeout);
    http_->set_write_timeout(std::chrono::seconds(60));
}

GenerateCall::~GenerateCall() = default;

void GenerateCall::cancel() {
    cancelled_ = true;
    // Shuts the socket down under httplib's own lock, so the blocked read returns at once.
    http_->stop();
}

GenerateOutcome GenerateCall::run(const json& body, bool expect_image, const FrameParser::Progress& on_progress) {
    if (cancelled_) fail(ErrorKind::Cancelled, "cancelled");
    FrameParser parser(on_progress);
    int status = 0;
    std::string error_body;
    std::exception_ptr failure;

    httplib::Request req;
    req.method = "POST";
    req.path = "/api/generate";
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    req.set_header("Accept", "application/x-ndjson");
    req.response_handler = [&](const httplib::Response& r) {
        status = r.status;
        return !cancelled_;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        if (cancelled_) return false;
        if (status < 200 || status >= 300) {
            error_body.append(data, n);
            return true;
        }
        try {
            parser.feed(std::string_view(data, n));
        } catch (...) {
            // Stop reading at the first bad frame; closing the connection also tells the
            // server to stop working for us.
            failure = std::current_exception();
            return false;
        }
        return true;
    };
    const httplib::Result result = http_->send(req);

    if (cancelled_) fail(ErrorKind::Cancelled, "cancelled");
    if (failure) std::rethrow_exception(failure);
    if (status != 0 && (status < 200 || status >= 300)) fail(kind_for_status(status), error_message(error_body, status));
    if (!result) {
        if (status == 0)
            fail(ErrorKind::Unavailable, "could not connect to pictor server at " + address_.url() + ": " +
                                             httplib::to_string(result.error()));
        fail(ErrorKind::Internal, "lost the connection to the pictor server: " + httplib::to_string(result.error()));
    }
    return parser.finish(expect_image);
}

}  // namespace pictor::cli
