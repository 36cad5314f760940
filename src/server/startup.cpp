#include "server/startup.h"

#include "server/context.h"

namespace pictor::server {

void prune_at_startup(ServerContext& ctx) {
    if (ctx.settings.noprune) {
        ctx.log.info("PICTOR_NOPRUNE set, not pruning unused blobs");
        return;
    }
    try {
        const store::PruneReport r = ctx.store.prune();
        if (r.skipped)
            ctx.log.warn("not pruning unused blobs: " + r.reason);
        else
            ctx.log.info("pruned " + std::to_string(r.removed_blobs) + " unused blob(s), " +
                         std::to_string(r.removed_bytes) + " bytes");
    } catch (const std::exception& e) {
        ctx.log.warn(std::string("pruning unused blobs failed: ") + e.what());
    }
}

}  // namespace pictor::server
