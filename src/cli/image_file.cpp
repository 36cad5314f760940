#include "cli/image_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "util/error.h"

namespace pictor::cli {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxStem = 50;
constexpr int kMaxCollisions = 10000;

[[noreturn]] void save_failed(const std::string& what) { fail(ErrorKind::Io, "failed to save image: " + what); }

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// A closed-on-scope file descriptor.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// A temp file next to the destination (same file system, so the final rename is atomic); it is
// removed unless commit() moved it into place.
class TempFile {
public:
    TempFile(const fs::path& dir, std::string_view bytes) {
        std::string tmpl = (dir / ".pictor-image-XXXXXX").string();
        Fd fd(::mkstemp(tmpl.data()));
        if (fd.get() < 0) save_failed(errno_text("cannot create a file in " + dir.string()));
        path_ = tmpl;
        // mkstemp makes 0600; a saved picture is an ordinary file.
        if (::fchmod(fd.get(), 0644) != 0) save_failed(errno_text(path_.string()));
        size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) save_failed(errno_text("cannot write " + path_.string()));
            done += static_cast<size_t>(n);
        }
        if (::fsync(fd.get()) != 0) save_failed(errno_text("cannot write " + path_.string()));
        if (::close(fd.release()) != 0) save_failed(errno_text("cannot write " + path_.string()));
    }
    ~TempFile() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    // Moves the temp file to `dest` unless something is there: true when moved, false when
    // `dest` exists. Other failures throw.
    bool commit_new(const fs::path& dest) {
        if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) == 0) {
            path_.clear();
            return true;
        }
        if (errno == EEXIST) return false;
        if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
            save_failed(errno_text("cannot create " + dest.string()));
        // The file system cannot rename without replacing: a hard link fails just as atomically
        // when the name is taken.
        if (::link(path_.c_str(), dest.c_str()) == 0) return true;  // the destructor drops the temp name
        if (errno == EEXIST) return false;
        save_failed(errno_text("cannot create " + dest.string()));
    }
    void commit_replacing(const fs::path& dest) {
        if (::rename(path_.c_str(), dest.c_str()) != 0) save_failed(errno_text("cannot write " + dest.string()));
        path_.clear();
    }

private:
    fs::path path_;
};

fs::path dir_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

}  // namespace

std::string sanitize_prompt(std::string_view prompt) {
    std::string out;
    for (char c : prompt) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c == ' ') c = '-';
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') out += c;
        if (out.size() == kMaxStem) break;
    }
    return out;
}

std::string image_stem(std::string_view prompt) {
    std::string s = sanitize_prompt(prompt);
    for (char c : s)
        if (c != '-') return s;
    return "image";
}

std::string file_timestamp(std::chrono::system_clock::time_point t) {
    const time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    localtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

fs::path write_new_file(const fs::path& dir, const std::string& stem, const std::string& ext, std::string_view bytes) {
    TempFile tmp(dir, bytes);
    for (int i = 0; i <= kMaxCollisions; ++i) {
        const std::string name = i == 0 ? stem + ext : stem + "-" + std::to_string(i) + ext;
        const fs::path dest = dir == "." ? fs::path(name) : dir / name;
        if (tmp.commit_new(dest)) return dest;
    }
    save_failed("too many files named " + (dir / (stem + "-N" + ext)).string());
}

void write_file_replacing(const fs::path& path, std::string_view bytes) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) save_failed(path.string() + " is a directory");
    TempFile tmp(dir_of(path), bytes);
    tmp.commit_replacing(path);
}

fs::path save_image(std::string_view png, std::string_view prompt, const std::string& output,
                    std::chrono::system_clock::time_point now) {
    const std::string stem = image_stem(prompt) + "-" + file_timestamp(now);
    if (output.empty()) return write_new_file(".", stem, ".png", png);
    std::error_code ec;
    const fs::path out(output);
    if (fs::is_directory(out, ec)) return write_new_file(out, stem, ".png", png);
    if (output.back() == '/') save_failed("directory " + output + " does not exist");
    if (!fs::is_directory(dir_of(out), ec)) save_failed("directory " + dir_of(out).string() + " does not exist");
    write_file_replacing(out, png);
    return out;
}

}  // namespace pictor::cli
