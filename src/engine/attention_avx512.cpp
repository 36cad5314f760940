// AVX-512 (+BF16: vdpbf16ps) instantiation of flash attention; only called after the run-time
// CPU check in attention.cpp.
// GCC 12.2 falsely reports -Wmaybe-uninitialized inside its AVX-512 intrinsic headers (PR105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "engine/attention_kernels.h"

namespace pictor::engine::detail {

void attention_avx512(int nt, const AttnArgs& a) { attention_dispatch<simd::Avx512>(nt, a); }
void attn_probs_avx512(int nt, const AttnProbsArgs& a) { attn_probs<simd::Avx512>(nt, a); }

}  // namespace pictor::engine::detail
