#include "models/common/weights.h"

#include "util/error.h"

namespace pictor::models {

engine::DType engine_dtype(store::DType t, std::string_view what) {
    switch (t) {
        case store::DType::F32: return engine::DType::F32;
        case store::DType::BF16: return engine::DType::BF16;
        case store::DType::F16: return engine::DType::F16;
        case store::DType::F8_E4M3: return engine::DType::F8_E4M3;
        default: break;
    }
    fail(ErrorKind::Corrupt, std::string(what) + " has dtype " + std::string(store::dtype_name(t)) +
                                 ", which is not a float weight type (F32, BF16, F16, F8_E4M3)");
}

std::string shape_string(const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

WeightTensors optional_weight_tensor(const store::ModelFiles& files, std::string_view component,
                                     std::string_view name, const std::vector<int64_t>& expect_shape) {
    const store::WeightView* w = files.find(component, name);
    if (!w) return {};
    std::string what = std::string(component) + "/" + std::string(name);
    if (!expect_shape.empty() && w->shape != expect_shape)
        fail(ErrorKind::Corrupt, what + " has shape " + shape_string(w->shape) + ", expected " + shape_string(expect_shape) +
                                     " (does the config match the weights?)");
    WeightTensors out;
    out.weight = engine::Tensor::borrow(engine_dtype(w->dtype, what), w->shape, w->bytes);
    if (!w->row_scale.empty()) out.scale = engine::Tensor::borrow(engine::DType::F32, {w->shape.at(0)}, w->row_scale);
    return out;
}

WeightTensors weight_tensor(const store::ModelFiles& files, std::string_view component, std::string_view name,
                            const std::vector<int64_t>& expect_shape) {
    files.get(component, name);  // throws a clear "missing weight" error
    return optional_weight_tensor(files, component, name, expect_shape);
}

std::vector<float> weight_f32(const store::ModelFiles& files, std::string_view component, std::string_view name,
                              const std::vector<int64_t>& expect_shape) {
    WeightTensors t = weight_tensor(files, component, name, expect_shape);
    std::vector<float> out(size_t(t.weight.numel()));
    engine::to_f32(t.weight.bytes(), t.weight.dtype(), t.weight.numel(), out.data());
    if (t.scale.defined()) {
        // Dequantise fp8 rows: w = f8 * scale[row].
        int64_t rows = t.weight.dim(0), cols = t.weight.numel() / rows;
        const float* s = t.scale.data<float>();
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) out[size_t(r * cols + c)] *= s[r];
    }
    return out;
}

}  // namespace pictor::models
