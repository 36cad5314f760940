// Text formats the server shares with Ollama's Go code: numbers (format.HumanNumber), times
// (time.Time's RFC 3339 JSON form), durations (time.Duration.String) and quoted strings (%q).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace pictor::server {

// 6200000000 -> "6.2B", 10300000 -> "10.3M", 7000000000 -> "7B", 5300 -> "5K", 12 -> "12".
std::string human_number(uint64_t n);

// "2024-05-01T12:34:56.123456789+02:00" in the local time zone (or "Z" when the zone is UTC),
// fractional seconds without trailing zeros, like Go's time.Time MarshalJSON. With
// `fraction` false the seconds are whole ("2024-05-01T12:34:56+02:00").
std::string rfc3339(std::chrono::system_clock::time_point t, bool fraction = true);
std::chrono::system_clock::time_point to_system_time(std::filesystem::file_time_type t);

// Go's Duration.String: "850ns", "12.5µs", "1.234567ms", "2.5s", "1m30s".
std::string go_duration(std::chrono::nanoseconds d);

// A double-quoted string with JSON escapes; matches Go's %q for the names that reach messages.
std::string quote(std::string_view s);

}  // namespace pictor::server
