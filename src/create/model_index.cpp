#include "create/model_index.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/error.h"
#include "util/go_json.h"

namespace pictor::create {

namespace fs = std::filesystem;

std::string read_text_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(ErrorKind::Io, file.string() + ": cannot open: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) fail(ErrorKind::Io, file.string() + ": read failed");
    return std::move(ss).str();
}

nlohmann::ordered_json read_model_index(const fs::path& file) {
    std::string text = read_text_file(file);
    nlohmann::ordered_json j;
    try {
        j = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(ErrorKind::Corrupt, file.string() + ": invalid JSON: " + e.what());
    }
    if (!j.is_object()) fail(ErrorKind::Corrupt, file.string() + ": not a JSON object");
    return j;
}

std::string pipeline_class(const nlohmann::ordered_json& model_index) {
    auto it = model_index.find("_class_name");
    return it != model_index.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string quantization_label(const std::string& quantize, const fs::path& dir) {
    if (!quantize.empty()) {
        std::string up = quantize;
        std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return char(std::toupper(c)); });
        return up;
    }
    try {
        auto j = nlohmann::json::parse(read_text_file(dir / "text_encoder" / "config.json"));
        if (auto it = j.find("torch_dtype"); it != j.end() && it->is_string()) return it->get<std::string>();
    } catch (const std::exception&) {
        // Informational field only: a missing or odd text encoder config leaves it empty.
    }
    return "";
}

std::string rewrite_model_index(const nlohmann::ordered_json& source, uint64_t parameter_count,
                                const std::string& quantization) {
    // The reference decodes the file into a Go map, edits it and writes it with
    // json.MarshalIndent(m, "", "    "): keys sorted, Go's number and string encoding. Writing
    // the same bytes gives the same blob digest as a reference import of the same folder.
    nlohmann::json out = nlohmann::json::object();
    for (auto it = source.begin(); it != source.end(); ++it) {
        if (it.key() == "_diffusers_version") continue;
        nlohmann::json value = nlohmann::json::parse(it.value().dump());
        if (it.key() == "_class_name") out["architecture"] = std::move(value);
        else if (it.key() == "architecture" && source.contains("_class_name")) continue;  // _class_name wins
        else if (it.key() != "parameter_count" && it.key() != "quantization") out[it.key()] = std::move(value);
    }
    out["parameter_count"] = static_cast<int64_t>(parameter_count);
    out["quantization"] = quantization;
    return go_marshal_indent(out, "    ", {"parameter_count"});
}

}  // namespace pictor::create
