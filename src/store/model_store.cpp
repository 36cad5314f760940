#include "store/model_store.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include "store/digest.h"
#include "store/fsutil.h"
#include "store/manifest_tree.h"
#include "util/error.h"
#include "util/sha256.h"

namespace pictor::store {

namespace fs = std::filesystem;

namespace {

// Public-host names are reported as registry.ollama.ai whichever spelling is on disk, as the
// reference's listing normalises them, so that display() gives the short form.
ModelName normalized(ModelName n) {
    if (is_public_host(n.host)) n.host = std::string(kDefaultHost);
    n.scheme = "https";
    return n;
}

std::string key_of(const ModelName& n) {
    std::string k = normalized(n).full();
    for (char& c : k)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return k;
}

void warn(const std::string& msg) { std::cerr << "warning: " << msg << std::endl; }

ModelName name_from_path(const fs::path& p) {
    ModelName n;
    n.scheme = "https";
    n.tag = p.filename().string();
    n.model = p.parent_path().filename().string();
    n.ns = p.parent_path().parent_path().filename().string();
    n.host = p.parent_path().parent_path().parent_path().filename().string();
    return n;
}

void require_valid(const ModelName& n) {
    if (!n.valid()) fail(ErrorKind::InvalidArgument, "invalid model name: " + n.full());
}

// Everything that the named manifests on disk reference: each manifest's own blob, its config
// and its layers (reference §3.8).
struct References {
    std::set<std::string> digests;      // normalized "sha256:<hex>"
    std::vector<std::string> problems;  // manifests that failed verification or parsing
    bool unknown = false;               // some manifest could not be read at all
};

void add_manifest(std::set<std::string>& out, const std::string& manifest_hex, const Manifest& m) {
    out.insert(digest_from_hex(manifest_hex));
    out.insert(normalize_digest(m.config.digest));
    for (const Layer& l : m.layers) out.insert(normalize_digest(l.digest));
}

}  // namespace

ModelStore::ModelStore(fs::path root)
    : root_([&] {
          // Absolute so that relative symlink targets can be computed lexically.
          fs::path r = fs::absolute(root).lexically_normal();
          if (r.filename().empty() && r.has_parent_path()) r = r.parent_path();
          return r;
      }()),
      blobs_(root_) {}

fs::path ModelStore::default_root() {
    if (const char* env = std::getenv("PICTOR_MODELS"); env && *env) return fs::path(env);
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".pictor" / "models";
    // No $HOME (e.g. a system service): ask the password database.
    struct passwd pw;
    struct passwd* result = nullptr;
    std::string buf(16384, '\0');
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &result) == 0 && result && result->pw_dir)
        return fs::path(result->pw_dir) / ".pictor" / "models";
    fail(ErrorKind::Unavailable, "cannot find the models directory: neither PICTOR_MODELS nor HOME is set");
}

namespace {

struct Located {
    ModelName name;  // as spelled on disk
    fs::path path;
    fs::path manifests_root;
    bool legacy = false;
};

// Where a name may live, in the reference's order (§3.4): v2 with the canonical host, legacy
// with the host as given, legacy with the other public spelling.
std::vector<Located> locations(const fs::path& root, const ModelName& name) {
    require_valid(name);
    std::vector<Located> out;
    const fs::path v2 = root / tree::kV2Dir;
    const fs::path legacy = root / tree::kLegacyDir;
    auto probe = [&](const fs::path& mroot, const fs::path& rel, bool is_legacy) {
        if (auto p = tree::find_ci(mroot, rel)) out.push_back({name_from_path(*p), *p, mroot, is_legacy});
    };
    probe(v2, name.v2_relpath(), false);
    probe(legacy, name.legacy_relpath(), true);
    if (is_public_host(name.host)) {
        ModelName other = name;
        other.host = std::string(iequals(name.host, kDefaultHost) ? kCanonicalHost : kDefaultHost);
        probe(legacy, other.legacy_relpath(), true);
    }
    return out;
}

Manifest parse_at(const fs::path& path, std::string_view bytes) {
    try {
        return Manifest::parse(bytes);
    } catch (const Error& e) {
        fail(ErrorKind::Corrupt, "manifest \"" + path.string() + "\": " + e.what());
    }
}

ModelEntry open_entry(const Located& loc, const BlobStore& blobs) {
    tree::Opened o = tree::open_verified(loc.path, loc.manifests_root, blobs);
    ModelEntry e;
    e.name = normalized(loc.name);
    e.manifest = parse_at(loc.path, o.bytes);
    e.digest_hex = o.digest_hex;
    e.manifest_size = o.bytes.size();
    e.modified = fsutil::lstat_mtime(loc.path);
    e.path = loc.path;
    e.legacy = loc.legacy;
    return e;
}

References collect_references(const fs::path& root, const BlobStore& blobs) {
    References refs;
    for (bool legacy : {false, true}) {
        const fs::path mroot = root / (legacy ? tree::kLegacyDir : tree::kV2Dir);
        for (const tree::NamedFile& f : tree::scan(mroot, nullptr)) {
            try {
                tree::Opened o = tree::open_verified(f.path, mroot, blobs);
                add_manifest(refs.digests, o.digest_hex, parse_at(f.path, o.bytes));
            } catch (const Error& e) {
                refs.problems.push_back(e.what());
                // Still learn what a damaged manifest points at, so that its blobs survive.
                try {
                    const std::string bytes = tree::read_unverified(f.path);
                    add_manifest(refs.digests, Sha256::hex_of(bytes), Manifest::parse(bytes));
                } catch (const Error&) {
                    refs.unknown = true;
                }
            }
        }
    }
    return refs;
}

}  // namespace

std::optional<ModelEntry> ModelStore::find(const ModelName& name) const {
    for (const Located& loc : locations(root_, name)) {
        try {
            return open_entry(loc, blobs_);
        } catch (const Error& e) {
            // Removed between the lookup and the open: look further, as if never seen.
            if (e.kind() != ErrorKind::NotFound || fsutil::lexists(loc.path)) throw;
        }
    }
    return std::nullopt;
}

ModelEntry ModelStore::get(const ModelName& name) const {
    auto e = find(name);
    if (!e) fail(ErrorKind::NotFound, "model '" + name.display() + "' not found");
    return std::move(*e);
}

std::string ModelStore::get_bytes(const ModelName& name) const {
    auto locs = locations(root_, name);
    if (locs.empty()) fail(ErrorKind::NotFound, "model '" + name.display() + "' not found");
    tree::Opened o = tree::open_verified(locs.front().path, locs.front().manifests_root, blobs_);
    parse_at(locs.front().path, o.bytes);
    return std::move(o.bytes);
}

std::vector<ModelEntry> ModelStore::list(bool continue_on_error) const {
    std::map<std::string, ModelEntry> found;
    std::set<std::string> seen;  // a corrupt v2 entry still shadows its legacy twin, as in find()
    for (bool legacy : {false, true}) {
        const fs::path mroot = root_ / (legacy ? tree::kLegacyDir : tree::kV2Dir);
        std::vector<std::string> skipped;
        const auto files = tree::scan(mroot, &skipped);
        for (const std::string& s : skipped) warn("ignoring \"" + s + "\": not a valid model name");
        for (const tree::NamedFile& f : files) {
            const std::string key = key_of(f.name);
            if (!seen.insert(key).second) continue;
            try {
                found.emplace(key, open_entry({f.name, f.path, mroot, legacy}, blobs_));
            } catch (const Error& e) {
                if (!continue_on_error) throw;
                warn("skipping model " + normalized(f.name).display() + ": " + e.what());
            }
        }
    }
    std::vector<ModelEntry> out;
    out.reserve(found.size());
    for (auto& [key, e] : found) out.push_back(std::move(e));
    return out;
}

std::string ModelStore::write_manifest(const ModelName& name, const Manifest& m) {
    return write_manifest_bytes(name, m.serialize());
}

std::string ModelStore::write_manifest_bytes(const ModelName& name, std::string_view bytes) {
    require_valid(name);
    Manifest::parse(bytes);  // never publish a name that cannot be opened
    BlobRef ref = blobs_.put(bytes);
    // put() trusts an existing blob of the right size; a manifest is small enough to check, and
    // a name must never point at content other than its own.
    if (!blobs_.verify(ref.digest)) {
        std::error_code ec;
        fs::remove(blobs_.path_of(ref.digest), ec);
        ref = blobs_.put(bytes);
        if (!blobs_.verify(ref.digest))
            fail(ErrorKind::Corrupt, "manifest blob " + blobs_.path_of(ref.digest).string() + " does not match its digest after writing");
    }
    const fs::path link = tree::path_for_write(root_ / tree::kV2Dir, name.v2_relpath());
    tree::link_atomic(link, blobs_.path_of(ref.digest), bytes);

    // The v2 entry now answers for this name; a legacy file would only shadow nothing and hold
    // on to old blobs.
    for (const Located& loc : locations(root_, name)) {
        if (!loc.legacy) continue;
        std::error_code ec;
        fs::remove(loc.path, ec);
        if (ec) fsutil::fail_errno("cannot remove legacy manifest", loc.path, ec.value());
    }
    tree::prune_empty_dirs(root_ / tree::kLegacyDir);
    return ref.digest.substr(7);
}

void ModelStore::copy(const ModelName& src, const ModelName& dst) {
    require_valid(dst);
    auto locs = locations(root_, src);
    if (locs.empty()) fail(ErrorKind::NotFound, "model \"" + src.display() + "\" not found");
    tree::Opened o = tree::open_verified(locs.front().path, locs.front().manifests_root, blobs_);
    write_manifest_bytes(dst, o.bytes);
}

void ModelStore::remove(const ModelName& name) {
    const auto locs = locations(root_, name);
    if (locs.empty()) fail(ErrorKind::NotFound, "model '" + name.display() + "' not found");

    // What the removed manifests use, learnt before they are gone (a damaged one is read as far
    // as possible; what cannot be read is left to the next prune).
    std::set<std::string> candidates;
    for (const Located& loc : locs) {
        try {
            tree::Opened o = tree::open_verified(loc.path, loc.manifests_root, blobs_);
            add_manifest(candidates, o.digest_hex, parse_at(loc.path, o.bytes));
        } catch (const Error&) {
            try {
                const std::string bytes = tree::read_unverified(loc.path);
                add_manifest(candidates, Sha256::hex_of(bytes), Manifest::parse(bytes));
            } catch (const Error&) {
            }
        }
    }
    for (const Located& loc : locs) {
        std::error_code ec;
        fs::remove(loc.path, ec);
        if (ec) fsutil::fail_errno("cannot remove manifest", loc.path, ec.value());
    }
    tree::prune_empty_dirs(root_ / tree::kV2Dir);
    tree::prune_empty_dirs(root_ / tree::kLegacyDir);

    const References refs = collect_references(root_, blobs_);
    if (refs.unknown) {
        warn("model " + name.display() + " removed, but its blobs were kept: another manifest cannot be read, so it is "
             "unknown which blobs are still in use");
        return;
    }
    for (const std::string& d : candidates) {
        if (refs.digests.count(d)) continue;
        const fs::path p = blobs_.path_of(d);
        if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
            const int err = errno;
            warn("cannot delete unused blob " + p.string() + ": " + std::strerror(err));
        }
    }
}

PruneReport ModelStore::prune(std::chrono::seconds grace) {
    PruneReport report;
    const References refs = collect_references(root_, blobs_);
    if (!refs.problems.empty() || refs.unknown) {
        // Deleting blobs without knowing every reference could destroy a model that is merely
        // damaged; the reference refuses too (§3.8).
        report.skipped = true;
        report.reason = refs.problems.empty() ? "a manifest cannot be read" : refs.problems.front();
        if (refs.problems.size() > 1) report.reason += " (and " + std::to_string(refs.problems.size() - 1) + " more)";
        warn("not pruning blobs: " + report.reason);
        return report;
    }

    const fs::path dir = blobs_.dir();
    std::error_code ec;
    // Blobs named in the old colon form are renamed to the dash form first (§3.1).
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() == 71 && name[6] == ':' && is_valid_digest(name)) {
            const fs::path to = dir / digest_file_name(name);
            if (::rename(it->path().c_str(), to.c_str()) != 0) {
                const int err = errno;
                warn("cannot rename blob " + it->path().string() + " to " + to.string() + ": " + std::strerror(err));
            }
        }
    }

    const auto cutoff = fs::file_time_type::clock::now() - grace;
    ec.clear();
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
        // Young files may belong to a create or pull in progress that has not written its
        // manifest yet.
        if (fsutil::lstat_mtime(p) >= cutoff) continue;
        const std::string name = p.filename().string();
        if (name.size() == 71 && name[6] == '-' && is_valid_digest(name) && refs.digests.count(normalize_digest(name))) continue;
        if (::unlink(p.c_str()) == 0) {
            ++report.removed_blobs;
            report.removed_bytes += static_cast<uint64_t>(st.st_size);
        } else if (const int err = errno; err != ENOENT) {
            warn("cannot delete blob " + p.string() + ": " + std::strerror(err));
        }
    }
    tree::prune_empty_dirs(root_ / tree::kV2Dir, cutoff);
    tree::prune_empty_dirs(root_ / tree::kLegacyDir, cutoff);
    return report;
}

std::optional<std::string> ModelStore::read_json(const ModelEntry& e, std::string_view layer_name) const {
    for (const Layer& l : e.manifest.layers)
        if (l.media_type == kJsonMediaType && l.name == layer_name) return blobs_.read(l.digest);
    return std::nullopt;
}

}  // namespace pictor::store
