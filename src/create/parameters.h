// Modelfile PARAMETERs of image models: which keys exist, what values they accept, and how they
// are stored (the application/vnd.ollama.image.params layer). Shared by the Modelfile parser and
// create_model so that POST /api/create validates exactly like `pictor create -f`.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pictor::create {

// Returns "" when `value` is acceptable for `key`, else the reason (e.g. `unknown parameter
// "foo" (supported: ...)`, `width must be a multiple of 16 between 64 and 4096, got "70"`).
std::string check_parameter(std::string_view key, std::string_view value);

// JSON object of the parameters, keys sorted (as Go marshals a map); values that parse as JSON
// numbers are stored as numbers, the rest as strings.
nlohmann::json parameters_json(const std::map<std::string, std::string>& params);

}  // namespace pictor::create
