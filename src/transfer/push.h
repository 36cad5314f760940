// `push`: copy a model from the store to a registry (reference §3.9, push). Blobs the registry
// already has are not sent again; the manifest goes last, as its exact stored bytes, so the
// registry only ever names a model whose blobs it holds.
#pragma once

#include <atomic>

#include "store/model_store.h"
#include "transfer/operation.h"

namespace pictor::transfer {

void push_model(store::ModelStore& store, const TransferRequest& req, const ProgressFn& progress,
                const std::atomic<bool>* cancel = nullptr);

}  // namespace pictor::transfer
