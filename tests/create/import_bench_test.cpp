// Import speed against the floor: reading and SHA-256 hashing the source files once, in one
// pass (what any content-addressed import must at least do). Size from PICTOR_IMPORT_BENCH_MB
// (default 128 MiB, so the suite stays quick); a 1.5 GB run:
//   PICTOR_IMPORT_BENCH_MB=1536 ./test_create --gtest_filter='ImportBench.*'
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "create/import.h"
#include "create_test_util.h"
#include "util/sha256.h"

namespace pictor::create {
namespace {

using namespace testing;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Sequential read() + SHA-256 of every *.safetensors file under dir.
uint64_t read_and_hash(const fs::path& dir) {
    std::vector<char> buf(8u << 20);
    uint64_t total = 0;
    for (auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.path().extension() != ".safetensors") continue;
        int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("open " + e.path().string());
        Sha256 h;
        for (;;) {
            ssize_t n = ::read(fd, buf.data(), buf.size());
            if (n <= 0) break;
            h.update(buf.data(), size_t(n));
            total += uint64_t(n);
        }
        ::close(fd);
        (void)h.hex_digest();
    }
    return total;
}

// The disk's floor for the same bytes: one stream of 8 MiB writes and one fsync, in the folder
// the blobs go to. Import writes every byte durably, so it cannot beat this either.
double write_and_sync_seconds(const fs::path& dir, uint64_t bytes) {
    fs::create_directories(dir);
    fs::path f = dir / "write-floor.tmp";
    std::vector<char> buf(8u << 20, 'x');
    auto t0 = Clock::now();
    int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("open " + f.string());
    for (uint64_t done = 0; done < bytes;) {
        size_t n = size_t(std::min<uint64_t>(buf.size(), bytes - done));
        if (::write(fd, buf.data(), n) != ssize_t(n)) throw std::runtime_error("write " + f.string());
        done += n;
    }
    ::fsync(fd);
    ::close(fd);
    double s = seconds_since(t0);
    fs::remove(f);
    return s;
}

TEST(ImportBench, RatioToReadAndHash) {
    uint64_t mb = 128;
    if (const char* s = std::getenv("PICTOR_IMPORT_BENCH_MB")) mb = std::strtoull(s, nullptr, 10);
    TempDir tmp;
    fs::path dir = tmp.path() / "m";
    auto t0 = Clock::now();
    make_synth_model(dir, mb, 4, 1024, 3);
    std::printf("generated %llu MiB synthetic model in %.2fs\n", (unsigned long long)mb, seconds_since(t0));

    read_and_hash(dir);  // warm the page cache so both measurements see the same cache state
    t0 = Clock::now();
    uint64_t bytes = read_and_hash(dir);
    double base = seconds_since(t0);

    store::ModelStore st(tmp.path() / "models");
    CreateRequest req;
    req.name = store::ModelName::parse("bench");
    req.source_dir = dir;
    if (const char* s = std::getenv("PICTOR_IMPORT_BENCH_THREADS")) req.threads = std::atoi(s);
    t0 = Clock::now();
    auto r = create_model(st, req, nullptr);
    double imp = seconds_since(t0);

    // Second import of the same model: every blob exists already (hash, compare, discard).
    t0 = Clock::now();
    create_model(st, req, nullptr);
    double again = seconds_since(t0);

    double floor_write = write_and_sync_seconds(tmp.path() / "floor", bytes);
    double gbs = double(bytes) / 1e9;
    std::printf("write+fsync floor %.3fs (%.2f GB/s); import / max(read+sha256, write floor) = %.2f\n", floor_write,
                gbs / floor_write, imp / std::max(base, floor_write));
    std::printf("read+sha256 %.3f GB: %.3fs (%.2f GB/s); import: %.3fs (%.2f GB/s, %zu layers); "
                "ratio %.2f; re-import %.3fs (ratio %.2f)\n",
                gbs, base, gbs / base, imp, gbs / imp, r.layer_count, imp / base, again, again / base);
    if (std::getenv("PICTOR_IMPORT_BENCH_ASSERT")) {
        EXPECT_LT(imp / base, 1.5);
    }
}

}  // namespace
}  // namespace pictor::create
