// Interactive `pictor run MODEL` (reference §1.1 "Interactive mode"): preload with a spinner,
// then a ">>> " prompt where /set, /show, /help, /? and /bye manage the settings and any other
// line generates an image with them.
#pragma once

#include <string>

#include "cli/cmd_run_generate.h"
#include "cli/cmd_run_options.h"
#include "server/host.h"

namespace pictor::cli {

// Returns the exit status (0 on /bye or Ctrl-D). A failed preload throws
// Error("failed to load model: ..."); failed generations are printed and the loop goes on.
int run_interactive(const server::HostPort& host, const std::string& model, ImageSettings settings,
                    const std::string& output, RunStreams& io);

}  // namespace pictor::cli
