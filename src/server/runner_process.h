// One child process with its stdin, stdout and stderr on pipes — how the scheduler owns a
// runner. RAII: destroying it stops the child (stdin closed, SIGTERM, SIGKILL after a grace
// period) and reaps it, so a runner can never outlive its owner or linger as a zombie.
//
// Fork hygiene, since the server is multi-threaded: everything the child needs is prepared
// before fork(), and the child calls only async-signal-safe functions before exec. The child
// closes every inherited descriptor except its three pipes (the server's sockets and store
// files must not leak into it), restores the default signal mask and dispositions (the server
// blocks SIGINT/SIGTERM for its watcher thread and ignores SIGPIPE), and asks the kernel for
// SIGTERM when the thread that forked it exits (PR_SET_PDEATHSIG): a crashed or killed server
// leaves no orphans.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pictor::server {

struct ExitStatus {
    int code = -1;    // exit code when the process exited
    int signal = 0;   // the signal that killed it, else 0
    // Go's wording, as Ollama logs it: "exit status 1", "signal: killed".
    std::string describe() const;
};

class RunnerProcess {
public:
    using LineFn = std::function<void(std::string_view)>;

    // argv[0] is the executable's path. Error(Internal) when the pipes or fork fail; an exec
    // failure shows up as exit status 127 with the reason on stderr.
    RunnerProcess(const std::vector<std::string>& argv, LineFn on_stderr_line,
                  std::chrono::milliseconds kill_grace = std::chrono::seconds(5));
    ~RunnerProcess();
    RunnerProcess(const RunnerProcess&) = delete;
    RunnerProcess& operator=(const RunnerProcess&) = delete;

    pid_t pid() const { return pid_; }

    // Writes line + '\n' to the child's stdin. False when the child has closed it (exited).
    bool write_line(std::string_view line);

    enum class Read { Line, Timeout, Eof };
    // The next line of the child's stdout (without '\n'), waiting at most `timeout`.
    // Lines are capped at 256 MiB (a base64 PNG of the largest image is far below).
    Read read_line(std::string& line, std::chrono::milliseconds timeout);

    // The exit status once the child has exited (reaps it), else nullopt. Thread-safe.
    std::optional<ExitStatus> poll_exit();
    // Waits up to `timeout` for the child to exit on its own.
    std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
    // The last non-empty line the child wrote to stderr (its last words when it dies).
    std::string last_stderr_line() const;
    // Once the child has exited: waits until its stderr is drained, so that last_stderr_line()
    // really holds its last words.
    void join_stderr();

    // Closes stdin, sends SIGTERM, waits up to the grace period, then SIGKILL; reaps. Idempotent.
    ExitStatus stop();

private:
    void drain_stderr(int fd, LineFn on_line);

    pid_t pid_ = -1;
    int stdin_fd_ = -1, stdout_fd_ = -1;
    std::chrono::milliseconds grace_;
    std::string out_buf_;
    mutable std::mutex mu_;  // guards exit_ and last_err_
    std::optional<ExitStatus> exit_;
    std::string last_err_;
    std::thread err_thread_;
};

}  // namespace pictor::server
