// The OpenAI-compatible surface: POST /v1/images/generations (JSON or SSE), the files that
// response_format "url" points at, POST /v1/images/edits (not yet), and GET /v1/models.
// Every failure is an OpenAI error envelope with a real status, never a 200 with an empty body
// (the reference's worst bug, product.md §2.3); after an SSE stream has started a failure is
// its last event.
#include <chrono>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "server/api_types.h"
#include "server/context.h"
#include "server/format.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/image_batch.h"
#include "server/image_file_cache.h"
#include "server/image_stream_job.h"
#include "server/logger.h"
#include "server/model_details.h"
#include "server/openai_envelope.h"
#include "server/openai_types.h"
#include "server/router.h"
#include "server/sse.h"
#include "util/base64.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Prompts are truncated to 512 tokens by the pipeline, so even a megabyte of prompt is legal;
// this only stops a client from making the server hold arbitrarily large bodies.
constexpr size_t kMaxRequestBody = size_t{8} << 20;
// A streaming request answers with a real status if it fails this early (unknown model is
// checked before; this catches a full queue or a model that fails to load quickly); after that
// the stream starts so that a queued client sees keep-alives and a departure is noticed.
constexpr auto kHoldBeforeStreaming = 5s;
// Silence after which a keep-alive comment is written: a failed write is how httplib lets us
// notice a client that went away.
constexpr auto kKeepAliveInterval = 1000ms;

constexpr const char* kJson = "application/json";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void write_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(dump(body), kJson);
}

void write_error(httplib::Response& res, int status, std::string_view message, std::string_view param = {}) {
    write_json(res, status, openai_error_body(status, message, param));
}

// Everything the routes share, alive as long as the routes are (the lambdas hold it).
struct OpenAiState {
    explicit OpenAiState(ServerContext& c) : ctx(c) {}
    ServerContext& ctx;
    ImageFileCache files;
};

// Where "url" responses point: the Host the client used (so a client reaching us through a
// name or a forwarded port gets a URL it can reach), else the address that accepted the
// connection. A Host with characters no host name has is not trusted into the URL.
std::string base_url(const httplib::Request& req) {
    std::string host = req.get_header_value("Host");
    bool plausible = !host.empty() && host.size() <= 255;
    for (char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
        plausible = plausible && ok;
    }
    if (!plausible) {
        const bool v6 = req.local_addr.find(':') != std::string::npos;
        host = (v6 ? "[" + req.local_addr + "]" : req.local_addr) + ":" + std::to_string(req.local_port);
    }
    return "http://" + host;
}

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The non-streaming answer, also the data of the final SSE event.
json images_body(const std::vector<ImageResult>& images, ResponseFormat format, ImageFileCache& files,
                 const std::string& url_base) {
    json data = json::array();
    for (const auto& img : images) {
        json item;
        if (format == ResponseFormat::Url) item["url"] = url_base + "/v1/images/files/" + files.put(img.png) + ".png";
        else item["b64_json"] = base64_encode(img.png);
        item["seed"] = img.seed;
        data.push_back(std::move(item));
    }
    return json{{"created", unix_now()}, {"data", std::move(data)}};
}

// The checks that must answer with their own status before any stream starts: the model
// exists and makes images.
void check_image_model(const ServerContext& ctx, const std::string& model) {
    store::ModelName name;
    if (!store::ModelName::try_parse(model, name)) throw ParamError("model", "invalid model name " + quote(model));
    const auto entry = ctx.store.find(name);
    if (!entry) fail(ErrorKind::NotFound, "model '" + model + "' not found");
    if (!read_config(ctx.store, *entry).is_image())
        throw ParamError("model", model + " does not support image generation");
}

json progress_data(const BatchProgress& p, int n) {
    json j{{"step", p.step}, {"total", p.total}};
    if (n > 1) j["image"] = p.image;
    return j;
}

// State of one SSE response, owned by httplib's content provider.
struct SseStream {
    std::unique_ptr<ImageStreamJob> job;
    std::optional<ImageStreamJob::Event> held;  // the event that ended the hold, not yet written
    OpenAiState* state = nullptr;
    ResponseFormat format = ResponseFormat::B64Json;
    std::string url_base;
    int n = 1;
};

std::string sse_text(SseStream& s, const ImageStreamJob::Event& e) {
    using Kind = ImageStreamJob::Event::Kind;
    switch (e.kind) {
        case Kind::Progress: return sse_event("progress", dump(progress_data(e.progress, s.n)));
        case Kind::Done:
            try {
                return sse_event("done", dump(images_body(e.images, s.format, s.state->files, s.url_base)));
            } catch (...) {
                auto [status, message] = describe_current_exception();
                return sse_event("error", dump(openai_error_body(status, message)));
            }
        case Kind::Failed:
            if (e.status >= 500) s.state->ctx.log.warn("openai stream failed: " + e.message);
            return sse_event("error", dump(openai_error_body(e.status, e.message)));
    }
    return {};
}

void stream_images(OpenAiState& st, const ImagesGenerateRequest& r, ImageService& service, const ImageRequest& base,
                   uint64_t seed, const httplib::Request& req, httplib::Response& res) {
    auto s = std::make_shared<SseStream>();
    s->job = std::make_unique<ImageStreamJob>(service, base, r.n, seed);
    s->state = &st;
    s->format = r.format;
    s->url_base = base_url(req);
    s->n = r.n;

    s->held = s->job->next(std::chrono::duration_cast<std::chrono::milliseconds>(kHoldBeforeStreaming));
    if (s->held && s->held->kind == ImageStreamJob::Event::Kind::Failed) {
        if (s->held->status >= 500) st.ctx.log.warn("openai request failed: " + s->held->message);
        write_error(res, s->held->status, s->held->message);
        return;
    }

    // Proxies (nginx) buffer responses unless told not to; SSE must arrive as it is written.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [s](size_t, httplib::DataSink& sink) {
            std::optional<ImageStreamJob::Event> e;
            if (s->held) {
                e = std::move(s->held);
                s->held.reset();
            } else {
                e = s->job->next(kKeepAliveInterval);
            }
            const std::string text = e ? sse_text(*s, *e) : sse_comment("keep-alive");
            // Each event goes out as one chunk, written to the socket at once: that is the flush.
            if (!sink.write(text.data(), text.size())) {
                s->job->cancel();
                return false;
            }
            if (e && e->terminal()) sink.done();
            return true;
        },
        [s](bool /*success*/) { s->job->cancel(); });
}

void generations(OpenAiState& st, const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() > kMaxRequestBody) {
        write_error(res, 413,
                    "request body too large: " + std::to_string(req.body.size()) + " bytes, the limit is " +
                        std::to_string(kMaxRequestBody >> 20) + " MiB");
        return;
    }
    const ImagesGenerateRequest r = parse_images_generate(parse_body(req.body));
    check_image_model(st.ctx, r.model);
    ImageService* service = st.ctx.images;
    if (!service) fail(ErrorKind::Unsupported, "image generation is not available on this server (no image scheduler)");

    ImageRequest base;
    base.model = r.model;
    base.prompt = r.prompt;
    base.negative_prompt = r.negative_prompt;
    base.width = r.width;
    base.height = r.height;
    base.steps = r.steps;
    base.guidance = r.guidance;
    // Chosen here, not by the service, so that the n images get consecutive seeds either way.
    const uint64_t seed = r.seed.value_or(random_seed());

    if (r.stream) return stream_images(st, r, *service, base, seed, req, res);

    // httplib 0.11 gives a handler no way to notice a client that hung up before the answer,
    // so a non-streaming generation runs to the end; streaming requests are cancellable.
    const auto images = generate_batch(*service, base, r.n, seed, nullptr, [] { return false; });
    write_json(res, 200, images_body(images, r.format, st.files, base_url(req)));
}

void edits(const OpenAiState& st, const httplib::Request& req, httplib::Response& res) {
    // OpenAI's own clients send multipart/form-data; the reference took JSON. Either way the
    // request is checked as far as it can be (fields, image, model) before the 501, so that a
    // client's mistakes are still called out.
    std::string model;
    if (req.is_multipart_form_data()) {
        auto part = [&req](const char* name) { return req.has_file(name) ? req.get_file_value(name).content : ""; };
        if (part("prompt").empty()) throw ParamError("prompt", "prompt is required");
        model = part("model");
        if (model.empty()) throw ParamError("model", "model is required");
        if (!req.has_file("image") && !req.has_file("image[]")) throw ParamError("image", "image is required");
    } else {
        model = validate_images_edit(parse_body(req.body));
    }
    check_image_model(st.ctx, model);
    write_error(res, 501, "image editing is not supported yet");
}

void image_file(OpenAiState& st, const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
    constexpr std::string_view kExt = ".png";
    std::shared_ptr<const std::string> png;
    if (name.size() > kExt.size() && name.ends_with(kExt))
        png = st.files.get(std::string_view(name).substr(0, name.size() - kExt.size()));
    if (!png) {
        write_error(res, 404, "image file not found (generated images are kept for an hour at most)");
        return;
    }
    res.status = 200;
    res.set_header("Cache-Control", "private, max-age=3600");
    res.set_content(*png, "image/png");
}

json model_object(const store::ModelEntry& e) {
    const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                             to_system_time(e.modified).time_since_epoch())
                             .count();
    return json{{"id", e.name.display()}, {"object", "model"}, {"created", created}, {"owned_by", e.name.ns}};
}

bool is_image_model(ServerContext& ctx, const store::ModelEntry& e) {
    try {
        return read_config(ctx.store, e).is_image();
    } catch (const std::exception& ex) {
        ctx.log.warn("listing " + e.name.display() + ": " + ex.what());
        return false;  // one damaged model must not hide the others
    }
}

void models(ServerContext& ctx, httplib::Response& res) {
    json data = json::array();
    for (const auto& e : ctx.store.list(/*continue_on_error=*/true))
        if (is_image_model(ctx, e)) data.push_back(model_object(e));
    write_json(res, 200, json{{"object", "list"}, {"data", std::move(data)}});
}

void model(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const std::string name_text = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
    store::ModelName name;
    std::optional<store::ModelEntry> entry;
    if (store::ModelName::try_parse(name_text, name)) entry = ctx.store.find(name);
    if (!entry || !is_image_model(ctx, *entry)) {
        write_error(res, 404, "model '" + name_text + "' not found", "model");
        return;
    }
    write_json(res, 200, model_object(*entry));
}

}  // namespace

void register_openai_routes(Router& router, ServerContext& ctx) {
    auto st = std::make_shared<OpenAiState>(ctx);
    Logger& log = ctx.log;
    router.post("/v1/images/generations",
                enveloped(log, [st](const httplib::Request& req, httplib::Response& res) { generations(*st, req, res); }));
    router.post("/v1/images/edits",
                enveloped(log, [st](const httplib::Request& req, httplib::Response& res) { edits(*st, req, res); }));
    router.get(R"(/v1/images/files/(.*))",
               enveloped(log, [st](const httplib::Request& req, httplib::Response& res) { image_file(*st, req, res); }));
    router.get("/v1/models", enveloped(log, [&ctx](const httplib::Request&, httplib::Response& res) { models(ctx, res); }));
    router.get(R"(/v1/models/(.+))",
               enveloped(log, [&ctx](const httplib::Request& req, httplib::Response& res) { model(ctx, req, res); }));
}

}  // namespace pictor::server
