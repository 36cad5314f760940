// keep_alive values: Go duration strings ("5m", "1h30m", "300ms", "-1s") or numbers of seconds,
// as Ollama's API and OLLAMA_KEEP_ALIVE accept them. Negative means "keep loaded forever";
// it is normalised to Millis(-1) so that the scheduler has one spelling for it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pictor::server {

using Millis = std::chrono::milliseconds;
inline constexpr Millis kKeepForever{-1};
inline constexpr Millis kDefaultKeepAlive = std::chrono::minutes(5);

// Go's time.ParseDuration: a sequence of decimal numbers with units ns, us/µs, ms, s, m, h,
// optional sign, "0" alone allowed. nullopt when malformed or out of range.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view s);

// The request's "keep_alive": absent/null = nullopt; a number = seconds; a string = a Go
// duration or a plain number of seconds. Error(InvalidArgument) otherwise.
std::optional<Millis> keep_alive_from_json(const nlohmann::json& value);

// PICTOR_KEEP_ALIVE: unset, empty or malformed = 5 minutes.
Millis keep_alive_from_env(const char* value);

}  // namespace pictor::server
