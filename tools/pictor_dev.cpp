// pictor-dev: developer tools (make-model, tokenize, generate). Each tool registers itself here.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
    CLI::App app{"pictor-dev: developer tools for pictor"};
    app.require_subcommand(1);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
