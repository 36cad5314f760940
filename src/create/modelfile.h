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

// Syntax: one command per line, commands case-insensitive, `#` starts a comment line; values
// are bare (rest of the line, trimmed), "double quoted" (\" and \\ escapes) or """triple
// quoted""" (may span lines, taken verbatim). A FROM line is required; `~/` expands to $HOME.
// Throws Error(InvalidArgument, "<source_name>:<line>: <why>") on syntax errors, unknown
// commands, unknown PARAMETER keys, invalid values or repeated FROM/LICENSE/PARAMETER keys.
Modelfile parse_modelfile(std::string_view text, const std::filesystem::path& base_dir,
                          std::string_view source_name = "Modelfile");
// Reads `file` (Error(NotFound)/Error(Io) naming it) and parses it relative to its folder.
Modelfile read_modelfile(const std::filesystem::path& file);

}  // namespace pictor::create
