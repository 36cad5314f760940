// Request and error shapes of the OpenAI-compatible image endpoints (/v1/images/*).
// Parsing is strict where the reference was silently lenient (a bad size, n or response_format
// is a 400 that says what is allowed, product.md §2.5) and lenient about fields OpenAI clients
// send that mean nothing here (quality, style, user, ...). Errors carry the offending field so
// the envelope's "param" can name it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace pictor::server {

// An InvalidArgument error that knows which request field was wrong ("param" in the envelope).
class ParamError : public Error {
public:
    ParamError(std::string param, const std::string& message)
        : Error(ErrorKind::InvalidArgument, message), param_(std::move(param)) {}
    const std::string& param() const noexcept { return param_; }

private:
    std::string param_;
};

inline constexpr int kMaxImagesPerRequest = 4;
inline constexpr int kMinImageSide = 64;
inline constexpr int kMaxImageSide = 4096;
inline constexpr int kImageSideMultiple = 16;

enum class ResponseFormat { B64Json, Url };

struct ImagesGenerateRequest {
    std::string model;
    std::string prompt;
    int width = 0, height = 0;  // 0 = the model's default (no size given)
    int n = 1;
    ResponseFormat format = ResponseFormat::B64Json;
    bool stream = false;
    // Extensions (product.md §2.4).
    std::optional<uint64_t> seed;  // int64 on the wire; negatives wrap like torch.manual_seed
    int steps = 0;                 // 0 = the model's default
    std::optional<std::string> negative_prompt;
    std::optional<float> guidance;
};

// Throws ParamError. Checks prompt before model, as the reference does, then the rest.
ImagesGenerateRequest parse_images_generate(const nlohmann::json& body);

// "WxH" (decimal digits only) with each side a multiple of 16 in [64, 4096]. ParamError("size").
std::pair<int, int> parse_size(std::string_view size);

// POST /v1/images/edits (JSON): prompt, model and image are required (in that order, as the
// reference checks them), and image must be a base64 data URL of a JPEG, PNG or WebP (the
// reference's rule and messages, reference §2.3). Returns the model. Nothing else is
// interpreted because editing is not implemented.
std::string validate_images_edit(const nlohmann::json& body);

// "invalid_request_error" (400, 413), "not_found_error" (404), else "api_error".
const char* openai_error_type(int status);
// {"error":{"message","type","param","code"}}; param null when empty.
nlohmann::json openai_error_body(int status, std::string_view message, std::string_view param = {});

}  // namespace pictor::server
