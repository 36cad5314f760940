// Bridge between the store's weight views (what a model file holds) and engine tensors (what the
// kernels take). Borrowed: no copy, the ModelFiles object must outlive the tensors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/tensor.h"
#include "store/model_files.h"

namespace pictor::models {

// DType of the engine for a weight; Error(Corrupt) for dtypes the engine cannot use.
engine::DType engine_dtype(store::DType t, std::string_view what);

// A borrowed engine tensor over a weight view. `expect_shape`, when not empty, is checked:
// Error(Corrupt, "<component>/<name> has shape [..], expected [..]").
struct WeightTensors {
    engine::Tensor weight;
    engine::Tensor scale;  // fp8 row scale [rows] (F32) or undefined
};
WeightTensors weight_tensor(const store::ModelFiles& files, std::string_view component, std::string_view name,
                            const std::vector<int64_t>& expect_shape = {});
// Same, but returns undefined tensors when the weight is absent.
WeightTensors optional_weight_tensor(const store::ModelFiles& files, std::string_view component,
                                     std::string_view name, const std::vector<int64_t>& expect_shape = {});
// A small weight (norm, bias, pad token) converted to f32 values.
std::vector<float> weight_f32(const store::ModelFiles& files, std::string_view component, std::string_view name,
                              const std::vector<int64_t>& expect_shape = {});

std::string shape_string(const std::vector<int64_t>& s);

}  // namespace pictor::models
