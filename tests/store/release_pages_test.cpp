// ModelFiles::release_pages: touched weight pages leave the process's RSS (RssFile) and the
// views keep reading the same bytes afterwards (issue 3: the text encoder's ~8 GB of mapped
// pages must not stay resident next to the DiT's).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "store/model_files.h"
#include "store/safetensors.h"
#include "store_test_util.h"

namespace pictor::store {
namespace {

constexpr int64_t kBytes = 64 << 20;
constexpr int64_t kMiB = 1 << 20;

// A field of /proc/self/status in bytes, -1 when the kernel does not report it.
int64_t status_bytes(const std::string& key) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
    return -1;
}

// Reads every page (the sum also proves the bytes are unchanged after a release).
uint64_t touch(std::span<const std::byte> b) {
    uint64_t sum = 0;
    for (size_t i = 0; i < b.size(); i += 512) sum += uint64_t(b[i]) * (i / 512 % 7 + 1);
    return sum;
}

// Fraction of the pages of [offset, offset + len) of `path` that are in the page cache (mincore
// on a mapping of our own), -1 when that cannot be asked.
double cached_fraction(const std::filesystem::path& path, int64_t offset, int64_t len) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    const int64_t page = ::sysconf(_SC_PAGESIZE);
    const int64_t first = offset / page * page, size = offset + len - first;
    void* p = ::mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, first);
    ::close(fd);
    if (p == MAP_FAILED) return -1;
    std::vector<unsigned char> vec(size_t((size + page - 1) / page));
    const bool ok = ::mincore(p, size_t(size), vec.data()) == 0;
    ::munmap(p, size_t(size));
    if (!ok) return -1;
    const auto resident = std::count_if(vec.begin(), vec.end(), [](unsigned char c) { return c & 1; });
    return double(resident) / double(vec.size());
}

// Whether this file system lets posix_fadvise drop cached pages at all (tmpfs, for one, cannot).
bool page_cache_can_be_dropped(const std::filesystem::path& dir) {
    const auto path = dir / "probe";
    {
        std::ofstream out(path, std::ios::binary);
        std::vector<char> buf(size_t(4 * kMiB), 'x');
        out.write(buf.data(), std::streamsize(buf.size()));
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ::fsync(fd);
    std::vector<char> buf(size_t(4 * kMiB));
    const bool read_ok = ::pread(fd, buf.data(), buf.size(), 0) == ssize_t(buf.size());
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    const double left = cached_fraction(path, 0, 4 * kMiB);
    std::filesystem::remove(path);
    return read_ok && left >= 0 && left < 0.5;
}

class ReleasePagesTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (status_bytes("RssFile") < 0) GTEST_SKIP() << "no RssFile in /proc/self/status";
        std::vector<TensorDecl> decls{{"w", DType::U8, {kBytes}}, {"small", DType::U8, {16}}};
        std::filesystem::create_directories(dir_.path() / "text_encoder");
        SafetensorsWriter wr(dir_.path() / "text_encoder" / "model.safetensors", decls);
        std::vector<uint8_t> chunk(static_cast<size_t>(kMiB));
        for (int64_t c = 0; c < kBytes / kMiB; ++c) {
            for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = uint8_t((i * 31 + size_t(c) * 7) >> 3);
            wr.write(chunk.data(), chunk.size());
        }
        wr.write(chunk.data(), 16);
        wr.finish();
        // Written pages must be clean before the page cache may drop them.
        const int fd = ::open(path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) ::fsync(fd), ::close(fd);
        files_ = ModelFiles::open_directory(dir_.path());
    }

    std::filesystem::path path() const { return dir_.path() / "text_encoder" / "model.safetensors"; }

    testing::TempDir dir_;
    std::unique_ptr<ModelFiles> files_;
};

TEST_F(ReleasePagesTest, ComponentReleaseDropsTouchedPages) {
    const WeightView& w = files_->get("text_encoder", "w");
    ASSERT_EQ(int64_t(w.bytes.size()), kBytes);
    const int64_t before = status_bytes("RssFile");
    const uint64_t sum = touch(w.bytes);
    const int64_t touched = status_bytes("RssFile");
    EXPECT_GT(touched - before, kBytes * 3 / 4) << "reading the weight should fault its pages in";

    files_->release_pages("text_encoder");
    const int64_t released = status_bytes("RssFile");
    EXPECT_GT(touched - released, kBytes * 3 / 4) << "RssFile " << touched << " -> " << released;

    // The view is still valid and reads the same bytes (faulted back in from the page cache).
    EXPECT_EQ(touch(w.bytes), sum);
    EXPECT_EQ(files_->get("text_encoder", "small").bytes.size(), 16u);
}

TEST_F(ReleasePagesTest, RangeReleaseDropsOnlyMappedRanges) {
    const WeightView& w = files_->get("text_encoder", "w");
    const uint64_t sum = touch(w.bytes);
    const int64_t touched = status_bytes("RssFile");

    // Heap memory is never advised away (MADV_DONTNEED would zero it).
    std::vector<std::byte> heap(size_t(8 * kMiB), std::byte{0x5a});
    files_->release_pages(std::span<const std::byte>(heap));
    EXPECT_TRUE(std::all_of(heap.begin(), heap.end(), [](std::byte b) { return b == std::byte{0x5a}; }));
    // Nor is a range that only starts inside the mapping and runs past its end.
    files_->release_pages(std::span<const std::byte>(w.bytes.data() + kBytes / 2, size_t(kBytes)));
    EXPECT_LT(touched - status_bytes("RssFile"), kBytes / 4);

    files_->release_pages(w.bytes.subspan(0, size_t(kBytes / 2)));
    const int64_t half = status_bytes("RssFile");
    EXPECT_GT(touched - half, kBytes * 3 / 8);
    EXPECT_LT(touched - half, kBytes * 5 / 8 + kMiB);
    EXPECT_EQ(touch(w.bytes), sum);

    // Components that were never opened are simply skipped.
    files_->release_pages("transformer");
}

// evict_pages: the copied weight's pages leave the RSS and the page cache, the rest stays.
TEST_F(ReleasePagesTest, EvictDropsPagesFromThePageCacheToo) {
    if (!page_cache_can_be_dropped(dir_.path())) GTEST_SKIP() << "this file system keeps its pages cached";
    const WeightView& w = files_->get("text_encoder", "w");
    const uint64_t sum = touch(w.bytes);
    const int64_t touched = status_bytes("RssFile");
    // File offset of the weight: its distance from the start of the (page-aligned) mapping is
    // not known here, but the data section starts after the header, well under 1 MiB in.
    const int64_t file_size = int64_t(std::filesystem::file_size(path()));
    const int64_t offset = file_size - 16 - kBytes;
    ASSERT_GT(cached_fraction(path(), offset, kBytes), 0.9);

    files_->evict_pages(w.bytes.subspan(0, size_t(kBytes / 2)));
    EXPECT_LT(cached_fraction(path(), offset + kMiB, kBytes / 2 - 2 * kMiB), 0.1) << "the first half is still cached";
    EXPECT_GT(cached_fraction(path(), offset + kBytes / 2 + kMiB, kBytes / 2 - 2 * kMiB), 0.9)
        << "the second half was not asked to go";
    EXPECT_GT(touched - status_bytes("RssFile"), kBytes * 3 / 8) << "evicted pages leave the RSS too";

    // The view still reads the same bytes (from the disk now).
    EXPECT_EQ(touch(w.bytes), sum);
    // Release without eviction leaves the page cache alone.
    files_->release_pages(w.bytes);
    EXPECT_GT(cached_fraction(path(), offset + kMiB, kBytes - 2 * kMiB), 0.9);
}

}  // namespace
}  // namespace pictor::store
