// pictor's Qwen3 tokenizer against Hugging Face's tokenizers (the Rust library through its npm
// binding) on a thousand generated prompts, plain and with the chat template: see
// tests/qwen3/hf_tokenizers/tokenize_diff.mjs for what the prompts mix. A GoogleTest wrapper so
// that ctest runs it; it skips, saying why, where node, the npm registry or the pictor-dev
// binary (not built by the sanitizer stage) is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "support/npm_packages.h"

namespace {

namespace fs = std::filesystem;

const fs::path kScriptDir = fs::path(PICTOR_SOURCE_DIR) / "tests" / "qwen3" / "hf_tokenizers";
const fs::path kPictorDev = fs::path(PICTOR_BINARY_DIR) / "pictor-dev";
const fs::path kTokenizer = fs::path(PICTOR_SHARED_DIR) / "testdata" / "qwen3-tokenizer";

// Runs a command line built by this file; stdout and stderr together, and the exit status.
int run(const std::string& command, std::string& output) {
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) return -1;
    std::array<char, 4096> buf{};
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) output.append(buf.data(), n);
    const int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(TokenizerDiff, AgreesWithHuggingFaceTokenizers) {
    if (!fs::exists(kPictorDev)) GTEST_SKIP() << kPictorDev << " is not built";
    std::string out;
    if (run("command -v node", out) != 0) GTEST_SKIP() << "node is not installed (Node.js 20+ runs the comparison)";
    if (const std::string why = pictor::test::install_npm_packages(kScriptDir); !why.empty()) GTEST_SKIP() << why;
    out.clear();
    const int rc = run("cd '" + kScriptDir.string() + "' && timeout 300 node tokenize_diff.mjs '" + kTokenizer.string() +
                           "' '" + kPictorDev.string() + "' 1000 20261128",
                       out);
    std::cout << out;
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("PASS tokenize_diff"), std::string::npos) << out;
}

}  // namespace
