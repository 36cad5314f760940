// The CLI's subcommands. Each lives in its own cmd_<verb>.cpp and registers itself on the
// CLI11 app; when chosen, it leaves its work in `CliContext::action`, which run_app calls
// after parsing, inside the one place that turns errors into "Error: ..." and exit code 1.
#pragma once

#include <functional>
#include <iosfwd>

namespace CLI {
class App;
}

namespace pictor::cli {

struct CliContext {
    std::ostream& out;
    std::ostream& err;
    bool err_is_tty = false;
    std::function<int()> action;  // set by the chosen subcommand
};

void add_serve_command(CLI::App& app, CliContext& ctx);
void add_create_command(CLI::App& app, CliContext& ctx);
void add_list_command(CLI::App& app, CliContext& ctx);
void add_show_command(CLI::App& app, CliContext& ctx);
void add_rm_command(CLI::App& app, CliContext& ctx);
void add_cp_command(CLI::App& app, CliContext& ctx);
void add_transfer_commands(CLI::App& app, CliContext& ctx);  // pull, push
void add_runner_command(CLI::App& app, CliContext& ctx);     // hidden: one per loaded model
void add_run_command(CLI::App& app, CliContext& ctx);        // generate; interactive without a prompt
void add_ps_command(CLI::App& app, CliContext& ctx);
void add_stop_command(CLI::App& app, CliContext& ctx);
// `pictor --version`: the server's version when one answers, and the client's.
int print_version(CliContext& ctx);

}  // namespace pictor::cli
