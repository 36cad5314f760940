#include "server/api_types.h"

#include <cmath>

#include "server/format.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

[[noreturn]] void bad(const std::string& msg) { fail(ErrorKind::InvalidArgument, msg); }

// A string field; absent or null -> nullopt; any other type -> 400.
std::optional<std::string> opt_string(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) bad(std::string("invalid request: \"") + key + "\" must be a string");
    return it->get<std::string>();
}

std::optional<bool> opt_bool(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) bad(std::string("invalid request: \"") + key + "\" must be a boolean");
    return it->get<bool>();
}

// "model" wins over the legacy "name", as cmp.Or(r.Model, r.Name) does in Ollama.
std::string model_or_name(const json& j) {
    auto model = opt_string(j, "model");
    auto name = opt_string(j, "name");
    if (model && !model->empty()) return *model;
    return name.value_or("");
}

// Parameter values arrive as JSON scalars; the importer wants Modelfile text.
std::string scalar_text(const std::string& key, const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d == static_cast<double>(static_cast<long long>(d)) && std::abs(d) < 1e15)
            return std::to_string(static_cast<long long>(d));
        return v.dump();
    }
    bad("invalid request: parameter \"" + key + "\" must be a string, number or boolean");
}

std::string strip_json_exception_prefix(const std::string& what) {
    // nlohmann messages start with "[json.exception.parse_error.101] "; users need the rest.
    if (!what.empty() && what.front() == '[') {
        if (auto close = what.find("] "); close != std::string::npos) return what.substr(close + 2);
    }
    return what;
}

}  // namespace

json parse_body(std::string_view body) {
    bool blank = true;
    for (char c : body)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') blank = false;
    if (blank) bad("missing request body");
    json j;
    try {
        j = json::parse(body);
    } catch (const json::exception& e) {
        bad("invalid JSON: " + strip_json_exception_prefix(e.what()));
    }
    if (!j.is_object()) bad("invalid request: body must be a JSON object");
    return j;
}

ModelRequest parse_model_request(const json& body) {
    ModelRequest r;
    r.model = model_or_name(body);
    r.verbose = opt_bool(body, "verbose").value_or(false);
    return r;
}

CopyRequest parse_copy_request(const json& body) {
    CopyRequest r;
    r.source = opt_string(body, "source").value_or("");
    r.destination = opt_string(body, "destination").value_or("");
    return r;
}

CreateApiRequest parse_create_request(const json& body) {
    CreateApiRequest r;
    r.model = model_or_name(body);
    r.from = opt_string(body, "from").value_or("");
    r.quantize = opt_string(body, "quantize").value_or("");
    r.stream = opt_bool(body, "stream").value_or(true);
    if (auto it = body.find("parameters"); it != body.end() && !it->is_null()) {
        if (!it->is_object()) bad("invalid request: \"parameters\" must be an object");
        for (const auto& [k, v] : it->items()) r.parameters[k] = scalar_text(k, v);
    }
    if (auto it = body.find("license"); it != body.end() && !it->is_null()) {
        // Ollama's API takes a license as a string or a list of strings.
        if (it->is_string()) {
            r.license = it->get<std::string>();
        } else if (it->is_array()) {
            std::string joined;
            for (const auto& part : *it) {
                if (!part.is_string()) bad("invalid request: \"license\" must be a string or an array of strings");
                if (!joined.empty()) joined += "\n";
                joined += part.get<std::string>();
            }
            r.license = joined;
        } else {
            bad("invalid request: \"license\" must be a string or an array of strings");
        }
    }
    return r;
}

TransferApiRequest parse_transfer_request(const json& body) {
    TransferApiRequest r;
    r.model = model_or_name(body);
    r.insecure = opt_bool(body, "insecure").value_or(false);
    r.stream = opt_bool(body, "stream").value_or(true);
    return r;
}

ordered_json to_json(const ModelDetails& d) {
    return ordered_json{{"parent_model", d.parent_model},
                {"format", d.format},
                {"family", d.family},
                {"families", d.families ? ordered_json(*d.families) : ordered_json(nullptr)},
                {"parameter_size", d.parameter_size},
                {"quantization_level", d.quantization_level}};
}

ordered_json to_json(const TagsEntry& e) {
    return ordered_json{{"name", e.name},
                {"model", e.name},
                {"modified_at", rfc3339(e.modified)},
                {"size", e.size},
                {"digest", e.digest_hex},
                {"details", to_json(e.details)}};
}

ordered_json to_json(const ShowResponse& r) {
    ordered_json j = ordered_json::object();
    if (!r.license.empty()) j["license"] = r.license;
    j["modelfile"] = r.modelfile;
    if (!r.parameters.empty()) j["parameters"] = r.parameters;
    j["template"] = "";
    j["details"] = to_json(r.details);
    j["model_info"] = ordered_json::object();
    if (r.tensors) {
        ordered_json rows = ordered_json::array();
        for (const auto& t : *r.tensors) rows.push_back(ordered_json{{"name", t.name}, {"type", t.type}, {"shape", t.shape}});
        j["tensors"] = std::move(rows);
    }
    j["capabilities"] = r.capabilities;
    j["modified_at"] = rfc3339(r.modified);
    if (!r.requires_version.empty()) j["requires"] = r.requires_version;
    return j;
}

ordered_json status_frame(std::string_view status, uint64_t completed, uint64_t total) {
    ordered_json j{{"status", std::string(status)}};
    if (total != 0) j["total"] = total;
    if (completed != 0) j["completed"] = completed;
    return j;
}

}  // namespace pictor::server
