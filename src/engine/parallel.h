// Internal: the one parallel-region helper used by kernels. Splits [0, n) into contiguous
// chunks, one per thread, in a single OpenMP region; small jobs run on the calling thread
// because a region costs microseconds. In an anonymous namespace for the same ODR reason as
// simd.h (the outlined region is compiled per ISA).
#pragma once

#include <omp.h>

#include <cstdint>

namespace pictor::engine::detail {
namespace {

// fn(begin, end) for contiguous chunks; `min_chunk` items per thread at least.
template <class Fn>
void parallel_chunks(int nt, int64_t n, int64_t min_chunk, const Fn& fn) {
    if (n <= 0) return;
    int64_t by_size = n / (min_chunk > 0 ? min_chunk : 1);
    int t = by_size < nt ? int(by_size) : nt;
    if (t <= 1) {
        fn(int64_t(0), n);
        return;
    }
#pragma omp parallel num_threads(t)
    {
        int64_t id = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t b = n * id / T, e = n * (id + 1) / T;
        if (b < e) fn(b, e);
    }
}

}  // namespace
}  // namespace pictor::engine::detail
