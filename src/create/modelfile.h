// Modelfile subset for image models: FROM <dir>, PARAMETER <key> <value>, LICENSE <text>
// (with """ multi-line strings). Relative FROM paths resolve against the Modelfile's folder.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pictor::create {

struct Modelfile {
    std::filesystem::path from;                     // resolved, absolute
    std::map<std::string, std::string> parameters;  // width, height, steps, guidance, seed, negative_prompt
    std::optional<std::string> license;
};

// Throws Error(InvalidArgument, "<file>:<line>: <why>") on syntax errors or unknown PARAMETER keys.
Modelfile parse_modelfile(std::string_view text, const std::filesystem::path& base_dir);
Modelfile read_modelfile(const std::filesystem::path& file);

}  // namespace pictor::create
