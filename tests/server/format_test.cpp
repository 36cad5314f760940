// Pure helpers: address parsing and the Go-compatible text formats.
#include <gtest/gtest.h>

#include <regex>

#include "server/format.h"
#include "server/host.h"

namespace pictor::server {
namespace {

TEST(Host, DefaultsAndForms) {
    auto d = parse_host("");
    EXPECT_EQ(d.host, "127.0.0.1");
    EXPECT_EQ(d.port, 11434);
    EXPECT_EQ(d.url(), "http://127.0.0.1:11434");

    auto h = parse_host("0.0.0.0");
    EXPECT_EQ(h.host, "0.0.0.0");
    EXPECT_EQ(h.port, 11434);
    EXPECT_EQ(h.connect_host(), "127.0.0.1");

    auto hp = parse_host("example.com:8080");
    EXPECT_EQ(hp.host, "example.com");
    EXPECT_EQ(hp.port, 8080);
    EXPECT_FALSE(hp.is_local());

    auto url = parse_host("http://10.0.0.2:1234");
    EXPECT_EQ(url.scheme, "http");
    EXPECT_EQ(url.host, "10.0.0.2");
    EXPECT_EQ(url.port, 1234);

    auto scheme_only = parse_host("https://example.com");
    EXPECT_EQ(scheme_only.port, 443);

    auto port_only = parse_host(":5000");
    EXPECT_EQ(port_only.host, "");
    EXPECT_EQ(port_only.port, 5000);
    EXPECT_EQ(port_only.bind_host(), "0.0.0.0");
    EXPECT_EQ(port_only.url(), "http://127.0.0.1:5000");
    EXPECT_TRUE(port_only.is_local());

    auto v6 = parse_host("[::1]:9000");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 9000);
    EXPECT_EQ(v6.url(), "http://[::1]:9000");

    bool bad = false;
    auto badport = parse_host("127.0.0.1:99999", &bad);
    EXPECT_TRUE(bad);
    EXPECT_EQ(badport.port, 11434);

    auto trailing = parse_host("  http://localhost:7000/  ");
    EXPECT_EQ(trailing.host, "localhost");
    EXPECT_EQ(trailing.port, 7000);
    EXPECT_TRUE(trailing.is_local());
}

TEST(Format, HumanNumber) {
    EXPECT_EQ(human_number(6'200'000'000ULL), "6.2B");
    EXPECT_EQ(human_number(7'000'000'000ULL), "7B");
    EXPECT_EQ(human_number(10'300'000ULL), "10.3M");
    EXPECT_EQ(human_number(5'000'000ULL), "5M");
    EXPECT_EQ(human_number(5'300ULL), "5K");
    EXPECT_EQ(human_number(999ULL), "999");
    EXPECT_EQ(human_number(0ULL), "0");
}

TEST(Format, GoDuration) {
    using std::chrono::nanoseconds;
    EXPECT_EQ(go_duration(nanoseconds(0)), "0s");
    EXPECT_EQ(go_duration(nanoseconds(850)), "850ns");
    EXPECT_EQ(go_duration(nanoseconds(12'500)), "12.5µs");
    EXPECT_EQ(go_duration(nanoseconds(1'234'567)), "1.234567ms");
    EXPECT_EQ(go_duration(nanoseconds(2'500'000'000LL)), "2.5s");
    EXPECT_EQ(go_duration(nanoseconds(90'000'000'000LL)), "1m30s");
}

TEST(Format, Rfc3339) {
    const auto t = std::chrono::system_clock::from_time_t(1700000000) + std::chrono::milliseconds(120);
    const std::string s = rfc3339(t);
    EXPECT_TRUE(std::regex_match(s, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.12(Z|[+-]\d\d:\d\d))"))) << s;
    const std::string whole = rfc3339(std::chrono::system_clock::from_time_t(1700000000));
    EXPECT_TRUE(std::regex_match(whole, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d))"))) << whole;
}

TEST(Format, Quote) {
    EXPECT_EQ(quote("a"), "\"a\"");
    EXPECT_EQ(quote("a\"b"), "\"a\\\"b\"");
}

}  // namespace
}  // namespace pictor::server
