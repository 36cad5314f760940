// Tensor: a dtype, a shape and contiguous row-major bytes, either owned (64-byte aligned heap
// storage, shared between views) or borrowed (a span into memory that someone else keeps alive,
// typically an mmapped safetensors file).
//
// Copies are shallow: a copy or a reshape() view shares the storage. Use clone() for a deep copy.
// Activations in this engine are plain float buffers; Tensor is mainly the currency of weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pictor::engine {

enum class DType : uint8_t { F32, BF16, F16, F8_E4M3 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);

// Owning, 64-byte aligned, uninitialised byte buffer (move-only).
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t bytes);
    std::byte* data() { return ptr_.get(); }
    const std::byte* data() const { return ptr_.get(); }
    size_t size() const { return size_; }
    // Grow-only: reallocates (discarding contents) when `bytes` exceeds the current size.
    void ensure(size_t bytes);
    template <class T> T* as() { return reinterpret_cast<T*>(ptr_.get()); }

private:
    struct Free { void operator()(std::byte* p) const noexcept; };
    std::unique_ptr<std::byte, Free> ptr_;
    size_t size_ = 0;
};

class Tensor {
public:
    using Shape = std::vector<int64_t>;

    Tensor() = default;
    // Owning, uninitialised.
    static Tensor empty(DType dtype, Shape shape);
    static Tensor zeros(DType dtype, Shape shape);
    // Owning F32 copy of `data` (data.size() must equal the shape's element count).
    static Tensor from_f32(std::span<const float> data, Shape shape);
    // Owning copy of raw bytes of the given dtype.
    static Tensor from_bytes(DType dtype, Shape shape, std::span<const std::byte> bytes);
    // Borrowed view: no copy; `bytes` must stay valid as long as this tensor (or any copy) is used.
    static Tensor borrow(DType dtype, Shape shape, std::span<const std::byte> bytes);

    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    int64_t ndim() const { return int64_t(shape_.size()); }
    int64_t dim(int64_t i) const;  // negative i counts from the end
    int64_t numel() const { return numel_; }
    size_t nbytes() const { return size_t(numel_) * dtype_size(dtype_); }
    bool defined() const { return data_ != nullptr; }
    bool borrowed() const { return data_ != nullptr && !storage_; }

    const std::byte* bytes() const { return data_; }
    std::byte* mutable_bytes();  // throws for borrowed tensors
    template <class T> const T* data() const { return reinterpret_cast<const T*>(data_); }
    template <class T> T* mutable_data() { return reinterpret_cast<T*>(mutable_bytes()); }
    // Typed float access; throws unless dtype() == F32.
    const float* f32() const;
    float* f32();

    // View with a new shape of the same element count (-1 infers one dimension).
    Tensor reshape(Shape shape) const;
    Tensor clone() const;
    // Owning F32 copy (any dtype), via to_f32().
    Tensor to_f32() const;
    std::string shape_string() const;

private:
    DType dtype_ = DType::F32;
    Shape shape_;
    int64_t numel_ = 0;
    std::shared_ptr<AlignedBuffer> storage_;  // null when borrowed
    const std::byte* data_ = nullptr;
};

// Vectorised conversions to float32 (bf16/f16 exact; fp8 E4M3FN exact except that its NaN code
// 0x7f/0xff is not preserved: weights never contain NaN). `dst` must not overlap `src`.
void to_f32(const void* src, DType dtype, int64_t n, float* dst);
// fp8 E4M3 with one scale: dst[i] = f32(src[i]) * scale (rounded once, in f32).
void f8_to_f32_scaled(const uint8_t* src, float scale, int64_t n, float* dst);
// float32 -> bf16, round to nearest even.
void f32_to_bf16_n(const float* src, int64_t n, uint16_t* dst);
// float32 -> nearest bf16 value, kept in float32 (emulates bf16 inputs on CPUs without bf16).
void round_to_bf16(const float* src, int64_t n, float* dst);
// Any float dtype -> bf16 (f32 rounds; bf16 copies; f16/fp8 convert exactly then round).
void to_bf16(const void* src, DType dtype, int64_t n, uint16_t* dst);

}  // namespace pictor::engine
