#include "server/openai_test_support.h"

#include <algorithm>
#include <sstream>
#include <thread>

#include "util/png_writer.h"

namespace pictor::server::test {

namespace fs = std::filesystem;
using nlohmann::json;

void FakeImageService::set(Behaviour b) {
    std::lock_guard lock(mu_);
    b_ = std::move(b);
}

std::vector<ImageRequest> FakeImageService::calls() const {
    std::lock_guard lock(mu_);
    return calls_;
}

std::vector<LoadedModelInfo> FakeImageService::running() {
    std::lock_guard lock(mu_);
    std::vector<LoadedModelInfo> out;
    for (const auto& name : loaded_) {
        LoadedModelInfo m;
        m.name = name;
        m.expires_at = std::chrono::system_clock::now() + std::chrono::minutes(5);
        out.push_back(m);
    }
    return out;
}

bool FakeImageService::wait_cancelled(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return saw_cancel_; });
}

std::string FakeImageService::png_for(uint64_t seed) {
    std::vector<uint8_t> px(8 * 8 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((seed * 37 + i) & 0xff);
    const auto bytes = encode_png(px.data(), 8, 8, 3, {{"seed", std::to_string(seed)}});
    return std::string(bytes.begin(), bytes.end());
}

ImageResult FakeImageService::generate(const ImageRequest& req, const ImageProgressFn& progress_fn,
                                       const std::function<bool()>& cancelled) {
    // Callers that want no progress may pass an empty function, as the scheduler allows.
    auto progress = [&](const ImageProgress& p) {
        if (progress_fn) progress_fn(p);
    };
    Behaviour b;
    {
        std::lock_guard lock(mu_);
        calls_.push_back(req);
        b = b_;
        const std::string shown = req.model.find(':') == std::string::npos ? req.model + ":latest" : req.model;
        if (std::find(loaded_.begin(), loaded_.end(), shown) == loaded_.end()) loaded_.push_back(shown);
    }
    auto note_cancel = [&] {
        {
            std::lock_guard lock(mu_);
            saw_cancel_ = true;
        }
        cv_.notify_all();
        fail(ErrorKind::Cancelled, "request canceled");
    };
    if (b.fail && b.fail_after_steps == 0) fail(*b.fail, b.fail_message);
    progress(ImageProgress{ImageProgress::Phase::Loading, 0, 0, 0});
    progress(ImageProgress{ImageProgress::Phase::TextEncoding, 0, 0, 0});
    const int total = req.steps > 0 ? req.steps : b.steps;
    for (int step = 0; b.run_until_cancelled || step <= total; ++step) {
        if (cancelled()) note_cancel();
        progress(ImageProgress{ImageProgress::Phase::Denoising, std::min(step, total), total, 0});
        if (b.fail && step + 1 >= b.fail_after_steps) fail(*b.fail, b.fail_message);
        if (b.step_delay.count() > 0 || b.run_until_cancelled)
            std::this_thread::sleep_for(std::max(b.step_delay, std::chrono::milliseconds(10)));
    }
    progress(ImageProgress{ImageProgress::Phase::Decoding, total, total, 0});
    ImageResult r;
    r.seed = req.seed.value_or(12345);
    r.png = png_for(r.seed);
    r.width = 8;
    r.height = 8;
    r.steps = total;
    return r;
}

std::vector<SseEvent> parse_sse(const std::string& body, bool* complete) {
    std::vector<SseEvent> out;
    std::string event, data;
    bool has_data = false, pending = false;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t nl = body.find('\n', pos);
        if (nl == std::string::npos) break;  // a line without its end: incomplete
        std::string line = body.substr(pos, nl - pos);
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) {
            if (has_data) out.push_back({event.empty() ? "message" : event, data});
            event.clear();
            data.clear();
            has_data = pending = false;
            continue;
        }
        if (line[0] == ':') continue;
        pending = true;
        const size_t colon = line.find(':');
        std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "event") event = value;
        else if (field == "data") {
            if (has_data) data += '\n';
            data += value;
            has_data = true;
        }
    }
    if (complete) *complete = !pending && pos == body.size();
    return out;
}

void OpenAiServerTest::SetUp() {
    models_ = make_temp_dir("pictor-srv-openai");
    import_dev_model(models_, "dev");
    server_ = std::make_unique<TestServer>(models_);
    // Plugged in before any request is made; the handlers read it per request.
    server_->context().images = &fake_;
}

void OpenAiServerTest::TearDown() {
    server_.reset();
    fs::remove_all(models_);
}

httplib::Result OpenAiServerTest::post(const std::string& path, const std::string& body) {
    auto c = server_->client();
    return c.Post(path, body, "application/json");
}

json expect_envelope(const httplib::Result& r, int status, const std::string& type) {
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_FALSE(r->body.empty());
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    const json j = json::parse(r->body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"].is_object()) << r->body;
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return nullptr;
    const json& e = j["error"];
    EXPECT_TRUE(e.contains("message") && e["message"].is_string() && !e["message"].get<std::string>().empty()) << r->body;
    EXPECT_EQ(e.value("type", ""), type) << r->body;
    EXPECT_TRUE(e.contains("param")) << r->body;
    EXPECT_TRUE(e.contains("code")) << r->body;
    return e;
}

}  // namespace pictor::server::test
