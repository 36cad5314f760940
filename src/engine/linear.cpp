#include "engine/linear.h"

#include <cstring>
#include <string>
#include <vector>

#include "engine/gemm_avx2.h"
#include "engine/kernel_table.h"
#include "engine/parallel.h"
#include "util/error.h"

namespace pictor::engine {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

namespace {

const detail::OpsKernels& kernels(const Context& cx) {
    return cx.isa() == Isa::Avx512 ? detail::ops_kernels_avx512() : detail::ops_kernels_avx2();
}

// Expands rows [r0, r1) of a [N, K] weight of any dtype into f32 (fp8 rows times scale[row]).
void rows_to_f32(const Tensor& w, const float* scale, int64_t k, int64_t r0, int64_t r1, float* dst) {
    const size_t es = dtype_size(w.dtype());
    for (int64_t r = r0; r < r1; ++r) {
        const std::byte* src = w.bytes() + size_t(r) * size_t(k) * es;
        float* d = dst + (r - r0) * k;
        if (w.dtype() == DType::F8_E4M3)
            f8_to_f32_scaled(reinterpret_cast<const uint8_t*>(src), scale ? scale[r] : 1.0f, k, d);
        else
            to_f32(src, w.dtype(), k, d);
    }
}

}  // namespace

struct Linear::State {
    enum class Mode { Packed, Dequant } mode = Mode::Packed;
    dt compute = dt::f32;        // dtype oneDNN multiplies in
    dnnl::memory::desc wdesc;    // packed desc (Packed) or plain [K,N] "ba" (Dequant)
    dnnl::memory packed;         // Packed only
    Tensor compact;              // Dequant only: bf16 / fp8 [N, K] (owned or borrowed)
    std::vector<float> scale;    // Dequant fp8 only
    std::vector<float> bias;     // empty = no bias
    struct Prim {
        dnnl::matmul matmul;
        dnnl::memory src, wei, bias, dst;
        std::unordered_map<int, dnnl::memory> args;  // built once: execute() takes a map
    };
    std::unordered_map<int64_t, Prim> prims;
};

Linear::Linear() = default;
Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

Linear::Linear(Context& cx, Tensor weight, Tensor bias, Tensor scale, LinearOptions options)
    : cx_(&cx),
      source_(std::move(weight)),
      source_scale_(std::move(scale)),
      lazy_(options.lazy),
      pack_native_(options.pack_native_bf16) {
    if (source_.ndim() != 2) fail(ErrorKind::InvalidArgument, "Linear: weight must be [N, K], got " + source_.shape_string());
    n_ = source_.dim(0);
    k_ = source_.dim(1);
    if (n_ <= 0 || k_ <= 0) fail(ErrorKind::InvalidArgument, "Linear: empty weight");
    if (source_scale_.defined()) {
        if (source_.dtype() != DType::F8_E4M3) fail(ErrorKind::InvalidArgument, "Linear: scale given for a non-fp8 weight");
        if (source_scale_.numel() != n_) fail(ErrorKind::InvalidArgument, "Linear: scale must have N elements");
    }
    st_ = std::make_unique<State>();
    if (bias.defined()) {
        if (bias.numel() != n_) fail(ErrorKind::InvalidArgument, "Linear: bias must have N elements");
        st_->bias.resize(size_t(n_));
        to_f32(bias.bytes(), bias.dtype(), n_, st_->bias.data());
    }
    if (!lazy_) {
        prepare();
        source_ = Tensor();  // the prepared copy is all we need; drop the view
        source_scale_ = Tensor();
    }
}

void Linear::prepare() {
    State& s = *st_;
    Context& cx = *cx_;
    const int nt = cx.num_threads();
    const bool fp8 = source_.dtype() == DType::F8_E4M3;
    const bool bf16 = cx.precision() == Precision::BF16;
    std::vector<float> scale;
    if (fp8) {
        scale.assign(size_t(n_), 1.0f);
        if (source_scale_.defined()) to_f32(source_scale_.bytes(), source_scale_.dtype(), n_, scale.data());
    }
    if (!bf16 || (cx.native_bf16() && !fp8 && pack_native_)) {
        // Packed: convert to the compute dtype in a temporary plain [N, K] buffer, reorder once.
        s.mode = State::Mode::Packed;
        s.compute = bf16 ? dt::bf16 : dt::f32;
        dnnl::memory::desc plain({k_, n_}, s.compute, tag::ba);
        AlignedBuffer tmp;
        void* plain_ptr = nullptr;
        if (bf16 && source_.dtype() == DType::BF16) {
            plain_ptr = const_cast<std::byte*>(source_.bytes());  // read-only use by the reorder
        } else if (!bf16 && source_.dtype() == DType::F32) {
            plain_ptr = const_cast<std::byte*>(source_.bytes());
        } else {
            tmp.ensure(size_t(n_ * k_) * (bf16 ? 2 : 4));
            plain_ptr = tmp.data();
            const Tensor& w = source_;
            const float* sc = fp8 ? scale.data() : nullptr;
            const int64_t k = k_;
            detail::parallel_chunks(nt, n_, 16, [&](int64_t r0, int64_t r1) {
                std::vector<float> row(static_cast<size_t>(k));
                for (int64_t r = r0; r < r1; ++r) {
                    if (bf16) {
                        rows_to_f32(w, sc, k, r, r + 1, row.data());
                        f32_to_bf16_n(row.data(), k, tmp.as<uint16_t>() + r * k);
                    } else {
                        rows_to_f32(w, sc, k, r, r + 1, tmp.as<float>() + r * k);
                    }
                }
            });
        }
        // Layout chosen by oneDNN for a representative M; checked again per M in forward().
        dnnl::memory::desc a({256, k_}, s.compute, tag::ab), b({k_, n_}, s.compute, tag::any), c({256, n_}, dt::f32, tag::ab);
        dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), cx.dnnl_engine());
        s.wdesc = pd.weights_desc();
        s.packed = dnnl::memory(s.wdesc, cx.dnnl_engine());
        dnnl::memory user(plain, cx.dnnl_engine(), plain_ptr);
        dnnl::reorder(user, s.packed).execute(cx.dnnl_stream(), user, s.packed);
        cx.dnnl_stream().wait();
    } else {
        // Dequant: keep compact (fp8 as is; others as bf16, borrowed when already bf16). With
        // native bf16, a bf16 compact weight [N, K] is oneDNN's plain "ba" [K, N] weight as is.
        s.mode = State::Mode::Dequant;
        s.compute = cx.native_bf16() ? dt::bf16 : dt::f32;
        s.wdesc = dnnl::memory::desc({k_, n_}, s.compute, tag::ba);
        if (fp8 || source_.dtype() == DType::BF16) {
            s.compact = source_;
        } else {
            s.compact = Tensor::empty(DType::BF16, {n_, k_});
            uint16_t* dst = s.compact.mutable_data<uint16_t>();
            const Tensor& w = source_;
            const int64_t k = k_;
            detail::parallel_chunks(nt, n_, 16, [&](int64_t r0, int64_t r1) {
                const size_t es = dtype_size(w.dtype());
                to_bf16(w.bytes() + size_t(r0 * k) * es, w.dtype(), (r1 - r0) * k, dst + r0 * k);
            });
        }
        s.scale = std::move(scale);
    }
    released_ = false;
}

void Linear::release() {
    if (!st_) return;
    st_->packed = dnnl::memory();
    st_->compact = Tensor();
    st_->scale.clear();
    st_->scale.shrink_to_fit();
    st_->prims.clear();
    released_ = true;
}

size_t Linear::resident_bytes() const {
    if (!st_) return 0;
    size_t b = st_->bias.size() * 4 + st_->scale.size() * 4;
    if (st_->packed) b += st_->wdesc.get_size();
    if (st_->compact.defined() && !st_->compact.borrowed()) b += st_->compact.nbytes();
    return b;
}

size_t Linear::scratch_bytes(int64_t M) const {
    if (!cx_ || M <= 0 || cx_->precision() != Precision::BF16) return 0;
    const Tensor& w = st_ && st_->compact.defined() ? st_->compact : source_;
    const bool fp8 = w.defined() && w.dtype() == DType::F8_E4M3;
    if (!cx_->native_bf16())
        return detail::gemm_bf16w_pack_bytes(M, k_) + detail::gemm_bf16w_block_bytes() * size_t(cx_->num_threads());
    return size_t(M * k_) * 2 + (fp8 ? size_t(n_ * k_) * 2 : 0);
}

void Linear::forward(const float* x, int64_t M, float* y) {
    if (!st_) fail(ErrorKind::Internal, "Linear: forward on an empty Linear");
    if (M < 0) fail(ErrorKind::InvalidArgument, "Linear: negative M");
    if (M == 0) return;
    cx_->throw_if_cancelled();
    if (released_) {
        if (!lazy_) fail(ErrorKind::Internal, "Linear: forward after release()");
        prepare();
    } else if (!st_->packed && !st_->compact.defined()) {
        prepare();  // lazy, first use
    }
    State& s = *st_;
    Context& cx = *cx_;
    const int nt = cx.num_threads();

    if (s.mode == State::Mode::Dequant && s.compute == dt::f32) {
        // Emulated bf16 (no AVX512-BF16): our own AVX2 GEMM, which expands the compact weight
        // to f32 block by block while packing it and rounds x to bf16 while packing x. An f32
        // oneDNN matmul would need the whole weight expanded to f32 first (N*K*4 bytes of
        // scratch written to and read back from DRAM every call). Measured on the 2-core AVX2
        // machine: 1.3-1.6x faster at M = 64, ~1.1x at M = 288, on par at M = 1056.
        auto* pack = static_cast<float*>(cx.scratch(Scratch::LinearSrc, detail::gemm_bf16w_pack_bytes(M, k_)));
        auto* blocks = static_cast<float*>(cx.scratch(Scratch::LinearWeight, detail::gemm_bf16w_block_bytes() * size_t(nt)));
        detail::gemm_bf16w_avx2(nt, x, M, k_, s.compact, s.scale.empty() ? nullptr : s.scale.data(),
                                s.bias.empty() ? nullptr : s.bias.data(), y, n_, pack, blocks, cx.cancel_flag());
        cx.throw_if_cancelled();
        return;
    }

    dnnl::engine& eng = cx.dnnl_engine();
    auto it = s.prims.find(M);
    if (it == s.prims.end()) {
        dnnl::memory::desc a({M, k_}, s.compute, tag::ab), c({M, n_}, dt::f32, tag::ab);
        dnnl::memory::desc bias_d({1, n_}, dt::f32, tag::ab);
        auto make = [&](const dnnl::memory::desc& wd) {
            return s.bias.empty() ? dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, wd, c), eng)
                                  : dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, wd, bias_d, c), eng);
        };
        dnnl::matmul::primitive_desc pd;
        if (s.mode == State::Mode::Packed) {
            // Prefer what oneDNN would choose; it must be the layout we packed into.
            pd = make(dnnl::memory::desc({k_, n_}, s.compute, tag::any));
            if (pd.weights_desc() != s.wdesc) pd = make(s.wdesc);
        } else {
            pd = make(s.wdesc);
        }
        State::Prim p;
        p.matmul = dnnl::matmul(pd);
        p.src = dnnl::memory(a, eng, DNNL_MEMORY_NONE);
        p.wei = dnnl::memory(s.wdesc, eng, DNNL_MEMORY_NONE);
        p.dst = dnnl::memory(c, eng, DNNL_MEMORY_NONE);
        p.args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.wei}, {DNNL_ARG_DST, p.dst}};
        if (!s.bias.empty()) {
            p.bias = dnnl::memory(bias_d, eng, s.bias.data());
            p.args.emplace(DNNL_ARG_BIAS, p.bias);
        }
        it = s.prims.emplace(M, std::move(p)).first;
    }
    State::Prim& p = it->second;

    // Source operand.
    const void* src = x;
    if (s.compute == dt::bf16) {
        auto* xb = static_cast<uint16_t*>(cx.scratch(Scratch::LinearSrc, size_t(M * k_) * 2));
        kernels(cx).to_bf16_rows(nt, x, k_, xb, M, k_);
        src = xb;
    }

    // Weight operand.
    void* wei = nullptr;
    if (s.mode == State::Mode::Packed) {
        wei = s.packed.get_data_handle();
    } else if (s.compact.dtype() == DType::BF16) {  // native bf16, plain weight used in place
        wei = const_cast<std::byte*>(s.compact.bytes());
    } else {  // native bf16 with an fp8 weight: expanded to bf16 scratch right before the matmul
        wei = cx.scratch(Scratch::LinearWeight, size_t(n_ * k_) * 2);
        const Tensor& w = s.compact;
        const float* sc = s.scale.empty() ? nullptr : s.scale.data();
        const int64_t k = k_;
        detail::parallel_chunks(nt, n_, 8, [&](int64_t r0, int64_t r1) {
            alignas(64) float buf[1024];
            for (int64_t r = r0; r < r1; ++r) {
                for (int64_t c0 = 0; c0 < k; c0 += 1024) {
                    const int64_t m = k - c0 < 1024 ? k - c0 : 1024;
                    f8_to_f32_scaled(w.data<uint8_t>() + r * k + c0, sc ? sc[r] : 1.0f, m, buf);
                    f32_to_bf16_n(buf, m, static_cast<uint16_t*>(wei) + r * k + c0);
                }
            }
        });
    }

    p.src.set_data_handle(const_cast<void*>(src));
    p.wei.set_data_handle(wei);
    p.dst.set_data_handle(y);
    dnnl::stream& strm = cx.dnnl_stream();
    p.matmul.execute(strm, p.args);
    strm.wait();
}

}  // namespace pictor::engine
