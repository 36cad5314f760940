#include "server/runner_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include "util/error.h"

namespace pictor::server {
namespace {

constexpr size_t kMaxLine = 256u << 20;

// Owns one descriptor until release(): the constructor's pipes are closed on every error path.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~UniqueFd() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

struct Pipe {
    UniqueFd r, w;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail(ErrorKind::Internal, std::string("cannot create a pipe: ") + std::strerror(errno));
    // A server started with 0-2 closed would get them here; move the ends to >= 3 so the
    // child's dup2 onto 0-2 always makes a fresh descriptor (dup2 onto itself keeps CLOEXEC).
    for (int& fd : fds) {
        if (fd > 2) continue;
        const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        ::close(fd);
        fd = moved;
    }
    Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
    if (p.r.get() < 0 || p.w.get() < 0) fail(ErrorKind::Internal, "cannot create a pipe");
    return p;
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(int in, int out, int err, pid_t parent, char* const* argv) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    // The pipe ends are all >= 3 (make_pipe), so dup2 never clobbers a source.
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
        for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGPIPE, SIGINT, SIGTERM}) ::signal(s, SIG_DFL);
    ::execv(argv[0], argv);
    const char msg[] = "cannot execute the runner binary\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
}

ExitStatus from_wait_status(int st) {
    ExitStatus e;
    if (WIFEXITED(st)) e.code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) e.signal = WTERMSIG(st);
    return e;
}

}  // namespace

std::string ExitStatus::describe() const {
    if (signal == 0) return "exit status " + std::to_string(code);
    const char* name = ::strsignal(signal);
    std::string s = name ? name : ("signal " + std::to_string(signal));
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return "signal: " + s;
}

RunnerProcess::RunnerProcess(const std::vector<std::string>& argv, LineFn on_stderr_line,
                             std::chrono::milliseconds kill_grace)
    : grace_(kill_grace) {
    if (argv.empty()) fail(ErrorKind::Internal, "runner: empty command line");
    std::vector<std::string> args = argv;  // stable storage for the char* array
    std::vector<char*> cargv;
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);

    Pipe in = make_pipe();
    Pipe out = make_pipe();
    Pipe err = make_pipe();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) exec_child(in.r.get(), out.w.get(), err.w.get(), parent, cargv.data());
    if (pid_ < 0) fail(ErrorKind::Internal, std::string("cannot start the runner: fork: ") + std::strerror(errno));
    // The child's ends close here (the child has its own copies), the parent's are kept.
    stdin_fd_ = in.w.release();
    stdout_fd_ = out.r.release();
    const int err_fd = err.r.release();
    err_thread_ = std::thread([this, err_fd, fn = std::move(on_stderr_line)] { drain_stderr(err_fd, fn); });
}

RunnerProcess::~RunnerProcess() {
    stop();
    if (err_thread_.joinable()) err_thread_.join();
    close_fd(stdout_fd_);
}

void RunnerProcess::drain_stderr(int fd, LineFn on_line) {
    std::string buf;
    char chunk[4096];
    auto emit = [&](std::string line) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) return;
        if (on_line) on_line(line);
        std::lock_guard lock(mu_);
        last_err_ = std::move(line);
    };
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1)
            emit(buf.substr(start, nl - start));
        buf.erase(0, start);
        if (buf.size() > 65536) emit(std::exchange(buf, {}));  // a runaway line without newline
    }
    emit(std::move(buf));
    ::close(fd);
}

bool RunnerProcess::write_line(std::string_view line) {
    if (stdin_fd_ < 0) return false;
    std::string data(line);
    data += '\n';
    size_t off = 0;
    while (off < data.size()) {
        // MSG_NOSIGNAL does not apply to pipes; the server ignores SIGPIPE, so EPIPE comes back.
        const ssize_t n = ::write(stdin_fd_, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

RunnerProcess::Read RunnerProcess::read_line(std::string& line, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (const size_t nl = out_buf_.find('\n'); nl != std::string::npos) {
            line.assign(out_buf_, 0, nl);
            out_buf_.erase(0, nl + 1);
            return Read::Line;
        }
        if (stdout_fd_ < 0) return Read::Eof;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return Read::Timeout;
        pollfd p{stdout_fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return Read::Timeout;
        char chunk[65536];
        const ssize_t n = r < 0 ? -1 : ::read(stdout_fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close_fd(stdout_fd_);
            return Read::Eof;  // a partial last line is discarded: it cannot be a whole event
        }
        out_buf_.append(chunk, static_cast<size_t>(n));
        if (out_buf_.size() > kMaxLine) fail(ErrorKind::Internal, "runner wrote a line longer than 256 MiB");
    }
}

std::optional<ExitStatus> RunnerProcess::poll_exit() {
    std::lock_guard lock(mu_);
    if (exit_) return exit_;
    if (pid_ <= 0) return std::nullopt;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) exit_ = from_wait_status(st);
    return exit_;
}

std::optional<ExitStatus> RunnerProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto e = poll_exit()) return e;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string RunnerProcess::last_stderr_line() const {
    std::lock_guard lock(mu_);
    return last_err_;
}

void RunnerProcess::join_stderr() {
    if (err_thread_.joinable()) err_thread_.join();
}

ExitStatus RunnerProcess::stop() {
    close_fd(stdin_fd_);  // EOF: a healthy runner finishes on its own
    if (auto e = poll_exit()) return *e;
    ::kill(pid_, SIGTERM);
    if (auto e = wait_exit(grace_)) return *e;
    ::kill(pid_, SIGKILL);
    std::lock_guard lock(mu_);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    exit_ = from_wait_status(st);
    return *exit_;
}

}  // namespace pictor::server
