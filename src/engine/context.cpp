#include "engine/context.h"

#include <omp.h>

#include <cstdlib>
#include <string>

#include "util/error.h"

namespace pictor::engine {

bool cpu_has_avx512_bf16() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bf16");
}

Isa detect_isa() {
    // The AVX-512 kernels and oneDNN's native bf16 were verified on an AVX512-BF16 CPU (Intel
    // Sapphire Rapids, 2026-11-27: every engine test under both kernel sets, the reference
    // pipeline cases in bf16 and f32); PICTOR_ISA=avx2 keeps the emulated path for comparison.
    const char* force = std::getenv("PICTOR_ISA");
    if (force && std::string(force) == "avx2") return Isa::Avx2;
    return cpu_has_avx512_bf16() ? Isa::Avx512 : Isa::Avx2;
}

namespace {

int default_threads() {
    if (const char* s = std::getenv("PICTOR_NUM_THREADS")) {
        int n = std::atoi(s);
        if (n > 0) return n;
    }
    return omp_get_num_procs();
}

// oneDNN 2.6 has bf16 matmul only on AVX512-BF16 (elsewhere creation fails or would pick a
// reference kernel that is ~100x slower); probe once per Context.
bool probe_native_bf16(const dnnl::engine& eng) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    try {
        dnnl::memory::desc a({64, 64}, dt::bf16, tag::ab), b({64, 64}, dt::bf16, tag::any), c({64, 64}, dt::f32, tag::ab);
        dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), eng);
        std::string impl = pd.impl_info_str();
        return impl.rfind("ref", 0) != 0;
    } catch (const dnnl::error&) {
        return false;
    }
}

}  // namespace

Context::Context(Precision precision, int num_threads)
    : precision_(precision), isa_(detect_isa()), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    set_num_threads(num_threads > 0 ? num_threads : default_threads());
    // oneDNN's native bf16 matmul/conv goes with the AVX-512 kernel set, so that PICTOR_ISA=avx2
    // selects the emulation everywhere.
    native_bf16_ = isa_ == Isa::Avx512 && probe_native_bf16(engine_);
}

void Context::set_num_threads(int n) {
    if (n < 1) fail(ErrorKind::InvalidArgument, "thread count must be >= 1");
    num_threads_ = n;
    omp_set_num_threads(n);
}

void Context::set_isa(Isa isa) {
    if (isa == Isa::Avx512) {
        if (!cpu_has_avx512_bf16())
            fail(ErrorKind::Unsupported, "this CPU lacks AVX-512 with BF16");
    }
    isa_ = isa;
}

dnnl::stream& Context::dnnl_stream() {
    // The OpenMP thread-count ICV is per calling thread; a Context may be driven from a worker
    // thread that never saw set_num_threads(), so re-assert it before every oneDNN call.
    omp_set_num_threads(num_threads_);
    return stream_;
}

void Context::throw_if_cancelled() const {
    if (cancelled()) fail(ErrorKind::Cancelled, "generation cancelled");
}

void* Context::scratch(Scratch slot, size_t bytes) {
    AlignedBuffer& b = scratch_[size_t(slot)];
    b.ensure(bytes);
    return b.data();
}

}  // namespace pictor::engine
