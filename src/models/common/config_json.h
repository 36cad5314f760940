// Reading a component's config.json (diffusers / transformers style) with errors that name the
// file and the key: every parse failure is ErrorKind::Corrupt "<file>: <what is wrong>".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::models {

class ConfigJson {
public:
    explicit ConfigJson(std::string file) : file_(std::move(file)) {}

    // The document, which must be a JSON object.
    nlohmann::json parse_object(std::string_view text) const;
    [[noreturn]] void bad(const std::string& what) const;
    // j[key], which must be present and not null.
    const nlohmann::json& require(const nlohmann::json& j, const char* key) const;
    // v (the value of `key`) as a positive integer.
    int64_t positive_int(const nlohmann::json& v, const char* key) const;
    int64_t required_positive_int(const nlohmann::json& j, const char* key) const;
    double required_positive_number(const nlohmann::json& j, const char* key) const;
    // A non-empty list of positive integers.
    std::vector<int64_t> positive_int_list(const nlohmann::json& j, const char* key) const;

private:
    std::string file_;
};

}  // namespace pictor::models
