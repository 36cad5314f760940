// Each pictor-dev tool lives in its own tool_<name>.cpp and adds its subcommand here.
#pragma once

#include <CLI/CLI.hpp>

namespace pictor::dev {

void register_make_model(CLI::App& app);  // tool_make_model.cpp
void register_tokenize(CLI::App& app);    // tool_tokenize.cpp
void register_generate(CLI::App& app);    // tool_generate.cpp

}  // namespace pictor::dev
