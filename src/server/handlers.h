// Handler groups. Each group registers its routes on the router and keeps only a reference to
// the shared context. Image generation (/api/generate, /v1/images/*, /api/ps) registers the
// same way when the scheduler lands.
#pragma once

namespace pictor::server {

class Router;
struct ServerContext;

void register_system_routes(Router& router, ServerContext& ctx);    // GET /, /api/version
void register_model_routes(Router& router, ServerContext& ctx);     // tags, show, delete, copy
void register_create_routes(Router& router, ServerContext& ctx);    // POST /api/create
void register_transfer_routes(Router& router, ServerContext& ctx);  // pull, push
void register_generate_routes(Router& router, ServerContext& ctx);  // POST /api/generate (images)
void register_ps_routes(Router& router, ServerContext& ctx);        // GET /api/ps
void register_openai_routes(Router& router, ServerContext& ctx);    // /v1/images/*, /v1/models
void register_unsupported_routes(Router& router, ServerContext& ctx);  // chat, embeddings: capability errors

}  // namespace pictor::server
