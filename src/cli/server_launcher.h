// Makes sure a server answers before a verb that needs one: if nothing answers at the
// configured address and the address is on this machine, starts `pictor serve` in the
// background (own session, output to ~/.pictor/logs/server.log) and waits for it.
#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>

#include "cli/api_client.h"

namespace pictor::cli {

// ~/.pictor/logs/server.log ($HOME, else the passwd entry).
std::filesystem::path server_log_path();

// Returns when `client` gets an answer. Prints "Started pictor server in the background
// (log: <path>)" on `err` when it had to start one. Error(Unavailable) when the address is
// remote, the server exits early, or it does not answer within `timeout`.
void ensure_server(const ApiClient& client, std::ostream& err,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace pictor::cli
