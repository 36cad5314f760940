// POST /v1/images/generations against a real in-process server with a fake ImageService:
// validation, n and seeds, b64_json and url, SSE streaming, errors before and after the stream
// started, and a client that hangs up mid-stream.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "server/openai_test_support.h"
#include "util/base64.h"
#include "util/png_reader.h"

namespace pictor::server::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json base_request() { return json{{"model", "dev"}, {"prompt", "a red fox"}}; }

std::string decode_b64(const json& item) {
    const auto bytes = base64_decode(item["b64_json"].get<std::string>());
    EXPECT_TRUE(bytes.has_value());
    return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
}

// ---- validation -----------------------------------------------------------------------------

struct BadCase {
    std::string body;
    std::string message_part;
    std::string param;  // "" = null
};

class Validation : public OpenAiServerTest {};

TEST_F(Validation, EveryBadRequestIs400WithAMessageAndNoGeneration) {
    auto with = [](json extra) {
        json j = base_request();
        for (auto& [k, v] : extra.items()) j[k] = v;
        return j.dump();
    };
    const std::string sizes_allowed = "multiple of 16 between 64 and 4096";
    const std::vector<BadCase> cases = {
        {"", "missing request body", ""},
        {"{", "invalid JSON", ""},
        {"[1,2]", "JSON object", ""},
        {"{}", "prompt is required", "prompt"},
        {R"({"model":"dev"})", "prompt is required", "prompt"},
        {R"({"model":"dev","prompt":""})", "prompt is required", "prompt"},
        {R"({"prompt":"x"})", "model is required", "model"},
        {R"({"prompt":"x","model":""})", "model is required", "model"},
        {R"({"prompt":5,"model":"dev"})", "\"prompt\" must be a string", "prompt"},
        {R"({"prompt":"x","model":5})", "\"model\" must be a string", "model"},
        {R"({"prompt":"x","model":"bad name!"})", "invalid model name", "model"},
        {with({{"size", "big"}}), sizes_allowed, "size"},
        {with({{"size", "1024*1024"}}), sizes_allowed, "size"},
        {with({{"size", "1000x1000"}}), sizes_allowed, "size"},
        {with({{"size", "32x32"}}), sizes_allowed, "size"},
        {with({{"size", "8192x64"}}), sizes_allowed, "size"},
        {with({{"size", "4112x64"}}), sizes_allowed, "size"},
        {with({{"size", "+64x64"}}), sizes_allowed, "size"},
        {with({{"size", "-64x64"}}), sizes_allowed, "size"},
        {with({{"size", " 64x64"}}), sizes_allowed, "size"},
        {with({{"size", "64x64 "}}), sizes_allowed, "size"},
        {with({{"size", "64X64"}}), sizes_allowed, "size"},
        {with({{"size", "64x"}}), sizes_allowed, "size"},
        {with({{"size", "0x0"}}), sizes_allowed, "size"},
        {with({{"size", "auto"}}), sizes_allowed, "size"},
        {with({{"size", 64}}), "\"size\" must be a string", "size"},
        {with({{"n", 0}}), "n must be an integer between 1 and 4", "n"},
        {with({{"n", 5}}), "n must be an integer between 1 and 4", "n"},
        {with({{"n", -1}}), "n must be an integer between 1 and 4", "n"},
        {with({{"n", 1.5}}), "n must be an integer between 1 and 4", "n"},
        {with({{"n", "2"}}), "n must be an integer between 1 and 4, got \"2\"", "n"},
        {with({{"n", true}}), "n must be an integer", "n"},
        {with({{"response_format", "png"}}), "response_format must be \"b64_json\" or \"url\"", "response_format"},
        {with({{"response_format", 1}}), "response_format must be", "response_format"},
        {with({{"stream", "yes"}}), "\"stream\" must be a boolean", "stream"},
        {with({{"seed", "42"}}), "seed must be an integer", "seed"},
        {with({{"seed", 1.5}}), "seed must be an integer", "seed"},
        {with({{"steps", -1}}), "steps must be an integer", "steps"},
        {with({{"steps", 1001}}), "steps must be an integer", "steps"},
        {with({{"steps", "4"}}), "steps must be an integer", "steps"},
        {with({{"guidance_scale", "high"}}), "guidance_scale must be a number", "guidance_scale"},
        {with({{"guidance_scale", -1}}), "guidance_scale must be a number", "guidance_scale"},
        {with({{"negative_prompt", 5}}), "\"negative_prompt\" must be a string", "negative_prompt"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.body);
        auto r = post("/v1/images/generations", c.body);
        const json e = expect_envelope(r, 400, "invalid_request_error");
        if (e.is_null()) continue;
        EXPECT_NE(e["message"].get<std::string>().find(c.message_part), std::string::npos) << e;
        if (c.param.empty()) EXPECT_TRUE(e["param"].is_null()) << e;
        else EXPECT_EQ(e["param"], c.param) << e;
    }
    EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(Validation, StreamingRequestsAreValidatedBeforeTheStreamStarts) {
    json j = base_request();
    j["stream"] = true;
    j["size"] = "100x100";
    expect_envelope(post_json(j), 400, "invalid_request_error");
    j["size"] = "64x64";
    j["model"] = "nope";
    const json e = expect_envelope(post_json(j), 404, "not_found_error");
    EXPECT_EQ(e["message"], "model 'nope' not found");
}

TEST_F(Validation, PromptIsCheckedBeforeModel) {
    const json e = expect_envelope(post("/v1/images/generations", "{}"), 400, "invalid_request_error");
    EXPECT_EQ(e["message"], "prompt is required");
}

TEST_F(Validation, UnknownModelIs404Envelope) {
    json j = base_request();
    j["model"] = "foo";
    const json e = expect_envelope(post_json(j), 404, "not_found_error");
    EXPECT_EQ(e["message"], "model 'foo' not found");
    EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(Validation, OversizedBodyIs413ButAMegabytePromptIsFine) {
    json j = base_request();
    j["prompt"] = std::string(1 << 20, 'a');
    auto r = post_json(j);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body.substr(0, 200);
    ASSERT_EQ(fake_.calls().size(), 1u);
    EXPECT_EQ(fake_.calls()[0].prompt.size(), size_t{1} << 20);

    j["prompt"] = std::string(9 << 20, 'a');
    expect_envelope(post_json(j), 413, "invalid_request_error");
    EXPECT_EQ(fake_.calls().size(), 1u);
}

TEST_F(Validation, OpenAiOnlyFieldsAreIgnoredAndNullsMeanAbsent) {
    json j = base_request();
    j["quality"] = "hd";
    j["style"] = "vivid";
    j["user"] = "someone";
    j["background"] = "auto";
    j["size"] = nullptr;
    j["n"] = nullptr;
    j["seed"] = nullptr;
    j["response_format"] = nullptr;
    j["stream"] = nullptr;
    auto r = post_json(j);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    ASSERT_EQ(fake_.calls().size(), 1u);
    EXPECT_EQ(fake_.calls()[0].width, 0);
    EXPECT_EQ(fake_.calls()[0].height, 0);
}

// ---- successful generation ------------------------------------------------------------------

class Generate : public OpenAiServerTest {};

TEST_F(Generate, B64JsonWithSeedAndExtensionsPassedThrough) {
    json j = base_request();
    j["size"] = "64x128";
    j["seed"] = 42;
    j["steps"] = 2;
    j["negative_prompt"] = "blurry";
    j["guidance_scale"] = 3.5;
    auto r = post_json(j);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    const json body = json::parse(r->body);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_NEAR(body["created"].get<double>(), static_cast<double>(now), 5.0);
    ASSERT_EQ(body["data"].size(), 1u);
    EXPECT_EQ(body["data"][0]["seed"], 42);
    EXPECT_FALSE(body["data"][0].contains("url"));
    const std::string png = decode_b64(body["data"][0]);
    EXPECT_EQ(png, FakeImageService::png_for(42));
    const DecodedPng d = decode_png(reinterpret_cast<const uint8_t*>(png.data()), png.size());
    EXPECT_EQ(d.width, 8);

    const auto calls = fake_.calls();  // a copy: the reference below must not dangle
    ASSERT_EQ(calls.size(), 1u);
    const ImageRequest& c = calls[0];
    EXPECT_EQ(c.model, "dev");
    EXPECT_EQ(c.prompt, "a red fox");
    EXPECT_EQ(c.width, 64);
    EXPECT_EQ(c.height, 128);
    EXPECT_EQ(c.steps, 2);
    EXPECT_EQ(c.seed, 42u);
    EXPECT_EQ(c.negative_prompt, "blurry");
    ASSERT_TRUE(c.guidance.has_value());
    EXPECT_FLOAT_EQ(*c.guidance, 3.5f);
    EXPECT_FALSE(c.keep_alive.has_value());
}

TEST_F(Generate, SizeBoundsAreInclusive) {
    for (const char* size : {"64x64", "4096x4096", "1024x768", "768x1344"}) {
        json j = base_request();
        j["size"] = size;
        auto r = post_json(j);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << size << r->body;
    }
}

TEST_F(Generate, NImagesUseConsecutiveSeeds) {
    for (int n = 1; n <= 4; ++n) {
        SCOPED_TRACE(n);
        const size_t before = fake_.calls().size();
        json j = base_request();
        j["n"] = n;
        j["seed"] = 1000;
        auto r = post_json(j);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << r->body;
        const json body = json::parse(r->body);
        ASSERT_EQ(body["data"].size(), static_cast<size_t>(n));
        const auto calls = fake_.calls();
        ASSERT_EQ(calls.size(), before + n);
        for (int i = 0; i < n; ++i) {
            EXPECT_EQ(body["data"][i]["seed"], 1000 + i);
            EXPECT_EQ(decode_b64(body["data"][i]), FakeImageService::png_for(1000 + i));
            EXPECT_EQ(calls[before + i].seed, static_cast<uint64_t>(1000 + i));
        }
    }
}

TEST_F(Generate, AbsentSeedIsRandomReportedAndSafeForJavaScript) {
    json j = base_request();
    j["n"] = 2;
    const json a = json::parse(post_json(j)->body);
    const json b = json::parse(post_json(j)->body);
    const uint64_t sa = a["data"][0]["seed"], sb = b["data"][0]["seed"];
    EXPECT_NE(sa, sb);
    EXPECT_EQ(a["data"][1]["seed"].get<uint64_t>(), sa + 1);
    EXPECT_LT(sa + 1, uint64_t{1} << 53);
    EXPECT_LT(sb + 1, uint64_t{1} << 53);
}

TEST_F(Generate, NegativeAndHugeSeedsWrapLikeTorch) {
    json j = base_request();
    j["seed"] = -1;
    j["n"] = 2;
    auto r = post_json(j);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto calls = fake_.calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].seed, UINT64_MAX);
    EXPECT_EQ(calls[1].seed, 0u);
}

TEST_F(Generate, UrlRoundTripAndUnknownIds) {
    json j = base_request();
    j["response_format"] = "url";
    j["n"] = 2;
    j["seed"] = 7;
    auto r = post_json(j);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const json body = json::parse(r->body);
    ASSERT_EQ(body["data"].size(), 2u);
    const std::string prefix = "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1/images/files/";
    for (int i = 0; i < 2; ++i) {
        const std::string url = body["data"][i]["url"];
        EXPECT_FALSE(body["data"][i].contains("b64_json"));
        EXPECT_EQ(body["data"][i]["seed"], 7 + i);
        ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
        const std::string file = url.substr(prefix.size());
        EXPECT_EQ(file.size(), 36u) << file;
        auto c = server_->client();
        auto g = c.Get(url.substr(url.find("/v1/")));
        ASSERT_TRUE(g);
        EXPECT_EQ(g->status, 200);
        EXPECT_EQ(g->get_header_value("Content-Type"), "image/png");
        EXPECT_EQ(g->body, FakeImageService::png_for(7 + i));
    }
    auto c = server_->client();
    for (const char* path : {"/v1/images/files/0123456789abcdef0123456789abcdef.png",
                             "/v1/images/files/0123456789ABCDEF0123456789ABCDEF.png",
                             "/v1/images/files/0123456789abcdef0123456789abcdef", "/v1/images/files/..%2F..%2Fetc%2Fpasswd",
                             "/v1/images/files/.png", "/v1/images/files/"}) {
        SCOPED_TRACE(path);
        expect_envelope(c.Get(path), 404, "not_found_error");
    }
}

TEST_F(Generate, UrlUsesTheHostHeaderTheClientSent) {
    json j = base_request();
    j["response_format"] = "url";
    auto c = server_->client();
    httplib::Headers h{{"Host", "images.example:8080"}};
    auto r = c.Post("/v1/images/generations", h, j.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const std::string url = json::parse(r->body)["data"][0]["url"];
    EXPECT_EQ(url.rfind("http://images.example:8080/v1/images/files/", 0), 0u) << url;

    httplib::Headers evil{{"Host", "x/\"><script>"}};
    r = c.Post("/v1/images/generations", evil, j.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const std::string url2 = json::parse(r->body)["data"][0]["url"];
    EXPECT_EQ(url2.rfind("http://127.0.0.1:" + std::to_string(server_->port()) + "/v1/images/files/", 0), 0u) << url2;
}

// ---- failures -------------------------------------------------------------------------------

class Failures : public OpenAiServerTest {};

TEST_F(Failures, EachErrorKindHasItsStatusAndNeverAnEmptyBody) {
    const std::vector<std::tuple<ErrorKind, int, std::string>> kinds = {
        {ErrorKind::InvalidArgument, 400, "invalid_request_error"}, {ErrorKind::NotFound, 404, "not_found_error"},
        {ErrorKind::Corrupt, 500, "api_error"},       {ErrorKind::Io, 500, "api_error"},
        {ErrorKind::Unavailable, 503, "api_error"},   {ErrorKind::Cancelled, 499, "api_error"},
        {ErrorKind::Unsupported, 501, "api_error"},   {ErrorKind::Internal, 500, "api_error"},
    };
    for (int after : {0, 2}) {
        for (const auto& [kind, status, type] : kinds) {
            SCOPED_TRACE(status);
            FakeImageService::Behaviour b;
            b.fail = kind;
            b.fail_after_steps = after;
            b.fail_message = "runner for dev exited unexpectedly: boom";
            fake_.set(b);
            const json e = expect_envelope(post_json(base_request()), status, type);
            EXPECT_EQ(e.value("message", ""), "runner for dev exited unexpectedly: boom");
        }
    }
}

TEST_F(Failures, SecondImageFailingFailsTheRequest) {
    // The fake fails every call after 2 steps; n=2 must not answer with one image.
    FakeImageService::Behaviour b;
    b.fail = ErrorKind::Internal;
    b.fail_after_steps = 2;
    fake_.set(b);
    json j = base_request();
    j["n"] = 2;
    expect_envelope(post_json(j), 500, "api_error");
}

TEST_F(Failures, NoImageServiceIs501) {
    server_->context().images = nullptr;
    const json e = expect_envelope(post_json(base_request()), 501, "api_error");
    EXPECT_NE(e["message"].get<std::string>().find("not available"), std::string::npos);
}

// ---- streaming ------------------------------------------------------------------------------

class Streaming : public OpenAiServerTest {};

TEST_F(Streaming, ProgressPerStepThenDoneWithTheNonStreamingBody) {
    json j = base_request();
    j["stream"] = true;
    j["steps"] = 3;
    j["seed"] = 5;
    auto r = post_json(j);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
    bool complete = false;
    const auto events = parse_sse(r->body, &complete);
    EXPECT_TRUE(complete) << r->body;
    ASSERT_EQ(events.size(), 5u) << r->body;  // steps 0..3, then done
    for (int i = 0; i <= 3; ++i) {
        EXPECT_EQ(events[i].event, "progress");
        EXPECT_EQ(json::parse(events[i].data), json({{"step", i}, {"total", 3}}));
    }
    EXPECT_EQ(events[4].event, "done");
    const json done = json::parse(events[4].data);
    EXPECT_TRUE(done["created"].is_number_integer());
    ASSERT_EQ(done["data"].size(), 1u);
    EXPECT_EQ(done["data"][0]["seed"], 5);
    EXPECT_EQ(decode_b64(done["data"][0]), FakeImageService::png_for(5));
}

TEST_F(Streaming, SeveralImagesReportTheirIndexAndUrlsWork) {
    json j = base_request();
    j["stream"] = true;
    j["steps"] = 2;
    j["n"] = 3;
    j["seed"] = 10;
    j["response_format"] = "url";
    auto r = post_json(j);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto events = parse_sse(r->body);
    ASSERT_EQ(events.size(), 3u * 3u + 1u) << r->body;
    for (int img = 0; img < 3; ++img)
        for (int s = 0; s <= 2; ++s)
            EXPECT_EQ(json::parse(events[img * 3 + s].data), json({{"step", s}, {"total", 2}, {"image", img}}));
    const json done = json::parse(events.back().data);
    ASSERT_EQ(events.back().event, "done");
    ASSERT_EQ(done["data"].size(), 3u);
    auto c = server_->client();
    for (int i = 0; i < 3; ++i) {
        const std::string url = done["data"][i]["url"];
        auto g = c.Get(url.substr(url.find("/v1/")));
        ASSERT_TRUE(g);
        EXPECT_EQ(g->status, 200);
        EXPECT_EQ(g->body, FakeImageService::png_for(10 + i));
    }
}

TEST_F(Streaming, FailureAfterTheStreamStartedIsAnErrorEvent) {
    FakeImageService::Behaviour b;
    b.fail = ErrorKind::Internal;
    b.fail_after_steps = 2;
    b.fail_message = "runner for dev exited unexpectedly: signal 9";
    fake_.set(b);
    json j = base_request();
    j["stream"] = true;
    auto r = post_json(j);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    bool complete = false;
    const auto events = parse_sse(r->body, &complete);
    EXPECT_TRUE(complete);
    ASSERT_EQ(events.size(), 3u) << r->body;
    EXPECT_EQ(events[0].event, "progress");
    EXPECT_EQ(events[1].event, "progress");
    EXPECT_EQ(events[2].event, "error");
    const json err = json::parse(events[2].data);
    EXPECT_EQ(err, json({{"error",
                          {{"message", "runner for dev exited unexpectedly: signal 9"},
                           {"type", "api_error"},
                           {"param", nullptr},
                           {"code", nullptr}}}}));
}

TEST_F(Streaming, FailureBeforeAnyEventKeepsItsStatus) {
    FakeImageService::Behaviour b;
    b.fail = ErrorKind::Unavailable;
    b.fail_message = "too many requests queued for dev";
    fake_.set(b);
    json j = base_request();
    j["stream"] = true;
    const json e = expect_envelope(post_json(j), 503, "api_error");
    EXPECT_EQ(e["message"], "too many requests queued for dev");
}

TEST_F(Streaming, ClientHangingUpCancelsTheGeneration) {
    FakeImageService::Behaviour b;
    b.run_until_cancelled = true;
    b.step_delay = 20ms;
    fake_.set(b);
    json j = base_request();
    j["stream"] = true;
    const std::string body = j.dump();
    const std::string request = "POST /v1/images/generations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    std::string got;
    char buf[4096];
    while (got.find("event: progress") == std::string::npos) {
        const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(k, 0) << got;
        got.append(buf, static_cast<size_t>(k));
    }
    EXPECT_NE(got.find("200"), std::string::npos);
    ::close(fd);
    EXPECT_TRUE(fake_.wait_cancelled(10s)) << "the generation did not see the client leave";
}

// ---- other endpoints ------------------------------------------------------------------------

class OtherEndpoints : public OpenAiServerTest {};

TEST_F(OtherEndpoints, EditsAre501AfterValidation) {
    expect_envelope(post("/v1/images/edits", "{"), 400, "invalid_request_error");
    json e = expect_envelope(post("/v1/images/edits", R"({"model":"dev"})"), 400, "invalid_request_error");
    EXPECT_EQ(e["message"], "prompt is required");
    e = expect_envelope(post("/v1/images/edits", R"({"model":"dev","prompt":"x"})"), 400, "invalid_request_error");
    EXPECT_EQ(e["message"], "image is required");
    e = expect_envelope(post("/v1/images/edits", R"({"model":"dev","prompt":"x","image":"https://x/y.png"})"), 400,
                        "invalid_request_error");
    EXPECT_EQ(e["message"], "invalid image: image URLs are not currently supported, please use base64 encoded data instead");
    e = expect_envelope(post("/v1/images/edits", R"({"model":"dev","prompt":"x","image":"data:image/gif;base64,AAAA"})"),
                        400, "invalid_request_error");
    EXPECT_EQ(e["message"], "invalid image: invalid image input");
    e = expect_envelope(post("/v1/images/edits", R"({"model":"dev","prompt":"x","image":"data:image/png;base64,A?A"})"),
                        400, "invalid_request_error");
    EXPECT_EQ(e["message"], "invalid image: invalid image input");
    e = expect_envelope(post("/v1/images/edits", R"({"model":"nope","prompt":"x","image":"data:image/png;base64,AAAA"})"),
                        404, "not_found_error");
    EXPECT_EQ(e["message"], "model 'nope' not found");
    e = expect_envelope(post("/v1/images/edits", R"({"model":"dev","prompt":"x","image":"data:image/png;base64,AAAA"})"),
                        501, "api_error");
    EXPECT_EQ(e["message"], "image editing is not supported yet");

    auto c = server_->client();
    httplib::MultipartFormDataItems items = {{"model", "dev", "", ""}, {"prompt", "x", "", ""},
                                             {"image", "PNGDATA", "a.png", "image/png"}};
    e = expect_envelope(c.Post("/v1/images/edits", items), 501, "api_error");
    EXPECT_EQ(e["message"], "image editing is not supported yet");
    items[0].content = "nope";
    e = expect_envelope(c.Post("/v1/images/edits", items), 404, "not_found_error");
    items.pop_back();
    e = expect_envelope(c.Post("/v1/images/edits", items), 400, "invalid_request_error");
    EXPECT_EQ(e["message"], "image is required");
    EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(OtherEndpoints, ModelsListsImageModels) {
    import_dev_model(models_, "someone/pics:v1");
    auto c = server_->client();
    auto r = c.Get("/v1/models");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    const json j = json::parse(r->body);
    EXPECT_EQ(j["object"], "list");
    ASSERT_EQ(j["data"].size(), 2u) << j;
    std::map<std::string, json> by_id;
    for (const auto& m : j["data"]) by_id[m["id"]] = m;
    ASSERT_TRUE(by_id.count("dev:latest")) << j;
    ASSERT_TRUE(by_id.count("someone/pics:v1")) << j;
    EXPECT_EQ(by_id["dev:latest"]["object"], "model");
    EXPECT_EQ(by_id["dev:latest"]["owned_by"], "library");
    EXPECT_EQ(by_id["someone/pics:v1"]["owned_by"], "someone");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_NEAR(by_id["dev:latest"]["created"].get<double>(), static_cast<double>(now), 600.0);

    auto one = c.Get("/v1/models/someone/pics:v1");
    ASSERT_TRUE(one);
    ASSERT_EQ(one->status, 200) << one->body;
    EXPECT_EQ(json::parse(one->body), by_id["someone/pics:v1"]);
    expect_envelope(c.Get("/v1/models/nope"), 404, "not_found_error");
}

}  // namespace
}  // namespace pictor::server::test
