// `pictor pull NAME [--insecure]` / `pictor push NAME [--insecure]`: registry transfer
// (src/transfer) straight on the local store, in this process like `create`, so it works
// without a server; a running server sees a pulled model as soon as its manifest is written.
// Progress goes to stderr as Ollama's lines (`pulling manifest`, one bar for the model,
// `writing manifest`), then `success` on stdout.
#include <atomic>
#include <csignal>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/signal_watcher.h"
#include "cli/status_printer.h"
#include "store/model_store.h"
#include "transfer/pull.h"
#include "transfer/push.h"

namespace pictor::cli {
namespace {

struct TransferOptions {
    std::string name;
    bool insecure = false;
};

int run_transfer(CliContext& ctx, const std::string& verb, const TransferOptions& o) {
    transfer::RegistryOptions registry;
    registry.insecure = o.insecure;
    const store::ModelName name = store::ModelName::parse(o.name);
    store::ModelStore store(store::ModelStore::default_root());
    std::atomic<bool> cancel{false};
    // Ctrl-C stops between chunks; a pull then writes no manifest. Constructed before any other
    // thread (the printer's ticker, the transfer's workers) so that all of them inherit the
    // blocked signals.
    SignalWatcher signals({SIGINT, SIGTERM}, [&cancel](int) { cancel = true; });
    StatusPrinter printer(ctx.err, ctx.err_is_tty);
    auto on_progress = [&printer](const transfer::Progress& p) { printer.update(p.status, p.completed, p.total); };
    if (verb == "pull") transfer::pull_model(store, {name, registry}, on_progress, &cancel);
    else transfer::push_model(store, {name, registry}, on_progress, &cancel);
    printer.finish();
    ctx.out << "success" << std::endl;
    return 0;
}

}  // namespace

void add_transfer_commands(CLI::App& app, CliContext& ctx) {
    for (const char* verb : {"pull", "push"}) {
        auto opts = std::make_shared<TransferOptions>();
        const std::string v = verb;
        auto* sub = app.add_subcommand(v, v == "pull" ? "Pull a model from a registry" : "Push a model to a registry");
        sub->add_option("name", opts->name, "Model name, e.g. localhost:5000/me/z-image:latest")->required();
        sub->add_flag("--insecure", opts->insecure, "Use plain http to reach the registry");
        sub->callback([&ctx, opts, v] { ctx.action = [&ctx, opts, v] { return run_transfer(ctx, v, *opts); }; });
    }
}

}  // namespace pictor::cli
