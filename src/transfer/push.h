// `push`: copy a model from the store to a registry (reference §3.9, push). Blobs the registry
// already has are not sent again; the manifest goes last, as its exact stored bytes, so the
// registry only ever names a model whose blobs it holds.
#pragma once

#include <atomic>

#include "store/model_store.h"
#include "transfer/progress.h"
#include "transfer/registry_client.h"

namespace pictor::transfer {

struct PushRequest {
    store::ModelName name;
    RegistryOptions registry;
    int parallel = 4;  // concurrent blob uploads
};

void push_model(store::ModelStore& store, const PushRequest& req, const ProgressFn& progress,
                const std::atomic<bool>* cancel = nullptr);

}  // namespace pictor::transfer
