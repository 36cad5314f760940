// `pictor run`, `ps` and `stop` as a user runs them: the real binary against a fake server
// (run_fake_server.h), with stdin, stdout and stderr not terminals (one test uses a pty).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/cli_harness.h"
#include "cli/run_fake_server.h"

namespace pictor::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RunCommandTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = make_temp_dir("pictor-run");
        fs::create_directories(dir_ / "home");
        fs::create_directories(dir_ / "work");
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Runs pictor in dir_/work with `stdin_text` as stdin; SIGINT after `signal_after_ms` if >= 0.
    RunResult run(const std::vector<std::string>& cli_args, const std::string& stdin_text = "", int signal_after_ms = -1) {
        const fs::path in_file = dir_ / "stdin.txt", out_file = dir_ / "stdout.txt", err_file = dir_ / "stderr.txt";
        std::ofstream(in_file, std::ios::binary) << stdin_text;
        std::vector<std::string> env{"HOME=" + (dir_ / "home").string(), "PATH=/usr/bin:/bin",
                                     "PICTOR_HOST=127.0.0.1:" + std::to_string(server_.port()),
                                     "PICTOR_MODELS=" + (dir_ / "models").string(), "TERM_PROGRAM=iTerm.app",
                                     "KITTY_WINDOW_ID=1"};
        for (auto& e : sanitizer_env()) env.push_back(std::move(e));
        std::vector<std::string> args{pictor_binary().string()};
        args.insert(args.end(), cli_args.begin(), cli_args.end());
        std::vector<char*> argv, envp;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        const std::string cwd = (dir_ / "work").string();
        const pid_t pid = fork();
        if (pid == 0) {
            const int i = open(in_file.c_str(), O_RDONLY);
            const int o = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int e = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(i, 0);
            dup2(o, 1);
            dup2(e, 2);
            if (chdir(cwd.c_str()) != 0) _exit(126);
            execve(argv[0], argv.data(), envp.data());
            _exit(127);
        }
        if (signal_after_ms >= 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(signal_after_ms));
            kill(pid, SIGINT);
        }
        return wait_for_run(pid, out_file, err_file);
    }

    std::vector<fs::path> pngs() const {
        std::vector<fs::path> out;
        for (const auto& e : fs::directory_iterator(dir_ / "work"))
            if (e.path().extension() == ".png") out.push_back(e.path());
        return out;
    }

    FakeServer server_;
    fs::path dir_;
};

TEST_F(RunCommandTest, SavesTheImageAndSaysWhere) {
    const RunResult r = run({"run", "img", "A cat", "in space!"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto files = pngs();
    ASSERT_EQ(files.size(), 1u);
    const std::string name = files[0].filename().string();
    EXPECT_EQ(name.rfind("a-cat-in-space-", 0), 0u) << name;
    EXPECT_EQ(slurp(files[0]), server_.png());
    EXPECT_EQ(r.out, "Image saved to: " + name + "\n");
    // Not terminals: no escape codes anywhere, no inline image even though the terminal
    // variables claim iTerm2/kitty, and the random seed is reported.
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
    EXPECT_NE(r.err.find("Seed: 1234"), std::string::npos) << r.err;

    // The request: a preload, then the prompt with nothing the user did not ask for.
    const auto bodies = server_.generate_bodies();
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(bodies[0], (json{{"model", "img"}}));
    EXPECT_EQ(bodies[1], (json{{"model", "img"}, {"prompt", "A cat in space!"}}));

    // The same second again: a new name, the first file untouched.
    const RunResult again = run({"run", "img", "A cat", "in space!"});
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(pngs().size(), 2u);
}

TEST_F(RunCommandTest, ForwardsEveryFlag) {
    const RunResult r = run({"run", "img", "--width", "512", "--height", "768", "--steps", "4", "--seed", "42",
                              "--negative", "blurry", "--guidance", "0", "--keepalive", "10m", "-o", "out.png", "a dog"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Image saved to: out.png\n");
    EXPECT_EQ(slurp(dir_ / "work" / "out.png"), server_.png());
    EXPECT_EQ(r.err.find("Seed:"), std::string::npos);  // the user chose it
    const auto bodies = server_.generate_bodies();
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(bodies[0], (json{{"model", "img"}, {"keep_alive", "600s"}}));
    const json& b = bodies[1];
    EXPECT_EQ(b["prompt"], "a dog");
    EXPECT_EQ(b["width"], 512);
    EXPECT_EQ(b["height"], 768);
    EXPECT_EQ(b["steps"], 4);
    EXPECT_EQ(b["options"]["seed"], 42);
    EXPECT_EQ(b["negative_prompt"], "blurry");
    EXPECT_EQ(b["guidance"], 0.0);
    EXPECT_EQ(b["keep_alive"], "600s");
}

TEST_F(RunCommandTest, OutputDirectory) {
    fs::create_directory(dir_ / "work" / "pics");
    const RunResult r = run({"run", "img", "-o", "pics", "日本語"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("Image saved to: pics/image-", 0), 0u) << r.out;
}

TEST_F(RunCommandTest, PromptFromStdin) {
    const RunResult r = run({"run", "img", "watercolor"}, "a lighthouse at dusk\n");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(server_.generate_bodies().back()["prompt"], "a lighthouse at dusk watercolor");
    ASSERT_EQ(pngs().size(), 1u);
    EXPECT_EQ(pngs()[0].filename().string().rfind("a-lighthouse-at-dusk-watercolor-", 0), 0u);
}

TEST_F(RunCommandTest, NoPromptAndNoTerminalIsAUsageError) {
    const RunResult r = run({"run", "img"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("Error: image generation models require a prompt. Usage: pictor run img \"your prompt here\""),
              std::string::npos)
        << r.err;
}

TEST_F(RunCommandTest, ErrorsExitOneWithTheServersMessage) {
    RunResult r = run({"run", "midfail", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error: runner crashed: out of memory\n");
    EXPECT_EQ(r.out, "");

    r = run({"run", "noimage", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("Error: the server finished without an image"), std::string::npos) << r.err;

    r = run({"run", "status500", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error: model requires 99 GiB but only 8 GiB are available\n");

    r = run({"run", "nosuch", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error: model 'nosuch' not found\n");

    r = run({"run", "textonly", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("does not support image generation"), std::string::npos) << r.err;
    EXPECT_TRUE(pngs().empty());
}

TEST_F(RunCommandTest, BadFlagsAreUsageErrors) {
    EXPECT_EQ(run({"run", "img", "--keepalive", "soon", "x"}).code, 2);
    EXPECT_EQ(run({"run", "img", "--width", "-5", "x"}).code, 2);
    EXPECT_EQ(run({"run", "img", "--guidance", "-1", "x"}).code, 2);
    EXPECT_TRUE(server_.generate_bodies().empty());
}

TEST_F(RunCommandTest, CtrlCCancelsOnTheServer) {
    const auto start = std::chrono::steady_clock::now();
    const RunResult r = run({"run", "slow", "x"}, "", 700);
    EXPECT_EQ(r.code, 130) << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(r.err.find("Error:"), std::string::npos) << r.err;
    for (int i = 0; i < 50 && !server_.client_went_away(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(server_.client_went_away());
    EXPECT_TRUE(pngs().empty());
}

TEST_F(RunCommandTest, PsTable) {
    server_.set_running({{"z-image:latest", 0}});
    RunResult r = run({"ps"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("NAME              ID              SIZE     PROCESSOR    CONTEXT    UNTIL"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("z-image:latest    0123456789ab    14 GB    100% CPU     0          Forever"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("QUEUE"), std::string::npos);

    server_.set_running({{"z-image:latest", 2}});
    r = run({"ps"});
    EXPECT_NE(r.out.find("QUEUE"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Forever    2"), std::string::npos) << r.out;
}

TEST_F(RunCommandTest, Stop) {
    server_.set_running({{"img:latest", 0}});
    RunResult r = run({"stop", "img"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto bodies = server_.generate_bodies();
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_EQ(bodies[0], (json{{"model", "img"}, {"prompt", ""}, {"keep_alive", 0}}));

    r = run({"stop", "other"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "Error: couldn't find model \"other\" to stop\n");
}

// Interactive mode through a pseudo-terminal: preload, /set, /show, an unknown command,
// a generation, Ctrl-C on an empty line, /bye.
TEST_F(RunCommandTest, InteractiveSession) {
    int master = -1;
    std::vector<std::string> env{"HOME=" + (dir_ / "home").string(), "PATH=/usr/bin:/bin", "TERM=xterm",
                                 "PICTOR_HOST=127.0.0.1:" + std::to_string(server_.port()), "PICTOR_NOHISTORY=1",
                                 "KITTY_WINDOW_ID=1"};
    for (auto& e : sanitizer_env()) env.push_back(std::move(e));
    std::vector<std::string> args{pictor_binary().string(), "run", "img"};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string cwd = (dir_ / "work").string();
    const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (chdir(cwd.c_str()) != 0) _exit(126);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    std::string screen;
    auto read_until = [&](const std::string& want) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (screen.find(want) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
            pollfd p{master, POLLIN, 0};
            if (poll(&p, 1, 100) > 0) {
                char buf[4096];
                const ssize_t n = read(master, buf, sizeof buf);
                if (n <= 0) break;
                screen.append(buf, static_cast<size_t>(n));
            }
        }
        return screen.find(want) != std::string::npos;
    };
    auto type = [&](const std::string& s) { ASSERT_EQ(write(master, s.data(), s.size()), static_cast<ssize_t>(s.size())); };

    ASSERT_TRUE(read_until("Describe an image to generate (/help for commands)")) << screen;
    type("/set steps 3\r");
    ASSERT_TRUE(read_until("Set steps to 3")) << screen;
    type("/show\r");
    ASSERT_TRUE(read_until("  steps: 3")) << screen;
    type("/frobnicate\r");
    ASSERT_TRUE(read_until("Error: Unknown command: /frobnicate (try /help)")) << screen;
    // The second line is typed ahead, while the first one generates (the terminal is not in
    // raw mode then): it must not be lost when the prompt comes back.
    type("a tiny robot\r/set seed 5\r");
    ASSERT_TRUE(read_until("Image saved to: a-tiny-robot-")) << screen;
    ASSERT_TRUE(read_until("Set seed to 5")) << screen;
    // stderr is the terminal too: the spinner with its phase word, then the step bar in place.
    EXPECT_NE(screen.find("\r\x1b[K⠋ Loading model"), std::string::npos) << screen;
    EXPECT_NE(screen.find("\r\x1b[KGenerating  50% ▕█ ▏ 1/2"), std::string::npos) << screen;
    EXPECT_NE(screen.find("\x1b_Ga=T,f=100"), std::string::npos);  // stdout is a kitty terminal here
    type("\x03");
    ASSERT_TRUE(read_until("Use Ctrl + d or /bye to exit.")) << screen;
    type("/bye\r");
    int status = 0;
    for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
        pollfd p{master, POLLIN, 0};  // keep draining so the child never blocks on output
        if (poll(&p, 1, 100) > 0) {
            char buf[4096];
            if (read(master, buf, sizeof buf) <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    close(master);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << screen;

    const auto bodies = server_.generate_bodies();
    ASSERT_GE(bodies.size(), 2u);
    EXPECT_EQ(bodies.back()["prompt"], "a tiny robot");
    EXPECT_EQ(bodies.back()["steps"], 3);
    EXPECT_EQ(pngs().size(), 1u);
}

}  // namespace
}  // namespace pictor::cli::test
