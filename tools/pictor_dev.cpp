// pictor-dev: developer tools (make-model, tokenize, generate).
#include <exception>
#include <iostream>

#include "tools.h"
#include "util/error.h"

int main(int argc, char** argv) {
    CLI::App app{"pictor-dev: developer tools for pictor"};
    app.require_subcommand(1);
    pictor::dev::register_make_model(app);
    pictor::dev::register_tokenize(app);
    pictor::dev::register_generate(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        std::cerr << "Error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
