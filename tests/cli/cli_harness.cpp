#include "cli/cli_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace pictor::cli::test {
namespace fs = std::filesystem;

fs::path make_temp_dir(const std::string& prefix) {
    std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

fs::path pictor_binary() { return fs::path(PICTOR_BINARY_DIR) / "pictor"; }
fs::path dev_model_dir() { return fs::path(PICTOR_SHARED_DIR) / "testdata" / "zimage-dev" / "model"; }

std::vector<std::string> sanitizer_env() {
    std::vector<std::string> env;
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
        if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
    return env;
}

Sandbox::Sandbox() : root_(make_temp_dir("pictor-cli")), port_(free_port()) {
    fs::create_directories(home());
}

Sandbox::~Sandbox() {
    stop_server();
    std::error_code ec;
    fs::remove_all(root_, ec);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

RunResult wait_for_run(int pid, const fs::path& out_file, const fs::path& err_file) {
    int status = 0;
    waitpid(pid, &status, 0);
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out_file);
    r.err = slurp(err_file);
    return r;
}

bool port_open(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

RunResult Sandbox::run(const std::vector<std::string>& args, const fs::path& cwd) const {
    const fs::path out_file = root_ / "stdout.txt", err_file = root_ / "stderr.txt";
    const std::string exe = pictor_binary().string();
    std::vector<std::string> env_s{"HOME=" + home().string(), "PICTOR_MODELS=" + models().string(),
                                   "PICTOR_HOST=127.0.0.1:" + std::to_string(port_), "PATH=/usr/bin:/bin"};
    for (auto& e : sanitizer_env()) env_s.push_back(std::move(e));
    std::vector<char*> envp, argv;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args_s{exe};
    args_s.insert(args_s.end(), args.begin(), args.end());
    for (auto& a : args_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string dir = cwd.empty() ? root_.string() : cwd.string();

    const pid_t pid = fork();
    if (pid == 0) {
        const int o = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int n = open("/dev/null", O_RDONLY);
        dup2(n, 0);
        dup2(o, 1);
        dup2(e, 2);
        if (chdir(dir.c_str()) != 0) _exit(126);
        execve(exe.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    return wait_for_run(pid, out_file, err_file);
}

int Sandbox::logged_server_pid() const {
    const std::string log = slurp(server_log());
    std::smatch m;
    int pid = -1;
    std::string rest = log;
    static const std::regex re(R"(Listening on \S+ \(version \S+, pid (\d+)\))");
    while (std::regex_search(rest, m, re)) {
        pid = std::stoi(m[1]);
        rest = m.suffix();
    }
    return pid;
}

void Sandbox::stop_server() const {
    const int pid = logged_server_pid();
    if (pid <= 0) return;
    // Only signal the process if it still is our pictor server (pids get reused).
    const std::string cmdline = slurp("/proc/" + std::to_string(pid) + "/cmdline");
    if (cmdline.find("pictor") == std::string::npos || cmdline.find("serve") == std::string::npos) return;
    if (kill(pid, SIGTERM) != 0) return;
    // Wait for the process itself to end, not just for its port to close: it logs its last lines
    // after the listener is gone. The server was started by a CLI process that has exited, so
    // init reaps it; a zombie's cmdline is empty.
    for (int i = 0; i < 200; ++i) {
        if (slurp("/proc/" + std::to_string(pid) + "/cmdline").empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace pictor::cli::test
