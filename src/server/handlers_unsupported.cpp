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
#include "server/http_errors.h"
#include "server/openai_types.h"
#include "server/router.h"
#include "store/model_store.h"
#include "util/error.h"

namespace pictor::server {
namespace {

enum class Envelope { Native, OpenAi };

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

Router::Handler unsupported(ServerContext& ctx, const char* capability, Envelope envelope) {
    return [&ctx, capability, envelope](const httplib::Request& req, httplib::Response& res) {
        try {
            refuse(ctx, req.body, capability);
        } catch (...) {
            if (envelope == Envelope::Native) return respond_with_current_exception(res, &ctx.log);
            const auto [status, message] = describe_current_exception();
            set_json(res, status, openai_error_body(status, message));
        }
    };
}

}  // namespace

void register_unsupported_routes(Router& router, ServerContext& ctx) {
    router.post("/api/chat", unsupported(ctx, "chat", Envelope::Native));
    router.post("/api/embed", unsupported(ctx, "embeddings", Envelope::Native));
    router.post("/api/embeddings", unsupported(ctx, "embeddings", Envelope::Native));
    router.post("/v1/chat/completions", unsupported(ctx, "chat", Envelope::OpenAi));
    router.post("/v1/embeddings", unsupported(ctx, "embeddings", Envelope::OpenAi));
}

}  // namespace pictor::server
