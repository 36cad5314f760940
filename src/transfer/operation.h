// What pull and push share: the request, the progress they report (Ollama's status lines for
// tensor models, reference §3.9, with one bar for the whole model under the synthetic digest
// "sha256:model") and how they are stopped.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "store/names.h"
#include "transfer/registry_client.h"
#include "util/error.h"

namespace pictor::transfer {

struct TransferRequest {
    store::ModelName name;  // host/ns/model:tag, the registry is its host
    RegistryOptions registry;
    int parallel = 4;       // concurrent blob transfers
};

inline constexpr const char* kWholeModelDigest = "sha256:model";

struct Progress {
    std::string status;  // "pulling manifest", "pulling model", "writing manifest", ...
    std::string digest;  // kWholeModelDigest while bytes move, else empty
    uint64_t completed = 0;
    uint64_t total = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

// Whole-blob attempts before a transfer gives up (network errors, a damaged download).
inline constexpr int kBlobAttempts = 3;

inline bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(); }
inline void check_cancel(const std::atomic<bool>* cancel, const char* verb) {
    if (cancelled(cancel)) fail(ErrorKind::Cancelled, std::string(verb) + " cancelled");
}

}  // namespace pictor::transfer
