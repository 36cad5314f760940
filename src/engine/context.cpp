#include "engine/context.h"

#include <omp.h>

#include <cstdlib>
#include <string>

#include "util/error.h"

namespace pictor::engine {

Isa detect_isa() {
    // The AVX-512 kernels are compiled and share their code with the AVX2 ones (simd.h), but
    // have not yet run on an AVX-512 machine: until they have been verified there, they are
    // opt-in (PICTOR_ISA=avx512) rather than picked by the CPU check alone. oneDNN still uses
    // native bf16 wherever the CPU has it.
    const char* force = std::getenv("PICTOR_ISA");
    if (!force || std::string(force) != "avx512") return Isa::Avx2;
    __builtin_cpu_init();
    bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512bf16");
    return ok ? Isa::Avx512 : Isa::Avx2;
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
    // Native bf16 matmul/conv (packed bf16 weights) is likewise unverified on real AVX512-BF16
    // hardware, so it is opt-in with PICTOR_ISA=avx512; the default is the verified emulation.
    const char* force = std::getenv("PICTOR_ISA");
    bool opted_in = force && std::string(force) == "avx512";
    native_bf16_ = opted_in && probe_native_bf16(engine_);
}

void Context::set_num_threads(int n) {
    if (n < 1) fail(ErrorKind::InvalidArgument, "thread count must be >= 1");
    num_threads_ = n;
    omp_set_num_threads(n);
}

void Context::set_isa(Isa isa) {
    if (isa == Isa::Avx512) {
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
            !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq") ||
            !__builtin_cpu_supports("avx512bf16"))
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
