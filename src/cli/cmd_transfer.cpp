// `pictor pull` / `pictor push`: forwarded to the server, which says plainly that registry
// transfer does not exist yet (so these verbs start working when the server gains it).
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/server_launcher.h"

namespace pictor::cli {
namespace {

int run_transfer(CliContext& ctx, const std::string& path, const std::string& name) {
    ApiClient client(server::host_from_env());
    ensure_server(client, ctx.err);
    client.post(path, nlohmann::json{{"model", name}, {"stream", false}});
    ctx.out << "success" << std::endl;
    return 0;
}

}  // namespace

void add_transfer_commands(CLI::App& app, CliContext& ctx) {
    for (const char* verb : {"pull", "push"}) {
        auto name = std::make_shared<std::string>();
        const std::string v = verb;
        auto* sub = app.add_subcommand(v, v == "pull" ? "Pull a model from a registry" : "Push a model to a registry");
        sub->add_option("name", *name, "Model name")->required();
        sub->callback([&ctx, name, v] { ctx.action = [&ctx, name, v] { return run_transfer(ctx, "/api/" + v, *name); }; });
    }
}

}  // namespace pictor::cli
