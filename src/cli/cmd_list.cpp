// `pictor list` / `pictor ls`: the models the server knows, newest first.
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/server_launcher.h"

namespace pictor::cli {
namespace {

int run_list(CliContext& ctx) {
    ApiClient client(server::host_from_env());
    ensure_server(client, ctx.err);
    const auto tags = client.get("/api/tags");
    std::vector<std::vector<std::string>> rows{{"NAME", "ID", "SIZE", "MODIFIED"}};
    for (const auto& m : tags.value("models", nlohmann::json::array())) {
        const std::string digest = m.value("digest", "");
        const auto modified = parse_rfc3339(m.value("modified_at", ""));
        rows.push_back({m.value("name", ""), digest.substr(0, 12), human_bytes(m.value("size", uint64_t{0})),
                        modified ? human_time(*modified) : "Never"});
    }
    ctx.out << render_table(rows);
    return 0;
}

}  // namespace

void add_list_command(CLI::App& app, CliContext& ctx) {
    auto* sub = app.add_subcommand("list", "List models");
    sub->alias("ls");
    sub->callback([&ctx] { ctx.action = [&ctx] { return run_list(ctx); }; });
}

}  // namespace pictor::cli
