#include "engine/tensor.h"

#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace pictor::engine {

size_t dtype_size(DType t) {
    switch (t) {
        case DType::F32: return 4;
        case DType::BF16:
        case DType::F16: return 2;
        case DType::F8_E4M3: return 1;
    }
    return 0;
}

const char* dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "F32";
        case DType::BF16: return "BF16";
        case DType::F16: return "F16";
        case DType::F8_E4M3: return "F8_E4M3";
    }
    return "?";
}

void AlignedBuffer::Free::operator()(std::byte* p) const noexcept { std::free(p); }

AlignedBuffer::AlignedBuffer(size_t bytes) { ensure(bytes); }

void AlignedBuffer::ensure(size_t bytes) {
    if (bytes <= size_ && ptr_) return;
    // Round up to the alignment (aligned_alloc requires it) and never ask for 0 bytes.
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0) rounded = 64;
    ptr_.reset();
    size_ = 0;
    auto* p = static_cast<std::byte*>(std::aligned_alloc(64, rounded));
    if (!p) fail(ErrorKind::Unavailable, "out of memory allocating " + std::to_string(rounded) + " bytes");
    ptr_.reset(p);
    size_ = rounded;
}

namespace {
int64_t count(const Tensor::Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) fail(ErrorKind::InvalidArgument, "negative tensor dimension");
        n *= d;
    }
    return n;
}
}  // namespace

Tensor Tensor::empty(DType dtype, Shape shape) {
    Tensor t;
    t.dtype_ = dtype;
    t.numel_ = count(shape);
    t.shape_ = std::move(shape);
    t.storage_ = std::make_shared<AlignedBuffer>(t.nbytes());
    t.data_ = t.storage_->data();
    return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
    Tensor t = empty(dtype, std::move(shape));
    std::memset(t.storage_->data(), 0, t.nbytes());
    return t;
}

Tensor Tensor::from_f32(std::span<const float> data, Shape shape) {
    Tensor t = empty(DType::F32, std::move(shape));
    if (int64_t(data.size()) != t.numel_)
        fail(ErrorKind::InvalidArgument, "from_f32: data size does not match shape " + t.shape_string());
    std::memcpy(t.storage_->data(), data.data(), t.nbytes());
    return t;
}

Tensor Tensor::from_bytes(DType dtype, Shape shape, std::span<const std::byte> bytes) {
    Tensor t = empty(dtype, std::move(shape));
    if (bytes.size() != t.nbytes())
        fail(ErrorKind::InvalidArgument, "from_bytes: byte count does not match shape " + t.shape_string());
    std::memcpy(t.storage_->data(), bytes.data(), t.nbytes());
    return t;
}

Tensor Tensor::borrow(DType dtype, Shape shape, std::span<const std::byte> bytes) {
    Tensor t;
    t.dtype_ = dtype;
    t.numel_ = count(shape);
    t.shape_ = std::move(shape);
    if (bytes.size() != t.nbytes())
        fail(ErrorKind::Corrupt, "borrow: byte count " + std::to_string(bytes.size()) + " does not match " +
                                     dtype_name(dtype) + t.shape_string());
    t.data_ = bytes.data();
    return t;
}

int64_t Tensor::dim(int64_t i) const {
    if (i < 0) i += ndim();
    if (i < 0 || i >= ndim()) fail(ErrorKind::Internal, "tensor dim index out of range");
    return shape_[size_t(i)];
}

std::byte* Tensor::mutable_bytes() {
    if (!storage_) fail(ErrorKind::Internal, "tensor is borrowed (read-only)");
    return const_cast<std::byte*>(data_);
}

const float* Tensor::f32() const {
    if (dtype_ != DType::F32) fail(ErrorKind::Internal, std::string("f32() on a ") + dtype_name(dtype_) + " tensor");
    return reinterpret_cast<const float*>(data_);
}

float* Tensor::f32() {
    if (dtype_ != DType::F32) fail(ErrorKind::Internal, std::string("f32() on a ") + dtype_name(dtype_) + " tensor");
    return reinterpret_cast<float*>(mutable_bytes());
}

Tensor Tensor::reshape(Shape shape) const {
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (infer >= 0) fail(ErrorKind::InvalidArgument, "reshape: more than one -1");
            infer = int64_t(i);
        } else {
            known *= shape[i];
        }
    }
    if (infer >= 0 && known != 0) shape[size_t(infer)] = numel_ / known;
    Tensor t = *this;
    t.shape_ = std::move(shape);
    if (count(t.shape_) != numel_)
        fail(ErrorKind::InvalidArgument, "reshape " + shape_string() + " -> " + t.shape_string() + ": element count differs");
    return t;
}

Tensor Tensor::clone() const {
    Tensor t = empty(dtype_, shape_);
    if (numel_) std::memcpy(t.storage_->data(), data_, nbytes());
    return t;
}

Tensor Tensor::to_f32() const {
    Tensor t = empty(DType::F32, shape_);
    if (numel_) pictor::engine::to_f32(data_, dtype_, numel_, t.f32());
    return t;
}

std::string Tensor::shape_string() const {
    std::string s = "[";
    for (size_t i = 0; i < shape_.size(); ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
    return s + "]";
}

}  // namespace pictor::engine
