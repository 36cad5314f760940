#include "store/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "util/error.h"
#include "util/sha256.h"

namespace pictor::store::fsutil {

namespace fs = std::filesystem;

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        reset();
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

void UniqueFd::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void UniqueFd::close_checked(const fs::path& p) {
    if (fd_ < 0) return;
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail_errno("cannot close", p, errno);
}

void fail_errno(const std::string& what, const fs::path& p, int err) {
    fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::Io, what + " " + p.string() + ": " + std::strerror(err));
}

void make_dirs(const fs::path& dir) {
    if (dir.empty()) return;
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) fail(ErrorKind::Io, "cannot create directory " + dir.string() + ": a file is in the way");
        return;
    }
    make_dirs(dir.parent_path());
    // EEXIST: another thread or process created it in between, which is what we wanted.
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) fail_errno("cannot create directory", dir, errno);
}

void fsync_dir(const fs::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) fail_errno("cannot open directory", dir, errno);
    if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP) fail_errno("cannot sync directory", dir, errno);
}

std::string random_hex() {
    // A fresh random_device per call: temp names only need to be unlikely to collide between
    // threads and processes, and O_EXCL catches the rest.
    std::random_device rd;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 4; ++i) {
        uint32_t v = rd();
        for (int j = 0; j < 4; ++j, v >>= 4) s += kHex[v & 0xf];
    }
    return s;
}

UniqueFd create_exclusive(const fs::path& p) {
    UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) fail_errno("cannot create", p, errno);
    return fd;
}

void write_all(int fd, const void* data, size_t size, const fs::path& p) {
    const char* ptr = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, ptr, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("cannot write", p, errno);
        }
        ptr += n;
        size -= static_cast<size_t>(n);
    }
}

namespace {

// Reads fd to the end, feeding each chunk to sink.
template <typename Sink>
void read_all(int fd, const fs::path& p, Sink&& sink) {
    std::string buf(1 << 20, '\0');
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("cannot read", p, errno);
        }
        if (n == 0) break;
        sink(buf.data(), static_cast<size_t>(n));
    }
}

UniqueFd open_read(const fs::path& p) {
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) fail_errno("cannot open", p, errno);
    return fd;
}

}  // namespace

std::string read_file(const fs::path& p) {
    UniqueFd fd = open_read(p);
    std::string out;
    read_all(fd.get(), p, [&](const char* d, size_t n) { out.append(d, n); });
    return out;
}

std::string hash_file(const fs::path& p, uint64_t* size) {
    UniqueFd fd = open_read(p);
    Sha256 h;
    uint64_t total = 0;
    read_all(fd.get(), p, [&](const char* d, size_t n) {
        h.update(d, n);
        total += n;
    });
    if (size) *size = total;
    return h.hex_digest();
}

void touch(const fs::path& p) {
    if (::utimensat(AT_FDCWD, p.c_str(), nullptr, 0) != 0) fail_errno("cannot update the time of", p, errno);
}

fs::file_time_type lstat_mtime(const fs::path& p) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) fail_errno("cannot stat", p, errno);
    const auto since_epoch = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    const std::chrono::sys_time<std::chrono::nanoseconds> sys(since_epoch);
    return std::chrono::time_point_cast<fs::file_time_type::duration>(std::chrono::file_clock::from_sys(sys));
}

bool lexists(const fs::path& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace pictor::store::fsutil
