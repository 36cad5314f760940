// go_json: the bytes Go's encoding/json writes (json.Marshal strings, json.MarshalIndent of a
// value decoded into interface{}), per the rules of Go's encode.go (floatEncoder, sorted map
// keys, HTMLEscape, Indent).
#include "util/go_json.h"

#include <gtest/gtest.h>

namespace pictor {
namespace {

using nlohmann::json;

std::string go_string(std::string_view s) {
    std::string out;
    append_go_string(out, s);
    return out;
}

TEST(GoJson, StringsEscapeLikeGo) {
    EXPECT_EQ(go_string("a\"b\\c\n\t\r\b\f"), R"("a\"b\\c\n\t\r\b\f")");
    EXPECT_EQ(go_string("<a&b>"), R"("\u003ca\u0026b\u003e")");
    EXPECT_EQ(go_string(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
    EXPECT_EQ(go_string("\xe2\x80\xa8"), R"("\u2028")");
    EXPECT_EQ(go_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    EXPECT_EQ(go_string("\xff"), R"("\ufffd")");
}

TEST(GoJson, NumbersAreFloat64LikeGo) {
    auto one = [](const json& v) { return go_marshal_indent(v, "  "); };
    EXPECT_EQ(one(json(1)), "1");
    EXPECT_EQ(one(json(-20)), "-20");
    EXPECT_EQ(one(json(0.1)), "0.1");
    EXPECT_EQ(one(json(1e-6)), "0.000001");
    EXPECT_EQ(one(json(1e-7)), "1e-7");
    EXPECT_EQ(one(json(1.5e-10)), "1.5e-10");
    EXPECT_EQ(one(json(1e20)), "100000000000000000000");
    EXPECT_EQ(one(json(1e21)), "1e+21");
    EXPECT_EQ(one(json(0.0)), "0");
    EXPECT_EQ(one(json(uint64_t(9007199254740993ull))), "9007199254740992") << "float64 rounding";
}

TEST(GoJson, MarshalIndentSortsKeysAndIndents) {
    const json v = json::parse(R"({"b": [1, {"y": null, "x": true}], "a": {}, "c": [], "A": "z"})");
    EXPECT_EQ(go_marshal_indent(v, "    "),
              "{\n"
              "    \"A\": \"z\",\n"
              "    \"a\": {},\n"
              "    \"b\": [\n"
              "        1,\n"
              "        {\n"
              "            \"x\": true,\n"
              "            \"y\": null\n"
              "        }\n"
              "    ],\n"
              "    \"c\": []\n"
              "}");
}

TEST(GoJson, ExactIntegersAtTheTopLevel) {
    const json v = {{"parameter_count", int64_t(9007199254740993)}, {"n", 9007199254740993}};
    EXPECT_EQ(go_marshal_indent(v, " ", {"parameter_count"}),
              "{\n \"n\": 9007199254740992,\n \"parameter_count\": 9007199254740993\n}");
}

}  // namespace
}  // namespace pictor
