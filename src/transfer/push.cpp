#include "transfer/push.h"

#include <filesystem>
#include <thread>

#include "transfer/blob_list.h"
#include "util/error.h"
#include "util/parallel_jobs.h"

namespace pictor::transfer {
namespace {

namespace fs = std::filesystem;

void send(RegistryClient& registry, const fs::path& file, const BlobSpec& b, std::atomic<uint64_t>& done,
          const std::atomic<bool>* cancel) {
    if (registry.has_blob(b.digest)) {
        done += b.size;
        return;
    }
    for (int attempt = 1;; ++attempt) {
        check_cancel(cancel, "push");
        uint64_t sent = 0;
        try {
            registry.put_blob(b.digest, file, b.size, [&](uint64_t n) {
                sent += n;
                done += n;
                return !cancelled(cancel);
            });
            if (sent < b.size) done += b.size - sent;  // a registry that had it (201) or an empty blob
            return;
        } catch (const Error& e) {
            done -= sent;
            if (e.kind() != ErrorKind::Unavailable || attempt >= kBlobAttempts || cancelled(cancel)) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
        }
    }
}

}  // namespace

void push_model(store::ModelStore& store, const TransferRequest& req, const ProgressFn& progress,
                const std::atomic<bool>* cancel) {
    auto report = [&](Progress p) {
        if (progress) progress(p);
    };
    report({"retrieving manifest", "", 0, 0});
    const std::string bytes = store.get_bytes(req.name);
    const store::Manifest manifest = store::Manifest::parse(bytes);
    const std::vector<BlobSpec> blobs = blobs_of(manifest);
    std::vector<fs::path> files;
    for (const auto& b : blobs) {
        std::error_code ec;
        fs::path p = store.blobs().path_of(b.digest);
        if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) != b.size || ec)
            fail(ErrorKind::Corrupt, "cannot push " + req.name.display() + ": blob " + b.digest +
                                         " is missing from the store or has the wrong size");
        files.push_back(std::move(p));
    }
    RegistryClient registry(req.name, req.registry);
    const uint64_t total = total_size(blobs);
    std::atomic<uint64_t> done{0};
    report({"pushing model", kWholeModelDigest, 0, total});
    util::run_parallel(
        blobs.size(), req.parallel, [&](size_t i) { send(registry, files[i], blobs[i], done, cancel); },
        [&] { report({"pushing model", kWholeModelDigest, done.load(), total}); });
    check_cancel(cancel, "push");
    registry.put_manifest(bytes, manifest.media_type);
}

}  // namespace pictor::transfer
