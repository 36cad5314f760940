// POST /api/create: import a diffusers folder that lies on the server's file system.
// Errors found while the request and the folder are checked (bad name, bad quantize value, not
// a diffusers folder, a corrupt weight file header) get their proper HTTP status; once the
// NDJSON stream has started, a failure is a final {"error": ...} line. A client that disconnects
// cancels the import.
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "create/import.h"
#include "server/api_types.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/router.h"
#include "server/store_job.h"
#include "util/error.h"

namespace pictor::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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
    create::CreateRequest cr = validate(r);
    ctx.log.info("creating model " + r.model + " from " + r.from);
    auto job = std::make_shared<StoreJob>(
        [&store = ctx.store, cr = std::move(cr)](const StoreJob::Emit& emit, const std::atomic<bool>& cancel) {
            create::create_model(
                store, cr, [&emit](const create::Progress& p) { emit(status_frame(p.status, p.completed, p.total)); },
                &cancel);
        });
    // The first status is sent before the folder is scanned, the second after every weight
    // file's header parsed: a bad folder is known by then.
    reply_with_job(std::move(job), r.stream, 2, res);
}

}  // namespace

void register_create_routes(Router& router, ServerContext& ctx) {
    router.post("/api/create", [&ctx](const httplib::Request& req, httplib::Response& res) { create(ctx, req, res); });
}

}  // namespace pictor::server
