#include "create/import.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "create/config_blob.h"
#include "create/diffusers_layout.h"
#include "create/model_index.h"
#include "util/parallel_jobs.h"
#include "create/parameters.h"
#include "create/quantize_fp8.h"
#include "create/tensor_blob.h"
#include "store/safetensors.h"
#include "util/error.h"

// Failure semantics: blobs are content-addressed and written through temp files, and the named
// manifest is written last, so an import that fails or is cancelled (or killed) leaves no
// manifest for the name and never touches another model. Blobs it already committed are simply
// unreferenced; the startup prune removes them after its grace period — the reference's design
// (protects in-flight creates without any lock between create and prune).

namespace pictor::create {

namespace fs = std::filesystem;
using store::Layer;

namespace {

struct FilePlan {
    WeightFile source;
    store::SafetensorsFile file;
    uint64_t bytes = 0;  // sum of the tensors' source bytes (progress total)
};

void check_cancel(const std::atomic<bool>* cancel) {
    if (cancel && cancel->load(std::memory_order_relaxed)) fail(ErrorKind::Cancelled, "import cancelled");
}

// Progress of one weight file: workers add bytes, the caller's thread reports at most once per
// tick so a slow client callback never slows the workers down.
class FileProgress {
public:
    FileProgress(const ProgressFn& fn, std::string status, uint64_t total)
        : fn_(fn), status_(std::move(status)), total_(total) {}
    void add(uint64_t n) { done_.fetch_add(n, std::memory_order_relaxed); }
    void tick() {
        uint64_t done = std::min(done_.load(std::memory_order_relaxed), total_);
        if (done == reported_ || !fn_) return;
        reported_ = done;
        fn_(Progress{status_, done, total_});
    }

private:
    const ProgressFn& fn_;
    std::string status_;
    uint64_t total_;
    std::atomic<uint64_t> done_{0};
    uint64_t reported_ = 0;
};

void validate_request(const CreateRequest& req) {
    if (!req.quantize.empty() && req.quantize != kQuantizeFp8)
        fail(ErrorKind::InvalidArgument,
             "unsupported quantization type \"" + req.quantize + "\": supported types are fp8");
    for (const auto& [k, v] : req.parameters)
        if (std::string why = check_parameter(k, v); !why.empty()) fail(ErrorKind::InvalidArgument, why);
    // Parse the name's full form again: a hand-built ModelName must not reach the file system.
    store::ModelName check;
    if (!store::ModelName::try_parse(req.name.full(), check))
        fail(ErrorKind::InvalidArgument, "invalid model name: " + req.name.full());
}

Layer make_layer(std::string_view media_type, const store::BlobRef& ref, std::string name = {}) {
    Layer l;
    l.media_type = std::string(media_type);
    l.digest = ref.digest;
    l.size = ref.size;
    l.name = std::move(name);
    return l;
}

}  // namespace

CreateResult create_model(store::ModelStore& store, const CreateRequest& req, const ProgressFn& progress,
                          const std::atomic<bool>* cancel) {
    auto say = [&](const std::string& status) {
        if (progress) progress(Progress{status, 0, 0});
    };
    validate_request(req);
    const bool quantizing = !req.quantize.empty();
    // Twice the cores by default: each blob ends with an fsync (and a directory fsync), during
    // which its worker sleeps; extra workers keep the cores hashing meanwhile.
    const int threads = req.threads > 0 ? req.threads : 2 * int(std::max(1u, std::thread::hardware_concurrency()));
    const std::string display = req.name.display();

    say("importing image generation model");

    // Everything that can reject the folder happens before the first blob is written: layout,
    // model_index.json, and a strict parse of every weight file's header (a corrupt shard at the
    // end of a 30 GB model should not cost the first 29 GB of writing).
    DiffusersLayout layout = scan_diffusers_dir(req.source_dir);
    nlohmann::ordered_json model_index = read_model_index(layout.dir / "model_index.json");

    std::vector<FilePlan> plans;
    uint64_t parameter_count = 0;
    for (const auto& wf : layout.weight_files) {
        check_cancel(cancel);
        FilePlan p{wf, store::SafetensorsFile::open(wf.path), 0};
        for (const auto& t : p.file.tensors()) {
            parameter_count += uint64_t(t.numel());
            p.bytes += t.nbytes();
        }
        plans.push_back(std::move(p));
    }

    store::Manifest manifest;
    const store::BlobStore& blobs = store.blobs();
    const ExistingSizes existing = scan_blob_sizes(blobs);

    for (auto& plan : plans) {
        check_cancel(cancel);
        const auto& tensors = plan.file.tensors();  // sorted by name
        const bool quant_component = quantizing && plan.source.component != "vae";
        std::string status = "importing " + plan.source.rel() + " (" + std::to_string(tensors.size()) + " tensors" +
                             (quant_component ? ", quantizing to " + req.quantize : std::string()) + ")";
        say(status);

        // Largest tensors first so that the last worker does not start a huge tensor alone.
        std::vector<size_t> order(tensors.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return tensors[a].nbytes() > tensors[b].nbytes(); });

        std::vector<Layer> layers(tensors.size());
        FileProgress fp(progress, status, plan.bytes);
        auto on_bytes = [&](uint64_t n) { fp.add(n); };
        util::run_parallel(
            order.size(), threads,
            [&](size_t k) {
                check_cancel(cancel);
                const auto& t = tensors[order[k]];
                bool q = quant_component && should_quantize_fp8(plan.source.component, t.name, t.dtype, t.shape);
                store::BlobRef ref = write_tensor_blob(blobs, plan.file, t, q, existing, on_bytes);
                // Done with this tensor's mapped pages: without this the whole model ends up
                // counted in our RSS by the end of an import (18 GiB for the full-size model).
                plan.file.release_pages(plan.file.data(t));
                layers[order[k]] = make_layer(store::kTensorMediaType, ref, plan.source.component + "/" + t.name);
            },
            [&] { fp.tick(); });
        for (auto& l : layers) manifest.layers.push_back(std::move(l));
    }

    const std::string quant_label = quantization_label(req.quantize, layout.dir);
    for (const auto& rel : layout.json_files) {
        check_cancel(cancel);
        say("importing config " + rel);
        std::string bytes = rel == "model_index.json"
                                ? rewrite_model_index(model_index, parameter_count, quant_label)
                                : read_text_file(layout.dir / rel);
        manifest.layers.push_back(make_layer(store::kJsonMediaType, blobs.put(bytes), rel));
    }

    if (req.license) manifest.layers.push_back(make_layer(store::kLicenseMediaType, blobs.put(*req.license)));
    if (!req.parameters.empty())
        manifest.layers.push_back(make_layer(store::kParamsMediaType, blobs.put(parameters_json(req.parameters).dump())));

    std::string config = make_config_blob(req.quantize, pipeline_class(model_index));
    store::BlobRef cref = blobs.put(config);
    manifest.config = make_layer(store::kConfigMediaType, cref);

    check_cancel(cancel);  // last point at which a cancel leaves no trace in the names
    say("writing manifest for " + display);
    CreateResult result;
    result.manifest_digest_hex = store.write_manifest(req.name, manifest);
    result.layer_count = manifest.layers.size();
    result.total_bytes = manifest.total_size();
    say("successfully imported " + display + " with " + std::to_string(result.layer_count) + " layers");
    return result;
}

}  // namespace pictor::create
