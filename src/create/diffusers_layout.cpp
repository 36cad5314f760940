#include "create/diffusers_layout.h"

#include <algorithm>
#include <system_error>

#include "util/error.h"

namespace pictor::create {

namespace fs = std::filesystem;

namespace {

// Lists `*.safetensors` directly inside `dir` (not recursive; sharded checkpoints are just
// several such files; their *.index.json is not a weight file).
std::vector<std::string> list_safetensors(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) fail(ErrorKind::Io, "cannot read directory " + dir.string() + ": " + ec.message());
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) break;
        std::string name = it->path().filename().string();
        std::error_code sec;
        if (name.ends_with(".safetensors") && it->is_regular_file(sec)) names.push_back(std::move(name));
    }
    if (ec) fail(ErrorKind::Io, "cannot read directory " + dir.string() + ": " + ec.message());
    std::sort(names.begin(), names.end());  // directory order is not stable; lexical is (reference: os.ReadDir)
    return names;
}

}  // namespace

DiffusersLayout scan_diffusers_dir(const fs::path& dir_in) {
    std::error_code ec;
    fs::path dir = fs::absolute(dir_in, ec);
    if (ec) dir = dir_in;
    auto st = fs::status(dir, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        fail(ErrorKind::Io, "cannot read model directory " + dir.string() + ": " + ec.message());
    if (!fs::exists(st)) fail(ErrorKind::NotFound, "model directory " + dir.string() + " does not exist");
    if (!fs::is_directory(st)) fail(ErrorKind::Io, "cannot read model directory " + dir.string() + ": not a directory");
    // Listing the folder proves it is readable (permissions) before anything else is decided.
    fs::directory_iterator probe(dir, ec);
    if (ec) fail(ErrorKind::Io, "cannot read model directory " + dir.string() + ": " + ec.message());

    if (!fs::is_regular_file(dir / "model_index.json", ec))
        fail(ErrorKind::InvalidArgument, "model_index.json not found in " + dir.string());

    DiffusersLayout layout;
    layout.dir = dir;
    for (std::string_view component : kComponents) {
        fs::path cdir = dir / component;
        if (!fs::is_directory(cdir, ec)) continue;  // missing components are skipped silently
        for (auto& name : list_safetensors(cdir))
            layout.weight_files.push_back({std::string(component), name, cdir / name});
    }
    for (std::string_view rel : kJsonFiles)
        if (fs::is_regular_file(dir / rel, ec)) layout.json_files.emplace_back(rel);
    return layout;
}

}  // namespace pictor::create
