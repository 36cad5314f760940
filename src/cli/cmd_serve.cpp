// `pictor serve`: the HTTP API in the foreground until SIGINT/SIGTERM.
#include <csignal>
#include <iostream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/signal_watcher.h"
#include "server/context.h"
#include "server/scheduler.h"
#include "server/server.h"
#include "server/startup.h"
#include "server/version.h"

namespace pictor::cli {
namespace {

int serve(CliContext& ctx) {
    // A client that hangs up mid-stream must not kill the server.
    std::signal(SIGPIPE, SIG_IGN);
    server::Logger logger(ctx.err);
    server::ServerContext sctx(server::Settings::from_env(), logger);
    // Declared before the server so that it outlives every request thread; its own threads
    // block SIGINT/SIGTERM, so the order against the signal watcher does not matter.
    server::Scheduler scheduler(sctx.store, logger, server::SchedulerOptions::from_env());
    sctx.images = &scheduler;
    server::Server server(sctx);
    // Before any server thread exists, so that every thread inherits the blocked mask.
    SignalWatcher signals({SIGINT, SIGTERM}, [&](int sig) {
        logger.info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
        server.stop();
        // Requests waiting on runners would keep the server's threads busy for minutes.
        scheduler.shutdown();
    });
    logger.info("models directory " + sctx.settings.models.string());
    server::prune_at_startup(sctx);
    server.bind();
    server::HostPort shown = sctx.settings.address;
    shown.port = server.port();
    // Tests and scripts find the background server's pid here.
    logger.info("Listening on " + shown.display() + " (version " + std::string(server::kVersion) + ", pid " +
                std::to_string(getpid()) + ")");
    server.run();
    logger.info("server stopped");
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, CliContext& ctx) {
    auto* sub = app.add_subcommand("serve", "Start the pictor server (PICTOR_HOST, PICTOR_MODELS, PICTOR_NOPRUNE)");
    sub->alias("start");
    sub->callback([&ctx] { ctx.action = [&ctx] { return serve(ctx); }; });
}

}  // namespace pictor::cli
