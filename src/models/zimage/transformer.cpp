#include "models/zimage/transformer.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "models/common/weights.h"
#include "util/error.h"

namespace pictor::zimage {

namespace {

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// diffusers builds the module list from the config and refuses unexpected keys; a checkpoint
// with more blocks than the config is a config/weights mismatch we must not silently ignore.
void check_block_counts(const store::ModelFiles& files, const TransformerConfig& cfg) {
    struct Group {
        std::string_view prefix, key;
        int64_t count;
    };
    const Group groups[] = {{"layers.", "n_layers", cfg.n_layers},
                            {"noise_refiner.", "n_refiner_layers", cfg.n_refiner_layers},
                            {"context_refiner.", "n_refiner_layers", cfg.n_refiner_layers}};
    for (const std::string& name : files.names(kTransformerComponent)) {
        for (const Group& g : groups) {
            if (name.rfind(g.prefix, 0) != 0) continue;
            const char* b = name.data() + g.prefix.size();
            const char* e = name.data() + name.size();
            int64_t idx = -1;
            auto [p, ec] = std::from_chars(b, e, idx);
            if (ec == std::errc() && p != b && idx >= g.count)
                fail(ErrorKind::Corrupt, "transformer weight " + name + " belongs to block " + std::to_string(idx) +
                                             " but transformer/config.json says " + std::string(g.key) + " = " +
                                             std::to_string(g.count) + " (does the config match the weights?)");
        }
    }
}

}  // namespace

struct Transformer::Caption {
    const Transformer* owner = nullptr;  // captions are only valid for the model that made them
    int64_t len = 0, len_pad = 0;
    std::vector<float> hidden;  // [len_pad, dim] after the context refiner
};

Transformer::~Transformer() = default;

std::unique_ptr<Transformer> Transformer::load(engine::Context& cx, const store::ModelFiles& files,
                                              const TransformerLoadOptions& options) {
    TransformerConfig cfg = TransformerConfig::parse(files.require_text("transformer/config.json"));
    check_block_counts(files, cfg);
    return std::unique_ptr<Transformer>(new Transformer(cx, files, std::move(cfg), options));
}

Transformer::Transformer(engine::Context& cx, const store::ModelFiles& files, TransformerConfig cfg,
                         const TransformerLoadOptions& options)
    : cx_(&cx), cfg_(std::move(cfg)), rope_(cfg_) {
    const int64_t D = cfg_.dim;
    t_embedder_ = TimestepEmbedder(cx, files, cfg_);
    cap_embedder_ = CaptionEmbedder(cx, files, cfg_);
    const std::string xe = "all_x_embedder." + std::to_string(cfg_.patch_size) + "-" + std::to_string(cfg_.f_patch_size);
    models::WeightTensors xw =
        models::weight_tensor(files, kTransformerComponent, xe + ".weight", {D, cfg_.patch_features()});
    models::WeightTensors xb = models::weight_tensor(files, kTransformerComponent, xe + ".bias", {D});
    x_embedder_ = engine::Linear(cx, xw.weight, xb.weight, xw.scale);
    final_layer_ = FinalLayer(cx, files, cfg_);
    x_pad_token_ = models::weight_f32(files, kTransformerComponent, "x_pad_token", {1, D});
    cap_pad_token_ = models::weight_f32(files, kTransformerComponent, "cap_pad_token", {1, D});

    // Sized once: the block count is known, no need to move blocks around while loading.
    noise_refiner_.reserve(size_t(cfg_.n_refiner_layers));
    context_refiner_.reserve(size_t(cfg_.n_refiner_layers));
    layers_.reserve(size_t(cfg_.n_layers));
    for (int64_t i = 0; i < cfg_.n_refiner_layers; ++i)
        noise_refiner_.emplace_back(cx, files, cfg_, "noise_refiner." + std::to_string(i) + ".", true, options);
    for (int64_t i = 0; i < cfg_.n_refiner_layers; ++i)
        context_refiner_.emplace_back(cx, files, cfg_, "context_refiner." + std::to_string(i) + ".", false, options);
    // Building a block reads its weights (fused QKV and w1|w3 copies, or packed copies where
    // Linear packs): drop the mapped pages after each main layer so the load peak is the copies
    // plus one layer's pages, not the copies plus the whole file. Weights used in place fault
    // back in on first use.
    for (int64_t i = 0; i < cfg_.n_layers; ++i) {
        layers_.emplace_back(cx, files, cfg_, "layers." + std::to_string(i) + ".", true, options);
        files.release_pages("transformer");
    }
    temb_.resize(size_t(cfg_.adaln_dim()));
}

size_t Transformer::resident_bytes() const {
    size_t b = t_embedder_.resident_bytes() + cap_embedder_.resident_bytes() + x_embedder_.resident_bytes() +
               final_layer_.resident_bytes();
    for (const auto* list : {&noise_refiner_, &context_refiner_, &layers_})
        for (const TransformerBlock& blk : *list) b += blk.resident_bytes();
    b += (x_pad_token_.size() + cap_pad_token_.size() + temb_.size() + rope_joint_.size()) * sizeof(float);
    b += ws_.bytes() + x_.size() + patches_.size();
    return b;
}

double Transformer::forward_flops(const TransformerConfig& cfg, int64_t h, int64_t w, int64_t cap_len) {
    const double D = double(cfg.dim), F = double(cfg.ffn_dim()), P = double(cfg.patch_features());
    const int64_t n_img = (h / cfg.patch_size) * (w / cfg.patch_size);
    const double ni = double(n_img), np = double(round_up(n_img, TransformerConfig::kSeqMultiple));
    const double n = np + double(round_up(cap_len, TransformerConfig::kSeqMultiple));
    // Matmul FLOPs of one block: QKV on all n tokens, the rest on the n_out computed rows.
    auto block = [&](double rows, double out) {
        return 2.0 * rows * 3.0 * D * D + 2.0 * out * D * D + 2.0 * out * 3.0 * D * F + 4.0 * out * rows * D;
    };
    double f = 2.0 * ni * P * D + 2.0 * ni * D * P;  // x_embedder + final linear
    f += double(cfg.n_refiner_layers) * block(np, np);
    f += double(cfg.n_layers - 1) * block(n, n) + block(n, ni);
    return f;
}

const float* Transformer::joint_rope(int64_t h_tokens, int64_t w_tokens, int64_t n_img_pad, int64_t cap_pad) {
    if (rope_key_[0] == h_tokens && rope_key_[1] == w_tokens && rope_key_[2] == cap_pad) return rope_joint_.data();
    const int64_t row = rope_.pairs() * 2, n_img = h_tokens * w_tokens;
    rope_joint_.resize(size_t((n_img_pad + cap_pad) * row));
    float* t = rope_joint_.data();
    // Image tokens: (cap_pad + 1, r, c) in row-major order; image pad tokens: (0, 0, 0).
    for (int64_t i = 0; i < n_img_pad; ++i, t += row) {
        if (i < n_img)
            rope_.fill(cap_pad + 1, i / w_tokens, i % w_tokens, t);
        else
            rope_.fill(0, 0, 0, t);
    }
    // Caption tokens, pads included: (1 + i, 0, 0).
    for (int64_t i = 0; i < cap_pad; ++i, t += row) rope_.fill(1 + i, 0, 0, t);
    rope_key_[0] = h_tokens;
    rope_key_[1] = w_tokens;
    rope_key_[2] = cap_pad;
    return rope_joint_.data();
}

std::shared_ptr<const Transformer::Caption> Transformer::prepare_caption(std::span<const float> cap_feats,
                                                                         int64_t cap_len) {
    const int64_t D = cfg_.dim;
    if (cap_len <= 0) fail(ErrorKind::InvalidArgument, "prepare_caption: the caption has no tokens");
    if (int64_t(cap_feats.size()) != cap_len * cfg_.cap_feat_dim)
        fail(ErrorKind::InvalidArgument, "prepare_caption: expected " + std::to_string(cap_len) + " x " +
                                             std::to_string(cfg_.cap_feat_dim) + " caption features, got " +
                                             std::to_string(cap_feats.size()) + " values");
    auto cap = std::make_shared<Caption>();
    cap->owner = this;
    cap->len = cap_len;
    cap->len_pad = round_up(cap_len, TransformerConfig::kSeqMultiple);
    cap->hidden.resize(size_t(cap->len_pad * D));
    cap_embedder_.forward(cap_feats.data(), cap_len, cap->hidden.data());
    // Pad rows are the learned cap_pad_token (diffusers overwrites whatever was embedded there).
    for (int64_t i = cap_len; i < cap->len_pad; ++i)
        std::copy(cap_pad_token_.begin(), cap_pad_token_.end(), cap->hidden.begin() + i * D);

    std::vector<float> rope(size_t(cap->len_pad * rope_.pairs() * 2));
    for (int64_t i = 0; i < cap->len_pad; ++i) rope_.fill(1 + i, 0, 0, rope.data() + i * rope_.pairs() * 2);
    ws_.reserve(cfg_, cap->len_pad);
    for (TransformerBlock& blk : context_refiner_)
        blk.forward(cap->hidden.data(), cap->len_pad, cap->len_pad, rope.data(), nullptr, ws_);
    return cap;
}

std::vector<float> Transformer::forward(std::span<const float> latent, int64_t h, int64_t w, float t_model,
                                        const Caption& cap, models::CancelFlag cancel) {
    const int64_t C = cfg_.in_channels, p = cfg_.patch_size, D = cfg_.dim, P = cfg_.patch_features();
    if (cap.owner != this) fail(ErrorKind::InvalidArgument, "Transformer::forward: caption prepared by another model");
    if (h <= 0 || w <= 0 || h % p != 0 || w % p != 0)
        fail(ErrorKind::InvalidArgument, "Transformer::forward: latent size " + std::to_string(h) + "x" +
                                             std::to_string(w) + " is not a positive multiple of the patch size " +
                                             std::to_string(p));
    if (int64_t(latent.size()) != C * h * w)
        fail(ErrorKind::InvalidArgument, "Transformer::forward: latent has " + std::to_string(latent.size()) +
                                             " values, expected " + std::to_string(C) + "x" + std::to_string(h) + "x" +
                                             std::to_string(w));
    const int64_t ht = h / p, wt = w / p, n_img = ht * wt;
    const int64_t n_pad = round_up(n_img, TransformerConfig::kSeqMultiple);
    const int64_t N = n_pad + cap.len_pad;

    ws_.reserve(cfg_, N);
    x_.ensure(size_t(N * D) * sizeof(float));
    patches_.ensure(size_t(n_img * std::max(P, D)) * sizeof(float));
    float* x = x_.as<float>();
    float* patches = patches_.as<float>();

    t_embedder_.forward(t_model, temb_.data());

    // Patchify: token (r, c) holds x[ch, p·r + dy, p·c + dx] at (dy·p + dx)·C + ch (channel fastest).
    for (int64_t r = 0; r < ht; ++r)
        for (int64_t c = 0; c < wt; ++c) {
            float* tok = patches + (r * wt + c) * P;
            for (int64_t dy = 0; dy < p; ++dy)
                for (int64_t dx = 0; dx < p; ++dx)
                    for (int64_t ch = 0; ch < C; ++ch)
                        tok[(dy * p + dx) * C + ch] = latent[size_t((ch * h + p * r + dy) * w + p * c + dx)];
        }
    x_embedder_.forward(patches, n_img, x);
    for (int64_t i = n_img; i < n_pad; ++i) std::copy(x_pad_token_.begin(), x_pad_token_.end(), x + i * D);

    const float* rope = joint_rope(ht, wt, n_pad, cap.len_pad);
    for (TransformerBlock& blk : noise_refiner_) {
        models::throw_if_cancelled(cancel);
        blk.forward(x, n_pad, n_pad, rope, temb_.data(), ws_);
    }

    // Joint sequence [image (incl. pads), caption (incl. pads)].
    std::copy(cap.hidden.begin(), cap.hidden.end(), x + n_pad * D);
    for (size_t i = 0; i < layers_.size(); ++i) {
        // Only image rows feed the final layer, so the last block computes just those outputs.
        const int64_t n_out = i + 1 == layers_.size() ? n_img : N;
        models::throw_if_cancelled(cancel);
        layers_[i].forward(x, N, n_out, rope, temb_.data(), ws_);
    }

    float* out_tok = patches;  // [n_img, P]; the patches are dead after the embedder
    final_layer_.forward(x, n_img, temb_.data(), ws_.xn.as<float>(), out_tok);

    // Unpatchify (inverse of the above).
    std::vector<float> out(size_t(C * h * w));
    for (int64_t r = 0; r < ht; ++r)
        for (int64_t c = 0; c < wt; ++c) {
            const float* tok = out_tok + (r * wt + c) * P;
            for (int64_t dy = 0; dy < p; ++dy)
                for (int64_t dx = 0; dx < p; ++dx)
                    for (int64_t ch = 0; ch < C; ++ch)
                        out[size_t((ch * h + p * r + dy) * w + p * c + dx)] = tok[(dy * p + dx) * C + ch];
        }
    return out;
}

}  // namespace pictor::zimage
