#include "server/generate_request.h"

#include <cmath>
#include <limits>

#include "server/keep_alive.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using nlohmann::json;

const json* get(const json& body, const char* key) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return nullptr;
    return &*it;
}

std::string string_field(const json& body, const char* key) {
    const json* v = get(body, key);
    if (!v) return "";
    if (!v->is_string()) fail(ErrorKind::InvalidArgument, std::string(key) + " must be a string");
    return v->get<std::string>();
}

int int_field(const json& body, const char* key) {
    const json* v = get(body, key);
    if (!v) return 0;
    if (!v->is_number_integer()) fail(ErrorKind::InvalidArgument, std::string(key) + " must be an integer");
    const int64_t i = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT32_MAX) ? int64_t(INT32_MAX) + 1
                                                                                           : v->get<int64_t>();
    if (i > INT32_MAX || i < INT32_MIN) fail(ErrorKind::InvalidArgument, std::string(key) + " is out of range");
    return static_cast<int>(i);
}

std::optional<uint64_t> seed_field(const json& options) {
    const json* v = get(options, "seed");
    if (!v) return std::nullopt;
    if (!v->is_number()) fail(ErrorKind::InvalidArgument, "options.seed must be a number");
    if (v->is_number_unsigned()) {
        const uint64_t u = v->get<uint64_t>();
        return u == 0 ? std::nullopt : std::optional<uint64_t>(u);
    }
    if (v->is_number_integer()) {
        const int64_t i = v->get<int64_t>();
        return i <= 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(i));
    }
    const double d = std::trunc(v->get<double>());
    if (!std::isfinite(d) || d >= 18446744073709551616.0) fail(ErrorKind::InvalidArgument, "options.seed is out of range");
    return d < 1 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(d));
}

void check_side(const char* what, int v) {
    if (v != 0 && (v < 64 || v > 4096 || v % 16 != 0))
        fail(ErrorKind::InvalidArgument,
             std::string(what) + " must be a multiple of 16 between 64 and 4096, got " + std::to_string(v));
}

}  // namespace

GenerateApiRequest parse_generate_request(const json& body) {
    GenerateApiRequest r;
    r.image.model = string_field(body, "model");
    r.image.prompt = string_field(body, "prompt");
    if (get(body, "negative_prompt")) r.image.negative_prompt = string_field(body, "negative_prompt");
    r.image.width = int_field(body, "width");
    r.image.height = int_field(body, "height");
    r.image.steps = int_field(body, "steps");
    if (const json* g = get(body, "guidance")) {
        if (!g->is_number()) fail(ErrorKind::InvalidArgument, "guidance must be a number");
        r.image.guidance = g->get<float>();
    }
    if (const json* o = get(body, "options")) {
        if (!o->is_object()) fail(ErrorKind::InvalidArgument, "options must be an object");
        r.image.seed = seed_field(*o);
    }
    if (const json* s = get(body, "stream")) {
        if (!s->is_boolean()) fail(ErrorKind::InvalidArgument, "stream must be true or false");
        r.stream = s->get<bool>();
    }
    if (const json* k = get(body, "keep_alive")) r.image.keep_alive = keep_alive_from_json(*k);
    return r;
}

void validate_image_request(const ImageRequest& r) {
    if (r.width > 4096 || r.height > 4096) fail(ErrorKind::InvalidArgument, "width and height must be <= 4096");
    check_side("width", r.width);
    check_side("height", r.height);
    if (r.steps != 0 && (r.steps < 1 || r.steps > 1000))
        fail(ErrorKind::InvalidArgument, "steps must be between 1 and 1000, got " + std::to_string(r.steps));
    if (r.guidance && (!std::isfinite(*r.guidance) || *r.guidance < 0 || *r.guidance > 100))
        fail(ErrorKind::InvalidArgument, "guidance must be a number between 0 and 100");
}

}  // namespace pictor::server
