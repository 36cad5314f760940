#include "engine/conv2d.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/kernel_table.h"
#include "engine/parallel.h"
#include "util/error.h"

namespace pictor::engine {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

struct Conv2d::Prim {
    dnnl::convolution_forward conv;
    dnnl::memory src, dst, bias;  // what the convolution reads and writes
    std::unordered_map<int, dnnl::memory> args;
    // When the convolution runs on oneDNN's blocked activation layout: the caller's NHWC
    // buffers and the reorders into and out of the blocked ones (which live in scratch).
    bool blocked = false;
    dnnl::memory user_src, user_dst;
    dnnl::reorder to_blocked, from_blocked;
};

struct Conv2d::State {
    dt compute = dt::f32;
    bool round_src = false;
    // f32 convolutions let oneDNN choose the activations' layout (see primitive()).
    tag activation_tag() const { return compute == dt::f32 ? tag::any : tag::nhwc; }
    // Packed weights; normally one layout, more only if oneDNN insists on another for some shape.
    std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> weights;
    std::vector<float> bias;
    std::map<std::tuple<int64_t, int64_t, int64_t, int, int>, Prim> prims;  // (n, h, w, pad_top, pad_bottom)
};

Conv2d::Conv2d() = default;
Conv2d::~Conv2d() = default;
Conv2d::Conv2d(Conv2d&&) noexcept = default;
Conv2d& Conv2d::operator=(Conv2d&&) noexcept = default;

Conv2d::Conv2d(Context& cx, const Tensor& weight, const Tensor& bias, Conv2dOptions options)
    : cx_(&cx), opt_(options), st_(std::make_unique<State>()) {
    if (weight.ndim() != 4) fail(ErrorKind::InvalidArgument, "Conv2d: weight must be [O, I, kh, kw], got " + weight.shape_string());
    oc_ = weight.dim(0);
    ic_ = weight.dim(1);
    kh_ = weight.dim(2);
    kw_ = weight.dim(3);
    if (opt_.stride < 1) fail(ErrorKind::InvalidArgument, "Conv2d: stride must be >= 1");
    if (opt_.pad_top < 0) opt_.pad_top = int(kh_ / 2);
    if (opt_.pad_bottom < 0) opt_.pad_bottom = int(kh_ / 2);
    if (opt_.pad_left < 0) opt_.pad_left = int(kw_ / 2);
    if (opt_.pad_right < 0) opt_.pad_right = int(kw_ / 2);
    State& s = *st_;
    const bool bf16 = cx.precision() == Precision::BF16;
    s.compute = bf16 && cx.native_bf16() ? dt::bf16 : dt::f32;
    s.round_src = bf16 && !cx.native_bf16();
    if (bias.defined()) {
        if (bias.numel() != oc_) fail(ErrorKind::InvalidArgument, "Conv2d: bias must have O elements");
        s.bias.resize(size_t(oc_));
        to_f32(bias.bytes(), bias.dtype(), oc_, s.bias.data());
    }

    // Plain oihw copy in the compute dtype (bf16 values either way in BF16 precision).
    const int64_t total = weight.numel();
    std::vector<float> f(static_cast<size_t>(total));
    to_f32(weight.bytes(), weight.dtype(), total, f.data());
    AlignedBuffer plain(size_t(total) * (s.compute == dt::bf16 ? 2 : 4));
    if (s.compute == dt::bf16)
        f32_to_bf16_n(f.data(), total, plain.as<uint16_t>());
    else if (bf16)
        round_to_bf16(f.data(), total, plain.as<float>());
    else
        std::memcpy(plain.data(), f.data(), size_t(total) * 4);

    // Let oneDNN pick the layout for a representative shape.
    dnnl::engine& eng = cx.dnnl_engine();
    const tag act = s.activation_tag();
    dnnl::memory::desc src({1, ic_, 64, 64}, s.compute, act);
    dnnl::memory::desc wany({oc_, ic_, kh_, kw_}, s.compute, tag::any);
    dnnl::memory::desc dst({1, oc_, out_h(64), out_w(64)}, dt::f32, act);
    dnnl::convolution_forward::primitive_desc pd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, wany,
                                        dst, {opt_.stride, opt_.stride}, {opt_.pad_top, opt_.pad_left},
                                        {opt_.pad_bottom, opt_.pad_right}),
        eng);
    dnnl::memory packed(pd.weights_desc(), eng);
    dnnl::memory user({{oc_, ic_, kh_, kw_}, s.compute, tag::oihw}, eng, plain.data());
    dnnl::reorder(user, packed).execute(cx.dnnl_stream(), user, packed);
    cx.dnnl_stream().wait();
    s.weights.emplace_back(pd.weights_desc(), packed);
}

int64_t Conv2d::out_h(int64_t h) const { return (h + opt_.pad_top + opt_.pad_bottom - kh_) / opt_.stride + 1; }
int64_t Conv2d::out_w(int64_t w) const { return (w + opt_.pad_left + opt_.pad_right - kw_) / opt_.stride + 1; }

size_t Conv2d::resident_bytes() const {
    if (!st_) return 0;
    size_t b = st_->bias.size() * 4;
    for (auto& [d, m] : st_->weights) b += d.get_size();
    return b;
}

Conv2d::Prim& Conv2d::primitive(int64_t n, int64_t h, int64_t w, int pad_top, int pad_bottom) {
    State& s = *st_;
    Context& cx = *cx_;
    dnnl::engine& eng = cx.dnnl_engine();
    const auto key = std::make_tuple(n, h, w, pad_top, pad_bottom);
    auto it = s.prims.find(key);
    if (it != s.prims.end()) return it->second;
    const int64_t oh = (h + pad_top + pad_bottom - kh_) / opt_.stride + 1;
    const dnnl::memory::desc user_src({n, ic_, h, w}, s.compute, tag::nhwc);
    const dnnl::memory::desc user_dst({n, oc_, oh, out_w(w)}, dt::f32, tag::nhwc);
    // oneDNN 2.6's AVX2 f32 direct convolution is 2-3x faster on its blocked layout (nChw8c)
    // than on NHWC (conv3x3 128->128 at 512x512 on 2 cores: 46 -> 138 GFLOP/s), far more than
    // the two reorders cost (~5 %). In bf16 on AVX512-BF16 CPUs NHWC is already at 91-97 % of
    // peak, so those keep it and skip the reorders.
    const tag act = s.activation_tag();
    dnnl::memory::desc src({n, ic_, h, w}, s.compute, act);
    dnnl::memory::desc dst({n, oc_, oh, out_w(w)}, dt::f32, act);
    dnnl::memory::desc bias_d({oc_}, dt::f32, tag::a);
    const dims strides{opt_.stride, opt_.stride}, pad_l{pad_top, opt_.pad_left}, pad_r{pad_bottom, opt_.pad_right};
    auto make = [&](const dnnl::memory::desc& wd) {
        auto d = s.bias.empty()
                     ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                       dnnl::algorithm::convolution_direct, src, wd, dst, strides,
                                                       pad_l, pad_r)
                     : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                       dnnl::algorithm::convolution_direct, src, wd, bias_d, dst,
                                                       strides, pad_l, pad_r);
        return dnnl::convolution_forward::primitive_desc(d, eng);
    };
    dnnl::convolution_forward::primitive_desc pd = make(dnnl::memory::desc({oc_, ic_, kh_, kw_}, s.compute, tag::any));
    const dnnl::memory* wmem = nullptr;
    for (auto& [d, m] : s.weights)
        if (d == pd.weights_desc()) wmem = &m;
    if (!wmem) {
        // The layout we already hold is usually accepted too, but only take it when oneDNN runs
        // the same implementation with it: forcing a layout can silently select a far slower
        // one (on AVX512-BF16 machines a band of a few rows fell back to a kernel ~1000x slower).
        try {
            dnnl::convolution_forward::primitive_desc held = make(s.weights.front().first);
            if (held.impl_info_str() == pd.impl_info_str()) {
                pd = held;
                wmem = &s.weights.front().second;
            }
        } catch (const dnnl::error&) {
        }
        if (!wmem) {
            // Shape-specific layout: keep an extra packed copy (VAE weights are small).
            dnnl::memory extra(pd.weights_desc(), eng);
            dnnl::reorder(s.weights.front().second, extra).execute(cx.dnnl_stream(), s.weights.front().second, extra);
            cx.dnnl_stream().wait();
            s.weights.emplace_back(pd.weights_desc(), extra);
            wmem = &s.weights.back().second;
        }
    }
    Prim p;
    p.conv = dnnl::convolution_forward(pd);
    p.src = dnnl::memory(pd.src_desc(), eng, DNNL_MEMORY_NONE);
    p.dst = dnnl::memory(pd.dst_desc(), eng, DNNL_MEMORY_NONE);
    p.blocked = pd.src_desc() != user_src || pd.dst_desc() != user_dst;
    if (p.blocked) {
        p.user_src = dnnl::memory(user_src, eng, DNNL_MEMORY_NONE);
        p.user_dst = dnnl::memory(user_dst, eng, DNNL_MEMORY_NONE);
        p.to_blocked = dnnl::reorder(p.user_src, p.src);
        p.from_blocked = dnnl::reorder(p.dst, p.user_dst);
    }
    p.args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, *wmem}, {DNNL_ARG_DST, p.dst}};
    if (!s.bias.empty()) {
        p.bias = dnnl::memory(bias_d, eng, s.bias.data());
        p.args.emplace(DNNL_ARG_BIAS, p.bias);
    }
    return s.prims.emplace(key, std::move(p)).first->second;
}

void Conv2d::forward(const float* x, int64_t n, int64_t h, int64_t w, float* y) {
    if (!st_) fail(ErrorKind::Internal, "Conv2d: forward on an empty Conv2d");
    if (n <= 0 || h <= 0 || w <= 0 || out_h(h) <= 0 || out_w(w) <= 0)
        fail(ErrorKind::InvalidArgument, "Conv2d: bad input shape");
    State& s = *st_;
    Context& cx = *cx_;
    cx.throw_if_cancelled();

    const int nt = cx.num_threads();
    dnnl::stream& strm = cx.dnnl_stream();
    // Runs primitive p on `images` NHWC images of `rows` input rows starting at in (f32, the
    // caller's) into out. The input is converted per call, so a banded convolution never holds
    // a converted copy of the whole tensor: to bf16 for native bf16; rounded to bf16 values for
    // the emulation (in the blocked buffer itself when oneDNN runs on its blocked layout).
    auto run = [&](Prim& p, const float* in, int64_t images, int64_t rows, float* out) {
        const int64_t count = images * rows * w * ic_;
        auto round_into = [&](const float* from, float* to, int64_t elems) {
            detail::parallel_chunks(nt, elems, 65536, [&](int64_t b, int64_t e) { round_to_bf16(from + b, e - b, to + b); });
        };
        if (p.blocked) {
            p.user_src.set_data_handle(const_cast<float*>(in));
            p.user_dst.set_data_handle(out);
            const size_t src_bytes = p.src.get_desc().get_size();
            auto* blocked = static_cast<float*>(cx.scratch(Scratch::ConvBlockedSrc, src_bytes));
            p.src.set_data_handle(blocked);
            p.dst.set_data_handle(cx.scratch(Scratch::ConvBlockedDst, p.dst.get_desc().get_size()));
            p.to_blocked.execute(strm, p.user_src, p.src);
            if (s.round_src) {
                strm.wait();  // the rounding runs outside the stream
                round_into(blocked, blocked, int64_t(src_bytes / 4));  // padding stays 0
            }
            p.conv.execute(strm, p.args);
            p.from_blocked.execute(strm, p.dst, p.user_dst);
            strm.wait();
            return;
        }
        const void* src = in;
        if (s.compute == dt::bf16) {
            auto* xb = static_cast<uint16_t*>(cx.scratch(Scratch::ConvSrc, size_t(count) * 2));
            const auto& k = cx.isa() == Isa::Avx512 ? detail::ops_kernels_avx512() : detail::ops_kernels_avx2();
            k.to_bf16_rows(nt, in, ic_, xb, images * rows * w, ic_);
            src = xb;
        } else if (s.round_src) {
            auto* xr = static_cast<float*>(cx.scratch(Scratch::ConvSrc, size_t(count) * 4));
            round_into(in, xr, count);
            src = xr;
        }
        p.src.set_data_handle(const_cast<void*>(src));
        p.dst.set_data_handle(out);
        p.conv.execute(strm, p.args);
        strm.wait();
    };

    // Work per output row; small convolutions run as one primitive.
    const int64_t oh = out_h(h), ow = out_w(w);
    const double row_flops = 2.0 * double(ow) * double(oc_) * double(ic_) * double(kh_ * kw_);
    const int64_t band_rows = opt_.band_flops > 0 ? std::max<int64_t>(1, int64_t(double(opt_.band_flops) / row_flops)) : oh;
    if (band_rows >= oh) {
        run(primitive(n, h, w, opt_.pad_top, opt_.pad_bottom), x, n, h, y);
        return;
    }
    // Bands of output rows, one image at a time. Each band reads the input rows under its
    // receptive field (a contiguous NHWC slice, so no copies) with the real zero padding only
    // where the band touches the image's top or bottom edge; results are identical to one
    // whole-image primitive. The cancel flag is checked between bands.
    for (int64_t img = 0; img < n; ++img) {
        const float* in_img = x + img * h * w * ic_;
        float* out_img = y + img * oh * ow * oc_;
        for (int64_t r0 = 0; r0 < oh; r0 += band_rows) {
            if (r0 > 0) cx.throw_if_cancelled();
            const int64_t r1 = std::min(oh, r0 + band_rows);
            const int64_t first = r0 * opt_.stride - opt_.pad_top;       // input rows under the band,
            const int64_t last = (r1 - 1) * opt_.stride - opt_.pad_top + kh_;  // padding included: [first, last)
            const int64_t lo = std::max<int64_t>(first, 0), hi = std::min<int64_t>(last, h);
            Prim& p = primitive(1, hi - lo, w, int(lo - first), int(last - hi));
            run(p, in_img + lo * w * ic_, 1, hi - lo, out_img + r0 * ow * oc_);
        }
    }
}

}  // namespace pictor::engine
