#include "store/blob_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "store/digest.h"
#include "store/fsutil.h"
#include "util/error.h"
#include "util/sha256.h"

namespace pictor::store {

namespace fs = std::filesystem;

struct BlobStore::Writer::Impl {
    fs::path dir;
    fs::path temp;
    fsutil::UniqueFd fd;
    Sha256 hash;
    uint64_t size = 0;
    bool finished = false;  // committed, or failed and cleaned up

    // Removes the temp file; used on every failure and by an uncommitted writer's destructor,
    // so that a failed write never leaves a partial blob behind.
    void discard() noexcept {
        fd.reset();
        if (!temp.empty()) ::unlink(temp.c_str());
        finished = true;
    }
    void require_open() const {
        if (finished) fail(ErrorKind::Internal, "blob writer used after commit or failure (" + temp.string() + ")");
    }
};

BlobStore::Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlobStore::Writer::Writer(Writer&&) noexcept = default;
BlobStore::Writer::~Writer() {
    if (impl_ && !impl_->finished) impl_->discard();
}

void BlobStore::Writer::write(const void* data, size_t size) {
    impl_->require_open();
    try {
        fsutil::write_all(impl_->fd.get(), data, size, impl_->temp);
    } catch (...) {
        impl_->discard();
        throw;
    }
    impl_->hash.update(data, size);
    impl_->size += size;
}

BlobRef BlobStore::Writer::commit(std::string_view expected_digest) {
    impl_->require_open();
    Impl& w = *impl_;
    try {
        // Durable before it gets its final name: a crash must never leave a blob whose name
        // promises content that is not on disk.
        if (::fsync(w.fd.get()) != 0) fsutil::fail_errno("cannot sync", w.temp, errno);
        if (::fchmod(w.fd.get(), 0644) != 0) fsutil::fail_errno("cannot set permissions of", w.temp, errno);
        w.fd.close_checked(w.temp);

        BlobRef ref;
        ref.digest = digest_from_hex(w.hash.hex_digest());
        ref.size = w.size;
        if (!expected_digest.empty() && normalize_digest(expected_digest) != ref.digest)
            fail(ErrorKind::Corrupt, "digest mismatch: expected " + std::string(expected_digest) + ", got " + ref.digest);

        const fs::path target = w.dir / digest_file_name(ref.digest);
        struct stat st;
        // An existing blob of the same name and size is the same content (that is what the name
        // means); a size difference can only be a damaged blob, which the new bytes replace.
        if (::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) == w.size) {
            ref.existed = true;
            w.discard();
            fsutil::touch(target);  // protects it from the prune grace period (§3.3)
            return ref;
        }
        if (::rename(w.temp.c_str(), target.c_str()) != 0) {
            // The reference removes the target and retries once (e.g. a directory in the way).
            const int err = errno;
            std::error_code ec;
            fs::remove(target, ec);
            if (::rename(w.temp.c_str(), target.c_str()) != 0) fsutil::fail_errno("cannot rename blob to", target, err);
        }
        w.temp.clear();  // now owned by its final name
        w.finished = true;
        fsutil::fsync_dir(w.dir);
        return ref;
    } catch (...) {
        w.discard();
        throw;
    }
}

BlobStore::BlobStore(fs::path models_root) : dir_(std::move(models_root) / "blobs") {}

fs::path BlobStore::path_of(std::string_view digest) const { return dir_ / digest_file_name(digest); }

bool BlobStore::has(std::string_view digest) const {
    std::error_code ec;
    return fs::is_regular_file(path_of(digest), ec);
}

BlobStore::Writer BlobStore::begin_write() const {
    fsutil::make_dirs(dir_);
    auto impl = std::make_unique<Writer::Impl>();
    impl->dir = dir_;
    // The temp file lives in blobs/ so that the final rename never crosses file systems; its
    // name is not a digest, so prune treats a leftover one as junk once the grace period ends.
    for (int attempt = 0;; ++attempt) {
        impl->temp = dir_ / ("sha256-" + fsutil::random_hex() + "-partial");
        try {
            impl->fd = fsutil::create_exclusive(impl->temp);
            break;
        } catch (const Error&) {
            if (attempt >= 3 || !fsutil::lexists(impl->temp)) {
                impl->temp.clear();  // not ours: never delete someone else's file
                throw;
            }
        }
    }
    return Writer(std::move(impl));
}

BlobRef BlobStore::put(std::string_view bytes) const {
    Writer w = begin_write();
    w.write(bytes.data(), bytes.size());
    return w.commit();
}

std::string BlobStore::read(std::string_view digest) const {
    const fs::path p = path_of(digest);
    try {
        return fsutil::read_file(p);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::NotFound)
            fail(ErrorKind::NotFound, "blob " + normalize_digest(digest) + " not found (" + p.string() + ")");
        throw;
    }
}

bool BlobStore::verify(std::string_view digest) const {
    const fs::path p = path_of(digest);
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return false;
    return digest_from_hex(fsutil::hash_file(p)) == normalize_digest(digest);
}

}  // namespace pictor::store
