// What `pictor serve` does once before accepting requests.
#pragma once

namespace pictor::server {

struct ServerContext;

// Unless PICTOR_NOPRUNE is set: removes unreferenced blobs older than an hour (the store skips
// the prune when any manifest fails to parse) and logs what happened. Never throws: a failed
// prune is logged and the server starts anyway.
void prune_at_startup(ServerContext& ctx);

}  // namespace pictor::server
