#include "server/model_details.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <nlohmann/json.hpp>

#include "server/format.h"
#include "store/safetensors.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using nlohmann::json;

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}
std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string str_field(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const store::Layer* find_layer(const store::ModelEntry& e, std::string_view media_type) {
    for (const auto& l : e.manifest.layers)
        if (l.media_type == media_type) return &l;
    return nullptr;
}

// model_index.json is optional for display purposes: a model without one (or with a broken
// one) still lists, just with less detail.
json read_model_index(const store::ModelStore& store, const store::ModelEntry& e) {
    try {
        if (auto text = store.read_json(e, "model_index.json")) {
            json j = json::parse(*text, nullptr, false);
            if (j.is_object()) return j;
        }
    } catch (const std::exception&) {
    }
    return json::object();
}

// The layer name without its component prefix ("transformer/x.weight" -> "x.weight").
std::string_view strip_component(std::string_view name) {
    auto slash = name.find('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// Which entry of a blob's header is the layer's tensor: the reference's lookup order
// (stripped name, full name, legacy "data"), else the first entry that is not a companion.
const store::TensorInfo* pick_tensor(const std::vector<store::TensorInfo>& infos, std::string_view layer_name) {
    for (std::string_view key : {strip_component(layer_name), layer_name, std::string_view("data")})
        for (const auto& t : infos)
            if (t.name == key) return &t;
    for (const auto& t : infos) {
        std::string_view n = t.name;
        if (!n.ends_with(".scale") && !n.ends_with(".bias")) return &t;
    }
    return infos.empty() ? nullptr : &infos.front();
}

std::string first_quant_type(const store::ModelStore& store, const store::ModelEntry& e) {
    for (const auto& l : e.manifest.layers) {
        if (l.media_type != store::kTensorMediaType) continue;
        try {
            std::map<std::string, std::string> meta;
            store::SafetensorsFile::read_header(store.blobs().path_of(l.digest), &meta);
            if (auto it = meta.find("quant_type"); it != meta.end()) return it->second;
        } catch (const std::exception&) {
        }
        return "";  // the reference looks at the first tensor blob only
    }
    return "";
}

// Go's %#v for a JSON value decoded into interface{}: strings quoted, numbers as float64 %g.
std::string go_value(const json& v) {
    if (v.is_string()) return quote(v.get<std::string>());
    if (v.is_number_float()) {
        const double d = v.get<double>();
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", d);
        // Shortest form that round-trips, like strconv.FormatFloat(f, 'g', -1, 64).
        for (int prec = 1; prec <= 17; ++prec) {
            std::snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (std::strtod(buf, nullptr) == d) break;
        }
        return buf;
    }
    return v.dump();
}

// Modelfile PARAMETER values are bare words unless they need quoting.
std::string modelfile_value(const json& v) {
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        const bool needs_quotes = s.empty() || std::any_of(s.begin(), s.end(), [](char c) {
                                      return std::isspace(static_cast<unsigned char>(c)) || c == '"';
                                  });
        return needs_quotes ? quote(s) : s;
    }
    return go_value(v);
}

json read_params(const store::ModelStore& store, const store::ModelEntry& e) {
    const store::Layer* l = find_layer(e, store::kParamsMediaType);
    if (!l) return json::object();
    json j = json::parse(store.blobs().read(l->digest), nullptr, false);
    if (!j.is_object()) fail(ErrorKind::Corrupt, "parameters layer " + l->digest + " is not a JSON object");
    return j;
}

}  // namespace

bool ModelConfig::is_image() const {
    return std::find(capabilities.begin(), capabilities.end(), "image") != capabilities.end();
}

ModelConfig read_config(const store::ModelStore& store, const store::ModelEntry& e) {
    ModelConfig c;
    std::string text;
    try {
        text = store.blobs().read(e.manifest.config.digest);
    } catch (const std::exception& ex) {
        fail(ErrorKind::Corrupt, "config blob " + e.manifest.config.digest + " of " + e.name.display() +
                                     " cannot be read: " + ex.what());
    }
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) fail(ErrorKind::Corrupt, "config blob " + e.manifest.config.digest + " is not a JSON object");
    c.model_format = str_field(j, "model_format");
    c.model_family = str_field(j, "model_family");
    c.model_type = str_field(j, "model_type");
    c.file_type = str_field(j, "file_type");
    c.requires_version = str_field(j, "requires");
    if (auto it = j.find("model_families"); it != j.end() && it->is_array()) {
        std::vector<std::string> fams;
        for (const auto& f : *it)
            if (f.is_string()) fams.push_back(f.get<std::string>());
        c.model_families = std::move(fams);
    }
    if (auto it = j.find("capabilities"); it != j.end() && it->is_array())
        for (const auto& cap : *it)
            if (cap.is_string()) c.capabilities.push_back(cap.get<std::string>());
    return c;
}

ModelDetails describe(const store::ModelStore& store, const store::ModelEntry& e, const ModelConfig& cfg) {
    ModelDetails d;
    d.format = cfg.model_format.empty() ? "safetensors" : cfg.model_format;
    if (!cfg.is_image()) {
        d.family = cfg.model_family;
        d.families = cfg.model_families;
        d.parameter_size = cfg.model_type;
        d.quantization_level = cfg.file_type;
        return d;
    }
    const json index = read_model_index(store, e);
    d.family = str_field(index, "architecture");
    uint64_t params = 0;
    if (auto it = index.find("parameter_count"); it != index.end() && it->is_number() && it->get<double>() > 0)
        params = it->get<uint64_t>();
    if (params == 0) params = e.manifest.tensor_size() / 2;  // the reference's fallback: BF16 bytes
    d.parameter_size = human_number(params);
    std::string q = str_field(index, "quantization");
    if (q.empty()) q = first_quant_type(store, e);
    d.quantization_level = q.empty() ? "BF16" : upper(q);
    return d;
}

std::string read_license(const store::ModelStore& store, const store::ModelEntry& e) {
    std::string out;
    for (const auto& l : e.manifest.layers) {
        if (l.media_type != store::kLicenseMediaType) continue;
        if (!out.empty()) out += "\n";
        out += store.blobs().read(l.digest);
    }
    return out;
}

std::string format_parameters(const store::ModelStore& store, const store::ModelEntry& e) {
    const json params = read_params(store, e);
    std::string out;
    auto add = [&](const std::string& key, const json& v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%-30s ", key.c_str());
        if (!out.empty()) out += "\n";
        out += buf + go_value(v);
    };
    for (const auto& [k, v] : params.items()) {  // nlohmann objects iterate in key order
        if (v.is_array())
            for (const auto& item : v) add(k, item);
        else
            add(k, v);
    }
    return out;
}

std::string render_modelfile(const store::ModelStore& store, const store::ModelEntry& e) {
    const std::string name = e.name.display();
    std::string out = "# Modelfile generated by \"pictor show\"\n"
                      "# To build a new Modelfile based on this, replace FROM with the diffusers folder:\n"
                      "# FROM /path/to/diffusers-folder\n\n"
                      "FROM " + name + "\n";
    const json params = read_params(store, e);
    for (const auto& [k, v] : params.items()) {
        if (v.is_array())
            for (const auto& item : v) out += "PARAMETER " + k + " " + modelfile_value(item) + "\n";
        else
            out += "PARAMETER " + k + " " + modelfile_value(v) + "\n";
    }
    if (std::string lic = read_license(store, e); !lic.empty()) out += "LICENSE \"\"\"" + lic + "\"\"\"\n";
    return out;
}

std::vector<TensorRow> tensor_table(const store::ModelStore& store, const store::ModelEntry& e) {
    std::vector<TensorRow> rows;
    for (const auto& l : e.manifest.layers) {
        if (l.media_type != store::kTensorMediaType) continue;
        std::map<std::string, std::string> meta;
        std::vector<store::TensorInfo> infos;
        try {
            infos = store::SafetensorsFile::read_header(store.blobs().path_of(l.digest), &meta);
        } catch (const std::exception& ex) {
            fail(ErrorKind::Corrupt, "tensor " + l.name + " (blob " + l.digest + "): " + ex.what());
        }
        const store::TensorInfo* t = pick_tensor(infos, l.name);
        TensorRow row;
        row.name = l.name;
        if (auto it = meta.find("quant_type"); it != meta.end()) row.type = lower(it->second);
        else if (t) row.type = std::string(store::dtype_name(t->dtype));
        if (t) row.shape = t->shape;
        rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [](const TensorRow& a, const TensorRow& b) { return a.name < b.name; });
    return rows;
}

}  // namespace pictor::server
