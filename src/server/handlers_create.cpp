// POST /api/create: import a diffusers folder that lies on the server's file system.
// Errors found while the request and the folder are checked (bad name, bad quantize value, not
// a diffusers folder, a corrupt weight file header) get their proper HTTP status; once the NDJSON stream has started, a failure is a final
// {"error": ...} line. A client that disconnects cancels the import.
#include <deque>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "server/api_types.h"
#include "server/context.h"
#include "server/create_job.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/router.h"
#include "util/error.h"

namespace pictor::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ndjson(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

create::CreateRequest validate(const CreateApiRequest& r) {
    if (r.model.empty()) fail(ErrorKind::InvalidArgument, "model is required");
    create::CreateRequest cr;
    cr.name = store::ModelName::parse(r.model);
    if (r.from.empty())
        fail(ErrorKind::InvalidArgument, "\"from\" is required: the path of a diffusers folder on the server");
    const fs::path from(r.from);
    if (!from.is_absolute())
        fail(ErrorKind::InvalidArgument, "\"from\" must be an absolute path on the server, got " + r.from);
    std::error_code ec;
    if (!fs::is_directory(from, ec)) fail(ErrorKind::InvalidArgument, r.from + " is not a folder on the server");
    cr.source_dir = from;
    cr.quantize = r.quantize;
    cr.parameters = r.parameters;
    cr.license = r.license;
    return cr;
}

void create(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const CreateApiRequest r = parse_create_request(parse_body(req.body));
    auto job = std::make_shared<CreateJob>(ctx.store, validate(r));
    ctx.log.info("creating model " + r.model + " from " + r.from);

    // Hold the response until the import has checked the folder (the first status is sent
    // before the folder is scanned, the second after every weight file's header parsed) or
    // ended, so that a bad request still gets a real status code instead of a 200 stream.
    std::deque<CreateJob::Event> held;
    held.push_back(job->wait_next());
    if (!held.back().terminal()) held.push_back(job->wait_next());
    if (held.back().kind == CreateJob::Event::Kind::Failure) {
        set_error(res, held.back().http_status, held.back().message);
        return;
    }
    if (!r.stream) {
        CreateJob::Event e = held.back();
        while (!e.terminal()) e = job->wait_next();
        if (e.kind == CreateJob::Event::Kind::Failure) set_error(res, e.http_status, e.message);
        else set_json(res, 200, e.frame);
        return;
    }

    auto pending = std::make_shared<std::deque<CreateJob::Event>>(std::move(held));
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [job, pending](size_t, httplib::DataSink& sink) {
            try {
                std::optional<CreateJob::Event> e;
                if (!pending->empty()) {
                    e = std::move(pending->front());
                    pending->pop_front();
                } else {
                    e = job->next(std::chrono::milliseconds(250));
                }
                if (!e) return true;  // nothing new yet; httplib calls again
                const std::string line = ndjson(e->frame);
                if (!sink.write(line.data(), line.size())) {
                    job->cancel();  // the client went away
                    return false;
                }
                if (e->terminal()) sink.done();
                return true;
            } catch (...) {
                job->cancel();
                return false;
            }
        },
        [job](bool /*success*/) { job->cancel(); });
}

}  // namespace

void register_create_routes(Router& router, ServerContext& ctx) {
    router.post("/api/create", [&ctx](const httplib::Request& req, httplib::Response& res) { create(ctx, req, res); });
}

}  // namespace pictor::server
