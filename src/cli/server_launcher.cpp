#include "cli/server_launcher.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <thread>
#include <vector>

#include "util/error.h"

namespace pictor::cli {
namespace fs = std::filesystem;

fs::path server_log_path() {
    const char* home = std::getenv("HOME");
    std::string h = home && *home ? home : "";
    if (h.empty()) {
        if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) h = pw->pw_dir;
    }
    if (h.empty()) h = ".";
    return fs::path(h) / ".pictor" / "logs" / "server.log";
}

namespace {

// Starts `<this executable> serve` detached from the terminal; returns the child's pid.
pid_t spawn_server(const fs::path& log) {
    std::error_code ec;
    fs::create_directories(log.parent_path(), ec);
    if (ec) fail(ErrorKind::Io, "cannot create " + log.parent_path().string() + ": " + ec.message());
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) fail(ErrorKind::Io, "cannot find the pictor executable: " + ec.message());

    // Prepare everything that allocates before fork; the child only calls async-signal-safe functions.
    const std::string exe_s = exe.string(), log_s = log.string();
    std::vector<char*> argv{const_cast<char*>(exe_s.c_str()), const_cast<char*>("serve"), nullptr};
    const int log_fd = ::open(log_s.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) fail(ErrorKind::Io, "cannot open " + log_s + ": " + std::strerror(errno));
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

    const pid_t pid = fork();
    if (pid < 0) {
        ::close(log_fd);
        if (null_fd >= 0) ::close(null_fd);
        fail(ErrorKind::Io, std::string("cannot start the server: ") + std::strerror(errno));
    }
    if (pid == 0) {
        setsid();  // survive the terminal closing and the CLI's Ctrl-C
        if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        // The CLI may have blocked signals for its own watcher; the server needs them.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execv(exe_s.c_str(), argv.data());
        _exit(127);
    }
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return pid;
}

}  // namespace

void ensure_server(const ApiClient& client, std::ostream& err, std::chrono::milliseconds timeout) {
    if (client.heartbeat()) return;
    const std::string url = client.address().url();
    if (!client.address().is_local())
        fail(ErrorKind::Unavailable, "could not connect to pictor server at " + url + ": is it running?");

    const fs::path log = server_log_path();
    const pid_t pid = spawn_server(log);
    err << "Started pictor server in the background (log: " << log.string() << ")" << std::endl;

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (client.heartbeat(std::chrono::milliseconds(250))) return;
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail(ErrorKind::Unavailable, "the pictor server exited at start; see " + log.string());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    fail(ErrorKind::Unavailable, "the pictor server did not answer at " + url + " within " +
                                     std::to_string(timeout.count() / 1000) + " s; see " + log.string());
}

}  // namespace pictor::cli
