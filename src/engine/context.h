// Context: the execution settings every engine call needs — precision, thread count, which CPU
// kernels to use, the oneDNN engine/stream, and grow-only scratch buffers — passed explicitly
// instead of living in globals.
//
// One Context per inference thread: ops use its scratch buffers, so two threads must not run
// ops on the same Context at the same time. Objects built on a Context (Linear, Conv2d) keep a
// pointer to it: the Context must outlive them.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <atomic>
#include <cstddef>

#include "engine/tensor.h"

namespace pictor::engine {

// BF16: matmul/conv/attention inputs rounded to bf16, products accumulated in f32, f32 outputs.
// F32: everything in f32 (verification mode). Activations are f32 in memory in both.
enum class Precision { BF16, F32 };

// Which hand-written kernels run. Avx512 requires AVX512F/BW/VL/DQ and AVX512-BF16.
enum class Isa { Avx2, Avx512 };

// Named scratch slots, so that buffers used by nested calls never alias.
enum class Scratch : int { LinearSrc, LinearWeight, Attention, Norm, ConvSrc, ConvBlockedSrc, ConvBlockedDst, Count };

class Context {
public:
    // num_threads <= 0: PICTOR_NUM_THREADS if set, else the number of cores.
    // The AVX-512 kernels and oneDNN's native bf16 matmul/conv where the CPU has AVX512-BF16,
    // else AVX2 with emulated bf16; PICTOR_ISA=avx2 forces the latter.
    explicit Context(Precision precision, int num_threads = 0);
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    Precision precision() const { return precision_; }
    Isa isa() const { return isa_; }
    int num_threads() const { return num_threads_; }
    void set_num_threads(int n);
    // Selects the kernel set (tests compare both on AVX-512 machines). Throws Unsupported when
    // asking for Avx512 on a CPU without it.
    void set_isa(Isa isa);
    // True when oneDNN computes bf16 x bf16 natively here (AVX512-BF16 CPUs). Otherwise BF16
    // precision is emulated: inputs rounded to bf16 values and multiplied in f32 (same products,
    // f32 accumulation), with weights kept as bf16/fp8 and expanded to a scratch buffer per call.
    bool native_bf16() const { return native_bf16_; }

    dnnl::engine& dnnl_engine() { return engine_; }
    // Sets the calling thread's OpenMP thread count (oneDNN reads it) and returns the stream.
    dnnl::stream& dnnl_stream();

    // Grow-only scratch buffer of at least `bytes` (64-byte aligned). Contents are undefined.
    void* scratch(Scratch slot, size_t bytes);

    // Cooperative cancellation of long ops: while a flag is set here, Linear and attention
    // check it when they start, and the hand-written GEMM between its blocks (its threads skip
    // the rest of the work, then the op throws), so a cancel lands within milliseconds even in
    // the middle of a 100-GFLOP matmul. Error(Cancelled) is thrown by the op; its output is
    // undefined then. Null (the default) = never cancelled.
    void set_cancel_flag(const std::atomic<bool>* flag) { cancel_ = flag; }
    const std::atomic<bool>* cancel_flag() const { return cancel_; }
    bool cancelled() const { return cancel_ && cancel_->load(std::memory_order_relaxed); }
    void throw_if_cancelled() const;

private:
    Precision precision_;
    Isa isa_;
    int num_threads_ = 1;
    bool native_bf16_ = false;
    dnnl::engine engine_;
    dnnl::stream stream_;
    std::array<AlignedBuffer, size_t(Scratch::Count)> scratch_;
    const std::atomic<bool>* cancel_ = nullptr;
};

// CPU feature check used by the dispatchers (honours PICTOR_ISA=avx2).
Isa detect_isa();
// AVX512F/BW/VL/DQ and AVX512-BF16 present.
bool cpu_has_avx512_bf16();

}  // namespace pictor::engine
