// Bit-exact emulation of PyTorch's CPU generator and torch.randn (spec §5.2), so that a seed
// gives the same initial latents as diffusers with torch.Generator("cpu").manual_seed(seed).
//
// torch.randn picks one of three algorithms by dtype and size, and we reproduce each:
//   Path A  float32, numel >= 16: 24-bit float uniforms, Box–Muller in blocks of 16; the
//           transcendental functions differ by CPU kernel (A1 = AVX2 Cephes polynomials with
//           FMAs, what every x86 PyTorch build runs; A2 = scalar libm, the "default" kernel).
//   Path B  numel < 16: double Box–Muller, one value at a time, the second value of each
//           pair cached in the generator across calls (until manual_seed).
//   Path C  bfloat16: 8-bit uniforms, every operation rounded to bf16.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace pictor::zimage {

enum class NormalKernel {
    Avx2,     // A1: torch on x86-64 (the default; also used on AVX-512 machines)
    Default,  // A2: torch's scalar kernel (ARM/Apple builds, ATEN_CPU_CAPABILITY=default)
};

class TorchCpuGenerator {
public:
    explicit TorchCpuGenerator(uint64_t seed) { manual_seed(seed); }

    // Like Generator.manual_seed: only the low 32 bits reach MT19937 (so 42 and 2^32+42 give
    // the same stream), and the cached Path-B sample is dropped.
    void manual_seed(uint64_t seed);

    uint32_t random();    // one MT19937 output
    uint64_t random64();  // (first draw << 32) | second draw

    // torch.randn(numel) in float32 (flat order; the shape does not matter, only numel).
    std::vector<float> randn(size_t numel, NormalKernel kernel = NormalKernel::Avx2);
    void randn(float* out, size_t numel, NormalKernel kernel = NormalKernel::Avx2);

    // torch.randn(numel, dtype=torch.bfloat16); returns bf16 bit patterns.
    std::vector<uint16_t> randn_bf16(size_t numel);

private:
    static constexpr int kN = 624;

    void twist();
    double normal_double();  // Path B, one sample (uses and fills the cache)

    std::array<uint32_t, kN> state_{};
    int left_ = 1;
    int next_ = 0;
    std::optional<double> next_double_normal_;
};

}  // namespace pictor::zimage
