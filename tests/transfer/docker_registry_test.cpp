// pull and push against a real third-party registry: Docker's distribution registry (Debian's
// `docker-registry` package, the software behind most private registries), started on a free
// port over a temporary folder. Skips, saying why, where it is not installed.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <httplib.h>

#include "store/model_store.h"
#include "transfer/pull.h"
#include "transfer/push.h"
#include "util/error.h"

extern char** environ;

namespace pictor::transfer {
namespace {

namespace fs = std::filesystem;

std::string find_in_path(const std::string& exe) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (size_t start = 0; start <= dirs.size();) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const fs::path candidate = fs::path(dirs.substr(start, end - start)) / exe;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return "";
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

class DockerRegistry {
public:
    explicit DockerRegistry(const std::string& binary) {
        dir_ = fs::temp_directory_path() / ("pictor-docker-registry-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        port_ = free_port();
        std::ofstream(dir_ / "config.yml") << "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                                           << "    rootdirectory: " << (dir_ / "data").string() << "\nhttp:\n"
                                           << "  addr: 127.0.0.1:" << port_ << "\n";
        const std::string config = (dir_ / "config.yml").string(), log = (dir_ / "log").string();
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<std::string> args{binary, "serve", config};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
        httplib::Client c("127.0.0.1", port_);
        for (int i = 0; i < 200 && pid_ > 0; ++i) {  // up to 10 s
            if (auto r = c.Get("/v2/"); r && r->status == 200) {
                ready_ = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ~DockerRegistry() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    bool ready() const { return ready_; }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string log() const {
        std::ifstream f(dir_ / "log");
        return std::string(std::istreambuf_iterator<char>(f), {});
    }

private:
    fs::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    bool ready_ = false;
};

TEST(DockerRegistry, PushThenPullGivesTheSameModel) {
    const std::string binary = find_in_path("docker-registry");
    if (binary.empty()) GTEST_SKIP() << "docker-registry is not installed (Debian package docker-registry)";
    DockerRegistry registry(binary);
    ASSERT_TRUE(registry.ready()) << registry.log();

    const fs::path root = fs::temp_directory_path() / ("pictor-docker-registry-stores-" + std::to_string(::getpid()));
    fs::remove_all(root);
    store::ModelStore a(root / "a"), b(root / "b");
    store::Manifest m;
    const store::BlobRef cfg = a.blobs().put(R"({"model_format":"safetensors","capabilities":["image"]})");
    m.config = {std::string(store::kConfigMediaType), cfg.digest, cfg.size, "", ""};
    std::mt19937 rng(7);
    for (size_t n : {size_t(2) << 20, size_t(100), size_t(0)}) {
        std::string bytes(n, '\0');
        for (char& c : bytes) c = char(rng());
        const store::BlobRef l = a.blobs().put(bytes);
        m.layers.push_back({std::string(store::kTensorMediaType), l.digest, l.size, "", "w" + std::to_string(n)});
    }
    const auto name = store::ModelName::parse(registry.host() + "/me/tiny:v1");
    a.write_manifest(name, m);

    RegistryOptions o;
    o.insecure = true;
    ASSERT_NO_THROW(push_model(a, {name, o}, nullptr)) << registry.log();
    ASSERT_NO_THROW(pull_model(b, {name, o}, nullptr)) << registry.log();
    EXPECT_EQ(b.get_bytes(name), a.get_bytes(name));
    for (const auto& l : b.get(name).manifest.layers) EXPECT_TRUE(b.blobs().verify(l.digest)) << l.digest;

    try {
        pull_model(b, {store::ModelName::parse(registry.host() + "/me/absent"), o}, nullptr);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
    }
    fs::remove_all(root);
}

}  // namespace
}  // namespace pictor::transfer
