// Internal: attention as two oneDNN matmuls per (query head, tile of query rows), for the
// shapes where that beats the fused kernel (see attention.cpp for the choice).
#pragma once

#include "engine/context.h"
#include "engine/kernel_table.h"

namespace pictor::engine::detail {

// Same contract and precision semantics as the fused kernel (q/k/v and the probabilities rounded
// to bf16 in BF16 precision, f32 accumulation, row sums of the unrounded probabilities); a.kpack,
// a.vpack and a.per_thread are not used. Returns false, having done nothing, when oneDNN offers
// only its reference implementation for a needed matmul (the fused kernel is then far faster).
// Query tiles are skipped once the Context's cancel flag is set; the caller throws.
bool attention_matmul(Context& cx, const AttnArgs& a);

}  // namespace pictor::engine::detail
