// Real clients against pictor: the official openai and ollama npm packages and the curl
// examples of Ollama's docs (tests/clients/). A GoogleTest wrapper so that ctest registers them
// without a CMake add_test; each case skips, saying why, where node/npm or the npm registry is
// missing.
//
// Two targets:
//  * AgainstFakeService: an in-process Server whose ImageService is the test fake. Checks that
//    the scripts and the HTTP surface agree, without the model pipeline.
//  * EndToEnd: the real `pictor serve` binary over a store holding the zimage-dev model, with
//    its scheduler and runner. Skips while /api/generate cannot generate yet (no runner).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "server/openai_test_support.h"
#include "support/fake_registry.h"
#include "support/npm_packages.h"

extern char** environ;

namespace pictor::server::test {
namespace {

using pictor::test::install_npm_packages;

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

const fs::path kClientsDir = fs::path(PICTOR_SOURCE_DIR) / "tests" / "clients";

struct ShellResult {
    int exit_code = -1;
    std::string output;
};

// Runs a shell command, stdout and stderr together. The command is built by this file only.
ShellResult shell(const std::string& command) {
    ShellResult r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return r;
}

bool have(const std::string& tool) { return shell("command -v " + tool + " >/dev/null").exit_code == 0; }

// Returns why the clients cannot run, or "" when they can.
std::string prepare_node_modules() {
    if (!have("node")) return "node is not installed: the npm client tests need Node.js 20+";
    return install_npm_packages(kClientsDir);
}

struct ScriptEnv {
    std::string url;
    std::string model = "dev";
    std::string size = "64x64";
    int steps = 2;
    std::string expect_size;  // checked PNG size, "" = any
    std::string only;         // PICTOR_ONLY step list, "" = all
    std::string registry;     // PICTOR_REGISTRY host:port, "" = no push/pull steps
    bool skip_native = false;
};

ShellResult run_script(const std::string& interpreter, const std::string& script, const ScriptEnv& e) {
    std::string cmd = "cd '" + kClientsDir.string() + "' && PICTOR_URL='" + e.url + "' PICTOR_MODEL='" + e.model +
                      "' PICTOR_SIZE='" + e.size + "' PICTOR_STEPS=" + std::to_string(e.steps);
    if (!e.expect_size.empty()) cmd += " PICTOR_EXPECT_SIZE='" + e.expect_size + "'";
    if (!e.only.empty()) cmd += " PICTOR_ONLY='" + e.only + "'";
    if (!e.registry.empty()) cmd += " PICTOR_REGISTRY='" + e.registry + "'";
    if (e.skip_native) cmd += " PICTOR_SKIP_NATIVE=1";
    cmd += " timeout 600 " + interpreter + " " + script;
    return shell(cmd);
}

void expect_script_passes(const ShellResult& r, const std::string& name) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("PASS " + name), std::string::npos) << r.output;
    std::cout << r.output;
}

// ---- against the fake service ------------------------------------------------------------------

class AgainstFakeService : public OpenAiServerTest {
protected:
    void SetUp() override {
        const std::string why = prepare_node_modules();
        if (!why.empty()) GTEST_SKIP() << why;
        OpenAiServerTest::SetUp();
        env_.url = "http://127.0.0.1:" + std::to_string(server_->port());
        env_.expect_size = "8x8";  // what the fake returns, whatever was asked
    }
    ScriptEnv env_;
};

TEST_F(AgainstFakeService, OpenAiPackage) {
    expect_script_passes(run_script("node", "openai_images.mjs", env_), "openai_images");
    // The SDK's requests arrived as sent: size and the extension fields.
    const auto calls = fake_.calls();
    ASSERT_FALSE(calls.empty());
    EXPECT_EQ(calls[0].width, 64);
    EXPECT_EQ(calls[0].steps, 2);
    EXPECT_EQ(calls[0].seed, 42u);
}

TEST_F(AgainstFakeService, OllamaPackage) {
    expect_script_passes(run_script("node", "ollama_client.mjs", env_), "ollama_client");
}

TEST_F(AgainstFakeService, CurlExamples) {
    if (!have("curl") || !have("jq")) GTEST_SKIP() << "curl and jq are needed for the curl examples";
    expect_script_passes(run_script("bash", "curl_examples.sh", env_), "curl_examples");
}

// ---- end to end: the real binary ---------------------------------------------------------------

// `pictor serve` as a child process; the destructor stops it (SIGTERM, then SIGKILL).
class ServeProcess {
public:
    ServeProcess(const fs::path& models, int port, const fs::path& log) {
        const std::string host = "PICTOR_HOST=127.0.0.1:" + std::to_string(port);
        const std::string store = "PICTOR_MODELS=" + models.string();
        std::vector<std::string> env_strings = {host, store, "PICTOR_NOPRUNE=1"};
        for (char** e = environ; *e; ++e) {
            const std::string_view v(*e);
            if (!v.starts_with("PICTOR_HOST=") && !v.starts_with("PICTOR_MODELS=")) env_strings.emplace_back(v);
        }
        std::vector<char*> envp;
        for (auto& s : env_strings) envp.push_back(s.data());
        envp.push_back(nullptr);
        std::string bin = (fs::path(PICTOR_BINARY_DIR) / "pictor").string(), serve = "serve";
        std::array<char*, 3> argv{bin.data(), serve.data(), nullptr};

        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        if (posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~ServeProcess() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(100ms);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;
    bool started() const { return pid_ > 0; }
    bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

private:
    pid_t pid_ = -1;
};

// A port that was free a moment ago: bind to 0, read it, close. (Not through httplib::Server:
// its destructor leaves an unused listening socket open, and with SO_REUSEPORT the kernel
// would then hand some of pictor serve's connections to that dead socket.)
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(EndToEnd, ClientsAgainstPictorServe) {
    const std::string why = prepare_node_modules();
    if (!why.empty()) GTEST_SKIP() << why;
    const fs::path bin = fs::path(PICTOR_BINARY_DIR) / "pictor";
    if (!fs::exists(bin)) GTEST_SKIP() << bin << " is not built";

    const fs::path models = make_temp_dir("pictor-e2e-clients");
    struct Cleanup {
        fs::path p;
        ~Cleanup() { fs::remove_all(p); }
    } cleanup{models};

    const ShellResult created = shell("PICTOR_MODELS='" + models.string() + "' '" + bin.string() + "' create dev '" +
                              dev_model_dir().string() + "'");
    ASSERT_EQ(created.exit_code, 0) << created.output;

    const int port = free_port();
    ASSERT_GT(port, 0);
    const fs::path log = models / "serve.log";
    ServeProcess serve(models, port, log);
    ASSERT_TRUE(serve.started());

    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(600));
    bool up = false;
    for (int i = 0; i < 300 && serve.alive() && !up; ++i) {
        if (auto r = c.Get("/"); r && r->status == 200) up = true;
        else std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(up) << "pictor serve did not answer GET /:\n" << read_file(log);

    // Until the scheduler and runner exist, generation answers 501 (no image service) or 500
    // (no runner); the clients cannot be checked end to end then.
    const json probe{{"model", "dev"}, {"prompt", "probe"}, {"width", 64}, {"height", 64}, {"steps", 2}, {"stream", false}};
    auto p = c.Post("/api/generate", probe.dump(), "application/json");
    ASSERT_TRUE(p) << "no answer from /api/generate:\n" << read_file(log);
    if (p->status == 501 || p->status == 500 || p->status == 404)
        GTEST_SKIP() << "pictor serve cannot generate yet (POST /api/generate: " << p->status << " " << p->body
                     << "); the clients were checked against the fake service only";
    ASSERT_EQ(p->status, 200) << p->body;

    pictor::test::FakeRegistry registry;
    ScriptEnv env;
    env.url = "http://127.0.0.1:" + std::to_string(port);
    env.expect_size = "64x64";
    env.registry = registry.host();
    expect_script_passes(run_script("node", "openai_images.mjs", env), "openai_images");
    expect_script_passes(run_script("node", "ollama_client.mjs", env), "ollama_client");
    if (have("curl") && have("jq")) expect_script_passes(run_script("bash", "curl_examples.sh", env), "curl_examples");
    if (HasFailure()) std::cout << "--- pictor serve log ---\n" << read_file(log);
}

}  // namespace
}  // namespace pictor::server::test
