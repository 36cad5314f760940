#include "cli/cmd_run_options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "cli/format.h"
#include "server/keep_alive.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Whole-string integer parse: "12" yes, "12px", "1e3", "" no.
std::optional<long long> parse_int(std::string_view s) {
    const std::string t(s);
    if (t.empty()) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(t.c_str(), &end, 10);
    if (errno != 0 || end != t.c_str() + t.size()) return std::nullopt;
    return v;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
    const std::string t(s);
    if (t.empty() || t[0] == '-' || t[0] == '+') return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(t.c_str(), &end, 10);
    if (errno != 0 || end != t.c_str() + t.size()) return std::nullopt;
    return v;
}

std::optional<double> parse_number(std::string_view s) {
    const std::string t(s);
    if (t.empty() || t.find_first_of("xXpPnNiI") != std::string::npos) return std::nullopt;  // no hex, nan, inf
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace

std::optional<uint64_t> parse_seed(std::string_view text) {
    if (!text.empty() && text[0] == '-') {
        const auto v = parse_int(text);
        if (!v) return std::nullopt;
        return static_cast<uint64_t>(*v);  // two's complement: 2^64 + v
    }
    return parse_u64(text);
}

std::string check_size_flag(std::string_view text) {
    const auto v = parse_int(text);
    if (v && *v >= 0 && *v <= 1'000'000) return {};
    return "must be 0 (the model's default) or a positive integer, got " + std::string(text);
}

std::string check_guidance_flag(std::string_view text) {
    const auto g = parse_number(text);
    if (g && *g >= 0) return {};
    return "must be a non-negative number, got " + std::string(text);
}

namespace {

std::string format_number(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

std::string or_default(int v) { return v > 0 ? std::to_string(v) : "model default"; }

}  // namespace

std::chrono::milliseconds parse_keepalive(std::string_view text) {
    const std::string_view t = trim(text);
    using std::chrono::milliseconds;
    if (auto d = server::parse_go_duration(t)) {
        if (d->count() < 0) return server::kKeepForever;
        // Round up so that "300us" does not turn into an immediate unload.
        return milliseconds((d->count() + 999'999) / 1'000'000);
    }
    if (auto secs = parse_number(t)) {
        if (*secs < 0) return server::kKeepForever;
        return milliseconds(static_cast<int64_t>(std::llround(*secs * 1000.0)));
    }
    fail(ErrorKind::InvalidArgument,
         "invalid keepalive duration \"" + std::string(t) + "\" (use e.g. 5m, 1h30m, 300 for seconds, -1 for forever)");
}

json keepalive_json(std::chrono::milliseconds ka) {
    if (ka.count() < 0) return -1;
    if (ka.count() % 1000 == 0) return std::to_string(ka.count() / 1000) + "s";
    return std::to_string(ka.count()) + "ms";
}

json generate_body(const std::string& model, const std::string& prompt, const ImageSettings& s) {
    json body{{"model", model}, {"prompt", prompt}};
    if (s.width > 0) body["width"] = s.width;
    if (s.height > 0) body["height"] = s.height;
    if (s.steps > 0) body["steps"] = s.steps;
    if (!s.negative.empty()) body["negative_prompt"] = s.negative;
    if (s.guidance) body["guidance"] = *s.guidance;
    if (s.seed > 0) body["options"] = json{{"seed", s.seed}};
    if (s.keep_alive) body["keep_alive"] = keepalive_json(*s.keep_alive);
    return body;
}

json load_body(const std::string& model, const ImageSettings& s) {
    json body{{"model", model}};
    if (s.keep_alive && s.keep_alive->count() != 0) body["keep_alive"] = keepalive_json(*s.keep_alive);
    return body;
}

SetOutcome apply_set(ImageSettings& s, std::string_view args) {
    args = trim(args);
    const auto sp = args.find_first_of(" \t");
    const std::string key = lower(args.substr(0, sp));
    const std::string_view value = sp == std::string_view::npos ? std::string_view{} : trim(args.substr(sp + 1));
    if (key.empty()) return {false, "usage: /set <option> <value>"};

    if (key == "negative" || key == "neg" || key == "n") {
        // Deliberately no usage error here: "/set negative" alone is how a prompt is cleared.
        s.negative = std::string(value);
        if (s.negative.empty()) return {true, "Cleared negative prompt"};
        return {true, "Set negative prompt to: " + s.negative};
    }
    const bool known = key == "width" || key == "w" || key == "height" || key == "h" || key == "steps" ||
                       key == "s" || key == "seed" || key == "guidance" || key == "g";
    if (!known) return {false, "unknown option: " + key + " (try /help)"};
    if (value.empty()) return {false, "usage: /set <option> <value>"};

    auto positive = [&](int& field, const char* name) -> SetOutcome {
        const auto v = parse_int(value);
        if (!v || *v <= 0 || *v > 1'000'000) return {false, std::string(name) + " must be a positive integer"};
        field = static_cast<int>(*v);
        return {true, "Set " + std::string(name) + " to " + std::to_string(field)};
    };
    if (key == "width" || key == "w") return positive(s.width, "width");
    if (key == "height" || key == "h") return positive(s.height, "height");
    if (key == "steps" || key == "s") return positive(s.steps, "steps");
    if (key == "seed") {
        const auto v = parse_seed(value);
        if (!v) return {false, "seed must be an integer (0 = random)"};
        s.seed = *v;
        return {true, "Set seed to " + std::to_string(s.seed)};
    }
    // guidance
    const auto g = parse_number(value);
    if (!g || *g < 0) return {false, "guidance must be a non-negative number"};
    s.guidance = *g;
    return {true, "Set guidance to " + format_number(*g)};
}

std::string settings_text(const ImageSettings& s) {
    std::string t = "Current settings:\n";
    t += "  width: " + or_default(s.width) + "\n";
    t += "  height: " + or_default(s.height) + "\n";
    t += "  steps: " + or_default(s.steps) + "\n";
    t += "  seed: " + std::to_string(s.seed) + " (0=random)\n";
    t += "  guidance: " + (s.guidance ? format_number(*s.guidance) : std::string("model default")) + "\n";
    if (!s.negative.empty()) t += "  negative: " + s.negative + "\n";
    return t;
}

std::string interactive_help() {
    return "Commands:\n"
           "  /set width <n>      Set image width\n"
           "  /set height <n>     Set image height\n"
           "  /set steps <n>      Set denoising steps\n"
           "  /set seed <n>       Set random seed (0 = random)\n"
           "  /set negative <s>   Set negative prompt (empty clears it)\n"
           "  /set guidance <x>   Set guidance scale\n"
           "  /show               Show current settings\n"
           "  /bye                Exit\n"
           "\n"
           "Or type a prompt to generate an image.\n";
}

}  // namespace pictor::cli
