// Cooperative cancellation for long model computations. A caller passes a flag it may set from
// any thread; the models check it between blocks (a DiT layer, a VAE resnet), so a cancelled
// generation stops within one block's time instead of finishing the step or the decode.
#pragma once

#include <atomic>

#include "util/error.h"

namespace pictor::models {

using CancelFlag = const std::atomic<bool>*;  // null = cannot be cancelled

// Error(Cancelled) once the flag is set.
inline void throw_if_cancelled(CancelFlag cancel) {
    if (cancel && cancel->load(std::memory_order_relaxed)) fail(ErrorKind::Cancelled, "generation cancelled");
}

}  // namespace pictor::models
