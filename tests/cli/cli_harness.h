// Runs the real `pictor` binary with a private HOME, models directory and port, and captures
// its output and exit code.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace pictor::cli::test {

struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

std::filesystem::path make_temp_dir(const std::string& prefix);
std::string slurp(const std::filesystem::path& file);  // whole file, "" if it cannot be read
// Reaps the child `pid` (waitpid) and reads the files its stdout and stderr went to; the code
// is its exit status, or 128 + the signal that killed it.
RunResult wait_for_run(int pid, const std::filesystem::path& out_file, const std::filesystem::path& err_file);
int free_port();
bool port_open(int port);  // something accepts connections on 127.0.0.1:port

class Sandbox {
public:
    Sandbox();
    ~Sandbox();  // stops any server started in it, removes the directory

    RunResult run(const std::vector<std::string>& args, const std::filesystem::path& cwd = {}) const;

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path home() const { return root_ / "home"; }
    std::filesystem::path models() const { return root_ / "models"; }
    std::filesystem::path server_log() const { return home() / ".pictor" / "logs" / "server.log"; }
    int port() const { return port_; }
    // The pid the background server logged ("... pid N)"), or -1.
    int logged_server_pid() const;
    // SIGTERM to the logged server; waits until the port is free.
    void stop_server() const;

private:
    std::filesystem::path root_;
    int port_;
};

std::filesystem::path pictor_binary();
std::filesystem::path dev_model_dir();

// ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS of this process as "NAME=value" entries, to add
// to the environment of a child that gets an otherwise private one, so that a sanitized build's
// children report errors where scripts/test.sh --sanitize looks for them.
std::vector<std::string> sanitizer_env();

}  // namespace pictor::cli::test
