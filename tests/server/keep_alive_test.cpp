// keep_alive parsing (Go durations and seconds), the generate request's types, and /proc/meminfo.
#include <gtest/gtest.h>

#include "server/generate_request.h"
#include "server/keep_alive.h"
#include "server/memory_info.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(GoDuration, ParsesLikeGo) {
    EXPECT_EQ(parse_go_duration("0"), 0ns);
    EXPECT_EQ(parse_go_duration("5m"), 5min);
    EXPECT_EQ(parse_go_duration("1h30m"), 90min);
    EXPECT_EQ(parse_go_duration("300ms"), 300ms);
    EXPECT_EQ(parse_go_duration("1.5h"), 90min);
    EXPECT_EQ(parse_go_duration("-1s"), -1s);
    EXPECT_EQ(parse_go_duration("+2s"), 2s);
    EXPECT_EQ(parse_go_duration("10us"), 10us);
    EXPECT_EQ(parse_go_duration("10\xC2\xB5s"), 10us);
    EXPECT_EQ(parse_go_duration(".5s"), 500ms);
    for (const char* bad : {"", "5", "m", "5x", "1h 30m", "--1s", ".s", "1e3s"}) EXPECT_FALSE(parse_go_duration(bad)) << bad;
}

TEST(KeepAlive, JsonValues) {
    EXPECT_FALSE(keep_alive_from_json(json(nullptr)));
    EXPECT_EQ(keep_alive_from_json(json(0)), 0ms);
    EXPECT_EQ(keep_alive_from_json(json(300)), 300s);
    EXPECT_EQ(keep_alive_from_json(json(1.5)), 1500ms);
    EXPECT_EQ(keep_alive_from_json(json(-1)), kKeepForever);
    EXPECT_EQ(keep_alive_from_json(json("10m")), 10min);
    EXPECT_EQ(keep_alive_from_json(json("-5m")), kKeepForever);
    EXPECT_EQ(keep_alive_from_json(json("0")), 0ms);
    EXPECT_EQ(keep_alive_from_json(json("120")), 120s);
    EXPECT_EQ(keep_alive_from_json(json("1us")), 1ms) << "rounded up: a tiny keep-alive is not an unload";
    EXPECT_THROW(keep_alive_from_json(json("soon")), Error);
    EXPECT_THROW(keep_alive_from_json(json::array()), Error);
}

TEST(KeepAlive, Environment) {
    EXPECT_EQ(keep_alive_from_env(nullptr), 5min);
    EXPECT_EQ(keep_alive_from_env(""), 5min);
    EXPECT_EQ(keep_alive_from_env("1h"), 1h);
    EXPECT_EQ(keep_alive_from_env("30"), 30s);
    EXPECT_EQ(keep_alive_from_env("-1"), kKeepForever);
    EXPECT_EQ(keep_alive_from_env("garbage"), 5min);
}

TEST(GenerateRequest, ParsesEveryField) {
    const auto g = parse_generate_request(json::parse(R"({
        "model":"dev","prompt":"p","negative_prompt":"n","width":512,"height":768,"steps":9,
        "guidance":3.5,"options":{"seed":42,"temperature":0.1},"stream":false,"keep_alive":"1m",
        "images":[],"system":"ignored"})"));
    EXPECT_EQ(g.image.model, "dev");
    EXPECT_EQ(g.image.prompt, "p");
    EXPECT_EQ(g.image.negative_prompt, "n");
    EXPECT_EQ(g.image.width, 512);
    EXPECT_EQ(g.image.height, 768);
    EXPECT_EQ(g.image.steps, 9);
    EXPECT_FLOAT_EQ(*g.image.guidance, 3.5f);
    EXPECT_EQ(g.image.seed, 42u);
    EXPECT_FALSE(g.stream);
    EXPECT_EQ(g.image.keep_alive, 1min);
}

TEST(GenerateRequest, Defaults) {
    const auto g = parse_generate_request(json::parse(R"({"model":"dev"})"));
    EXPECT_TRUE(g.stream);
    EXPECT_EQ(g.image.width, 0);
    EXPECT_FALSE(g.image.seed);
    EXPECT_FALSE(g.image.keep_alive);
    EXPECT_FALSE(g.image.negative_prompt);
    EXPECT_FALSE(g.image.guidance);
}

TEST(GenerateRequest, Seeds) {
    auto seed = [](const char* body) { return parse_generate_request(json::parse(body)).image.seed; };
    EXPECT_EQ(seed(R"({"options":{"seed":0}})"), std::nullopt);
    EXPECT_EQ(seed(R"({"options":{"seed":-5}})"), std::nullopt);
    EXPECT_EQ(seed(R"({"options":{"seed":7.9}})"), 7u);
    EXPECT_EQ(seed(R"({"options":{"seed":18446744073709551615}})"), 18446744073709551615ull);
    EXPECT_THROW(seed(R"({"options":{"seed":"7"}})"), Error);
    EXPECT_THROW(seed(R"({"options":{"seed":1e30}})"), Error);
}

TEST(GenerateRequest, TypeErrors) {
    auto msg = [](const char* body) -> std::string {
        try {
            parse_generate_request(json::parse(body));
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
            return e.what();
        }
        return "";
    };
    EXPECT_EQ(msg(R"({"model":5})"), "model must be a string");
    EXPECT_EQ(msg(R"({"width":512.5})"), "width must be an integer");
    EXPECT_EQ(msg(R"({"steps":"8"})"), "steps must be an integer");
    EXPECT_EQ(msg(R"({"width":99999999999})"), "width is out of range");
    EXPECT_EQ(msg(R"({"stream":"yes"})"), "stream must be true or false");
    EXPECT_EQ(msg(R"({"options":[]})"), "options must be an object");
    EXPECT_EQ(msg(R"({"guidance":"high"})"), "guidance must be a number");
}

TEST(GenerateRequest, Ranges) {
    ImageRequest r;
    EXPECT_NO_THROW(validate_image_request(r));
    r.width = 64;
    r.height = 4096;
    r.steps = 1000;
    r.guidance = 0.0f;
    EXPECT_NO_THROW(validate_image_request(r));
    r.width = 4112;
    EXPECT_THROW(validate_image_request(r), Error);
}

TEST(MemoryInfo, ParsesMeminfo) {
    const auto m = parse_meminfo("MemTotal:       16303412 kB\nMemFree:  100 kB\nMemAvailable:    8151706 kB\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->total, 16303412ull * 1024);
    EXPECT_EQ(m->available, 8151706ull * 1024);
    EXPECT_FALSE(parse_meminfo("nothing here"));
    EXPECT_TRUE(read_meminfo());
    EXPECT_EQ(format_bytes(uint64_t(3) << 29), "1.5 GiB");
    EXPECT_EQ(format_bytes(uint64_t(512) << 20), "512.0 MiB");
}

}  // namespace
}  // namespace pictor::server
