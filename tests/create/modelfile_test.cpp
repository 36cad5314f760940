// Modelfile parsing: FROM resolution, PARAMETER validation, LICENSE strings, errors with lines.
#include "create/modelfile.h"
#include "create_test_util.h"
#include "util/error.h"

namespace pictor::create {
namespace {

using namespace testing;

std::string error_of(std::string_view text) {
    try {
        parse_modelfile(text, "/base");
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
        return e.what();
    }
    return "";
}

TEST(Modelfile, Basic) {
    auto mf = parse_modelfile(
        "# a comment\n"
        "FROM ./Z-Image-Turbo\n"
        "\n"
        "parameter steps 8\n"
        "PARAMETER  Guidance   3.5  \n"
        "PARAMETER negative_prompt \"blurry, \\\"low\\\" quality\"\n"
        "PARAMETER seed 18446744073709551615\n"
        "PARAMETER width 768\n"
        "Parameter height 1024\n"
        "LICENSE Apache 2.0\n",
        "/models/mf");
    EXPECT_EQ(mf.from, fs::path("/models/mf/Z-Image-Turbo"));
    EXPECT_EQ(mf.parameters.at("steps"), "8");
    EXPECT_EQ(mf.parameters.at("guidance"), "3.5");
    EXPECT_EQ(mf.parameters.at("negative_prompt"), "blurry, \"low\" quality");
    EXPECT_EQ(mf.parameters.at("seed"), "18446744073709551615");
    EXPECT_EQ(mf.parameters.at("width"), "768");
    EXPECT_EQ(mf.parameters.at("height"), "1024");
    EXPECT_EQ(mf.license, "Apache 2.0");
}

TEST(Modelfile, AbsoluteFromQuotedPathAndMultilineLicense) {
    auto mf = parse_modelfile("FROM \"/data/my model/\"\nLICENSE \"\"\"MIT License\n\nCopyright (c) x\n\"\"\"\n"
                              "PARAMETER steps 4\n",
                              "/ignored");
    EXPECT_EQ(mf.from, fs::path("/data/my model/"));
    EXPECT_EQ(mf.license, "MIT License\n\nCopyright (c) x\n");
    EXPECT_EQ(mf.parameters.at("steps"), "4");
}

TEST(Modelfile, ParentRelativeFrom) {
    auto mf = parse_modelfile("from ../weights", "/a/b");
    EXPECT_EQ(mf.from, fs::path("/a/weights"));
}

TEST(Modelfile, ErrorsNameTheLine) {
    EXPECT_EQ(error_of("FROM .\nTEMPLATE x\n"),
              "Modelfile:2: unknown command \"template\" (image models support FROM, PARAMETER and LICENSE)");
    EXPECT_EQ(error_of("FROM .\n\nPARAMETER temperature 0.7\n"),
              "Modelfile:3: unknown parameter \"temperature\" (supported: width, height, steps, guidance, seed, "
              "negative_prompt)");
    EXPECT_EQ(error_of("FROM .\nPARAMETER width 70\n"),
              "Modelfile:2: width must be a multiple of 16 between 64 and 4096, got \"70\"");
    EXPECT_EQ(error_of("FROM .\nPARAMETER steps many\n"),
              "Modelfile:2: steps must be an integer between 1 and 1000, got \"many\"");
    EXPECT_EQ(error_of("FROM .\nPARAMETER guidance -1\n"), "Modelfile:2: guidance must be a number >= 0, got \"-1\"");
    EXPECT_EQ(error_of("FROM .\nPARAMETER seed 1.5\n"), "Modelfile:2: seed must be an integer, got \"1.5\"");
    EXPECT_EQ(error_of("FROM .\nPARAMETER steps\n"), "Modelfile:2: missing value for PARAMETER steps");
    EXPECT_EQ(error_of("FROM\n"), "Modelfile:1: missing model directory after FROM");
    EXPECT_EQ(error_of("FROM .\nFROM ..\n"), "Modelfile:2: FROM given twice");
    EXPECT_EQ(error_of("FROM .\nPARAMETER steps 4\nPARAMETER steps 5\n"), "Modelfile:3: PARAMETER steps given twice");
    EXPECT_EQ(error_of("FROM .\nLICENSE \"\"\"never closed\n\n"), "Modelfile:2: unterminated \"\"\" string");
    EXPECT_EQ(error_of("FROM .\nLICENSE \"open\n"), "Modelfile:2: unterminated quoted string");
    EXPECT_EQ(error_of("FROM \"a\" b\n"), "Modelfile:1: unexpected text after closing quote");
    EXPECT_EQ(error_of("# only a comment\nPARAMETER steps 4\n"), "Modelfile: no FROM line");
    // Line numbers keep counting through multi-line strings.
    EXPECT_EQ(error_of("FROM .\nLICENSE \"\"\"a\nb\nc\"\"\"\nBOGUS\n"),
              "Modelfile:5: unknown command \"bogus\" (image models support FROM, PARAMETER and LICENSE)");
}

TEST(Modelfile, ReadFileResolvesAgainstItsFolder) {
    TempDir tmp;
    write_text(tmp.path() / "sub" / "Modelfile", "FROM ./model\nPARAMETER seed 7\n");
    auto mf = read_modelfile(tmp.path() / "sub" / "Modelfile");
    EXPECT_EQ(mf.from, tmp.path() / "sub" / "model");
    try {
        read_modelfile(tmp.path() / "nope");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
        EXPECT_NE(std::string(e.what()).find((tmp.path() / "nope").string()), std::string::npos);
    }
    write_text(tmp.path() / "bad", "FROM .\nPARAMETER foo 1\n");
    try {
        read_modelfile(tmp.path() / "bad");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind((tmp.path() / "bad").string() + ":2: ", 0), 0u) << e.what();
    }
}

}  // namespace
}  // namespace pictor::create
