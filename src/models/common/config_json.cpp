#include "models/common/config_json.h"

#include "util/error.h"

namespace pictor::models {

using nlohmann::json;

json ConfigJson::parse_object(std::string_view text) const {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        bad(std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) bad("not a JSON object");
    return j;
}

void ConfigJson::bad(const std::string& what) const { fail(ErrorKind::Corrupt, file_ + ": " + what); }

const json& ConfigJson::require(const json& j, const char* key) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) bad(std::string("missing key \"") + key + "\"");
    return *it;
}

int64_t ConfigJson::positive_int(const json& v, const char* key) const {
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
        bad(std::string("\"") + key + "\" must be a positive integer, got " + v.dump());
    return v.get<int64_t>();
}

int64_t ConfigJson::required_positive_int(const json& j, const char* key) const {
    return positive_int(require(j, key), key);
}

double ConfigJson::required_positive_number(const json& j, const char* key) const {
    const json& v = require(j, key);
    if (!v.is_number() || !(v.get<double>() > 0.0))
        bad(std::string("\"") + key + "\" must be a positive number, got " + v.dump());
    return v.get<double>();
}

std::vector<int64_t> ConfigJson::positive_int_list(const json& j, const char* key) const {
    const json& v = require(j, key);
    if (!v.is_array() || v.empty()) bad(std::string("\"") + key + "\" must be a non-empty list of integers");
    std::vector<int64_t> out;
    for (const json& e : v) {
        if (!e.is_number_integer() || e.get<int64_t>() <= 0)
            bad(std::string("\"") + key + "\" must hold positive integers, got " + v.dump());
        out.push_back(e.get<int64_t>());
    }
    return out;
}

}  // namespace pictor::models
