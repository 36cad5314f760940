// Registry transfer is not implemented yet. Saying so plainly (501) beats a pull that seems
// to work and leaves nothing behind.
#include "server/api_types.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/router.h"
#include "store/names.h"
#include "util/error.h"

namespace pictor::server {
namespace {

void not_yet(const httplib::Request& req, const char* verb, const char* hint) {
    const TransferRequest r = parse_transfer_request(parse_body(req.body));
    if (r.model.empty()) fail(ErrorKind::InvalidArgument, "model is required");
    store::ModelName::parse(r.model);  // a bad name is still the client's mistake: 400 first
    fail(ErrorKind::Unsupported, std::string(verb) + " is not supported yet: " + hint);
}

}  // namespace

void register_transfer_routes(Router& router, ServerContext& /*ctx*/) {
    router.post("/api/pull", [](const httplib::Request& req, httplib::Response&) {
        not_yet(req, "pull", "copy a diffusers folder to this machine and use `pictor create NAME PATH`");
    });
    router.post("/api/push", [](const httplib::Request& req, httplib::Response&) {
        not_yet(req, "push", "copy the diffusers folder to the other machine and use `pictor create` there");
    });
}

}  // namespace pictor::server
