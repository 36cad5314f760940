// Store management: list, show, delete, copy. Messages and statuses follow Ollama's handlers
// (reference §2.4–2.6) so its clients see what they expect.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/api_types.h"
#include "server/context.h"
#include "server/format.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/model_details.h"
#include "server/router.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using nlohmann::json;
using store::ModelName;

void tags(ServerContext& ctx, httplib::Response& res) {
    auto entries = ctx.store.list(/*continue_on_error=*/true);
    std::sort(entries.begin(), entries.end(),
              [](const store::ModelEntry& a, const store::ModelEntry& b) { return a.modified > b.modified; });
    nlohmann::ordered_json models = nlohmann::ordered_json::array();
    for (const auto& e : entries) {
        TagsEntry t;
        t.name = e.name.display();
        t.modified = to_system_time(e.modified);
        t.size = e.manifest.total_size();
        t.digest_hex = e.digest_hex;
        try {
            t.details = describe(ctx.store, e, read_config(ctx.store, e));
        } catch (const std::exception& ex) {
            // One damaged model must not hide the others; show it with what the manifest says.
            ctx.log.warn("listing " + t.name + ": " + ex.what());
            t.details.format = "";
        }
        models.push_back(to_json(t));
    }
    set_json(res, 200, nlohmann::ordered_json{{"models", std::move(models)}});
}

void show(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const ModelRequest r = parse_model_request(parse_body(req.body));
    if (r.model.empty()) fail(ErrorKind::InvalidArgument, "model is required");
    const ModelName name = ModelName::parse(r.model);
    const auto entry = ctx.store.find(name);
    if (!entry) fail(ErrorKind::NotFound, "model '" + r.model + "' not found");

    const ModelConfig cfg = read_config(ctx.store, *entry);
    ShowResponse out;
    out.details = describe(ctx.store, *entry, cfg);
    out.license = read_license(ctx.store, *entry);
    out.parameters = format_parameters(ctx.store, *entry);
    out.modelfile = render_modelfile(ctx.store, *entry);
    out.capabilities = cfg.capabilities;
    out.modified = to_system_time(entry->modified);
    out.requires_version = cfg.requires_version;
    if (r.verbose) out.tensors = tensor_table(ctx.store, *entry);
    set_json(res, 200, to_json(out));
}

void remove(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const ModelRequest r = parse_model_request(parse_body(req.body));
    ModelName name;
    if (!ModelName::try_parse(r.model, name))
        fail(ErrorKind::InvalidArgument, "name " + quote(r.model) + " is invalid");
    // A loaded instance goes first, as `ollama rm` does: requests in hand finish, then the
    // runner exits (its mapped blobs stay valid until then, even once unlinked).
    if (ctx.images) {
        try {
            ctx.images->unload(r.model);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::NotFound) throw;  // not a model: the store says so below
        }
    }
    try {
        ctx.store.remove(name);
    } catch (const Error& e) {
        // The store names the model in display form; Ollama echoes what the client sent.
        if (e.kind() == ErrorKind::NotFound) fail(ErrorKind::NotFound, "model '" + r.model + "' not found");
        throw;
    }
    ctx.log.info("deleted model " + name.display());
    res.status = 200;
}

void copy(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
    const CopyRequest r = parse_copy_request(parse_body(req.body));
    ModelName src, dst;
    if (!ModelName::try_parse(r.source, src))
        fail(ErrorKind::InvalidArgument, "source " + quote(r.source) + " is invalid");
    if (!ModelName::try_parse(r.destination, dst))
        fail(ErrorKind::InvalidArgument, "destination " + quote(r.destination) + " is invalid");
    try {
        ctx.store.copy(src, dst);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::NotFound) fail(ErrorKind::NotFound, "model " + quote(r.source) + " not found");
        throw;
    }
    ctx.log.info("copied model " + src.display() + " to " + dst.display());
    res.status = 200;
}

}  // namespace

void register_model_routes(Router& router, ServerContext& ctx) {
    router.get("/api/tags", [&ctx](const httplib::Request&, httplib::Response& res) { tags(ctx, res); });
    router.post("/api/show", [&ctx](const httplib::Request& req, httplib::Response& res) { show(ctx, req, res); });
    router.del("/api/delete", [&ctx](const httplib::Request& req, httplib::Response& res) { remove(ctx, req, res); });
    router.post("/api/copy", [&ctx](const httplib::Request& req, httplib::Response& res) { copy(ctx, req, res); });
}

}  // namespace pictor::server
