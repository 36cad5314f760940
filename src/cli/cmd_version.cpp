// `pictor --version`, worded like `ollama --version`. It never starts a server: it reports on
// the one that is running, if any.
#include <chrono>
#include <ostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "server/version.h"

namespace pictor::cli {

int print_version(CliContext& ctx) {
    ApiClient client(server::host_from_env());
    std::string server_version;
    if (client.heartbeat(std::chrono::milliseconds(500))) {
        try {
            server_version = client.get("/api/version").value("version", "");
        } catch (const std::exception&) {
        }
    }
    if (server_version.empty()) ctx.out << "Warning: could not connect to a running pictor server" << std::endl;
    else ctx.out << "pictor version is " << server_version << std::endl;
    if (server_version != server::kVersion) ctx.out << "Warning: client version is " << server::kVersion << std::endl;
    return 0;
}

}  // namespace pictor::cli
