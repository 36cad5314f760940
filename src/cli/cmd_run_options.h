// The generation settings of `pictor run` — from flags, then changed by interactive `/set` —
// and how they become an /api/generate body. Pure functions, so that the flag and /set rules
// are unit-tested without a terminal or a server.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pictor::cli {

struct ImageSettings {
    // 0 = not given: the server applies the model's default (Modelfile PARAMETER, then the
    // architecture's), unlike the reference CLI which always sent 1024x1024.
    int width = 0, height = 0, steps = 0;
    // 0 = random. The server picks one and reports it back in the final frame's "seed".
    uint64_t seed = 0;
    std::string negative;             // empty = none
    std::optional<double> guidance;   // absent = the model's default (0 is a real value)
    std::optional<std::chrono::milliseconds> keep_alive;  // absent = the server's default
};

// --seed and `/set seed`: any 64-bit integer, signed or not; a negative one wraps to 2^64 + n
// as torch.manual_seed does (so -1 and 18446744073709551615 are the same seed). nullopt when
// the text is not an integer in [-2^63, 2^64).
std::optional<uint64_t> parse_seed(std::string_view text);
// --width, --height, --steps: "" when `text` is 0 (the model's default) or a positive integer
// up to a million, else the message saying so.
std::string check_size_flag(std::string_view text);
// --guidance: "" when `text` is a non-negative number, else the message saying so.
std::string check_guidance_flag(std::string_view text);

// --keepalive: a Go duration ("5m", "1h30m", "-1s") or a plain number of seconds ("300");
// negative means "keep loaded forever". Error(InvalidArgument) when malformed.
std::chrono::milliseconds parse_keepalive(std::string_view text);
// The keep_alive JSON value: -1 for forever, else a Go duration string ("300s", "1500ms").
nlohmann::json keepalive_json(std::chrono::milliseconds ka);

// {"model","prompt", and only the fields that were given}. Fields the server must not see
// unset (width 0, seed 0...) are left out rather than sent as 0.
nlohmann::json generate_body(const std::string& model, const std::string& prompt, const ImageSettings& s);
// The load-only request of interactive mode and one-shot preloading: model (+ keep_alive
// unless it is 0, because an empty prompt with keep_alive 0 means "unload").
nlohmann::json load_body(const std::string& model, const ImageSettings& s);

// `/set <key> <value>` (args = the text after "/set "). ok: `message` is the confirmation
// for stdout ("Set width to 512"); not ok: the error text, printed as "Error: <message>".
struct SetOutcome {
    bool ok = false;
    std::string message;
};
SetOutcome apply_set(ImageSettings& s, std::string_view args);

// `/show`: "Current settings:" and one indented line per setting.
std::string settings_text(const ImageSettings& s);
// `/help`, `/?`.
std::string interactive_help();

}  // namespace pictor::cli
