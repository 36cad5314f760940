#include "store/manifest.h"

#include <nlohmann/json.hpp>

#include "store/digest.h"
#include "util/error.h"

namespace pictor::store {
namespace {

// Appends s as a JSON string exactly as Go's encoding/json writes it (json.Marshal, HTML
// escaping on), so that a manifest we write is byte-identical to the reference's and hashes to
// the same model ID: short escapes for \" \\ \b \f \n \r \t, \u00xx (lowercase hex) for other
// control bytes, \u003c \u003e \u0026 for < > &, \u2028 \u2029 for the JS line separators, and
// \ufffd for each byte of invalid UTF-8.
void append_go_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            switch (b) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (b < 0x20 || b == '<' || b == '>' || b == '&') {
                        out += "\\u00";
                        out += kHex[b >> 4];
                        out += kHex[b & 0xf];
                    } else {
                        out += static_cast<char>(b);
                    }
            }
            ++i;
            continue;
        }
        // Decode one UTF-8 sequence; anything malformed (overlong, surrogate, truncated, out of
        // range) is one invalid byte, as in Go's utf8.DecodeRuneInString.
        size_t len = 0;
        uint32_t cp = 0;
        if (b >= 0xc2 && b <= 0xdf) len = 2, cp = b & 0x1f;
        else if (b >= 0xe0 && b <= 0xef) len = 3, cp = b & 0x0f;
        else if (b >= 0xf0 && b <= 0xf4) len = 4, cp = b & 0x07;
        bool ok = len != 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xc0) != 0x80) ok = false;
            cp = (cp << 6) | (c & 0x3f);
        }
        if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                   (cp >= 0xd800 && cp <= 0xdfff)))
            ok = false;
        if (!ok) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            out += cp == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
            out.append(s.substr(i, len));
        }
        i += len;
    }
    out += '"';
}

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
