// ModelFiles::release_pages: touched weight pages leave the process's RSS (RssFile) and the
// views keep reading the same bytes afterwards (issue 3: the text encoder's ~8 GB of mapped
// pages must not stay resident next to the DiT's).
#include <gtest/gtest.h>

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
        files_ = ModelFiles::open_directory(dir_.path());
    }

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

}  // namespace
}  // namespace pictor::store
