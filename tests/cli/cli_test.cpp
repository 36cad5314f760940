// The real binary end to end: create, list (starting the server in the background), show, cp,
// rm, push and pull (through an in-process registry), and the exit codes of failures and usage
// mistakes.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/cli_harness.h"
#include "cli/format.h"
#include "support/fake_registry.h"
#include "cli/status_printer.h"

namespace pictor::cli::test {
namespace {

namespace fs = std::filesystem;

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

TEST(CliFormat, HumanBytes) {
    EXPECT_EQ(human_bytes(999), "999 B");
    EXPECT_EQ(human_bytes(1000), "1 KB");
    EXPECT_EQ(human_bytes(1'234'567), "1.2 MB");
    EXPECT_EQ(human_bytes(39'000'000), "39 MB");
    EXPECT_EQ(human_bytes(12'345'678'901ULL), "12 GB");
    EXPECT_EQ(human_bytes(2'000'000'000ULL), "2 GB");
}

TEST(CliFormat, HumanTime) {
    using namespace std::chrono;
    const auto now = system_clock::now();
    EXPECT_EQ(human_time(now, now), "Less than a second ago");
    EXPECT_EQ(human_time(now - seconds(30), now), "30 seconds ago");
    EXPECT_EQ(human_time(now - seconds(65), now), "About a minute ago");
    EXPECT_EQ(human_time(now - minutes(2), now), "2 minutes ago");
    EXPECT_EQ(human_time(now - minutes(61), now), "About an hour ago");
    EXPECT_EQ(human_time(now - hours(5), now), "5 hours ago");
    EXPECT_EQ(human_time(now - hours(24 * 3), now), "3 days ago");
    EXPECT_EQ(human_time(now + hours(5), now), "5 hours from now");
}

TEST(CliFormat, ParseRfc3339) {
    auto t = parse_rfc3339("2023-11-14T22:13:20.5Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count(), 1700000000500LL);
    auto z = parse_rfc3339("2023-11-15T00:13:20+02:00");
    ASSERT_TRUE(z);
    EXPECT_EQ(std::chrono::system_clock::to_time_t(*z), 1700000000);
    EXPECT_FALSE(parse_rfc3339("yesterday"));
}

TEST(CliFormat, TableAndBar) {
    EXPECT_EQ(render_table({{"NAME", "ID"}, {"dev:latest", "abc"}}), "NAME          ID\ndev:latest    abc\n");
    EXPECT_EQ(render_table({{"", "key", "v"}}), "    key    v\n");
    EXPECT_EQ(progress_bar(50, 100, 4), "50% ▕██  ▏ 50 B/100 B");
}

TEST(Cli, UsageAndVersion) {
    Sandbox box;
    auto help = box.run({});
    EXPECT_EQ(help.code, 0);
    EXPECT_TRUE(has(help.out, "create")) << help.out;
    EXPECT_EQ(box.run({"frobnicate"}).code, 2);
    EXPECT_EQ(box.run({"create"}).code, 2);
    EXPECT_EQ(box.run({"cp", "only-one"}).code, 2);
    auto v = box.run({"--version"});
    EXPECT_EQ(v.code, 0);
    EXPECT_TRUE(has(v.out, "Warning: client version is 0.1.0")) << v.out;
    EXPECT_FALSE(fs::exists(box.server_log())) << "--version must not start a server";
}

TEST(Cli, CreateErrors) {
    Sandbox box;
    auto bad_name = box.run({"create", "../../etc", dev_model_dir().string()});
    EXPECT_EQ(bad_name.code, 1);
    EXPECT_TRUE(has(bad_name.err, "Error: invalid model name: ../../etc")) << bad_name.err;

    auto not_diffusers = box.run({"create", "x", box.root().string()});
    EXPECT_EQ(not_diffusers.code, 1);
    EXPECT_TRUE(has(not_diffusers.err, "Error: ")) << not_diffusers.err;
    EXPECT_TRUE(has(not_diffusers.err, "model_index.json")) << not_diffusers.err;

    auto bad_q = box.run({"create", "x", dev_model_dir().string(), "-q", "int4"});
    EXPECT_EQ(bad_q.code, 1);
    EXPECT_TRUE(has(bad_q.err, "unsupported quantization type")) << bad_q.err;

    auto missing_mf = box.run({"create", "x", "-f", (box.root() / "NoSuchModelfile").string()});
    EXPECT_EQ(missing_mf.code, 1);
    EXPECT_TRUE(has(missing_mf.err, "NoSuchModelfile")) << missing_mf.err;

    EXPECT_FALSE(fs::exists(box.models() / "manifests-v2" / "ollama.com" / "library" / "x"));
}

TEST(Cli, EndToEnd) {
    Sandbox box;

    // create: status lines on stderr (plain: not a terminal), result on stdout.
    auto c = box.run({"create", "dev", dev_model_dir().string()});
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(c.out, "Created image generation model 'dev'\n");
    EXPECT_TRUE(has(c.err, "importing image generation model\n")) << c.err;
    EXPECT_TRUE(std::regex_search(c.err, std::regex(R"(importing transformer/\S+\.safetensors \(\d+ tensors\))"))) << c.err;
    EXPECT_TRUE(has(c.err, "writing manifest for dev")) << c.err;
    EXPECT_TRUE(std::regex_search(c.err, std::regex(R"(successfully imported dev\S* with \d+ layers)"))) << c.err;
    EXPECT_FALSE(has(c.err, "\x1b[")) << "no terminal control codes when stderr is not a TTY";

    // A Modelfile in the working directory supplies FROM, parameters and the license.
    const fs::path work = box.root() / "work";
    fs::create_directories(work);
    std::ofstream(work / "Modelfile") << "FROM " << dev_model_dir().string()
                                      << "\nPARAMETER steps 4\nLICENSE \"\"\"Apache License\nVersion 2.0\n\"\"\"\n";
    auto mf = box.run({"create", "tuned"}, work);
    ASSERT_EQ(mf.code, 0) << mf.err;
    EXPECT_EQ(mf.out, "Created image generation model 'tuned'\n");

    // -f with a Modelfile that has no FROM: PATH supplies it.
    std::ofstream(work / "Params") << "PARAMETER steps 6\n";
    auto nofrom = box.run({"create", "six", dev_model_dir().string(), "-f", (work / "Params").string()}, box.root());
    ASSERT_EQ(nofrom.code, 0) << nofrom.err;
    auto bad_mf = box.run({"create", "bad", "-f", (work / "Params").string()}, box.root());
    EXPECT_EQ(bad_mf.code, 1);
    EXPECT_TRUE(has(bad_mf.err, "no FROM line")) << bad_mf.err;

    // list starts the server in the background and says where it logs.
    auto l = box.run({"list"});
    ASSERT_EQ(l.code, 0) << l.err;
    EXPECT_TRUE(has(l.err, "Started pictor server in the background (log: " + box.server_log().string() + ")")) << l.err;
    EXPECT_GT(box.logged_server_pid(), 0);
    EXPECT_TRUE(std::regex_search(l.out, std::regex(R"(^NAME\s+ID\s+SIZE\s+MODIFIED\n)"))) << l.out;
    EXPECT_TRUE(std::regex_search(l.out, std::regex(R"(\ntuned:latest\s+[0-9a-f]{12}\s+\d+(\.\d)? [KMG]?B\s+\S.* ago\n)")))
        << l.out;
    EXPECT_TRUE(has(l.out, "dev:latest")) << l.out;
    EXPECT_LT(l.out.find("tuned:latest"), l.out.find("dev:latest")) << "newest first";

    auto again = box.run({"ls"});
    ASSERT_EQ(again.code, 0);
    EXPECT_FALSE(has(again.err, "Started")) << again.err;

    // show
    auto s = box.run({"show", "dev"});
    ASSERT_EQ(s.code, 0) << s.err;
    EXPECT_TRUE(std::regex_search(s.out, std::regex(R"(  Model\n    architecture\s+ZImagePipeline\n)"))) << s.out;
    EXPECT_TRUE(std::regex_search(s.out, std::regex(R"(\n    quantization\s+BFLOAT16\n)"))) << s.out;
    EXPECT_TRUE(has(s.out, "  Capabilities\n    image\n")) << s.out;
    EXPECT_FALSE(has(s.out, "Tensors"));

    auto st = box.run({"show", "tuned"});
    ASSERT_EQ(st.code, 0) << st.err;
    EXPECT_TRUE(std::regex_search(st.out, std::regex(R"(  Parameters\n    steps\s+4\n)"))) << st.out;
    EXPECT_TRUE(has(st.out, "  License\n    Apache License\n    Version 2.0\n")) << st.out;
    auto six = box.run({"show", "six", "--parameters"});
    EXPECT_TRUE(std::regex_search(six.out, std::regex(R"(^steps\s+6\n)"))) << six.out;
    auto sp = box.run({"show", "tuned", "--parameters"});
    EXPECT_TRUE(std::regex_search(sp.out, std::regex(R"(^steps\s+4\n)"))) << sp.out;
    auto sl = box.run({"show", "tuned", "--license"});
    EXPECT_TRUE(has(sl.out, "Apache License\nVersion 2.0")) << sl.out;
    auto sm = box.run({"show", "tuned", "--modelfile"});
    EXPECT_TRUE(has(sm.out, "FROM tuned:latest\n")) << sm.out;
    EXPECT_EQ(box.run({"show", "tuned", "--license", "--modelfile"}).code, 1);
    auto tt = box.run({"show", "tuned", "--template"});  // Ollama's flag; an image model has none
    EXPECT_EQ(tt.code, 0) << tt.err;
    EXPECT_EQ(tt.out, "\n");
    EXPECT_EQ(box.run({"show", "tuned", "--system"}).code, 0);

    auto sv = box.run({"show", "dev", "--verbose"});
    ASSERT_EQ(sv.code, 0) << sv.err;
    EXPECT_TRUE(std::regex_search(sv.out, std::regex(R"(  Tensors\n    \S+\s+(BF16|F32)\s+\[\d+( \d+)*\]\n)"))) << sv.out;

    auto missing = box.run({"show", "nope"});
    EXPECT_EQ(missing.code, 1);
    EXPECT_EQ(missing.err, "Error: model 'nope' not found\n");

    // cp / rm
    auto cp = box.run({"cp", "dev", "dev2"});
    ASSERT_EQ(cp.code, 0) << cp.err;
    EXPECT_EQ(cp.out, "copied 'dev' to 'dev2'\n");
    auto cp_bad = box.run({"cp", "nope", "x"});
    EXPECT_EQ(cp_bad.code, 1);
    EXPECT_EQ(cp_bad.err, "Error: model \"nope\" not found\n");

    auto rm = box.run({"rm", "dev2", "tuned", "six"});
    ASSERT_EQ(rm.code, 0) << rm.err;
    EXPECT_EQ(rm.out, "deleted 'dev2'\ndeleted 'tuned'\ndeleted 'six'\n");
    auto rm_again = box.run({"rm", "dev2"});
    EXPECT_EQ(rm_again.code, 1);
    EXPECT_EQ(rm_again.err, "Error: model 'dev2' not found\n");
    auto rm_bad = box.run({"rm", "../x"});
    EXPECT_EQ(rm_bad.code, 1);
    EXPECT_EQ(rm_bad.err, "Error: name \"../x\" is invalid\n");

    auto after = box.run({"list"});
    EXPECT_TRUE(has(after.out, "dev:latest"));
    EXPECT_FALSE(has(after.out, "dev2"));
    EXPECT_FALSE(has(after.out, "tuned"));

    // push and pull through a registry: the model goes out and comes back under its name.
    {
        pictor::test::FakeRegistry registry;
        const std::string there = registry.host() + "/me/dev";
        ASSERT_EQ(box.run({"cp", "dev", there}).code, 0);
        auto push = box.run({"push", "--insecure", there});
        EXPECT_EQ(push.code, 0) << push.err;
        EXPECT_EQ(push.out, "success\n");
        EXPECT_TRUE(has(push.err, "pushing model")) << push.err;
        ASSERT_EQ(box.run({"rm", there}).code, 0);
        auto pull = box.run({"pull", "--insecure", there});
        EXPECT_EQ(pull.code, 0) << pull.err;
        EXPECT_EQ(pull.out, "success\n");
        EXPECT_TRUE(has(pull.err, "pulling manifest")) << pull.err;
        EXPECT_TRUE(has(pull.err, "writing manifest")) << pull.err;
        EXPECT_TRUE(has(box.run({"list"}).out, there + ":latest"));
        ASSERT_EQ(box.run({"rm", there}).code, 0);
        auto missing = box.run({"pull", "--insecure", registry.host() + "/me/absent"});
        EXPECT_EQ(missing.code, 1);
        EXPECT_TRUE(has(missing.err, "Error: pull model manifest: file does not exist")) << missing.err;
        auto plain = box.run({"pull", "http://" + there});
        EXPECT_EQ(plain.code, 1);
        EXPECT_TRUE(has(plain.err, "Error: insecure protocol http")) << plain.err;
    }

    // --version now reports the running server.
    auto v = box.run({"--version"});
    EXPECT_EQ(v.out, "pictor version is 0.1.0\n");

    // The server logged the requests.
    box.stop_server();
    std::ifstream logf(box.server_log());
    std::stringstream log;
    log << logf.rdbuf();
    EXPECT_TRUE(std::regex_search(log.str(), std::regex(R"(\| 200 \| .* \| GET +"/api/tags")"))) << log.str();
    EXPECT_TRUE(has(log.str(), "server stopped")) << log.str();
}

TEST(Cli, ServeInForegroundStopsOnSigterm) {
    Sandbox box;
    // Started by hand (as a user would), it serves until SIGTERM; the CLI then uses it
    // without starting another.
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string exe = pictor_binary().string();
        setenv("HOME", box.home().c_str(), 1);
        setenv("PICTOR_MODELS", box.models().c_str(), 1);
        setenv("PICTOR_HOST", ("127.0.0.1:" + std::to_string(box.port())).c_str(), 1);
        const std::string log = (box.root() / "fg.log").string();
        freopen(log.c_str(), "w", stderr);
        execl(exe.c_str(), exe.c_str(), "serve", static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 200 && !port_open(box.port()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const bool up = port_open(box.port());
    EXPECT_TRUE(up) << "the foreground server did not start";
    if (up) {
        const RunResult l = box.run({"list"});
        EXPECT_EQ(l.code, 0) << l.err;
        EXPECT_FALSE(has(l.err, "Started")) << l.err;
    }
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace pictor::cli::test
