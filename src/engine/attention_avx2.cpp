// AVX2 instantiation of flash attention (bf16 mode uses an exact-product emulation of
// vdpbf16ps, so it matches the AVX-512 results up to f32 summation order).
#include "engine/attention_kernels.h"

namespace pictor::engine::detail {

void attention_avx2(int nt, const AttnArgs& a) { attention_dispatch<simd::Avx2>(nt, a); }
void attn_probs_avx2(int nt, const AttnProbsArgs& a) { attn_probs<simd::Avx2>(nt, a); }

}  // namespace pictor::engine::detail
