// Attention as matmuls: for each query head h and tile of Tq query rows,
//   S = Q_tile · K_gᵀ          oneDNN matmul [Tq, D] x [D, Skv] -> f32 [Tq, Skv]
//   P = exp(scale·S - max)    own kernel (attn_probs_*), row sums l in f32, causal mask
//   O = P · V_g               oneDNN matmul [Tq, Skv] x [Skv, D] -> f32 [Tq, D]
//   out = O / l
// Only one [Tq, Skv] score tile exists at a time (Tq chosen so that it stays near 4 MiB), never
// the S×Skv matrix of a head. oneDNN's matmuls beat the fused kernel's register-blocked loops
// on long sequences (engine_bench, 2 threads, DiT 512²: 113 -> 485 GFLOP/s with AVX512-BF16,
// 59 -> 67-100 on AVX2), which is why they take this path. With native bf16 the operands are
// bf16; emulated bf16 multiplies bf16-rounded values in f32, which gives the same products.
// oneDNN creates the primitives per call; its primitive cache makes repeats cheap.
#include "engine/attention_matmul.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/tensor.h"

namespace pictor::engine::detail {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

constexpr size_t kScoreTileBytes = size_t(4) << 20;

struct Matmul {
    dnnl::matmul prim;
    dnnl::memory a, b, c;
    std::unordered_map<int, dnnl::memory> args;

    void run(dnnl::stream& strm, const void* pa, const void* pb, float* pc) {
        a.set_data_handle(const_cast<void*>(pa));
        b.set_data_handle(const_cast<void*>(pb));
        c.set_data_handle(pc);
        prim.execute(strm, args);
        strm.wait();
    }
};

// [M, K] x [K, N] -> f32 [M, N], A row-major, B in `btag` (ab: row-major [K, N]; ba: the
// row-major [N, K] matrix read transposed). Nothing when oneDNN has only its reference kernel.
std::optional<Matmul> make_matmul(dnnl::engine& eng, int64_t M, int64_t K, int64_t N, dt t, tag btag) {
    dnnl::memory::desc ad({M, K}, t, tag::ab), bd({K, N}, t, btag), cd({M, N}, dt::f32, tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, cd), eng);
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return std::nullopt;
    Matmul m;
    m.prim = dnnl::matmul(pd);
    m.a = dnnl::memory(ad, eng, DNNL_MEMORY_NONE);
    m.b = dnnl::memory(bd, eng, DNNL_MEMORY_NONE);
    m.c = dnnl::memory(cd, eng, DNNL_MEMORY_NONE);
    m.args = {{DNNL_ARG_SRC, m.a}, {DNNL_ARG_WEIGHTS, m.b}, {DNNL_ARG_DST, m.c}};
    return m;
}

enum class Operand { F32, Bf16Values, Bf16Bits };

// rows x cols floats with source stride ld -> dense rows of `cols` in the operand format.
void convert_rows(int nt, const OpsKernels& k, Operand mode, const float* x, int64_t ld, int64_t rows, int64_t cols,
                  void* y) {
    if (mode == Operand::Bf16Bits) {
        k.to_bf16_rows(nt, x, ld, static_cast<uint16_t*>(y), rows, cols);
        return;
    }
    float* yf = static_cast<float*>(y);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        if (mode == Operand::Bf16Values) round_to_bf16(x + r * ld, cols, yf + r * cols);
        else std::memcpy(yf + r * cols, x + r * ld, size_t(cols) * 4);
    }
}

}  // namespace

bool attention_matmul(Context& cx, const AttnArgs& a) {
    const bool native = a.bf16 && cx.native_bf16();
    const Operand mode = native ? Operand::Bf16Bits : a.bf16 ? Operand::Bf16Values : Operand::F32;
    const dt t = native ? dt::bf16 : dt::f32;
    const size_t es = native ? 2 : 4;
    const int64_t S = a.S, Skv = a.Skv, D = a.D;

    // Tiles of about kScoreTileBytes of scores, evenly sized, multiples of 16 rows.
    const int64_t cap = std::clamp<int64_t>(int64_t(kScoreTileBytes / size_t(Skv * 4)), 16, 512);
    int64_t tq = (S + cap - 1) / cap;
    tq = std::min(S, ((S + tq - 1) / tq + 15) / 16 * 16);
    const int64_t ntiles = (S + tq - 1) / tq, tail = S - (ntiles - 1) * tq;

    dnnl::engine& eng = cx.dnnl_engine();
    auto qk = make_matmul(eng, tq, D, Skv, t, tag::ba), pv = make_matmul(eng, tq, Skv, D, t, tag::ab);
    std::optional<Matmul> qk_tail, pv_tail;
    if (tail != tq) {
        qk_tail = make_matmul(eng, tail, D, Skv, t, tag::ba);
        pv_tail = make_matmul(eng, tail, Skv, D, t, tag::ab);
        if (!qk_tail || !pv_tail) return false;
    }
    if (!qk || !pv) return false;

    // Scratch: K and V per kv head as dense [Skv, D], one Q tile, scores, bf16 probabilities
    // (native only; otherwise they overwrite the scores), the O tile and the row sums.
    auto al = [](size_t b) { return (b + 63) / 64 * 64; };
    const size_t kv_bytes = al(size_t(a.Hkv * Skv * D) * es), q_bytes = al(size_t(tq * D) * es);
    const size_t s_bytes = al(size_t(tq * Skv) * 4), p_bytes = native ? al(size_t(tq * Skv) * 2) : 0;
    const size_t o_bytes = al(size_t(tq * D) * 4), l_bytes = al(size_t(tq) * 4);
    auto* base = static_cast<std::byte*>(
        cx.scratch(Scratch::Attention, 2 * kv_bytes + q_bytes + s_bytes + p_bytes + o_bytes + l_bytes));
    std::byte* kp = base;
    std::byte* vp = kp + kv_bytes;
    std::byte* qt = vp + kv_bytes;
    float* s = reinterpret_cast<float*>(qt + q_bytes);
    void* p = native ? static_cast<void*>(qt + q_bytes + s_bytes) : static_cast<void*>(s);
    float* o = reinterpret_cast<float*>(qt + q_bytes + s_bytes + p_bytes);
    float* l = reinterpret_cast<float*>(qt + q_bytes + s_bytes + p_bytes + o_bytes);

    const int nt = cx.num_threads();
    const bool avx512 = cx.isa() == Isa::Avx512;
    const OpsKernels& ops = avx512 ? ops_kernels_avx512() : ops_kernels_avx2();
    auto probs = avx512 ? attn_probs_avx512 : attn_probs_avx2;
    const size_t head_elems = size_t(Skv * D);
    for (int64_t g = 0; g < a.Hkv; ++g) {
        convert_rows(nt, ops, mode, a.k + g * D, a.ldk, Skv, D, kp + g * head_elems * es);
        convert_rows(nt, ops, mode, a.v + g * D, a.ldv, Skv, D, vp + g * head_elems * es);
    }

    dnnl::stream& strm = cx.dnnl_stream();
    const int64_t group = a.H / a.Hkv;
    for (int64_t h = 0; h < a.H && !attention_cancelled(a); ++h) {
        const int64_t g = h / group;
        for (int64_t ti = 0; ti < ntiles && !attention_cancelled(a); ++ti) {
            const int64_t i0 = ti * tq, rows = ti + 1 < ntiles ? tq : tail;
            Matmul& mqk = rows == tq ? *qk : *qk_tail;
            Matmul& mpv = rows == tq ? *pv : *pv_tail;
            convert_rows(nt, ops, mode, a.q + i0 * a.ldq + h * D, a.ldq, rows, D, qt);
            mqk.run(strm, qt, kp + g * head_elems * es, s);
            AttnProbsArgs pa{};
            pa.s = s;
            pa.rows = rows;
            pa.n = Skv;
            pa.scale = a.scale;
            pa.causal_base = a.causal ? i0 + (Skv - S) : -1;
            pa.mode = native ? AttnProbs::kBf16Bits : a.bf16 ? AttnProbs::kBf16Values : AttnProbs::kF32;
            pa.p = p;
            pa.l = l;
            probs(nt, pa);
            mpv.run(strm, p, vp + g * head_elems * es, o);
            float* out = a.o + i0 * a.ldo + h * D;
            const int64_t ldo = a.ldo;
#pragma omp parallel for num_threads(nt) schedule(static)
            for (int64_t r = 0; r < rows; ++r) {
                const float inv = 1.0f / l[r];
                for (int64_t d = 0; d < D; ++d) out[r * ldo + d] = o[r * D + d] * inv;
            }
        }
    }
    return true;
}

}  // namespace pictor::engine::detail
