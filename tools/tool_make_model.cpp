// `pictor-dev make-model DIR [options]`: writes a random Z-Image model in the diffusers layout
// (see model_generator.h). Without --full the dimensions are those of shared/testdata/zimage-dev;
// every dimension can be overridden, and --full starts from the real Z-Image-Turbo shapes.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "model_generator.h"
#include "tools.h"
#include "util/error.h"

namespace pictor::dev {

namespace {

struct MakeModelArgs {
    std::string dir;
    std::string tokenizer_dir = "../shared/testdata/qwen3-tokenizer";
    bool full = false, dry_run = false;
    uint64_t seed = 0;
    std::string dtype, transformer_dtype, text_encoder_dtype, vae_dtype;
    int64_t dim = 0, heads = 0, layers = 0, refiners = 0, cap_feat_dim = 0;
    std::string axes_dims, vae_channels;
    int64_t te_hidden = 0, te_layers = 0, te_heads = 0, te_kv_heads = 0, te_head_dim = 0, te_intermediate = 0,
            te_vocab = 0, vae_layers_per_block = 0;
    double shift = 3.0;
    int shards = 1;
    // The options, to tell "given on the command line" from "left at the default".
    std::map<std::string, CLI::Option*> opts;
    bool given(const std::string& name) const { return opts.at(name)->count() > 0; }
};

std::vector<int64_t> parse_list(const std::string& flag, const std::string& text) {
    std::vector<int64_t> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        try {
            size_t used = 0;
            long long v = std::stoll(item, &used);
            if (used != item.size()) throw std::invalid_argument(item);
            out.push_back(v);
        } catch (const std::exception&) {
            fail(ErrorKind::InvalidArgument, "make-model: " + flag + " expects comma-separated integers, got \"" +
                                                 text + "\"");
        }
    }
    if (out.empty()) fail(ErrorKind::InvalidArgument, "make-model: " + flag + " is empty");
    return out;
}

std::string count_text(uint64_t n) {
    char buf[32];
    if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2fB", double(n) / 1e9);
    else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2fM", double(n) / 1e6);
    else std::snprintf(buf, sizeof buf, "%.1fK", double(n) / 1e3);
    return buf;
}

void run(const MakeModelArgs& a) {
    ModelSpec spec = a.full ? ModelSpec::full() : ModelSpec::tiny();
    spec.seed = a.seed;
    spec.shards = a.shards;
    spec.shift = a.shift;
    if (a.given("--dtype"))
        spec.transformer_dtype = spec.text_encoder_dtype = spec.vae_dtype = parse_weight_dtype(a.dtype);
    if (a.given("--transformer-dtype")) spec.transformer_dtype = parse_weight_dtype(a.transformer_dtype);
    if (a.given("--text-encoder-dtype")) spec.text_encoder_dtype = parse_weight_dtype(a.text_encoder_dtype);
    if (a.given("--vae-dtype")) spec.vae_dtype = parse_weight_dtype(a.vae_dtype);

    auto& t = spec.transformer;
    if (a.given("--dim")) t.dim = a.dim;
    if (a.given("--heads")) t.heads = a.heads;
    if (a.given("--layers")) t.layers = a.layers;
    if (a.given("--refiners")) t.refiners = a.refiners;
    if (a.given("--axes-dims")) {
        auto v = parse_list("--axes-dims", a.axes_dims);
        if (v.size() != 3) fail(ErrorKind::InvalidArgument, "make-model: --axes-dims needs exactly 3 values (t,h,w)");
        t.axes_dims = {v[0], v[1], v[2]};
    }
    auto& te = spec.text_encoder;
    if (a.given("--te-hidden")) te.hidden = a.te_hidden;
    if (a.given("--te-layers")) te.layers = a.te_layers;
    if (a.given("--te-heads")) te.heads = a.te_heads;
    if (a.given("--te-kv-heads")) te.kv_heads = a.te_kv_heads;
    if (a.given("--te-head-dim")) te.head_dim = a.te_head_dim;
    if (a.given("--te-intermediate")) te.intermediate = a.te_intermediate;
    if (a.given("--te-vocab")) te.vocab = a.te_vocab;
    // The DiT's caption embedder reads the text encoder's hidden states, so follow --te-hidden
    // unless told otherwise (validate() rejects a mismatch).
    t.cap_feat_dim = a.given("--cap-feat-dim") ? a.cap_feat_dim : te.hidden;
    if (a.given("--vae-channels")) spec.vae.channels = parse_list("--vae-channels", a.vae_channels);
    if (a.given("--vae-layers-per-block")) spec.vae.layers_per_block = a.vae_layers_per_block;

    GenerateOptions go;
    go.tokenizer_dir = a.tokenizer_dir;
    go.dry_run = a.dry_run;
    go.progress = [](const std::string& line) { std::cerr << line << std::endl; };
    auto parts = generate_model(a.dir, spec, go);

    uint64_t bytes = 0, params = 0;
    std::ostringstream line;
    line << (a.dry_run ? "(dry run) " : "") << a.dir << ":";
    for (const auto& c : parts) {
        line << " " << c.name << " " << count_text(c.params) << " params (" << c.params << ", " << c.tensors
             << " tensors);";
        bytes += c.bytes;
        params += c.params;
    }
    line << " total " << params << " params, " << bytes << " weight bytes";
    std::cout << line.str() << std::endl;
}

}  // namespace

void register_make_model(CLI::App& app) {
    auto args = std::make_shared<MakeModelArgs>();
    CLI::App* sub = app.add_subcommand("make-model", "Write a random Z-Image model folder (diffusers layout)");
    auto& o = args->opts;
    sub->add_option("dir", args->dir, "Output folder (must not exist or be empty)")->required();
    sub->add_option("--tokenizer-dir", args->tokenizer_dir, "Folder with tokenizer.json and tokenizer_config.json")
        ->capture_default_str();
    sub->add_flag("--full", args->full, "Real Z-Image-Turbo shapes (~20 GB in BF16)");
    sub->add_flag("--dry-run", args->dry_run, "Print the parameter counts, write nothing");
    sub->add_option("--seed", args->seed, "Seed for the weights")->capture_default_str();
    o["--dtype"] = sub->add_option("--dtype", args->dtype, "Weight dtype of every component: F32, BF16, F16");
    o["--transformer-dtype"] = sub->add_option("--transformer-dtype", args->transformer_dtype, "Transformer dtype");
    o["--text-encoder-dtype"] = sub->add_option("--text-encoder-dtype", args->text_encoder_dtype, "Text encoder dtype");
    o["--vae-dtype"] = sub->add_option("--vae-dtype", args->vae_dtype, "VAE dtype");
    o["--dim"] = sub->add_option("--dim", args->dim, "Transformer width");
    o["--heads"] = sub->add_option("--heads", args->heads, "Transformer attention heads");
    o["--layers"] = sub->add_option("--layers", args->layers, "Transformer main layers");
    o["--refiners"] = sub->add_option("--refiners", args->refiners, "Noise and context refiner layers (each)");
    o["--axes-dims"] = sub->add_option("--axes-dims", args->axes_dims, "RoPE axes dims a,b,c (sum = dim/heads)");
    o["--cap-feat-dim"] = sub->add_option("--cap-feat-dim", args->cap_feat_dim, "Caption feature dim (= --te-hidden)");
    o["--te-hidden"] = sub->add_option("--te-hidden", args->te_hidden, "Text encoder hidden size");
    o["--te-layers"] = sub->add_option("--te-layers", args->te_layers, "Text encoder layers");
    o["--te-heads"] = sub->add_option("--te-heads", args->te_heads, "Text encoder query heads");
    o["--te-kv-heads"] = sub->add_option("--te-kv-heads", args->te_kv_heads, "Text encoder key/value heads");
    o["--te-head-dim"] = sub->add_option("--te-head-dim", args->te_head_dim, "Text encoder head dim");
    o["--te-intermediate"] = sub->add_option("--te-intermediate", args->te_intermediate, "Text encoder MLP size");
    o["--te-vocab"] = sub->add_option("--te-vocab", args->te_vocab, "Text encoder vocabulary (151936 for Qwen3)");
    o["--vae-channels"] = sub->add_option("--vae-channels", args->vae_channels, "VAE block_out_channels a,b,c,d");
    o["--vae-layers-per-block"] =
        sub->add_option("--vae-layers-per-block", args->vae_layers_per_block, "VAE resnets per encoder block");
    sub->add_option("--shift", args->shift, "Scheduler shift")->capture_default_str();
    sub->add_option("--shards", args->shards, "Safetensors files per component")->capture_default_str();
    sub->callback([args] { run(*args); });
}

}  // namespace pictor::dev
