// AVX2 instantiation of the element-wise kernels (the fallback every supported CPU runs).
#include "engine/ops_kernels.h"

namespace pictor::engine::detail {

const OpsKernels& ops_kernels_avx2() {
    static const OpsKernels table = make_ops_kernels<simd::Avx2>();
    return table;
}

}  // namespace pictor::engine::detail
