#include "models/zimage/vae_attention.h"

#include <vector>

#include "engine/attention.h"
#include "engine/ops.h"
#include "engine/tensor.h"
#include "models/common/weights.h"

namespace pictor::zimage {

VaeAttention VaeAttention::load(engine::Context& cx, const store::ModelFiles& files, const std::string& prefix,
                                int64_t channels, int64_t groups) {
    VaeAttention a;
    const int64_t c = channels;
    a.c_ = c;
    a.norm_ = VaeGroupNorm::load(files, prefix + ".group_norm", c, groups);
    // One matmul with N = 3C reads the normalised activations once instead of three times; the
    // three projections are exactly the rows of the stacked weight, so results are unchanged.
    // The stacked copy is f32 (exact for any 16-bit source); Linear packs it once.
    std::vector<float> w, b;
    w.reserve(size_t(3 * c * c));
    b.reserve(size_t(3 * c));
    for (const char* p : {".to_q", ".to_k", ".to_v"}) {
        const std::vector<float> wp = models::weight_f32(files, "vae", prefix + p + ".weight", {c, c});
        const std::vector<float> bp = models::weight_f32(files, "vae", prefix + p + ".bias", {c});
        w.insert(w.end(), wp.begin(), wp.end());
        b.insert(b.end(), bp.begin(), bp.end());
    }
    a.qkv_ = engine::Linear(cx, engine::Tensor::from_f32(w, {3 * c, c}), engine::Tensor::from_f32(b, {3 * c}));
    // Owned f32 copy (not a borrowed view): on CPUs without AVX512-BF16 Linear would otherwise keep
    // using the mmapped bf16 bytes, tying the decoder's lifetime to the ModelFiles.
    const std::vector<float> wo = models::weight_f32(files, "vae", prefix + ".to_out.0.weight", {c, c});
    const std::vector<float> bo = models::weight_f32(files, "vae", prefix + ".to_out.0.bias", {c});
    a.out_ = engine::Linear(cx, engine::Tensor::from_f32(wo, {c, c}), engine::Tensor::from_f32(bo, {c}));
    return a;
}

void VaeAttention::forward(engine::Context& cx, const VaeBuffers& buf, int64_t hw) {
    const int64_t c = c_;
    norm_.apply(cx, buf.x, buf.t, hw, /*silu=*/false);
    qkv_.forward(buf.t, hw, buf.h);  // [hw, q | k | v]
    engine::AttentionParams p;
    p.S = p.Skv = hw;
    p.heads = p.kv_heads = 1;
    p.head_dim = c;
    p.ldq = p.ldk = p.ldv = 3 * c;
    p.ldo = c;
    engine::attention(cx, buf.h, buf.h + c, buf.h + 2 * c, buf.t, p);
    out_.forward(buf.t, hw, buf.h);
    engine::add(cx, buf.x, buf.h, buf.x, hw * c);
}

size_t VaeAttention::resident_bytes() const {
    return norm_.resident_bytes() + qkv_.resident_bytes() + out_.resident_bytes();
}

}  // namespace pictor::zimage
