// `pictor stop MODEL`: unloads a running model (generate with an empty prompt and
// keep_alive 0, as the reference does). The server answers "unload" whether or not the model
// was loaded, so /api/ps is asked first: stopping what is not running is an error, with the
// reference's wording.
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/server_launcher.h"
#include "store/names.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

using nlohmann::json;

bool same_model(const std::string& a, const std::string& b) {
    store::ModelName na, nb;
    if (store::ModelName::try_parse(a, na) && store::ModelName::try_parse(b, nb)) return na.same_as(nb);
    return a == b;
}

[[noreturn]] void not_running(const std::string& name) {
    fail(ErrorKind::NotFound, "couldn't find model \"" + name + "\" to stop");
}

int run_stop(CliContext& ctx, const std::string& name) {
    ApiClient client(server::host_from_env());
    ensure_server(client, ctx.err);
    bool running = false;
    for (const auto& m : client.get("/api/ps").value("models", json::array()))
        running = running || same_model(m.value("name", ""), name) || same_model(m.value("model", ""), name);
    if (!running) not_running(name);
    try {
        client.post("/api/generate", json{{"model", name}, {"prompt", ""}, {"keep_alive", 0}});
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::NotFound || std::string(e.what()).find("not found") != std::string::npos)
            not_running(name);
        throw;
    }
    return 0;
}

}  // namespace

void add_stop_command(CLI::App& app, CliContext& ctx) {
    auto name = std::make_shared<std::string>();
    auto* sub = app.add_subcommand("stop", "Stop a running model");
    sub->add_option("model", *name, "Model name")->required();
    sub->callback([&ctx, name] { ctx.action = [&ctx, name] { return run_stop(ctx, *name); }; });
}

}  // namespace pictor::cli
