#include "engine/conv2d.h"

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

struct Conv2d::State {
    dt compute = dt::f32;
    bool round_src = false;
    // Packed weights; normally one layout, more only if oneDNN insists on another for some shape.
    std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> weights;
    std::vector<float> bias;
    struct Prim {
        dnnl::convolution_forward conv;
        dnnl::memory src, dst, bias;
        std::unordered_map<int, dnnl::memory> args;
    };
    std::map<std::tuple<int64_t, int64_t, int64_t>, Prim> prims;
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
    dnnl::memory::desc src({1, ic_, 64, 64}, s.compute, tag::nhwc);
    dnnl::memory::desc wany({oc_, ic_, kh_, kw_}, s.compute, tag::any);
    dnnl::memory::desc dst({1, oc_, out_h(64), out_w(64)}, dt::f32, tag::nhwc);
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

void Conv2d::forward(const float* x, int64_t n, int64_t h, int64_t w, float* y) {
    if (!st_) fail(ErrorKind::Internal, "Conv2d: forward on an empty Conv2d");
    if (n <= 0 || h <= 0 || w <= 0 || out_h(h) <= 0 || out_w(w) <= 0)
        fail(ErrorKind::InvalidArgument, "Conv2d: bad input shape");
    State& s = *st_;
    Context& cx = *cx_;
    dnnl::engine& eng = cx.dnnl_engine();
    auto key = std::make_tuple(n, h, w);
    auto it = s.prims.find(key);
    if (it == s.prims.end()) {
        dnnl::memory::desc src({n, ic_, h, w}, s.compute, tag::nhwc);
        dnnl::memory::desc dst({n, oc_, out_h(h), out_w(w)}, dt::f32, tag::nhwc);
        dnnl::memory::desc bias_d({oc_}, dt::f32, tag::a);
        auto make = [&](const dnnl::memory::desc& wd) {
            auto d = s.bias.empty()
                         ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, src, wd, dst,
                                                           {opt_.stride, opt_.stride}, {opt_.pad_top, opt_.pad_left},
                                                           {opt_.pad_bottom, opt_.pad_right})
                         : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, src, wd, bias_d, dst,
                                                           {opt_.stride, opt_.stride}, {opt_.pad_top, opt_.pad_left},
                                                           {opt_.pad_bottom, opt_.pad_right});
            return dnnl::convolution_forward::primitive_desc(d, eng);
        };
        dnnl::convolution_forward::primitive_desc pd = make(dnnl::memory::desc({oc_, ic_, kh_, kw_}, s.compute, tag::any));
        const dnnl::memory* wmem = nullptr;
        for (auto& [d, m] : s.weights)
            if (d == pd.weights_desc()) wmem = &m;
        if (!wmem) {
            try {  // the layout we already hold is usually accepted too
                pd = make(s.weights.front().first);
                wmem = &s.weights.front().second;
            } catch (const dnnl::error&) {
                // Shape-specific layout: keep an extra packed copy (VAE weights are small).
                dnnl::memory extra(pd.weights_desc(), eng);
                dnnl::reorder(s.weights.front().second, extra).execute(cx.dnnl_stream(), s.weights.front().second, extra);
                cx.dnnl_stream().wait();
                s.weights.emplace_back(pd.weights_desc(), extra);
                wmem = &s.weights.back().second;
            }
        }
        State::Prim p;
        p.conv = dnnl::convolution_forward(pd);
        p.src = dnnl::memory(src, eng, DNNL_MEMORY_NONE);
        p.dst = dnnl::memory(dst, eng, DNNL_MEMORY_NONE);
        p.args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, *wmem}, {DNNL_ARG_DST, p.dst}};
        if (!s.bias.empty()) {
            p.bias = dnnl::memory(bias_d, eng, s.bias.data());
            p.args.emplace(DNNL_ARG_BIAS, p.bias);
        }
        it = s.prims.emplace(key, std::move(p)).first;
    }
    State::Prim& p = it->second;

    const int nt = cx.num_threads();
    const int64_t count = n * h * w * ic_;
    const void* src = x;
    if (s.compute == dt::bf16) {
        auto* xb = static_cast<uint16_t*>(cx.scratch(Scratch::ConvSrc, size_t(count) * 2));
        const auto& k = cx.isa() == Isa::Avx512 ? detail::ops_kernels_avx512() : detail::ops_kernels_avx2();
        k.to_bf16_rows(nt, x, ic_, xb, n * h * w, ic_);
        src = xb;
    } else if (s.round_src) {
        auto* xr = static_cast<float*>(cx.scratch(Scratch::ConvSrc, size_t(count) * 4));
        detail::parallel_chunks(nt, count, 65536, [&](int64_t b, int64_t e) { round_to_bf16(x + b, e - b, xr + b); });
        src = xr;
    }
    p.src.set_data_handle(const_cast<void*>(src));
    p.dst.set_data_handle(y);
    dnnl::stream& strm = cx.dnnl_stream();
    p.conv.execute(strm, p.args);
    strm.wait();
}

}  // namespace pictor::engine
