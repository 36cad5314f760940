// Dispatch of element-wise ops to the per-ISA kernel tables, plus argument checks.
#include "engine/ops.h"

#include <string>

#include "engine/kernel_table.h"
#include "engine/rope.h"
#include "util/error.h"

namespace pictor::engine {
namespace {

const detail::OpsKernels& K(const Context& cx) {
    return cx.isa() == Isa::Avx512 ? detail::ops_kernels_avx512() : detail::ops_kernels_avx2();
}

void check(bool ok, const char* what) {
    if (!ok) fail(ErrorKind::InvalidArgument, std::string("engine op: ") + what);
}

}  // namespace

void rms_norm(Context& cx, const float* x, const float* weight, float* y, int64_t rows, int64_t dim, float eps) {
    check(rows >= 0 && dim > 0, "rms_norm: bad shape");
    K(cx).rms_norm(cx.num_threads(), x, weight, y, rows, dim, eps);
}

void layer_norm(Context& cx, const float* x, float* y, int64_t rows, int64_t dim, float eps) {
    check(rows >= 0 && dim > 0, "layer_norm: bad shape");
    K(cx).layer_norm(cx.num_threads(), x, y, rows, dim, eps);
}

void group_norm_nhwc(Context& cx, const float* x, float* y, int64_t hw, int64_t channels, int64_t groups, float eps,
                     const float* gamma, const float* beta, bool fuse_silu) {
    check(hw > 0 && channels > 0 && groups > 0 && channels % groups == 0, "group_norm: bad shape");
    const int nt = cx.num_threads();
    const size_t c = size_t(channels);
    auto align = [](size_t b) { return (b + 63) / 64 * 64; };
    size_t off_part = 0, off_facc = off_part + align(size_t(nt) * c * 8), off_g = off_facc + align(size_t(nt) * c * 4),
           off_mean = off_g + align(size_t(groups) * 8), off_ac = off_mean + align(c * 4), total = off_ac + align(c * 4);
    auto* base = static_cast<std::byte*>(cx.scratch(Scratch::Norm, total));
    detail::GroupNormScratch s{reinterpret_cast<double*>(base + off_part), reinterpret_cast<float*>(base + off_facc),
                               reinterpret_cast<double*>(base + off_g), reinterpret_cast<float*>(base + off_mean),
                               reinterpret_cast<float*>(base + off_ac)};
    K(cx).group_norm(nt, x, y, hw, channels, groups, eps, gamma, beta, fuse_silu, s);
}

void softmax(Context& cx, const float* x, float* y, int64_t rows, int64_t n) {
    check(rows >= 0 && n > 0, "softmax: bad shape");
    K(cx).softmax(cx.num_threads(), x, y, rows, n);
}

void silu(Context& cx, const float* x, float* y, int64_t n) { K(cx).silu(cx.num_threads(), x, y, n); }
void tanh(Context& cx, const float* x, float* y, int64_t n) { K(cx).tanh(cx.num_threads(), x, y, n); }
void add(Context& cx, const float* a, const float* b, float* y, int64_t n) { K(cx).add(cx.num_threads(), a, b, y, n); }
void mul(Context& cx, const float* a, const float* b, float* y, int64_t n) { K(cx).mul(cx.num_threads(), a, b, y, n); }
void scale_shift(Context& cx, const float* x, float* y, int64_t n, float scale, float shift) {
    K(cx).scale_shift(cx.num_threads(), x, y, n, scale, shift);
}
void clamp(Context& cx, const float* x, float* y, int64_t n, float lo, float hi) {
    K(cx).clamp(cx.num_threads(), x, y, n, lo, hi);
}

void gated_add(Context& cx, float* x, const float* g, const float* y, int64_t rows, int64_t c) {
    check(rows >= 0 && c > 0, "gated_add: bad shape");
    K(cx).gated_add(cx.num_threads(), x, g, y, rows, c);
}

void modulate(Context& cx, const float* x, float* y, int64_t rows, int64_t c, const float* scale, const float* shift) {
    check(rows >= 0 && c > 0 && scale, "modulate: bad shape or missing scale");
    K(cx).modulate(cx.num_threads(), x, y, rows, c, scale, shift);
}

void swiglu(Context& cx, const float* a, int64_t lda, const float* b, int64_t ldb, float* y, int64_t ldy, int64_t rows,
            int64_t f) {
    check(rows >= 0 && f > 0 && lda >= f && ldb >= f && ldy >= f, "swiglu: bad shape");
    K(cx).swiglu(cx.num_threads(), a, lda, b, ldb, y, ldy, rows, f);
}

void swiglu_fused(Context& cx, const float* ab, float* y, int64_t rows, int64_t f) {
    swiglu(cx, ab, 2 * f, ab + f, 2 * f, y, f, rows, f);
}

void upsample_nearest2x_nhwc(Context& cx, const float* x, float* y, int64_t h, int64_t w, int64_t c) {
    check(h > 0 && w > 0 && c > 0 && x != y, "upsample: bad shape or in place");
    K(cx).upsample2x(cx.num_threads(), x, y, h, w, c);
}

void rope_interleaved(Context& cx, float* x, int64_t S, int64_t heads, int64_t head_dim, const float* table, int64_t ld) {
    check(S >= 0 && heads > 0 && head_dim > 0 && head_dim % 2 == 0, "rope_interleaved: bad shape");
    if (ld == 0) ld = heads * head_dim;
    check(ld >= heads * head_dim, "rope_interleaved: ld too small");
    K(cx).rope_interleaved(cx.num_threads(), x, S, heads, head_dim, ld, table);
}

void rope_neox(Context& cx, float* x, int64_t S, int64_t heads, int64_t head_dim, const float* cos, const float* sin,
               int64_t ld) {
    check(S >= 0 && heads > 0 && head_dim > 0 && head_dim % 2 == 0, "rope_neox: bad shape");
    if (ld == 0) ld = heads * head_dim;
    check(ld >= heads * head_dim, "rope_neox: ld too small");
    K(cx).rope_neox(cx.num_threads(), x, S, heads, head_dim, ld, cos, sin);
}

}  // namespace pictor::engine
