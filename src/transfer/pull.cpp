#include "transfer/pull.h"

#include <exception>
#include <filesystem>
#include <thread>

#include "transfer/blob_list.h"
#include "util/error.h"
#include "util/parallel_jobs.h"

namespace pictor::transfer {
namespace {

namespace fs = std::filesystem;

// A blob the store already holds at the right size is not fetched again (its name is its
// hash; a damaged one is found by `verify`). Touching it protects it from the startup prune's
// grace period while the pull runs, as writing it would.
bool already_have(const store::BlobStore& blobs, const BlobSpec& b) {
    std::error_code ec;
    const fs::path p = blobs.path_of(b.digest);
    if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) != b.size || ec) return false;
    fs::last_write_time(p, fs::file_time_type::clock::now(), ec);
    return true;
}

// One attempt: stream into a blob writer (hashing as it goes), then check size and digest.
// `done` counts bytes for the progress bar; the attempt's bytes are taken back if it fails.
void fetch_once(RegistryClient& registry, const store::BlobStore& blobs, const BlobSpec& b,
                std::atomic<uint64_t>& done, const std::atomic<bool>* cancel) {
    store::BlobStore::Writer writer = blobs.begin_write();
    uint64_t got = 0;
    bool oversize = false;
    std::exception_ptr write_error;
    try {
        registry.get_blob(b.digest, [&](const char* data, size_t n) {
            if (cancelled(cancel)) return false;
            if (got + n > b.size) {
                oversize = true;
                return false;
            }
            try {
                writer.write(data, n);
            } catch (...) {  // disk full: not a network problem, stop the stream and rethrow below
                write_error = std::current_exception();
                return false;
            }
            got += n;
            done += n;
            return true;
        });
    } catch (...) {
        done -= got;
        if (write_error) std::rethrow_exception(write_error);
        if (oversize) fail(ErrorKind::Corrupt, "pull " + b.digest + ": size mismatch: the registry sent more than " +
                                                   std::to_string(b.size) + " bytes");
        check_cancel(cancel, "pull");
        throw;
    }
    if (got != b.size) {
        done -= got;
        fail(ErrorKind::Corrupt, "pull " + b.digest + ": size mismatch: expected " + std::to_string(b.size) +
                                     " bytes, got " + std::to_string(got));
    }
    try {
        writer.commit(b.digest);  // Corrupt "digest mismatch": the temp file is removed
    } catch (...) {
        done -= got;
        throw;
    }
}

void fetch(RegistryClient& registry, const store::BlobStore& blobs, const BlobSpec& b, std::atomic<uint64_t>& done,
           const std::atomic<bool>* cancel) {
    for (int attempt = 1;; ++attempt) {
        check_cancel(cancel, "pull");
        try {
            fetch_once(registry, blobs, b, done, cancel);
            return;
        } catch (const Error& e) {
            const bool transient = e.kind() == ErrorKind::Unavailable || e.kind() == ErrorKind::Corrupt;
            if (!transient || attempt >= kBlobAttempts || cancelled(cancel)) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
        }
    }
}

}  // namespace

void pull_model(store::ModelStore& store, const TransferRequest& req, const ProgressFn& progress,
                const std::atomic<bool>* cancel) {
    auto report = [&](Progress p) {
        if (progress) progress(p);
    };
    report({"pulling manifest", "", 0, 0});
    RegistryClient registry(req.name, req.registry);
    const std::string bytes = registry.get_manifest();
    store::Manifest manifest;
    try {
        manifest = store::Manifest::parse(bytes);
    } catch (const Error& e) {
        fail(ErrorKind::Corrupt, std::string("pull model manifest: the registry sent an invalid manifest: ") + e.what());
    }
    check_cancel(cancel, "pull");

    const std::vector<BlobSpec> blobs = blobs_of(manifest);
    const uint64_t total = total_size(blobs);
    std::vector<BlobSpec> missing;
    uint64_t present = 0;
    for (const auto& b : blobs) {
        if (already_have(store.blobs(), b)) present += b.size;
        else missing.push_back(b);
    }
    std::atomic<uint64_t> done{present};
    report({"pulling model", kWholeModelDigest, present, total});
    util::run_parallel(
        missing.size(), req.parallel, [&](size_t i) { fetch(registry, store.blobs(), missing[i], done, cancel); },
        [&] { report({"pulling model", kWholeModelDigest, done.load(), total}); });
    check_cancel(cancel, "pull");

    report({"writing manifest", "", 0, 0});
    store.write_manifest_bytes(req.name, bytes);
}

}  // namespace pictor::transfer
