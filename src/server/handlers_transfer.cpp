// POST /api/pull and /api/push: registry transfer (src/transfer) as a store job. The response
// is held until the manifest was fetched (pull) or read from the store (push), so a model the
// registry or the store does not have is a real 404, not a 200 stream that ends in an error.
#include <memory>

#include "server/api_types.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/router.h"
#include "server/store_job.h"
#include "store/names.h"
#include "transfer/pull.h"
#include "transfer/push.h"
#include "util/error.h"

namespace pictor::server {
namespace {

nlohmann::ordered_json frame(const transfer::Progress& p) {
    nlohmann::ordered_json j{{"status", p.status}};
    if (!p.digest.empty()) {
        j["digest"] = p.digest;
        j["total"] = p.total;
        j["completed"] = p.completed;
    }
    return j;
}

using Operation = void (*)(store::ModelStore&, const transfer::TransferRequest&, const transfer::ProgressFn&,
                          const std::atomic<bool>*);

void transfer_model(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, const char* verb,
                    Operation operation) {
    const TransferApiRequest r = parse_transfer_request(parse_body(req.body));
    if (r.model.empty()) fail(ErrorKind::InvalidArgument, "model is required");
    transfer::TransferRequest tr;
    tr.name = store::ModelName::parse(r.model);
    tr.registry.insecure = r.insecure;
    ctx.log.info(std::string(verb) + " model " + tr.name.display());
    auto job = std::make_shared<StoreJob>(
        [&store = ctx.store, tr, operation](const StoreJob::Emit& emit, const std::atomic<bool>& cancel) {
            operation(store, tr, [&emit](const transfer::Progress& p) { emit(frame(p)); }, &cancel);
        });
    // First "pulling manifest" / "retrieving manifest", then the bar once the manifest is known.
    reply_with_job(std::move(job), r.stream, 2, res);
}

}  // namespace

void register_transfer_routes(Router& router, ServerContext& ctx) {
    router.post("/api/pull", [&ctx](const httplib::Request& req, httplib::Response& res) {
        transfer_model(ctx, req, res, "pulling", transfer::pull_model);
    });
    router.post("/api/push", [&ctx](const httplib::Request& req, httplib::Response& res) {
        transfer_model(ctx, req, res, "pushing", transfer::push_model);
    });
}

}  // namespace pictor::server
