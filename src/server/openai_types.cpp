#include "server/openai_types.h"

#include "util/base64.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace pictor::server {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const char* param, const std::string& msg) { throw ParamError(param, msg); }

// Absent and null mean "not given": OpenAI SDKs send null for unset optional fields.
const json* field(const json& body, const char* key) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<std::string> opt_string(const json& body, const char* key) {
    const json* v = field(body, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) bad(key, std::string("invalid request: \"") + key + "\" must be a string");
    return v->get<std::string>();
}

// JSON has one number type; clients in languages without integers (JavaScript, or Python with
// a float) may send 2.0 for 2, so an integral float is an integer. Returned as the value and
// whether it was negative, because seeds use the whole uint64 range.
struct IntValue {
    bool ok = false;
    bool negative = false;
    uint64_t magnitude_or_bits = 0;  // the uint64 bits of the value (two's complement if negative)
};

IntValue as_integer(const json& v) {
    if (v.is_number_unsigned()) return {true, false, v.get<uint64_t>()};
    if (v.is_number_integer()) {
        const int64_t i = v.get<int64_t>();
        return {true, i < 0, static_cast<uint64_t>(i)};
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        // 2^63 bounds: beyond it a double cannot say which integer it meant anyway.
        if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.2e18) {
            const auto i = static_cast<int64_t>(d);
            return {true, i < 0, static_cast<uint64_t>(i)};
        }
    }
    return {};
}

std::string show(const json& v) {
    // Echo the rejected value so the user sees what was sent; long strings are cut.
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 64) s = s.substr(0, 61) + "...";
    return s;
}

// An integer field in [lo, hi] with lo >= 0; `msg` says what is allowed.
std::optional<int> opt_int_in(const json& body, const char* key, int lo, int hi, const std::string& msg) {
    const json* v = field(body, key);
    if (!v) return std::nullopt;
    const IntValue iv = as_integer(*v);
    if (!iv.ok || iv.negative || iv.magnitude_or_bits < static_cast<uint64_t>(lo) ||
        iv.magnitude_or_bits > static_cast<uint64_t>(hi))
        bad(key, msg + ", got " + show(*v));
    return static_cast<int>(iv.magnitude_or_bits);
}

}  // namespace

std::pair<int, int> parse_size(std::string_view size) {
    const std::string allowed = "size must be \"WIDTHxHEIGHT\" with each side a multiple of " +
                                std::to_string(kImageSideMultiple) + " between " + std::to_string(kMinImageSide) +
                                " and " + std::to_string(kMaxImageSide) + ", e.g. \"1024x1024\" or \"768x1344\"";
    auto fail_size = [&]() -> std::pair<int, int> {
        std::string shown(size.substr(0, 40));
        bad("size", "invalid size \"" + shown + (size.size() > 40 ? "...\"" : "\"") + ": " + allowed);
    };
    const size_t x = size.find('x');
    if (x == std::string_view::npos) return fail_size();
    auto side = [&](std::string_view digits, int& out) {
        // from_chars alone would accept a sign; demand 1-5 plain digits (anything longer is > 4096).
        if (digits.empty() || digits.size() > 5) return false;
        for (char c : digits)
            if (c < '0' || c > '9') return false;
        std::from_chars(digits.data(), digits.data() + digits.size(), out);
        return true;
    };
    int w = 0, h = 0;
    if (!side(size.substr(0, x), w) || !side(size.substr(x + 1), h)) return fail_size();
    auto in_range = [](int v) { return v >= kMinImageSide && v <= kMaxImageSide && v % kImageSideMultiple == 0; };
    if (!in_range(w) || !in_range(h)) return fail_size();
    return {w, h};
}

ImagesGenerateRequest parse_images_generate(const json& body) {
    ImagesGenerateRequest r;
    r.prompt = opt_string(body, "prompt").value_or("");
    if (r.prompt.empty()) bad("prompt", "prompt is required");
    r.model = opt_string(body, "model").value_or("");
    if (r.model.empty()) bad("model", "model is required");

    if (auto size = opt_string(body, "size")) std::tie(r.width, r.height) = parse_size(*size);

    const std::string n_msg = "n must be an integer between 1 and " + std::to_string(kMaxImagesPerRequest);
    r.n = opt_int_in(body, "n", 1, kMaxImagesPerRequest, n_msg).value_or(1);

    if (const json* v = field(body, "response_format")) {
        const std::string msg = "response_format must be \"b64_json\" or \"url\", got " + show(*v);
        if (!v->is_string()) bad("response_format", msg);
        const auto f = v->get<std::string>();
        if (f == "b64_json") r.format = ResponseFormat::B64Json;
        else if (f == "url") r.format = ResponseFormat::Url;
        else bad("response_format", msg);
    }

    if (const json* v = field(body, "stream")) {
        if (!v->is_boolean()) bad("stream", "invalid request: \"stream\" must be a boolean");
        r.stream = v->get<bool>();
    }

    if (const json* v = field(body, "seed")) {
        const IntValue iv = as_integer(*v);
        if (!iv.ok) bad("seed", "seed must be an integer, got " + show(*v));
        r.seed = iv.magnitude_or_bits;
    }

    const std::string steps_msg = "steps must be an integer between 1 and 1000 (0 or absent = the model's default)";
    r.steps = opt_int_in(body, "steps", 0, 1000, steps_msg).value_or(0);

    if (auto neg = opt_string(body, "negative_prompt"); neg && !neg->empty()) r.negative_prompt = std::move(neg);

    if (const json* v = field(body, "guidance_scale")) {
        const std::string msg = "guidance_scale must be a number between 0 and 100, got " + show(*v);
        if (!v->is_number()) bad("guidance_scale", msg);
        const double g = v->get<double>();
        if (!std::isfinite(g) || g < 0 || g > 100) bad("guidance_scale", msg);
        r.guidance = static_cast<float>(g);
    }
    // quality, style, user, background, output_format, ... mean nothing for these models.
    return r;
}

std::string validate_images_edit(const json& body) {
    if (opt_string(body, "prompt").value_or("").empty()) bad("prompt", "prompt is required");
    std::string model = opt_string(body, "model").value_or("");
    if (model.empty()) bad("model", "model is required");
    const json* image = field(body, "image");
    if (!image || (image->is_string() && image->get<std::string>().empty())) bad("image", "image is required");
    const std::string url = image->is_string() ? image->get<std::string>() : std::string();
    if (url.starts_with("http://") || url.starts_with("https://"))
        bad("image", "invalid image: image URLs are not currently supported, please use base64 encoded data instead");
    bool valid = false;
    for (const char* prefix : {"data:image/jpeg;base64,", "data:image/jpg;base64,", "data:image/png;base64,",
                               "data:image/webp;base64,", "data:;base64,"}) {
        if (url.starts_with(prefix)) {
            valid = base64_decode(std::string_view(url).substr(std::string_view(prefix).size())).has_value();
            break;
        }
    }
    if (!valid) bad("image", "invalid image: invalid image input");
    return model;
}

const char* openai_error_type(int status) {
    if (status == 400 || status == 413) return "invalid_request_error";
    if (status == 404) return "not_found_error";
    return "api_error";
}

json openai_error_body(int status, std::string_view message, std::string_view param) {
    return json{{"error",
                 {{"message", std::string(message)},
                  {"type", openai_error_type(status)},
                  {"param", param.empty() ? json(nullptr) : json(std::string(param))},
                  {"code", nullptr}}}};
}

}  // namespace pictor::server
