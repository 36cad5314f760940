#include "models/zimage/transformer_block.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/attention.h"
#include "engine/ops.h"
#include "models/common/weights.h"
#include "util/error.h"

namespace pictor::zimage {

using engine::DType;
using engine::Tensor;

namespace {

// Per-head RMSNorm of q and k followed by the interleaved-pair RoPE rotation, in one pass over
// the fused QKV buffer. The engine has both pieces (rms_norm, rope_interleaved), but rms_norm
// takes contiguous rows only and q/k are strided column slices of [n, 3·dim]; fusing also saves
// a pass over q and k. Numerics follow diffusers: x·rsqrt(mean(x²)+eps), times weight, then
// (a + ib)(cos + i sin) in f32.
// k is normalised/rotated for all n tokens (every token is a key), q only for the first n_out.
void qk_norm_rope(int nt, float* qkv, int64_t n, int64_t n_out, int64_t ld, int64_t heads, int64_t hd,
                  const float* wq, const float* wk, const float* rope, float eps) {
    const bool norm = wq != nullptr;
    const bool vec = hd % 8 == 0;
    // One token's q or k: `heads` vectors of hd values.
    auto one = [&](float* x, const float* w, const float* tb) {
        for (int64_t h = 0; h < heads; ++h, x += hd) {
            float r = 1.0f;
            if (norm) {
                float ss = 0.0f;
                if (vec) {
                    __m256 acc = _mm256_setzero_ps();
                    for (int64_t j = 0; j < hd; j += 8) {
                        __m256 v = _mm256_loadu_ps(x + j);
                        acc = _mm256_fmadd_ps(v, v, acc);
                    }
                    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
                    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
                    s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
                    ss = _mm_cvtss_f32(s4);
                } else {
                    for (int64_t j = 0; j < hd; ++j) ss += x[j] * x[j];
                }
                r = 1.0f / std::sqrt(ss / float(hd) + eps);
            }
            if (vec) {
                const __m256 vr = _mm256_set1_ps(r);
                for (int64_t j = 0; j < hd; j += 8) {
                    __m256 v = _mm256_loadu_ps(x + j);
                    if (norm) v = _mm256_mul_ps(_mm256_mul_ps(v, vr), _mm256_loadu_ps(w + j));
                    const __m256 t = _mm256_loadu_ps(tb + j);  // (cos, sin) pairs at the same indices
                    const __m256 c = _mm256_moveldup_ps(t), s = _mm256_movehdup_ps(t);
                    const __m256 sw = _mm256_permute_ps(v, 0xB1);  // (b, a) per pair
                    // even lanes: a·cos − b·sin, odd lanes: b·cos + a·sin
                    _mm256_storeu_ps(x + j, _mm256_addsub_ps(_mm256_mul_ps(v, c), _mm256_mul_ps(sw, s)));
                }
            } else {
                for (int64_t j = 0; j < hd; j += 2) {
                    float a = x[j], b = x[j + 1];
                    if (norm) {
                        a = a * r * w[j];
                        b = b * r * w[j + 1];
                    }
                    const float c = tb[j], s = tb[j + 1];
                    x[j] = a * c - b * s;
                    x[j + 1] = b * c + a * s;
                }
            }
        }
    };
    const int threads = n * heads >= 64 ? nt : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t t = 0; t < n; ++t) {
        float* row = qkv + t * ld;
        const float* tb = rope + t * hd;
        if (t < n_out) one(row, wq, tb);
        one(row + heads * hd, wk, tb);
    }
}

}  // namespace

void BlockWorkspace::reserve(const TransformerConfig& cfg, int64_t tokens) {
    const size_t n = size_t(std::max<int64_t>(tokens, 1)), d = size_t(cfg.dim), f = size_t(cfg.ffn_dim());
    xn.ensure(n * d * 4);
    big.ensure(n * std::max(3 * d, f) * 4);
    proj.ensure(n * d * 4);
    ab.ensure(n * 2 * f * 4);
    mod.ensure(4 * d * 4);
}

FusedWeight fuse_rows(const store::ModelFiles& files, const std::string& component, const std::vector<std::string>& names,
                      const std::vector<std::vector<int64_t>>& shapes, bool evict_sources) {
    std::vector<models::WeightTensors> parts;
    int64_t rows = 0;
    for (size_t i = 0; i < names.size(); ++i) {
        parts.push_back(models::weight_tensor(files, component, names[i], shapes[i]));
        rows += shapes[i][0];
    }
    const int64_t k = shapes[0][1];
    const DType first = parts[0].weight.dtype();
    const bool same = std::all_of(parts.begin(), parts.end(), [&](const auto& p) { return p.weight.dtype() == first; });
    FusedWeight out;
    // Once the copy is done (either branch below), the parts are never read again.
    auto evict_parts = [&] {
        if (!evict_sources) return;
        for (const auto& p : parts)
            for (const engine::Tensor* t : {&p.weight, &p.scale})
                if (t->defined() && t->borrowed()) files.evict_pages({t->bytes(), size_t(t->nbytes())});
    };
    if (same) {
        // Byte copy in the stored dtype: the Linear then converts/packs exactly as for the parts.
        out.weight = Tensor::empty(first, {rows, k});
        std::byte* dst = out.weight.mutable_bytes();
        for (const auto& p : parts) {
            std::memcpy(dst, p.weight.bytes(), p.weight.nbytes());
            dst += p.weight.nbytes();
        }
        const bool any_scale = std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.scale.defined(); });
        if (first == DType::F8_E4M3 && any_scale) {
            out.scale = Tensor::empty(DType::F32, {rows});
            float* s = out.scale.mutable_data<float>();
            for (const auto& p : parts) {
                const int64_t r = p.weight.dim(0);
                if (p.scale.defined())
                    engine::to_f32(p.scale.bytes(), p.scale.dtype(), r, s);
                else
                    std::fill(s, s + r, 1.0f);  // an unscaled fp8 part
                s += r;
            }
        }
        evict_parts();
        return out;
    }
    // Mixed dtypes (not produced by our importer, but legal): widen everything to f32.
    out.weight = Tensor::empty(DType::F32, {rows, k});
    float* dst = out.weight.mutable_data<float>();
    for (const auto& p : parts) {
        const int64_t r = p.weight.dim(0);
        if (p.weight.dtype() == DType::F8_E4M3 && p.scale.defined()) {
            std::vector<float> sc(static_cast<size_t>(r));
            engine::to_f32(p.scale.bytes(), p.scale.dtype(), r, sc.data());
            for (int64_t i = 0; i < r; ++i)
                engine::f8_to_f32_scaled(p.weight.data<uint8_t>() + i * k, sc[size_t(i)], k, dst + i * k);
        } else {
            engine::to_f32(p.weight.bytes(), p.weight.dtype(), r * k, dst);
        }
        dst += r * k;
    }
    evict_parts();
    return out;
}

TransformerBlock::TransformerBlock(engine::Context& cx, const store::ModelFiles& files, const TransformerConfig& cfg,
                                   const std::string& prefix, bool modulated, const TransformerLoadOptions& options)
    : cx_(&cx),
      dim_(cfg.dim),
      heads_(cfg.n_heads),
      head_dim_(cfg.head_dim()),
      ffn_(cfg.ffn_dim()),
      eps_(float(cfg.norm_eps)),
      modulated_(modulated),
      qk_norm_(cfg.qk_norm) {
    const int64_t D = dim_, F = ffn_, A = cfg.adaln_dim();
    const std::string c = kTransformerComponent;
    auto name = [&](const char* s) { return prefix + s; };

    FusedWeight qkv = fuse_rows(files, c, {name("attention.to_q.weight"), name("attention.to_k.weight"), name("attention.to_v.weight")},
                                {{D, D}, {D, D}, {D, D}}, options.evict_fused_sources);
    qkv_ = engine::Linear(cx, std::move(qkv.weight), {}, std::move(qkv.scale));
    models::WeightTensors o = models::weight_tensor(files, c, name("attention.to_out.0.weight"), {D, D});
    to_out_ = engine::Linear(cx, o.weight, {}, o.scale);
    if (qk_norm_) {
        norm_q_ = models::weight_f32(files, c, name("attention.norm_q.weight"), {head_dim_});
        norm_k_ = models::weight_f32(files, c, name("attention.norm_k.weight"), {head_dim_});
    }

    FusedWeight w13 = fuse_rows(files, c, {name("feed_forward.w1.weight"), name("feed_forward.w3.weight")}, {{F, D}, {F, D}}, options.evict_fused_sources);
    w13_ = engine::Linear(cx, std::move(w13.weight), {}, std::move(w13.scale));
    models::WeightTensors w2 = models::weight_tensor(files, c, name("feed_forward.w2.weight"), {D, F});
    w2_ = engine::Linear(cx, w2.weight, {}, w2.scale);

    attention_norm1_ = models::weight_f32(files, c, name("attention_norm1.weight"), {D});
    attention_norm2_ = models::weight_f32(files, c, name("attention_norm2.weight"), {D});
    ffn_norm1_ = models::weight_f32(files, c, name("ffn_norm1.weight"), {D});
    ffn_norm2_ = models::weight_f32(files, c, name("ffn_norm2.weight"), {D});

    if (modulated_) {
        models::WeightTensors w = models::weight_tensor(files, c, name("adaLN_modulation.0.weight"), {4 * D, A});
        models::WeightTensors b = models::weight_tensor(files, c, name("adaLN_modulation.0.bias"), {4 * D});
        adaln_ = engine::Linear(cx, w.weight, b.weight, w.scale);
    }
}

size_t TransformerBlock::resident_bytes() const {
    size_t b = qkv_.resident_bytes() + to_out_.resident_bytes() + w13_.resident_bytes() + w2_.resident_bytes() +
               (modulated_ ? adaln_.resident_bytes() : 0);
    b += (norm_q_.size() + norm_k_.size() + attention_norm1_.size() + attention_norm2_.size() + ffn_norm1_.size() +
          ffn_norm2_.size()) * sizeof(float);
    return b;
}

void TransformerBlock::forward(float* x, int64_t n, int64_t n_out, const float* rope, const float* temb,
                               BlockWorkspace& ws) {
    engine::Context& cx = *cx_;
    const int64_t D = dim_, F = ffn_;
    const float* norm1 = attention_norm1_.data();
    const float* norm_ffn1 = ffn_norm1_.data();
    const float* gate1 = nullptr;
    const float* gate2 = nullptr;
    if (modulated_) {
        if (!temb) fail(ErrorKind::Internal, "modulated transformer block called without a timestep embedding");
        float* mod = ws.mod.as<float>();
        adaln_.forward(temb, 1, mod);  // [scale_msa | gate_msa | scale_mlp | gate_mlp]
        // Fold (1 + scale) into the pre-norm weight: RMSNorm(x)·w·(1+s) = x·rsqrt(..)·(w·(1+s)),
        // one pass over the activations instead of two (differs from diffusers' order of the two
        // products by at most an ulp).
        for (int64_t i = 0; i < D; ++i) {
            mod[i] = attention_norm1_[size_t(i)] * (1.0f + mod[i]);
            mod[D + i] = std::tanh(mod[D + i]);
            mod[2 * D + i] = ffn_norm1_[size_t(i)] * (1.0f + mod[2 * D + i]);
            mod[3 * D + i] = std::tanh(mod[3 * D + i]);
        }
        norm1 = mod;
        gate1 = mod + D;
        norm_ffn1 = mod + 2 * D;
        gate2 = mod + 3 * D;
    }
    float* xn = ws.xn.as<float>();
    float* qkv = ws.big.as<float>();
    float* proj = ws.proj.as<float>();
    const int64_t ld = 3 * D;

    // --- attention: x += gate1 ⊙ RMSNorm2(Attn(RMSNorm1(x) ⊙ (1 + scale1)))
    engine::rms_norm(cx, x, norm1, xn, n, D, eps_);
    qkv_.forward(xn, n, qkv);
    qk_norm_rope(cx.num_threads(), qkv, n, n_out, ld, heads_, head_dim_, qk_norm_ ? norm_q_.data() : nullptr,
                 qk_norm_ ? norm_k_.data() : nullptr, rope, eps_);
    engine::AttentionParams ap;
    ap.S = n_out;
    ap.Skv = n;
    ap.heads = heads_;
    ap.kv_heads = heads_;
    ap.head_dim = head_dim_;
    ap.ldq = ap.ldk = ap.ldv = ld;
    float* attn = xn;  // the normalised input is dead once QKV is computed
    engine::attention(cx, qkv, qkv + D, qkv + 2 * D, attn, ap);
    to_out_.forward(attn, n_out, proj);
    engine::rms_norm(cx, proj, attention_norm2_.data(), proj, n_out, D, eps_);
    engine::gated_add(cx, x, gate1, proj, n_out, D);

    // --- feed-forward: x += gate2 ⊙ RMSNorm2(W2(silu(W1 a) ⊙ W3 a)), a = RMSNorm1(x) ⊙ (1 + scale2)
    engine::rms_norm(cx, x, norm_ffn1, xn, n_out, D, eps_);
    float* ab = ws.ab.as<float>();
    w13_.forward(xn, n_out, ab);
    float* hidden = qkv;  // QKV is dead after attention
    engine::swiglu_fused(cx, ab, hidden, n_out, F);
    w2_.forward(hidden, n_out, proj);
    engine::rms_norm(cx, proj, ffn_norm2_.data(), proj, n_out, D, eps_);
    engine::gated_add(cx, x, gate2, proj, n_out, D);
}

}  // namespace pictor::zimage
