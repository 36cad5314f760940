// `pull`: copy a model from a registry into the store (reference §3.9, pull). Blobs already in
// the store are not fetched again; every fetched blob is hashed while it streams and must match
// its digest and size before it is renamed into blobs/; the manifest (the registry's bytes,
// unchanged, so the model ID matches the registry's) is written only after every blob is in
// place. A failed or cancelled pull therefore leaves no model behind and never a half-written
// blob; blobs it completed stay for a retry (the startup prune removes them if none comes).
#pragma once

#include <atomic>

#include "store/model_store.h"
#include "transfer/operation.h"

namespace pictor::transfer {

void pull_model(store::ModelStore& store, const TransferRequest& req, const ProgressFn& progress,
                const std::atomic<bool>* cancel = nullptr);

}  // namespace pictor::transfer
