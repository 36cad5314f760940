#include "cli/app.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "util/error.h"

namespace pictor::cli {

int run_app(int argc, char** argv) {
    CliContext ctx{std::cout, std::cerr, isatty(STDERR_FILENO) == 1, {}};

    CLI::App app{"pictor: local text-to-image server and CLI (Ollama-compatible image generation)"};
    app.name("pictor");
    app.require_subcommand(0, 1);
    bool version = false;
    app.add_flag("-v,--version", version, "Show version information");

    add_serve_command(app, ctx);
    add_create_command(app, ctx);
    add_list_command(app, ctx);
    add_show_command(app, ctx);
    add_rm_command(app, ctx);
    add_cp_command(app, ctx);
    add_transfer_commands(app, ctx);
    add_runner_command(app, ctx);
    add_run_command(app, ctx);
    add_ps_command(app, ctx);
    add_stop_command(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Help requests print and exit 0; every real usage mistake is exit code 2, worded like
        // every other failure ("Error: ...").
        if (e.get_exit_code() == 0) return app.exit(e, ctx.out, ctx.err);
        ctx.err << "Error: " << e.what() << "\nRun with --help for more information." << std::endl;
        return 2;
    }

    try {
        if (version) return print_version(ctx);
        if (!ctx.action) {
            ctx.out << app.help();
            return 0;
        }
        return ctx.action();
    } catch (const std::exception& e) {
        ctx.err << "Error: " << e.what() << std::endl;
        return 1;
    }
}

}  // namespace pictor::cli
