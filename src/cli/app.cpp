#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace pictor::cli {

int run_app(int argc, char** argv) {
    CLI::App app{"pictor: local text-to-image server and CLI"};
    app.require_subcommand(1);
    CLI11_PARSE(app, argc, argv);
    return 0;
}

}  // namespace pictor::cli
