#include "image_fixture.h"

#include <unistd.h>

#include <csignal>
#include <fstream>

#include "server/host.h"

namespace pictor::server::test {
namespace fs = std::filesystem;

fs::path pictor_binary() { return fs::path(PICTOR_BINARY_DIR) / "pictor"; }

SchedulerOptions fake_runner_options(int step_ms, int load_ms) {
    SchedulerOptions o;
    o.runner_executable = pictor_binary();
    o.runner_args = {"--fake-engine", "--fake-step-ms", std::to_string(step_ms), "--fake-load-ms", std::to_string(load_ms)};
    o.kill_grace = std::chrono::seconds(2);
    return o;
}

SchedulerOptions real_runner_options() {
    SchedulerOptions o;
    o.runner_executable = pictor_binary();
    return o;
}

std::vector<pid_t> runner_pids() {
    std::vector<pid_t> out;
    const pid_t self = ::getpid();
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(e.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        // pid (comm) state ppid ...; comm may contain spaces, so parse after the last ')'.
        const size_t rp = line.rfind(')');
        if (rp == std::string::npos) continue;
        std::istringstream rest(line.substr(rp + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid != self || state == 'Z') continue;
        std::ifstream cmd(e.path() / "cmdline");
        std::string args((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
        if (args.find(std::string("runner\0", 7)) != std::string::npos) out.push_back(std::stoi(name));
    }
    return out;
}

bool process_alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const size_t rp = line.rfind(')');
    return rp != std::string::npos && rp + 2 < line.size() && line[rp + 2] != 'Z';
}

std::string LogCapture::text() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return str();
}
int LogCapture::sync() { return 0; }
std::streamsize LogCapture::xsputn(const char* s, std::streamsize n) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return std::stringbuf::xsputn(s, n);
}
int LogCapture::overflow(int c) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return std::stringbuf::overflow(c);
}

ImageServer::ImageServer(const fs::path& models, SchedulerOptions options) {
    std::signal(SIGPIPE, SIG_IGN);
    Settings s;
    s.address = parse_host("127.0.0.1:0");
    s.models = models;
    ctx_ = std::make_unique<ServerContext>(s, logger_);
    scheduler_ = std::make_unique<Scheduler>(ctx_->store, logger_, std::move(options));
    ctx_->images = scheduler_.get();
    server_ = std::make_unique<Server>(*ctx_);
    port_ = server_->bind();
    server_->start();
}

ImageServer::~ImageServer() {
    server_->stop();
    scheduler_->shutdown();
    server_.reset();
    scheduler_.reset();
}

httplib::Client ImageServer::client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(std::chrono::seconds(120));
    return c;
}

}  // namespace pictor::server::test
