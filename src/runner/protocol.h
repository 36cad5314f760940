// The runner protocol: newline-delimited JSON over the runner's stdin (commands from the server)
// and stdout (events from the runner). Pipes instead of a port: nothing to allocate or leak,
// no other local process can talk to a runner, and EOF on either side means the other is gone.
//
//   server -> runner   {"id":N,"prompt":"..","negative_prompt"?:"..","width":W,"height":H,
//                       "steps":S,"guidance"?:G,"seed"?:N}     (0 / absent = model default)
//                      {"cancel":N}
//   runner -> server   {"phase":"loading"}
//                      {"ready":true,"defaults":{"width","height","steps","guidance"},"memory_estimate":B}
//                      {"error":"..","kind":"NotFound"}                      load failed, then exit 1
//                      {"id":N,"phase":"text"} {"id":N,"step":n,"total":T} {"id":N,"phase":"decode"}
//                      {"id":N,"done":true,"image":"<base64 PNG>","seed":S,"width","height","steps"}
//                      {"id":N,"done":true,"error":"..","kind":"Cancelled"}
//
// Header-only on purpose: the runner (which links the engine) and the server (which must not)
// both speak it, and it needs nothing but nlohmann::json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace pictor::runner {

// ---- names of error kinds on the wire ----------------------------------------------------------

inline const char* kind_name(ErrorKind k) {
    switch (k) {
        case ErrorKind::InvalidArgument: return "InvalidArgument";
        case ErrorKind::NotFound: return "NotFound";
        case ErrorKind::Corrupt: return "Corrupt";
        case ErrorKind::Io: return "Io";
        case ErrorKind::Unavailable: return "Unavailable";
        case ErrorKind::Cancelled: return "Cancelled";
        case ErrorKind::Unsupported: return "Unsupported";
        case ErrorKind::Internal: return "Internal";
    }
    return "Internal";
}

// Unknown names become Internal: a newer runner must not crash an older server.
inline ErrorKind kind_from_name(std::string_view s) {
    for (ErrorKind k : {ErrorKind::InvalidArgument, ErrorKind::NotFound, ErrorKind::Corrupt, ErrorKind::Io,
                        ErrorKind::Unavailable, ErrorKind::Cancelled, ErrorKind::Unsupported, ErrorKind::Internal})
        if (s == kind_name(k)) return k;
    return ErrorKind::Internal;
}

// ---- commands (server -> runner) ---------------------------------------------------------------

struct GenerateCommand {
    uint64_t id = 0;
    std::string prompt;
    std::optional<std::string> negative_prompt;
    int width = 0, height = 0, steps = 0;  // 0 = the model's default
    std::optional<float> guidance;
    std::optional<uint64_t> seed;  // absent = the Modelfile's seed, else random
};

struct CancelCommand {
    uint64_t id = 0;
};

using Command = std::variant<GenerateCommand, CancelCommand>;

namespace detail {

inline nlohmann::json parse_object(std::string_view line) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) fail(ErrorKind::InvalidArgument, "runner protocol: not a JSON object: " + std::string(line.substr(0, 200)));
    return j;
}

template <typename T>
T field(const nlohmann::json& j, const char* key) {
    try {
        return j.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
        fail(ErrorKind::InvalidArgument, std::string("runner protocol: missing or invalid field \"") + key + "\"");
    }
}

template <typename T>
std::optional<T> optional_field(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return field<T>(j, key);
}

inline std::string dump(const nlohmann::json& j) {
    // `replace` keeps a line valid JSON even if a prompt carries invalid UTF-8.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace detail

inline std::string serialize(const Command& c) {
    nlohmann::json j;
    if (const auto* g = std::get_if<GenerateCommand>(&c)) {
        j = {{"id", g->id}, {"prompt", g->prompt}, {"width", g->width}, {"height", g->height}, {"steps", g->steps}};
        if (g->negative_prompt) j["negative_prompt"] = *g->negative_prompt;
        if (g->guidance) j["guidance"] = *g->guidance;
        if (g->seed) j["seed"] = *g->seed;
    } else {
        j = {{"cancel", std::get<CancelCommand>(c).id}};
    }
    return detail::dump(j);
}

// Error(InvalidArgument) for anything that is not one of the two commands.
inline Command parse_command(std::string_view line) {
    const nlohmann::json j = detail::parse_object(line);
    if (j.contains("cancel")) return CancelCommand{detail::field<uint64_t>(j, "cancel")};
    GenerateCommand g;
    g.id = detail::field<uint64_t>(j, "id");
    g.prompt = detail::field<std::string>(j, "prompt");
    g.negative_prompt = detail::optional_field<std::string>(j, "negative_prompt");
    g.width = detail::optional_field<int>(j, "width").value_or(0);
    g.height = detail::optional_field<int>(j, "height").value_or(0);
    g.steps = detail::optional_field<int>(j, "steps").value_or(0);
    g.guidance = detail::optional_field<float>(j, "guidance");
    g.seed = detail::optional_field<uint64_t>(j, "seed");
    return g;
}

// ---- events (runner -> server) -----------------------------------------------------------------

struct ModelDefaults {
    int width = 0, height = 0, steps = 0;
    float guidance = 0.0f;
};

struct LoadingEvent {};
struct ReadyEvent {
    ModelDefaults defaults;
    uint64_t memory_estimate = 0;  // bytes: resident weights + peak activations at the default size
};
struct LoadFailedEvent {
    std::string message;
    ErrorKind kind = ErrorKind::Internal;
};
struct PhaseEvent {
    enum class Phase { Text, Decode };
    uint64_t id = 0;
    Phase phase = Phase::Text;
};
struct StepEvent {
    uint64_t id = 0;
    int step = 0, total = 0;
};
struct ImageEvent {
    uint64_t id = 0;
    std::string image_base64;
    uint64_t seed = 0;
    int width = 0, height = 0, steps = 0;
};
struct FailedEvent {
    uint64_t id = 0;
    std::string message;
    ErrorKind kind = ErrorKind::Internal;
};

using Event = std::variant<LoadingEvent, ReadyEvent, LoadFailedEvent, PhaseEvent, StepEvent, ImageEvent, FailedEvent>;

inline std::string serialize(const Event& e) {
    nlohmann::json j;
    std::visit(
        [&j](const auto& ev) {
            using T = std::decay_t<decltype(ev)>;
            if constexpr (std::is_same_v<T, LoadingEvent>) {
                j = {{"phase", "loading"}};
            } else if constexpr (std::is_same_v<T, ReadyEvent>) {
                j = {{"ready", true},
                     {"defaults", {{"width", ev.defaults.width}, {"height", ev.defaults.height},
                                   {"steps", ev.defaults.steps}, {"guidance", ev.defaults.guidance}}},
                     {"memory_estimate", ev.memory_estimate}};
            } else if constexpr (std::is_same_v<T, LoadFailedEvent>) {
                j = {{"error", ev.message}, {"kind", kind_name(ev.kind)}};
            } else if constexpr (std::is_same_v<T, PhaseEvent>) {
                j = {{"id", ev.id}, {"phase", ev.phase == PhaseEvent::Phase::Text ? "text" : "decode"}};
            } else if constexpr (std::is_same_v<T, StepEvent>) {
                j = {{"id", ev.id}, {"step", ev.step}, {"total", ev.total}};
            } else if constexpr (std::is_same_v<T, ImageEvent>) {
                j = {{"id", ev.id},       {"done", true},          {"image", ev.image_base64}, {"seed", ev.seed},
                     {"width", ev.width}, {"height", ev.height}, {"steps", ev.steps}};
            } else {
                j = {{"id", ev.id}, {"done", true}, {"error", ev.message}, {"kind", kind_name(ev.kind)}};
            }
        },
        e);
    return detail::dump(j);
}

// Error(InvalidArgument) for a line that is none of the events.
inline Event parse_event(std::string_view line) {
    using detail::field;
    using detail::optional_field;
    const nlohmann::json j = detail::parse_object(line);
    if (j.contains("ready")) {
        ReadyEvent r;
        const nlohmann::json& d = j.contains("defaults") ? j["defaults"] : nlohmann::json::object();
        r.defaults.width = optional_field<int>(d, "width").value_or(0);
        r.defaults.height = optional_field<int>(d, "height").value_or(0);
        r.defaults.steps = optional_field<int>(d, "steps").value_or(0);
        r.defaults.guidance = optional_field<float>(d, "guidance").value_or(0.0f);
        r.memory_estimate = optional_field<uint64_t>(j, "memory_estimate").value_or(0);
        return r;
    }
    if (!j.contains("id")) {
        if (j.contains("error"))
            return LoadFailedEvent{field<std::string>(j, "error"),
                                   kind_from_name(optional_field<std::string>(j, "kind").value_or(""))};
        if (optional_field<std::string>(j, "phase") == "loading") return LoadingEvent{};
        fail(ErrorKind::InvalidArgument, "runner protocol: unknown event: " + std::string(line.substr(0, 200)));
    }
    const uint64_t id = field<uint64_t>(j, "id");
    if (optional_field<bool>(j, "done").value_or(false)) {
        if (j.contains("error"))
            return FailedEvent{id, field<std::string>(j, "error"),
                               kind_from_name(optional_field<std::string>(j, "kind").value_or(""))};
        ImageEvent im;
        im.id = id;
        im.image_base64 = field<std::string>(j, "image");
        im.seed = field<uint64_t>(j, "seed");
        im.width = field<int>(j, "width");
        im.height = field<int>(j, "height");
        im.steps = field<int>(j, "steps");
        return im;
    }
    if (j.contains("step")) return StepEvent{id, field<int>(j, "step"), field<int>(j, "total")};
    const auto phase = optional_field<std::string>(j, "phase");
    if (phase == "text") return PhaseEvent{id, PhaseEvent::Phase::Text};
    if (phase == "decode") return PhaseEvent{id, PhaseEvent::Phase::Decode};
    fail(ErrorKind::InvalidArgument, "runner protocol: unknown event: " + std::string(line.substr(0, 200)));
}

}  // namespace pictor::runner
