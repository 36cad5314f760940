// GET /api/ps: the loaded models, shaped like Ollama's (reference §2.5). pictor runs models on
// the CPU, so size_vram is honestly 0; memory_estimate (resident weights + peak activations)
// and queue_length are ours.
#include "server/api_types.h"
#include "server/context.h"
#include "server/format.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/image_service.h"
#include "server/router.h"

namespace pictor::server {
namespace {

// Ordered as Go writes the reference's ProcessModelResponse; our two fields last.
using Ordered = nlohmann::ordered_json;

Ordered ps_entry(const LoadedModelInfo& m) {
    ModelDetails d;
    d.family = m.family;
    d.parameter_size = m.parameter_size;
    d.quantization_level = m.quantization_level;
    return Ordered{{"name", m.name},
                {"model", m.name},
                {"size", m.size},
                {"digest", m.digest_hex},
                {"details", to_json(d)},
                {"expires_at", rfc3339(m.expires_at)},
                {"size_vram", 0},
                {"context_length", 0},
                {"memory_estimate", m.memory_estimate},
                {"queue_length", m.queue_length}};
}

void ps(ServerContext& ctx, httplib::Response& res) {
    Ordered models = Ordered::array();
    if (ctx.images)
        for (const auto& m : ctx.images->running()) models.push_back(ps_entry(m));
    set_json(res, 200, Ordered{{"models", std::move(models)}});
}

}  // namespace

void register_ps_routes(Router& router, ServerContext& ctx) {
    router.get("/api/ps", [&ctx](const httplib::Request&, httplib::Response& res) { ps(ctx, res); });
}

}  // namespace pictor::server
