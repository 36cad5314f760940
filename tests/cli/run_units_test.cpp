// Unit tests of `pictor run`'s pieces: file names, the step bar, keep-alive and /set parsing,
// request bodies, NDJSON frame handling, inline image escapes and the line editor's buffer.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/cmd_run_options.h"
#include "cli/cmd_run_stream.h"
#include "cli/image_file.h"
#include "cli/inline_image.h"
#include "cli/line_editor.h"
#include "cli/progress_bar.h"
#include "cli/cli_harness.h"
#include "util/base64.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(RunFileName, SanitizeFollowsTheReference) {
    EXPECT_EQ(sanitize_prompt("A Cat, in SPACE!"), "a-cat-in-space");
    EXPECT_EQ(sanitize_prompt("héllo wörld"), "hllo-wrld");
    EXPECT_EQ(sanitize_prompt("tabs\tand\nnewlines"), "tabsandnewlines");
    EXPECT_EQ(sanitize_prompt(std::string(80, 'x')), std::string(50, 'x'));
    EXPECT_EQ(sanitize_prompt("already-dashed 2"), "already-dashed-2");
}

TEST(RunFileName, PromptsWithoutLettersBecomeImage) {
    EXPECT_EQ(image_stem("日本語の猫"), "image");
    EXPECT_EQ(image_stem("   "), "image");
    EXPECT_EQ(image_stem(""), "image");
    EXPECT_EQ(image_stem("!!!"), "image");
    EXPECT_EQ(image_stem("42"), "42");
    EXPECT_EQ(image_stem("a red fox"), "a-red-fox");
}

TEST(RunFileName, Timestamp) {
    const std::string t = file_timestamp(std::chrono::system_clock::now());
    ASSERT_EQ(t.size(), 15u);
    EXPECT_EQ(t[8], '-');
}

class RunSaveTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::make_temp_dir("pictor-run-save");
        old_ = fs::current_path();
        fs::current_path(dir_);
    }
    void TearDown() override {
        fs::current_path(old_);
        fs::remove_all(dir_);
    }
    fs::path dir_, old_;
};

TEST_F(RunSaveTest, DefaultNamesNeverOverwrite) {
    const auto now = std::chrono::system_clock::now();
    const std::string ts = file_timestamp(now);
    const fs::path a = save_image("one", "A cat", "", now);
    const fs::path b = save_image("two", "A cat", "", now);
    const fs::path c = save_image("three", "a CAT", "", now);
    EXPECT_EQ(a, fs::path("a-cat-" + ts + ".png"));
    EXPECT_EQ(b, fs::path("a-cat-" + ts + "-1.png"));
    EXPECT_EQ(c, fs::path("a-cat-" + ts + "-2.png"));
    EXPECT_EQ(slurp(a), "one");
    EXPECT_EQ(slurp(b), "two");
    EXPECT_EQ(slurp(c), "three");
    struct stat st{};
    ASSERT_EQ(::stat(a.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    // No temp files left behind.
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) n += e.path().filename().string().rfind(".pictor", 0) == 0;
    EXPECT_EQ(n, 0u);
}

TEST_F(RunSaveTest, OutputDirectoryAndFile) {
    const auto now = std::chrono::system_clock::now();
    fs::create_directory("out");
    const fs::path in_dir = save_image("png", "dog", "out", now);
    EXPECT_EQ(in_dir, fs::path("out") / ("dog-" + file_timestamp(now) + ".png"));
    EXPECT_EQ(slurp(in_dir), "png");

    const fs::path file = save_image("v1", "dog", "named.png", now);
    EXPECT_EQ(file, fs::path("named.png"));
    // An explicitly named file is replaced (the user asked for that name).
    save_image("v2", "dog", "named.png", now);
    EXPECT_EQ(slurp("named.png"), "v2");

    try {
        save_image("x", "dog", "missing/dir/f.png", now);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("failed to save image"), std::string::npos);
    }
    EXPECT_THROW(save_image("x", "dog", "nodir/", now), Error);
}

TEST(RunProgress, StepBarMatchesTheReference) {
    EXPECT_EQ(step_bar(3, 8), "Generating  38% ▕███     ▏ 3/8");
    EXPECT_EQ(step_bar(0, 8), "Generating   0% ▕        ▏ 0/8");
    EXPECT_EQ(step_bar(8, 8), "Generating 100% ▕████████▏ 8/8");
    EXPECT_EQ(step_bar(1, 3), "Generating  33% ▕█  ▏ 1/3");
    EXPECT_EQ(step_bar(12, 8), "Generating 100% ▕████████▏ 8/8");
    EXPECT_EQ(step_bar(0, 0), "");
    EXPECT_EQ(spinner_line(0, "Loading model"), "⠋ Loading model");
    EXPECT_EQ(spinner_line(11, "x"), "⠙ x");
}

TEST(RunProgress, NothingWhenNotATerminal) {
    std::ostringstream err;
    {
        ProgressDisplay d(err, false);
        d.phase("Loading model");
        d.steps(1, 2);
        d.clear();
    }
    EXPECT_EQ(err.str(), "");
}

TEST(RunProgress, TerminalDrawsInPlaceAndClears) {
    std::ostringstream err;
    {
        ProgressDisplay d(err, true);
        d.steps(1, 2);
        d.clear();
    }
    const std::string s = err.str();
    EXPECT_NE(s.find("\r\x1b[KGenerating  50% ▕█ ▏ 1/2"), std::string::npos);
    EXPECT_EQ(s.substr(s.size() - 10), "\r\x1b[K\x1b[?25h");
}

TEST(RunOptions, KeepAlive) {
    EXPECT_EQ(parse_keepalive("5m"), 300s);
    EXPECT_EQ(parse_keepalive("1h30m"), 5400s);
    EXPECT_EQ(parse_keepalive("300"), 300s);
    EXPECT_EQ(parse_keepalive("1.5"), 1500ms);
    EXPECT_EQ(parse_keepalive("0"), 0ms);
    EXPECT_EQ(parse_keepalive("-1"), std::chrono::milliseconds(-1));
    EXPECT_EQ(parse_keepalive("-1s"), std::chrono::milliseconds(-1));
    EXPECT_THROW(parse_keepalive("soon"), Error);
    EXPECT_THROW(parse_keepalive(""), Error);
    EXPECT_THROW(parse_keepalive("5 minutes"), Error);
    EXPECT_EQ(keepalive_json(300s), json("300s"));
    EXPECT_EQ(keepalive_json(1500ms), json("1500ms"));
    EXPECT_EQ(keepalive_json(0ms), json("0s"));
    EXPECT_EQ(keepalive_json(std::chrono::milliseconds(-1)), json(-1));
}

TEST(RunOptions, BodiesSendOnlyWhatWasGiven) {
    ImageSettings s;
    EXPECT_EQ(generate_body("m", "a cat", s), (json{{"model", "m"}, {"prompt", "a cat"}}));
    s.width = 512;
    s.steps = 4;
    s.seed = 42;
    s.negative = "blurry";
    s.guidance = 0.0;
    s.keep_alive = 10min;
    const json b = generate_body("m", "a cat", s);
    EXPECT_EQ(b["width"], 512);
    EXPECT_FALSE(b.contains("height"));
    EXPECT_EQ(b["steps"], 4);
    EXPECT_EQ(b["options"]["seed"], 42);
    EXPECT_EQ(b["negative_prompt"], "blurry");
    EXPECT_EQ(b["guidance"], 0.0);  // 0 is a real guidance value, not "unset"
    EXPECT_EQ(b["keep_alive"], "600s");
    EXPECT_EQ(load_body("m", s), (json{{"model", "m"}, {"keep_alive", "600s"}}));
    s.keep_alive = 0ms;  // must not turn the preload into an unload
    EXPECT_EQ(load_body("m", s), (json{{"model", "m"}}));
}

TEST(RunOptions, FlagChecks) {
    EXPECT_EQ(parse_seed("7"), 7u);
    EXPECT_EQ(parse_seed("-5"), 18446744073709551611u);
    EXPECT_EQ(parse_seed("-9223372036854775808"), 9223372036854775808u);
    EXPECT_EQ(parse_seed("18446744073709551615"), 18446744073709551615u);
    EXPECT_FALSE(parse_seed("18446744073709551616"));
    EXPECT_FALSE(parse_seed("-9223372036854775809"));
    EXPECT_FALSE(parse_seed("1.5"));
    EXPECT_FALSE(parse_seed(""));
    EXPECT_EQ(check_size_flag("0"), "");  // the model's default, as in the reference
    EXPECT_EQ(check_size_flag("512"), "");
    EXPECT_EQ(check_size_flag("-16"), "must be 0 (the model's default) or a positive integer, got -16");
    EXPECT_EQ(check_size_flag("abc"), "must be 0 (the model's default) or a positive integer, got abc");
    EXPECT_EQ(check_guidance_flag("0"), "");
    EXPECT_EQ(check_guidance_flag("3.5"), "");
    EXPECT_EQ(check_guidance_flag("-1"), "must be a non-negative number, got -1");
}

TEST(RunOptions, SetCommand) {
    ImageSettings s;
    auto set = [&](const char* args) { return apply_set(s, args); };
    SetOutcome r = set("width 512");
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.message, "Set width to 512");
    EXPECT_EQ(set("h 768").message, "Set height to 768");
    EXPECT_EQ(set("S 4").message, "Set steps to 4");
    EXPECT_EQ(set("seed 7").message, "Set seed to 7");
    EXPECT_EQ(set("neg blurry, low quality").message, "Set negative prompt to: blurry, low quality");
    EXPECT_EQ(set("g 3.5").message, "Set guidance to 3.5");
    EXPECT_EQ(s.width, 512);
    EXPECT_EQ(s.height, 768);
    EXPECT_EQ(s.steps, 4);
    EXPECT_EQ(s.seed, 7u);
    EXPECT_EQ(s.negative, "blurry, low quality");
    EXPECT_EQ(s.guidance, 3.5);
    EXPECT_EQ(set("n").message, "Cleared negative prompt");
    EXPECT_EQ(s.negative, "");

    r = set("width -3");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "width must be a positive integer");
    EXPECT_EQ(set("steps abc").message, "steps must be a positive integer");
    EXPECT_EQ(set("seed x").message, "seed must be an integer (0 = random)");
    EXPECT_EQ(set("seed 18446744073709551616").message, "seed must be an integer (0 = random)");
    EXPECT_EQ(set("seed -1").message, "Set seed to 18446744073709551615");  // wraps like torch.manual_seed
    set("seed 7");
    EXPECT_EQ(set("guidance -1").message, "guidance must be a non-negative number");
    EXPECT_EQ(set("width").message, "usage: /set <option> <value>");
    EXPECT_EQ(set("").message, "usage: /set <option> <value>");
    EXPECT_EQ(set("color red").message, "unknown option: color (try /help)");
    EXPECT_EQ(s.width, 512);  // failed sets change nothing

    const std::string shown = settings_text(s);
    EXPECT_EQ(shown.rfind("Current settings:\n", 0), 0u);
    EXPECT_NE(shown.find("  width: 512\n"), std::string::npos);
    EXPECT_NE(shown.find("  seed: 7 (0=random)\n"), std::string::npos);
    EXPECT_EQ(shown.find("negative"), std::string::npos);
    EXPECT_NE(settings_text(ImageSettings{}).find("  steps: model default\n"), std::string::npos);
}

TEST(RunStream, FramesProgressAndImage) {
    std::vector<std::pair<int, int>> seen;
    FrameParser p([&](int c, int t) { seen.emplace_back(c, t); });
    const std::string png = "\x89PNG fake";
    const std::string stream = "{\"done\":false,\"total\":2}\n{\"done\":false,\"completed\":1,\"total\":2}\n"
                               "{\"done\":false,\"completed\":2,\"total\":2}\n{\"done\":true,\"done_reason\":\"stop\","
                               "\"seed\":99,\"image\":\"" + base64_encode(png) + "\"}";
    // Split mid-line to prove lines are reassembled.
    p.feed(stream.substr(0, 17));
    p.feed(stream.substr(17));
    const GenerateOutcome out = p.finish(true);
    EXPECT_EQ(seen, (std::vector<std::pair<int, int>>{{0, 2}, {1, 2}, {2, 2}}));
    EXPECT_EQ(out.png, png);
    EXPECT_EQ(out.seed, 99u);
    EXPECT_EQ(out.done_reason, "stop");
}

TEST(RunStream, FailuresAreNeverSilent) {
    FrameParser mid(nullptr);
    EXPECT_THROW(mid.feed("{\"total\":2}\n{\"error\":\"runner died\"}\n"), Error);

    FrameParser early(nullptr);
    early.feed("{\"done\":false,\"total\":2}\n");
    EXPECT_THROW(early.finish(true), Error);

    FrameParser noimage(nullptr);
    noimage.feed("{\"done\":true,\"done_reason\":\"stop\"}\n");
    try {
        noimage.finish(true);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("without an image"), std::string::npos);
    }

    FrameParser load(nullptr);
    load.feed("{\"done\":true,\"done_reason\":\"load\"}");
    EXPECT_EQ(load.finish(false).done_reason, "load");

    FrameParser bad64(nullptr);
    EXPECT_THROW(bad64.feed("{\"done\":true,\"image\":\"***\"}\n"), Error);
}

TEST(RunInline, Detection) {
    auto detect = [](std::map<std::string, std::string> env) {
        return detect_inline_protocol([&env](const char* k) -> const char* {
            auto it = env.find(k);
            return it == env.end() ? nullptr : it->second.c_str();
        });
    };
    EXPECT_EQ(detect({}), InlineProtocol::None);
    EXPECT_EQ(detect({{"TERM_PROGRAM", "iTerm.app"}}), InlineProtocol::ITerm2);
    EXPECT_EQ(detect({{"TERM_PROGRAM", "WezTerm"}}), InlineProtocol::ITerm2);
    EXPECT_EQ(detect({{"WEZTERM_PANE", "1"}}), InlineProtocol::ITerm2);
    EXPECT_EQ(detect({{"KITTY_WINDOW_ID", "3"}}), InlineProtocol::Kitty);
    EXPECT_EQ(detect({{"GHOSTTY_RESOURCES_DIR", "/x"}}), InlineProtocol::Kitty);
    EXPECT_EQ(detect({{"TERM_PROGRAM", "ghostty"}}), InlineProtocol::Kitty);
    EXPECT_EQ(detect({{"TERM_PROGRAM", "Apple_Terminal"}}), InlineProtocol::None);
}

TEST(RunInline, Sequences) {
    EXPECT_EQ(iterm2_image("abc"), "\x1b]1337;File=inline=1;preserveAspectRatio=1:YWJj\a\n");
    EXPECT_EQ(kitty_image("abc"), "\x1b_Ga=T,f=100,m=0;YWJj\x1b\\\n");
    EXPECT_EQ(inline_image(InlineProtocol::None, "abc"), "");

    // 4096 base64 chars per chunk: 3072 bytes fill one chunk exactly, one more byte makes two.
    const std::string one(3072, 'x');
    const std::string k1 = kitty_image(one);
    EXPECT_EQ(k1, "\x1b_Ga=T,f=100,m=0;" + base64_encode(one) + "\x1b\\\n");
    const std::string big(3072 * 2 + 1, 'y');
    const std::string b64 = base64_encode(big);
    const std::string k3 = kitty_image(big);
    EXPECT_EQ(k3, "\x1b_Ga=T,f=100,m=1;" + b64.substr(0, 4096) + "\x1b\\" + "\x1b_Gm=1;" + b64.substr(4096, 4096) +
                      "\x1b\\" + "\x1b_Gm=0;" + b64.substr(8192) + "\x1b\\\n");
}

TEST(RunLineEditor, BufferEditing) {
    EditBuffer b;
    b.insert("a cat");
    b.left();
    b.left();
    b.insert("big ");  // the cursor was before "at"
    EXPECT_EQ(b.text(), "a cbig at");
    b.set("héllo");
    b.left();
    b.left();
    b.left();
    b.backspace();  // removes the two-byte é
    EXPECT_EQ(b.text(), "hllo");
    b.home();
    b.erase();
    EXPECT_EQ(b.text(), "llo");
    b.end();
    b.insert(" world  ");
    b.kill_word_back();
    EXPECT_EQ(b.text(), "llo ");
    b.home();
    b.right();
    b.kill_to_end();
    EXPECT_EQ(b.text(), "l");
    b.set("abc");
    b.left();
    b.kill_to_start();
    EXPECT_EQ(b.text(), "c");
    EXPECT_EQ(b.cursor(), 0u);
}

TEST(RunLineEditor, HistoryFile) {
    const fs::path dir = test::make_temp_dir("pictor-hist");
    {
        History h(dir / "sub" / "history");
        h.add("one");
        h.add("one");
        h.add("");
        h.add("two");
        EXPECT_EQ(h.entries(), (std::vector<std::string>{"one", "two"}));
    }
    History again(dir / "sub" / "history", 1);
    EXPECT_EQ(again.entries(), (std::vector<std::string>{"two"}));
    fs::remove_all(dir);
}

TEST(RunLineEditor, PlainLinesWhenNotATerminal) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const std::string input = "first line\r\nsecond\nlast";
    ASSERT_EQ(write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    close(fds[1]);
    History h;
    LineEditor ed(fds[0], fds[0], h);
    EXPECT_EQ(ed.read_line(">>> ", "").line, "first line");
    EXPECT_EQ(ed.read_line(">>> ", "").line, "second");
    const ReadResult last = ed.read_line(">>> ", "");
    EXPECT_EQ(last.status, ReadStatus::Line);
    EXPECT_EQ(last.line, "last");
    EXPECT_EQ(ed.read_line(">>> ", "").status, ReadStatus::Eof);
    close(fds[0]);
}

}  // namespace
}  // namespace pictor::cli
