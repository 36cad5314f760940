// Argument checks, scratch layout and ISA dispatch for attention().
#include "engine/attention.h"

#include <cmath>
#include <string>

#include "engine/attention_matmul.h"
#include "engine/kernel_table.h"
#include "util/error.h"

namespace pictor::engine {
namespace detail {

AttnLayout attn_layout(int64_t Dp, bool bf16) {
    auto al = [](size_t b) { return (b + 63) / 64 * 64; };
    AttnLayout L{};
    L.elem = bf16 ? 2 : 4;
    L.tile_elems = size_t(Dp * kAttnBk);
    L.q_off = 0;
    L.s_off = L.q_off + al(size_t(kAttnBq * Dp) * L.elem);
    L.p_off = L.s_off + al(size_t(kAttnBq * kAttnBk) * 4);
    L.o_off = L.p_off + al(size_t(kAttnBq * kAttnBk) * L.elem);
    L.m_off = L.o_off + al(size_t(kAttnBq * Dp) * 4);
    L.l_off = L.m_off + al(size_t(kAttnBq) * 4);
    L.a_off = L.l_off + al(size_t(kAttnBq) * 4);
    L.thread_bytes = L.a_off + al(size_t(kAttnBq) * 4);
    return L;
}

bool attention_cancelled(const AttnArgs& a) { return a.cancel && a.cancel->load(std::memory_order_relaxed); }

}  // namespace detail

namespace {

// Auto: the matmul path once there are enough keys and head dimensions for oneDNN's kernels to
// pay for the per-tile calls. Measured in engine_bench (attention section, both paths timed).
bool use_matmul(const AttentionParams& a) {
    if (a.impl != AttentionImpl::Auto) return a.impl == AttentionImpl::Matmul;
    return a.Skv >= 256 && a.head_dim >= 64;
}

}  // namespace

void attention(Context& cx, const float* q, const float* k, const float* v, float* out, const AttentionParams& p) {
    AttentionParams a = p;
    if (a.kv_heads == 0) a.kv_heads = a.heads;
    auto bad = [](const std::string& m) { fail(ErrorKind::InvalidArgument, "attention: " + m); };
    if (a.S < 0 || a.Skv <= 0 || a.heads <= 0 || a.head_dim <= 0) bad("bad shape");
    if (a.heads % a.kv_heads != 0) bad("heads must be a multiple of kv_heads");
    if (a.causal && a.Skv < a.S) bad("causal attention needs Skv >= S");
    if (a.S == 0) return;
    cx.throw_if_cancelled();
    if (a.scale == 0.0f) a.scale = 1.0f / std::sqrt(float(a.head_dim));
    const int64_t D = a.head_dim;
    if (a.ldq == 0) a.ldq = a.heads * D;
    if (a.ldo == 0) a.ldo = a.heads * D;
    if (a.ldk == 0) a.ldk = a.kv_heads * D;
    if (a.ldv == 0) a.ldv = a.kv_heads * D;
    if (a.ldq < a.heads * D || a.ldo < a.heads * D || a.ldk < a.kv_heads * D || a.ldv < a.kv_heads * D)
        bad("leading dimension too small");

    detail::AttnArgs args{};
    args.q = q;
    args.k = k;
    args.v = v;
    args.o = out;
    args.S = a.S;
    args.Skv = a.Skv;
    args.H = a.heads;
    args.Hkv = a.kv_heads;
    args.D = D;
    args.Dp = (D + 15) / 16 * 16;
    args.ldq = a.ldq;
    args.ldk = a.ldk;
    args.ldv = a.ldv;
    args.ldo = a.ldo;
    args.scale = a.scale;
    args.causal = a.causal;
    args.bf16 = cx.precision() == Precision::BF16;
    args.cancel = cx.cancel_flag();

    if (use_matmul(a) && detail::attention_matmul(cx, args)) {
        cx.throw_if_cancelled();  // output incomplete if query tiles were skipped
        return;
    }

    const detail::AttnLayout L = detail::attn_layout(args.Dp, args.bf16);
    const int nt = cx.num_threads();
    const int64_t ntk = (a.Skv + detail::kAttnBk - 1) / detail::kAttnBk;
    const size_t pack_bytes = size_t(a.kv_heads * ntk) * L.tile_elems * L.elem;
    const size_t pack_al = (pack_bytes + 63) / 64 * 64;
    auto* base = static_cast<std::byte*>(cx.scratch(Scratch::Attention, 2 * pack_al + size_t(nt) * L.thread_bytes));
    args.kpack = base;
    args.vpack = base + pack_al;
    args.per_thread = base + 2 * pack_al;
    args.thread_bytes = L.thread_bytes;
    if (cx.isa() == Isa::Avx512)
        detail::attention_avx512(nt, args);
    else
        detail::attention_avx2(nt, args);
    cx.throw_if_cancelled();  // output incomplete if query tiles were skipped
}

}  // namespace pictor::engine
