// State shared by every handler of one running server. Handler groups receive a reference;
// nothing in the server is global. The scheduler of loaded models joins here later.
#pragma once

#include "server/image_service.h"
#include "server/logger.h"
#include "server/settings.h"
#include "store/model_store.h"

namespace pictor::server {

struct ServerContext {
    ServerContext(Settings s, Logger& l) : settings(std::move(s)), store(settings.models), log(l) {}

    Settings settings;
    store::ModelStore store;  // manifests are read from disk per request, so CLI-side creates show up at once
    Logger& log;
    // The scheduler of runner processes (server/scheduler.h), owned by whoever starts the
    // server; null where a server is built without image generation (then 501).
    ImageService* images = nullptr;
};

}  // namespace pictor::server
