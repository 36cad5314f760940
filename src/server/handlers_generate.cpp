// POST /api/generate for image models (reference §2.1, product §2): validation, load-only and
// unload requests, NDJSON streaming with proper statuses for failures before the first frame
// and an in-band {"error"} line after it, single-object answers for "stream": false, and
// cancellation when the client goes away (client_connection.h).
#include <memory>

#include "server/api_types.h"
#include "server/client_connection.h"
#include "server/context.h"
#include "server/format.h"
#include "server/generate_request.h"
#include "server/generate_response.h"
#include "server/generation_task.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/image_service.h"
#include "server/model_details.h"
#include "server/router.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using Clock = std::chrono::system_clock;

constexpr auto kPoll = std::chrono::milliseconds(100);

ImageService& images_of(ServerContext& ctx) {
    if (!ctx.images) fail(ErrorKind::Unsupported, "image generation is not available in this server");
    return *ctx.images;
}

// The reference's order: a bad name is a 400, an unknown model a 404, a model without the
// image capability a 400 — before any field is range-checked.
void check_model(ServerContext& ctx, const std::string& model) {
    if (model.empty()) fail(ErrorKind::InvalidArgument, "model is required");
    const store::ModelName name = store::ModelName::parse(model);
    const auto entry = ctx.store.find(name);
    if (!entry) fail(ErrorKind::NotFound, "model '" + model + "' not found");
    if (!read_config(ctx.store, *entry).is_image())
        fail(ErrorKind::InvalidArgument, quote(model) + " does not support image generation");
}

bool is_frame(const ImageProgress& p) { return p.phase == ImageProgress::Phase::Denoising; }

void stream(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const ImageRequest& ir) {
    auto task = std::make_shared<GenerationTask>(images_of(ctx), ir);
    const auto conn = ClientConnection::find(req);
    // Until the first denoising frame nothing is written, so queueing, loading and text
    // encoding failures still become real HTTP statuses.
    std::vector<Frame> first;
    GenerationTask::Update u;
    for (;;) {
        u = task->next(kPoll);
        for (const auto& p : u.progress)
            if (is_frame(p)) first.push_back(progress_frame(ir.model, Clock::now(), p.completed, p.total));
        if (!first.empty() || u.done) break;
        if (conn && conn->closed()) task->cancel();
    }
    if (u.done && u.error && first.empty()) std::rethrow_exception(u.error);

    auto pending = std::make_shared<GenerationTask::Update>(std::move(u));
    auto frames = std::make_shared<std::vector<Frame>>(std::move(first));
    auto client = std::make_shared<std::optional<ClientConnection>>(conn);
    res.status = 200;
    res.set_chunked_content_provider(
        "application/x-ndjson", [task, pending, frames, client, model = ir.model](size_t, httplib::DataSink& sink) {
            auto write = [&sink](const Frame& j) {
                const std::string line = ndjson_line(j);
                return sink.write(line.data(), line.size());
            };
            for (const auto& f : *frames)
                if (!write(f)) return task->cancel(), false;
            frames->clear();
            GenerationTask::Update u = std::move(*pending);
            for (;;) {
                if (u.done) {
                    if (u.error) {
                        // Headers are gone; the stream ends with the error (never silently).
                        const auto [status, message] = [&] {
                            try {
                                std::rethrow_exception(u.error);
                            } catch (...) {
                                return describe_current_exception();
                            }
                        }();
                        (void)status;
                        write(Frame{{"error", message}});
                    } else if (u.result) {
                        write(final_frame(model, Clock::now(), *u.result));
                    }
                    sink.done();
                    return true;
                }
                if (!sink.is_writable() || (*client && (*client)->closed())) {
                    task->cancel();
                    return false;
                }
                u = task->next(kPoll);
                for (const auto& p : u.progress)
                    if (is_frame(p) && !write(progress_frame(model, Clock::now(), p.completed, p.total)))
                        return task->cancel(), false;
            }
        });
}

void respond_once(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const ImageRequest& ir) {
    const auto conn = ClientConnection::find(req);
    const ImageResult r = images_of(ctx).generate(ir, {}, [&conn] { return conn && conn->closed(); });
    set_json(res, 200, final_frame(ir.model, Clock::now(), r));
}

void generate(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const GenerateApiRequest g = parse_generate_request(parse_body(req.body));
    const ImageRequest& ir = g.image;
    check_model(ctx, ir.model);

    if (ir.prompt.empty() && ir.keep_alive && ir.keep_alive->count() == 0) {
        images_of(ctx).unload(ir.model);
        set_json(res, 200, done_frame(ir.model, Clock::now(), "unload"));
        return;
    }
    validate_image_request(ir);
    if (ir.prompt.empty()) {
        images_of(ctx).load(ir.model, ir.keep_alive);
        set_json(res, 200, done_frame(ir.model, Clock::now(), "load"));
        return;
    }
    if (g.stream) stream(ctx, req, res, ir);
    else respond_once(ctx, req, res, ir);
}

}  // namespace

void register_generate_routes(Router& router, ServerContext& ctx) {
    router.post("/api/generate", [&ctx](const httplib::Request& req, httplib::Response& res) { generate(ctx, req, res); });
}

}  // namespace pictor::server
