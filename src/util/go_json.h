// JSON text exactly as Go's encoding/json writes it, for the files whose bytes (and so whose
// digests) must match what the reference system writes: manifests, and the model_index.json
// that `create` rewrites (json.MarshalIndent of a map[string]any).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pictor {

// Appends s as a JSON string as json.Marshal does (HTML escaping on): short escapes for
// \" \\ \b \f \n \r \t, \u00xx (lowercase hex) for other control bytes, \u003c \u003e \u0026
// for < > &, \u2028 \u2029 for the JS line separators, and \ufffd for each byte of invalid UTF-8.
void append_go_string(std::string& out, std::string_view s);

// json.MarshalIndent(v, "", indent) of the value Go's json.Unmarshal makes of `v`: object keys
// sorted bytewise (Go sorts map keys), every number a float64 (shortest round-trip digits,
// exponent form below 1e-6 and from 1e21 on, "1e-07" written "1e-7"), except integers in
// `exact_integers`' keys at the top level, which Go code set as int64 and which print exactly.
std::string go_marshal_indent(const nlohmann::json& v, std::string_view indent,
                              std::initializer_list<std::string_view> exact_integers = {});

}  // namespace pictor
