// Ollama endpoints that an image model cannot serve: chat and embeddings.
// Clients of the reference probe them (an Ollama client may open a chat with whatever model is
// listed), and the reference answers with the missing capability (reference §2.1.7): a known
// model gets 400 `"<model>" does not support chat`, an unknown one the usual 404. A bare
// "404 page not found" here would read to those clients as "model missing, pull it".
#include <string>

#include <nlohmann/json.hpp>

#include "server/api_types.h"
#include "server/context.h"
#include "server/format.h"
#include "server/handlers.h"
#include "server/openai_envelope.h"
#include "server/router.h"
#include "store/model_store.h"
#include "util/error.h"

namespace pictor::server {
namespace {

[[noreturn]] void refuse(const ServerContext& ctx, const std::string& body, const char* capability) {
    const nlohmann::json j = parse_body(body);
    const auto it = j.find("model");
    const std::string model = it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    if (model.empty()) fail(ErrorKind::InvalidArgument, "model is required");
    store::ModelName name;
    if (!store::ModelName::try_parse(model, name)) fail(ErrorKind::InvalidArgument, "invalid model name " + quote(model));
    if (!ctx.store.find(name)) fail(ErrorKind::NotFound, "model '" + model + "' not found");
    fail(ErrorKind::InvalidArgument, quote(model) + " does not support " + capability);
}

// Throws the answer; the router turns it into {"error": ...}, enveloped() into OpenAI's shape.
Router::Handler unsupported(const ServerContext& ctx, const char* capability) {
    return [&ctx, capability](const httplib::Request& req, httplib::Response&) { refuse(ctx, req.body, capability); };
}

}  // namespace

void register_unsupported_routes(Router& router, ServerContext& ctx) {
    router.post("/api/chat", unsupported(ctx, "chat"));
    router.post("/api/embed", unsupported(ctx, "embeddings"));
    router.post("/api/embeddings", unsupported(ctx, "embeddings"));
    router.post("/v1/chat/completions", enveloped(ctx.log, unsupported(ctx, "chat")));
    router.post("/v1/embeddings", enveloped(ctx.log, unsupported(ctx, "embeddings")));
}

}  // namespace pictor::server
