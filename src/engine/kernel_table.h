// Internal: function tables filled by the per-ISA translation units (ops_avx2.cpp,
// ops_avx512.cpp, attention_*.cpp). Plain structs of function pointers, so nothing in here is
// compiled with ISA-specific flags. `nt` is the OpenMP thread count to use.
#pragma once

#include <atomic>

#include <cstddef>
#include <cstdint>

namespace pictor::engine::detail {

struct GroupNormScratch {
    double* part;   // [nt][C] per-thread channel sums
    float* facc;    // [nt][C] short-run float accumulators
    double* gstat;  // [G] group statistic
    float* meanc;   // [C] per-channel mean
    float* ac;      // [C] per-channel rstd * gamma
};

struct OpsKernels {
    void (*rms_norm)(int nt, const float* x, const float* w, float* y, int64_t rows, int64_t dim, float eps);
    void (*layer_norm)(int nt, const float* x, float* y, int64_t rows, int64_t dim, float eps);
    void (*group_norm)(int nt, const float* x, float* y, int64_t hw, int64_t c, int64_t groups, float eps,
                       const float* gamma, const float* beta, bool silu, const GroupNormScratch& s);
    void (*softmax)(int nt, const float* x, float* y, int64_t rows, int64_t n);
    void (*silu)(int nt, const float* x, float* y, int64_t n);
    void (*tanh)(int nt, const float* x, float* y, int64_t n);
    void (*add)(int nt, const float* a, const float* b, float* y, int64_t n);
    void (*mul)(int nt, const float* a, const float* b, float* y, int64_t n);
    void (*scale_shift)(int nt, const float* x, float* y, int64_t n, float scale, float shift);
    void (*clamp)(int nt, const float* x, float* y, int64_t n, float lo, float hi);
    void (*gated_add)(int nt, float* x, const float* g, const float* y, int64_t rows, int64_t c);
    void (*modulate)(int nt, const float* x, float* y, int64_t rows, int64_t c, const float* scale, const float* shift);
    void (*swiglu)(int nt, const float* a, int64_t lda, const float* b, int64_t ldb, float* y, int64_t ldy,
                   int64_t rows, int64_t f);
    void (*upsample2x)(int nt, const float* x, float* y, int64_t h, int64_t w, int64_t c);
    void (*rope_interleaved)(int nt, float* x, int64_t s, int64_t heads, int64_t d, int64_t ld, const float* table);
    void (*rope_neox)(int nt, float* x, int64_t s, int64_t heads, int64_t d, int64_t ld, const float* cos,
                      const float* sin);
    // Matmul-input preparation: f32 -> bf16 (RNE), rows of `k` with source stride ldx.
    void (*to_bf16_rows)(int nt, const float* x, int64_t ldx, uint16_t* y, int64_t rows, int64_t k);
};

const OpsKernels& ops_kernels_avx2();
const OpsKernels& ops_kernels_avx512();  // only call when detect_isa() == Isa::Avx512

}  // namespace pictor::engine::detail

namespace pictor::engine::detail {

// Flash-attention tiling: query rows per work item and keys per inner tile.
constexpr int64_t kAttnBq = 64;
constexpr int64_t kAttnBk = 64;

struct AttnArgs {
    const float* q;
    const float* k;
    const float* v;
    float* o;
    int64_t S, Skv, H, Hkv, D, Dp;  // Dp = D rounded up to 16
    int64_t ldq, ldk, ldv, ldo;
    float scale;
    bool causal;
    bool bf16;               // bf16 tiles + dot-product pairs; else pure f32 FMAs
    void* kpack;             // [Hkv][ntk] packed key tiles
    void* vpack;             // [Hkv][ntk] packed value tiles
    std::byte* per_thread;   // nt regions of thread_bytes
    size_t thread_bytes;
    const std::atomic<bool>* cancel;  // Context's cancel flag or null: remaining query tiles are skipped
};

// Whether `a.cancel` is set. Out of line (attention.cpp, baseline flags) so that the kernels,
// compiled twice with different ISA flags, instantiate no std:: template of their own.
bool attention_cancelled(const AttnArgs& a);

// Bytes of the per-thread region and of one packed K (or V) tile, shared by the dispatcher
// (which allocates) and the kernels (which carve).
struct AttnLayout {
    size_t q_off, s_off, p_off, o_off, m_off, l_off, a_off, thread_bytes, tile_elems, elem;
};
AttnLayout attn_layout(int64_t Dp, bool bf16);

void attention_avx2(int nt, const AttnArgs& a);
void attention_avx512(int nt, const AttnArgs& a);  // only when detect_isa() == Isa::Avx512

// Softmax numerators of the matmul attention (attention_matmul.cpp), for `rows` rows of scores
// s[r][0..n) (row stride n): x = scale·s, keys j >= limit(r) masked, where limit(r) = n, or
// min(n, causal_base + r + 1) when causal_base >= 0; p = exp(x - max_j x) and l[r] = Σ_j p in
// f32. p is written as bf16 bits (kBf16Bits), as f32 rounded to bf16 values (kBf16Values), or
// as f32 (kF32); an f32 p may overwrite s in place.
enum class AttnProbs { kF32, kBf16Values, kBf16Bits };
struct AttnProbsArgs {
    float* s;
    int64_t rows, n;
    float scale;
    int64_t causal_base;  // -1: no mask
    AttnProbs mode;
    void* p;
    float* l;
};
void attn_probs_avx2(int nt, const AttnProbsArgs& a);
void attn_probs_avx512(int nt, const AttnProbsArgs& a);  // only when detect_isa() == Isa::Avx512

}  // namespace pictor::engine::detail
