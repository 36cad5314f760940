// Small POSIX file helpers shared by the blob store and the manifest tree. They exist because
// std::filesystem cannot fsync, cannot create a file exclusively, and reports errors without the
// path the user needs to see. Every failure is an Error(Io) that names the path and strerror.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace pictor::store::fsutil {

// Owns a file descriptor; closing is the destructor's job so that no error path leaks one.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset();
    // close(2) with its error reported (a late write error can surface only here on NFS).
    void close_checked(const std::filesystem::path& p);

private:
    int fd_ = -1;
};

// "<what> <path>: <strerror(err)>"
[[noreturn]] void fail_errno(const std::string& what, const std::filesystem::path& p, int err);

// mkdir -p with mode 0755 for every directory it creates (reference §3.1).
void make_dirs(const std::filesystem::path& dir);
// Makes a rename or a new entry in dir durable. File systems that cannot fsync a directory
// (EINVAL) are tolerated: there is nothing more we can do there.
void fsync_dir(const std::filesystem::path& dir);
// 16 random lowercase hex digits, for temporary file names.
std::string random_hex();
// Creates a new file exclusively (O_EXCL) with mode 0644.
UniqueFd create_exclusive(const std::filesystem::path& p);
void write_all(int fd, const void* data, size_t size, const std::filesystem::path& p);
// Whole file (following symlinks). Error(NotFound) when it does not exist, Error(Io) otherwise.
std::string read_file(const std::filesystem::path& p);
// Lowercase hex SHA-256 of a file's content; size receives its length when not null.
std::string hash_file(const std::filesystem::path& p, uint64_t* size = nullptr);
// Sets mtime (and atime) to now.
void touch(const std::filesystem::path& p);
// mtime of the entry itself (a symlink is not followed).
std::filesystem::file_time_type lstat_mtime(const std::filesystem::path& p);
// True when the entry exists (a dangling symlink counts).
bool lexists(const std::filesystem::path& p);

}  // namespace pictor::store::fsutil
