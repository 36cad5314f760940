#include "store/blob_store.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "store/digest.h"
#include "store/store_test_util.h"
#include "util/error.h"
#include "util/sha256.h"

using namespace pictor::store;
using pictor::Error;
using pictor::ErrorKind;
using pictor::Sha256;
using pictor::store::testing::TempDir;
using pictor::store::testing::make_old;
using pictor::store::testing::names_in;
using pictor::store::testing::read_file;
namespace fs = std::filesystem;

namespace {

mode_t mode_of(const fs::path& p) {
    struct stat st;
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
}

TEST(BlobStore, PutWritesContentAddressedFile) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    BlobRef ref = blobs.put("hello");
    EXPECT_EQ(ref.digest, "sha256:" + Sha256::hex_of("hello"));
    EXPECT_EQ(ref.size, 5u);
    EXPECT_FALSE(ref.existed);
    const fs::path p = tmp.path() / "blobs" / ("sha256-" + Sha256::hex_of("hello"));
    EXPECT_EQ(blobs.path_of(ref.digest), p);
    EXPECT_EQ(read_file(p), "hello");
    EXPECT_EQ(blobs.read(ref.digest), "hello");
    EXPECT_TRUE(blobs.has(ref.digest));
    EXPECT_TRUE(blobs.verify(ref.digest));
    EXPECT_EQ(mode_of(p), 0644u);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(mode_of(tmp.path() / "blobs"), 0755u & ~mask);
    // Only the blob: no temp file left behind.
    EXPECT_EQ(names_in(blobs.dir()), std::vector<std::string>{p.filename().string()});
}

TEST(BlobStore, IdenticalBlobIsReusedAndTouched) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    BlobRef first = blobs.put("same bytes");
    const fs::path p = blobs.path_of(first.digest);
    make_old(p);
    const auto old = fs::last_write_time(p);
    BlobRef second = blobs.put("same bytes");
    EXPECT_TRUE(second.existed);
    EXPECT_EQ(second.digest, first.digest);
    EXPECT_GT(fs::last_write_time(p), old + std::chrono::hours(2));
    EXPECT_EQ(names_in(blobs.dir()).size(), 1u);
}

TEST(BlobStore, DamagedBlobOfOtherSizeIsReplaced) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    BlobRef ref = blobs.put("the real content");
    pictor::store::testing::write_file(blobs.path_of(ref.digest), "short");
    BlobRef again = blobs.put("the real content");
    EXPECT_FALSE(again.existed);
    EXPECT_EQ(blobs.read(ref.digest), "the real content");
}

TEST(BlobStore, StreamingWriterMatchesPut) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    std::string big(3 * 1024 * 1024 + 17, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
    BlobStore::Writer w = blobs.begin_write();
    for (size_t off = 0; off < big.size(); off += 100000) w.write(big.data() + off, std::min<size_t>(100000, big.size() - off));
    BlobRef ref = w.commit("sha256:" + Sha256::hex_of(big));
    EXPECT_EQ(ref.size, big.size());
    EXPECT_EQ(blobs.read(ref.digest), big);
}

TEST(BlobStore, UncommittedWriterLeavesNothing) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    {
        BlobStore::Writer w = blobs.begin_write();
        w.write("partial", 7);
        EXPECT_EQ(names_in(blobs.dir()).size(), 1u);  // the temp file exists while writing...
        const std::string name = names_in(blobs.dir()).front();
        EXPECT_FALSE(is_valid_digest(name)) << "a temp file must never look like a blob: " << name;
        BlobStore::Writer moved(std::move(w));  // ...and ownership follows a move
    }
    EXPECT_TRUE(names_in(blobs.dir()).empty());
}

TEST(BlobStore, ExpectedDigestMismatchRemovesTempFile) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    BlobStore::Writer w = blobs.begin_write();
    w.write("abc", 3);
    try {
        w.commit("sha256:" + Sha256::hex_of("abd"));
        ADD_FAILURE() << "mismatch accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
        EXPECT_NE(std::string(e.what()).find("digest mismatch"), std::string::npos);
    }
    EXPECT_TRUE(names_in(blobs.dir()).empty());
    EXPECT_THROW(w.commit(), Error);  // finished writers refuse further use
}

// Restores the file-size limit and SIGXFSZ disposition however the test ends.
struct FileSizeLimit {
    rlimit saved{};
    void (*saved_handler)(int) = nullptr;
    explicit FileSizeLimit(rlim_t limit) {
        getrlimit(RLIMIT_FSIZE, &saved);
        saved_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit l = saved;
        l.rlim_cur = limit;
        setrlimit(RLIMIT_FSIZE, &l);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, saved_handler);
    }
};

TEST(BlobStore, WriteErrorIsIoNamesThePathAndLeavesNoTempFile) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    BlobStore::Writer w = blobs.begin_write();
    const std::string chunk(64 * 1024, 'x');
    bool threw = false;
    {
        // A full disk, simulated: writes past 100 KiB fail with EFBIG as they would with ENOSPC.
        FileSizeLimit limit(100 * 1024);
        try {
            for (int i = 0; i < 4; ++i) w.write(chunk.data(), chunk.size());
        } catch (const Error& e) {
            threw = true;
            EXPECT_EQ(e.kind(), ErrorKind::Io);
            const std::string msg = e.what();
            EXPECT_NE(msg.find((tmp.path() / "blobs" / "sha256-").string()), std::string::npos) << msg;
            EXPECT_NE(msg.find(std::strerror(EFBIG)), std::string::npos) << msg;
        }
    }
    EXPECT_TRUE(threw);
    EXPECT_TRUE(names_in(blobs.dir()).empty());
    EXPECT_THROW(w.write("x", 1), Error);
}

TEST(BlobStore, ReadAndVerify) {
    TempDir tmp;
    BlobStore blobs(tmp.path());
    const std::string missing = "sha256:" + std::string(64, 'a');
    try {
        blobs.read(missing);
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    }
    EXPECT_FALSE(blobs.has(missing));
    EXPECT_FALSE(blobs.verify(missing));
    BlobRef ref = blobs.put("original");
    pictor::store::testing::write_file(blobs.path_of(ref.digest), "tampered");
    EXPECT_FALSE(blobs.verify(ref.digest));
    EXPECT_THROW(blobs.path_of("../../etc/passwd"), Error);
    EXPECT_THROW(blobs.read("sha256:xyz"), Error);
}

}  // namespace
