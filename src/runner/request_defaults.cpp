#include "runner/request_defaults.h"

#include <cmath>
#include <random>

#include "util/error.h"

namespace pictor::runner {
namespace {

template <typename T>
std::optional<T> param(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    const bool ok = std::is_same_v<T, std::string> ? it->is_string() : it->is_number();
    if (!ok) fail(ErrorKind::Corrupt, std::string("model parameter ") + key + " has the wrong type: " + it->dump());
    return it->get<T>();
}

void check_side(const char* what, int v) {
    if (v < 64 || v > 4096 || v % 16 != 0)
        fail(ErrorKind::InvalidArgument,
             std::string(what) + " must be a multiple of 16 between 64 and 4096, got " + std::to_string(v));
}

}  // namespace

ModelParameters ModelParameters::from_json(const nlohmann::json& j) {
    ModelParameters p;
    if (!j.is_object()) return p;
    p.width = param<int>(j, "width");
    p.height = param<int>(j, "height");
    p.steps = param<int>(j, "steps");
    p.guidance = param<float>(j, "guidance");
    if (auto it = j.find("seed"); it != j.end() && it->is_number()) {
        // Stored as a signed number when it fits; seeds are unsigned 64-bit.
        p.seed = it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(it->get<int64_t>());
    }
    p.negative_prompt = param<std::string>(j, "negative_prompt");
    return p;
}

ModelParameters ModelParameters::read(const store::ModelStore& store, const store::ModelEntry& entry) {
    for (const auto& l : entry.manifest.layers) {
        if (l.media_type != store::kParamsMediaType) continue;
        const nlohmann::json j = nlohmann::json::parse(store.blobs().read(l.digest), nullptr, false);
        if (!j.is_object()) fail(ErrorKind::Corrupt, "parameters layer " + l.digest + " is not a JSON object");
        return from_json(j);
    }
    return {};
}

ModelDefaults effective_defaults(const ModelDefaults& arch, const ModelParameters& p) {
    ModelDefaults d = arch;
    if (p.width) d.width = *p.width;
    if (p.height) d.height = *p.height;
    if (p.steps) d.steps = *p.steps;
    if (p.guidance) d.guidance = *p.guidance;
    return d;
}

uint64_t random_seed() {
    std::random_device rd;
    const uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    return v & ((uint64_t(1) << 53) - 1);
}

EngineRequest resolve_request(const GenerateCommand& cmd, const ModelDefaults& d, const ModelParameters& params,
                              const std::function<uint64_t()>& make_seed) {
    EngineRequest r;
    r.prompt = cmd.prompt;
    r.negative_prompt = cmd.negative_prompt.value_or(params.negative_prompt.value_or(""));
    r.width = cmd.width > 0 ? cmd.width : d.width;
    r.height = cmd.height > 0 ? cmd.height : d.height;
    r.steps = cmd.steps > 0 ? cmd.steps : d.steps;
    r.guidance = cmd.guidance.value_or(d.guidance);
    check_side("width", r.width);
    check_side("height", r.height);
    if (r.steps < 1 || r.steps > 1000)
        fail(ErrorKind::InvalidArgument, "steps must be between 1 and 1000, got " + std::to_string(r.steps));
    if (!std::isfinite(r.guidance) || r.guidance < 0)
        fail(ErrorKind::InvalidArgument, "guidance must be a number >= 0, got " + std::to_string(r.guidance));
    r.seed = cmd.seed ? *cmd.seed : params.seed ? *params.seed : make_seed();
    return r;
}

}  // namespace pictor::runner
