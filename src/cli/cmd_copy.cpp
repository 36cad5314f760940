// `pictor cp SRC DST`: a second name for the same manifest.
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/server_launcher.h"

namespace pictor::cli {
namespace {

struct CopyOptions {
    std::string source, destination;
};

int run_cp(CliContext& ctx, const CopyOptions& o) {
    ApiClient client(server::host_from_env());
    ensure_server(client, ctx.err);
    client.post("/api/copy", nlohmann::json{{"source", o.source}, {"destination", o.destination}});
    ctx.out << "copied '" << o.source << "' to '" << o.destination << "'" << std::endl;
    return 0;
}

}  // namespace

void add_cp_command(CLI::App& app, CliContext& ctx) {
    auto opts = std::make_shared<CopyOptions>();
    auto* sub = app.add_subcommand("cp", "Copy a model");
    sub->add_option("source", opts->source, "Existing model")->required();
    sub->add_option("destination", opts->destination, "New name")->required();
    sub->callback([&ctx, opts] { ctx.action = [&ctx, opts] { return run_cp(ctx, *opts); }; });
}

}  // namespace pictor::cli
