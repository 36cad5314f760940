// AutoencoderKL decoder (diffusers `Decoder`, zimage.md §6): conv_in -> mid block (ResNet,
// single-head attention, ResNet) -> up blocks (layers_per_block+1 ResNets, nearest 2x
// upsampling + conv except the last) -> GroupNorm -> SiLU -> conv_out, in NHWC through oneDNN.
// Large images are decoded in overlapping tiles blended like diffusers' tiled_decode.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/context.h"
#include "models/common/cancel.h"
#include "store/model_files.h"

namespace pictor::zimage {

struct VaeConfig {
    int64_t in_channels = 3, out_channels = 3, latent_channels = 16, layers_per_block = 2, norm_num_groups = 32;
    std::vector<int64_t> block_out_channels;
    double scaling_factor = 1.0, shift_factor = 0.0;
    bool mid_block_add_attention = true;
    int64_t sample_size = 1024;
    // Error(Corrupt, "vae/config.json: ...") on missing or invalid values.
    static VaeConfig parse(std::string_view json);
    // Pixels per latent: 2^(number of blocks - 1) (8 for the real model).
    int64_t scale_factor() const { return int64_t(1) << (block_out_channels.size() - 1); }
};

enum class VaeTiling { Auto, On, Off };

class VaeDecoder {
public:
    static std::unique_ptr<VaeDecoder> load(engine::Context& cx, const store::ModelFiles& files);
    ~VaeDecoder();
    const VaeConfig& config() const;

    // z: [latent_channels, h, w] = latents / scaling_factor + shift_factor (planar f32).
    // Returns the decoder output [out_channels, h·f, w·f] planar f32, before x/2 + 0.5.
    // Auto tiles when the image is larger than 1024² or memory is short. Error(Cancelled) when
    // `cancel` is set (checked before every ResNet and upsampler).
    std::vector<float> decode(std::span<const float> z, int64_t h, int64_t w, VaeTiling tiling = VaeTiling::Auto,
                              models::CancelFlag cancel = nullptr);

    size_t resident_bytes() const;

private:
    struct Impl;
    explicit VaeDecoder(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace pictor::zimage
