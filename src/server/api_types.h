// Request and response shapes of the store-management endpoints, and their JSON forms.
// Parsing is strict about types ("model": 5 is a 400) and lenient about unknown fields, like
// Ollama's Go structs.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pictor::server {

// Error(InvalidArgument): "missing request body", "invalid JSON: ...", or
// "request body must be a JSON object".
nlohmann::json parse_body(std::string_view body);

// show, delete: {"model": NAME} or the legacy {"name": NAME}.
struct ModelRequest {
    std::string model;
    bool verbose = false;
};
ModelRequest parse_model_request(const nlohmann::json& body);

struct CopyRequest {
    std::string source;
    std::string destination;
};
CopyRequest parse_copy_request(const nlohmann::json& body);

// POST /api/create with a server-side folder.
struct CreateApiRequest {
    std::string model;
    std::string from;
    std::string quantize;
    std::map<std::string, std::string> parameters;  // values as Modelfile text ("8", "blurry")
    std::optional<std::string> license;              // a string or an array of strings (joined)
    bool stream = true;
};
CreateApiRequest parse_create_request(const nlohmann::json& body);

// pull/push.
struct TransferApiRequest {
    std::string model;
    bool insecure = false;  // plain http to the registry
    bool stream = true;
};
TransferApiRequest parse_transfer_request(const nlohmann::json& body);

// "details" of tags/show.
struct ModelDetails {
    std::string parent_model;
    std::string format = "safetensors";
    std::string family;
    std::optional<std::vector<std::string>> families;  // null unless the config lists them
    std::string parameter_size;
    std::string quantization_level;
};
// Responses keep Ollama's field order (nlohmann::ordered_json), so they read like Ollama's.
nlohmann::ordered_json to_json(const ModelDetails& d);

struct TagsEntry {
    std::string name;
    std::chrono::system_clock::time_point modified;
    uint64_t size = 0;
    std::string digest_hex;
    ModelDetails details;
};
nlohmann::ordered_json to_json(const TagsEntry& e);

struct TensorRow {
    std::string name;
    std::string type;
    std::vector<int64_t> shape;
};

struct ShowResponse {
    std::string license;
    std::string modelfile;
    std::string parameters;
    ModelDetails details;
    std::vector<std::string> capabilities;
    std::chrono::system_clock::time_point modified;
    std::string requires_version;
    std::optional<std::vector<TensorRow>> tensors;  // verbose only
};
nlohmann::ordered_json to_json(const ShowResponse& r);

// One NDJSON frame of create/pull/push: completed/total omitted when zero, as in Go.
nlohmann::ordered_json status_frame(std::string_view status, uint64_t completed = 0, uint64_t total = 0);

}  // namespace pictor::server
