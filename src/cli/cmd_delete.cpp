// `pictor rm NAME...`: deletes each model through the server, stopping at the first failure.
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/server_launcher.h"

namespace pictor::cli {
namespace {

int run_rm(CliContext& ctx, const std::vector<std::string>& names) {
    ApiClient client(server::host_from_env());
    ensure_server(client, ctx.err);
    for (const auto& name : names) {
        // The server unloads a loaded instance before it deletes.
        client.del("/api/delete", nlohmann::json{{"model", name}});
        ctx.out << "deleted '" << name << "'" << std::endl;
    }
    return 0;
}

}  // namespace

void add_rm_command(CLI::App& app, CliContext& ctx) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto* sub = app.add_subcommand("rm", "Remove models");
    sub->add_option("names", *names, "Models to remove")->required();
    sub->callback([&ctx, names] { ctx.action = [&ctx, names] { return run_rm(ctx, *names); }; });
}

}  // namespace pictor::cli
