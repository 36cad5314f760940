// `pictor show NAME [--verbose] [--modelfile | --license | --parameters | --system |
// --template]`, laid out like `ollama show`: indented sections "Model", "Capabilities",
// "Parameters", "License" and, with --verbose, "Tensors".
#include <memory>
#include <ostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/server_launcher.h"
#include "util/error.h"

namespace pictor::cli {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

struct ShowOptions {
    std::string name;
    bool verbose = false, modelfile = false, license = false, parameters = false, system = false, templ = false;
};

void section(std::ostream& out, const std::string& header, const Rows& rows) {
    out << "  " << header << "\n" << render_table(rows) << "\n";
}

std::string shape_text(const json& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? " " : "") + shape[i].dump();
    return s + "]";
}

void print_info(std::ostream& out, const json& r, bool verbose) {
    const json details = r.value("details", json::object());
    Rows model{{"", "architecture", details.value("family", "")},
               {"", "parameters", details.value("parameter_size", "")},
               {"", "quantization", details.value("quantization_level", "")}};
    if (const std::string req = r.value("requires", ""); !req.empty()) model.push_back({"", "requires", req});
    section(out, "Model", model);

    if (auto caps = r.value("capabilities", json::array()); !caps.empty()) {
        Rows rows;
        for (const auto& c : caps) rows.push_back({"", c.is_string() ? c.get<std::string>() : c.dump()});
        section(out, "Capabilities", rows);
    }
    if (const std::string params = r.value("parameters", ""); !params.empty()) {
        Rows rows;
        std::istringstream lines(params);
        for (std::string line; std::getline(lines, line);) {
            line = std::string(trim(line));
            if (line.empty()) continue;
            const auto sp = line.find(' ');
            rows.push_back({"", line.substr(0, sp), sp == std::string::npos ? "" : std::string(trim(line.substr(sp)))});
        }
        section(out, "Parameters", rows);
    }
    if (const std::string lic = r.value("license", ""); !lic.empty()) {
        // Like Ollama: the first two non-empty lines, then "..." when there is more.
        Rows rows;
        std::istringstream lines(lic);
        for (std::string line; std::getline(lines, line);) {
            line = std::string(trim(line));
            if (line.empty()) continue;
            if (rows.size() == 2) {
                rows.push_back({"", "..."});
                break;
            }
            rows.push_back({"", line});
        }
        section(out, "License", rows);
    }
    if (verbose && r.contains("tensors") && r["tensors"].is_array()) {
        Rows rows;
        for (const auto& t : r["tensors"])
            rows.push_back({"", t.value("name", ""), t.value("type", ""), shape_text(t.value("shape", json::array()))});
        section(out, "Tensors", rows);
    }
}

int run_show(CliContext& ctx, const ShowOptions& o) {
    if (int(o.modelfile) + int(o.license) + int(o.parameters) + int(o.system) + int(o.templ) > 1)
        fail(ErrorKind::InvalidArgument,
             "only one of '--license', '--modelfile', '--parameters', '--system', or '--template' can be specified");
    ApiClient client(server::host_from_env());
    ensure_server(client, ctx.err);
    const json r = client.post("/api/show", json{{"model", o.name}, {"verbose", o.verbose}});
    if (o.license) ctx.out << r.value("license", "") << std::endl;
    else if (o.modelfile) ctx.out << r.value("modelfile", "") << std::endl;
    else if (o.parameters) ctx.out << r.value("parameters", "") << std::endl;
    else if (o.system) ctx.out << r.value("system", "") << std::endl;
    else if (o.templ) ctx.out << r.value("template", "") << std::endl;
    else print_info(ctx.out, r, o.verbose);
    return 0;
}

}  // namespace

void add_show_command(CLI::App& app, CliContext& ctx) {
    auto opts = std::make_shared<ShowOptions>();
    auto* sub = app.add_subcommand("show", "Show information for a model");
    sub->add_option("name", opts->name, "Model name")->required();
    sub->add_flag("-v,--verbose", opts->verbose, "Show the tensor table");
    sub->add_flag("--modelfile", opts->modelfile, "Show the Modelfile of a model");
    sub->add_flag("--license", opts->license, "Show the license of a model");
    sub->add_flag("--parameters", opts->parameters, "Show the parameters of a model");
    // Ollama's flags; an image model has neither (empty lines), but scripts may ask.
    sub->add_flag("--system", opts->system, "Show the system message of a model");
    sub->add_flag("--template", opts->templ, "Show the template of a model");
    sub->callback([&ctx, opts] { ctx.action = [&ctx, opts] { return run_show(ctx, *opts); }; });
}

}  // namespace pictor::cli
