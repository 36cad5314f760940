// `pictor ps`: the loaded models, laid out like `ollama ps` (NAME ID SIZE PROCESSOR CONTEXT
// UNTIL; CONTEXT is the server's context_length, 0 for image models as in the reference).
// SIZE is the server's memory estimate (weights + peak activations) when it gives one;
// PROCESSOR says "100% CPU" because that is where pictor runs (the reference always claimed
// GPU); a QUEUE column appears when some model has requests waiting.
#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/server_launcher.h"

namespace pictor::cli {
namespace {

using nlohmann::json;

uint64_t u64(const json& m, const char* key) {
    const auto it = m.find(key);
    if (it == m.end() || !it->is_number()) return 0;
    if (it->is_number_unsigned()) return it->get<uint64_t>();
    if (it->is_number_integer()) return it->get<int64_t>() < 0 ? 0 : static_cast<uint64_t>(it->get<int64_t>());
    const double d = it->get<double>();
    return d < 0 ? 0 : static_cast<uint64_t>(d);
}

// Ollama's rule, so a future GPU build reads the same way.
std::string processor(uint64_t size, uint64_t vram) {
    if (vram == 0) return "100% CPU";
    if (vram == size) return "100% GPU";
    if (vram > size || size == 0) return "Unknown";
    const int cpu = static_cast<int>(static_cast<double>(size - vram) / static_cast<double>(size) * 100.0 + 0.5);
    return std::to_string(cpu) + "%/" + std::to_string(100 - cpu) + "% CPU/GPU";
}

std::string until(const std::string& expires_at) {
    const auto now = std::chrono::system_clock::now();
    const auto t = parse_rfc3339(expires_at);
    if (!t) return "Never";
    if (*t < now) return "Stopping...";
    // The server spells "never unload" as a far-future time.
    if (*t - now > std::chrono::hours(24 * 365 * 20)) return "Forever";
    return human_time(*t, now);
}

int run_ps(CliContext& ctx) {
    ApiClient client(server::host_from_env());
    ensure_server(client, ctx.err);
    const json ps = client.get("/api/ps");
    const json models = ps.value("models", json::array());
    bool queue = false;
    for (const auto& m : models) queue = queue || u64(m, "queue_length") > 0;

    std::vector<std::vector<std::string>> rows{{"NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"}};
    if (queue) rows[0].push_back("QUEUE");
    for (const auto& m : models) {
        std::string digest = m.value("digest", "");
        if (digest.rfind("sha256:", 0) == 0) digest = digest.substr(7);
        const uint64_t size = u64(m, "size"), estimate = u64(m, "memory_estimate");
        std::vector<std::string> row{m.value("name", ""), digest.substr(0, 12), human_bytes(estimate ? estimate : size),
                                     processor(size, u64(m, "size_vram")), std::to_string(u64(m, "context_length")),
                                     until(m.value("expires_at", ""))};
        if (queue) row.push_back(std::to_string(u64(m, "queue_length")));
        rows.push_back(std::move(row));
    }
    ctx.out << render_table(rows);
    return 0;
}

}  // namespace

void add_ps_command(CLI::App& app, CliContext& ctx) {
    auto* sub = app.add_subcommand("ps", "List running models");
    sub->callback([&ctx] { ctx.action = [&ctx] { return run_ps(ctx); }; });
}

}  // namespace pictor::cli
