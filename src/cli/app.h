// Entry point of the pictor command line: parses argv and dispatches to a subcommand.
#pragma once

namespace pictor::cli {

// Returns the process exit code.
int run_app(int argc, char** argv);

}  // namespace pictor::cli
