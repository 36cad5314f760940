#include "store/manifest.h"

#include <nlohmann/json.hpp>

#include "store/digest.h"
#include "util/error.h"
#include "util/go_json.h"

namespace pictor::store {
namespace {

void append_layer(std::string& out, const Layer& l) {
    out += "{\"mediaType\":";
    append_go_string(out, l.media_type);
    out += ",\"digest\":";
    append_go_string(out, l.digest);
    out += ",\"size\":";
    out += std::to_string(l.size);
    // Go's `json:",omitempty"`: absent when empty; struct order puts from before name.
    if (!l.from.empty()) {
        out += ",\"from\":";
        append_go_string(out, l.from);
    }
    if (!l.name.empty()) {
        out += ",\"name\":";
        append_go_string(out, l.name);
    }
    out += '}';
}

[[noreturn]] void corrupt(const std::string& why) { fail(ErrorKind::Corrupt, "invalid manifest: " + why); }

std::string optional_string(const nlohmann::json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    if (!it->is_string()) corrupt(where + "." + key + " is not a string");
    return it->get<std::string>();
}

Layer parse_layer(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) corrupt(where + " is not an object");
    Layer l;
    l.media_type = optional_string(j, "mediaType", where);
    l.digest = optional_string(j, "digest", where);
    // Digests become file names, so they are checked strictly; everything else is tolerated.
    if (!is_valid_digest(l.digest)) corrupt(where + ".digest \"" + l.digest + "\" is not a valid sha256 digest");
    auto size = j.find("size");
    // nlohmann stores every non-negative integer literal as unsigned, so this also rejects
    // negative and fractional sizes (which Go's int64 field rejects too).
    if (size == j.end() || !size->is_number_unsigned())
        corrupt(where + ".size is missing or not a non-negative integer");
    l.size = size->get<uint64_t>();
    l.from = optional_string(j, "from", where);
    l.name = optional_string(j, "name", where);
    return l;
}

}  // namespace

std::string Manifest::serialize() const {
    std::string out = "{\"schemaVersion\":" + std::to_string(schema_version) + ",\"mediaType\":";
    append_go_string(out, media_type);
    out += ",\"config\":";
    append_layer(out, config);
    out += ",\"layers\":[";
    for (size_t i = 0; i < layers.size(); ++i) {
        if (i) out += ',';
        append_layer(out, layers[i]);
    }
    out += "]}\n";  // json.Encoder.Encode ends with a newline
    return out;
}

Manifest Manifest::parse(std::string_view bytes) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        corrupt(std::string("not valid JSON (") + e.what() + ")");
    }
    if (!j.is_object()) corrupt("not a JSON object");
    Manifest m;
    auto sv = j.find("schemaVersion");
    if (sv != j.end() && !sv->is_null()) {
        if (!sv->is_number_integer()) corrupt("schemaVersion is not an integer");
        m.schema_version = sv->get<int>();
    }
    m.media_type = optional_string(j, "mediaType", "manifest");
    auto config = j.find("config");
    if (config == j.end()) corrupt("config is missing");
    m.config = parse_layer(*config, "config");
    auto layers = j.find("layers");
    if (layers == j.end()) corrupt("layers is missing");
    if (!layers->is_null()) {  // Go writes a nil slice as null
        if (!layers->is_array()) corrupt("layers is not an array");
        m.layers.reserve(layers->size());
        for (size_t i = 0; i < layers->size(); ++i)
            m.layers.push_back(parse_layer((*layers)[i], "layers[" + std::to_string(i) + "]"));
    }
    return m;
}

uint64_t Manifest::total_size() const {
    uint64_t total = config.size;
    for (const Layer& l : layers) total += l.size;
    return total;
}

uint64_t Manifest::tensor_size() const {
    uint64_t total = 0;
    for (const Layer& l : layers)
        if (l.media_type == kTensorMediaType) total += l.size;
    return total;
}

}  // namespace pictor::store
