// pictor: local text-to-image server and CLI. All subcommands live in src/cli.
#include "cli/app.h"

int main(int argc, char** argv) { return pictor::cli::run_app(argc, argv); }
