// AVX-512 instantiation of the element-wise kernels. Compiled with AVX-512 flags: only reached
// through ops.cpp after detect_isa() confirmed AVX512F/BW/VL/DQ/BF16 at run time.
// GCC 12.2 falsely reports -Wmaybe-uninitialized inside its own AVX-512 intrinsic headers
// (_mm512_undefined_* self-initialisation, GCC PR105593); silence it for this file only,
// before the headers are parsed.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "engine/ops_kernels.h"

namespace pictor::engine::detail {

const OpsKernels& ops_kernels_avx512() {
    static const OpsKernels table = make_ops_kernels<simd::Avx512>();
    return table;
}

}  // namespace pictor::engine::detail
