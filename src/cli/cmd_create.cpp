// `pictor create NAME [PATH] [-f Modelfile] [-q fp8]`: imports a diffusers folder straight
// into the local store, in this process (the reference's client-side create), so it works
// without a server; a running server sees the model as soon as the manifest is written.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <memory>
#include <optional>
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/signal_watcher.h"
#include "cli/status_printer.h"
#include "create/import.h"
#include "create/modelfile.h"
#include "store/model_store.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

namespace fs = std::filesystem;

struct CreateOptions {
    std::string name;
    std::string path;       // positional PATH, "" when absent
    std::string modelfile;  // -f
    std::string quantize;   // -q
};

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail(ErrorKind::Io, "cannot read " + p.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The Modelfile: -f, else ./Modelfile when present; nullopt when neither. A Modelfile without
// FROM takes PATH as its FROM (the parser insists on one, so PATH is appended as a FROM line,
// after the user's lines so that error line numbers stay right).
std::optional<create::Modelfile> load_modelfile(const CreateOptions& o) {
    fs::path file = o.modelfile;
    if (file.empty()) {
        std::error_code ec;
        if (!fs::is_regular_file("Modelfile", ec)) return std::nullopt;
        file = "Modelfile";
    }
    if (o.path.empty()) return create::read_modelfile(file);  // names a missing -f file itself
    std::error_code ec;
    if (!fs::exists(file, ec)) fail(ErrorKind::NotFound, file.string() + ": no such file");
    const std::string text = read_text(file);
    const fs::path base = fs::absolute(file).parent_path();
    try {
        return create::parse_modelfile(text, base, file.string());
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::InvalidArgument || !std::string_view(e.what()).ends_with(": no FROM line")) throw;
    }
    const std::string from = fs::absolute(o.path).string();
    std::string quoted = "\"";
    for (char c : from) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    quoted += '"';
    return create::parse_modelfile(text + "\nFROM " + quoted + "\n", base, file.string());
}

int run_create(CliContext& ctx, const CreateOptions& o) {
    create::CreateRequest req;
    req.name = store::ModelName::parse(o.name);  // "invalid model name: ..." before any work
    if (const auto mf = load_modelfile(o)) {
        req.source_dir = mf->from;  // a Modelfile's own FROM wins over PATH
        req.parameters = mf->parameters;
        req.license = mf->license;
    } else {
        req.source_dir = fs::absolute(o.path.empty() ? fs::path(".") : fs::path(o.path));
    }
    req.quantize = o.quantize;

    store::ModelStore store(store::ModelStore::default_root());
    std::atomic<bool> cancel{false};
    // Ctrl-C stops the import between tensors; create_model then removes its partial work and
    // writes no manifest. Constructed before any other thread (the printer's ticker, the
    // import's workers) so that all of them inherit the blocked signals.
    SignalWatcher signals({SIGINT, SIGTERM}, [&cancel](int) { cancel = true; });
    StatusPrinter printer(ctx.err, ctx.err_is_tty);
    create::create_model(
        store, req, [&printer](const create::Progress& p) { printer.update(p.status, p.completed, p.total); },
        &cancel);
    printer.finish();
    ctx.out << "Created image generation model '" << o.name << "'" << std::endl;
    return 0;
}

}  // namespace

void add_create_command(CLI::App& app, CliContext& ctx) {
    auto opts = std::make_shared<CreateOptions>();
    auto* sub = app.add_subcommand("create", "Create a model from a diffusers folder (or a Modelfile)");
    sub->add_option("name", opts->name, "Model name, e.g. z-image or me/z-image:fp8")->required();
    sub->add_option("path", opts->path, "Diffusers folder (default: the current folder) when no Modelfile gives FROM");
    sub->add_option("-f,--file", opts->modelfile, "Modelfile (default: ./Modelfile when it exists)");
    sub->add_option("-q,--quantize", opts->quantize, "Quantize eligible weights (fp8)");
    sub->callback([&ctx, opts] { ctx.action = [&ctx, opts] { return run_create(ctx, *opts); }; });
}

}  // namespace pictor::cli
