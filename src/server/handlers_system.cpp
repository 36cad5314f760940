// Liveness and version: what clients probe before anything else.
#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/handlers.h"
#include "server/http_errors.h"
#include "server/router.h"
#include "server/version.h"

namespace pictor::server {

void register_system_routes(Router& router, ServerContext& /*ctx*/) {
    // Ollama answers "Ollama is running"; clients only check for a 200.
    router.get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("pictor is running", "text/plain; charset=utf-8");
    });
    router.get("/api/version", [](const httplib::Request&, httplib::Response& res) {
        set_json(res, 200, nlohmann::json{{"version", std::string(kVersion)}});
    });
}

}  // namespace pictor::server
