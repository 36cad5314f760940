#include "store/manifest_tree.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "store/digest.h"
#include "store/fsutil.h"
#include "util/error.h"
#include "util/sha256.h"

namespace pictor::store::tree {

namespace fs = std::filesystem;

namespace {

// The spelling of comp inside dir: exact if present, else the first case-insensitive match in
// name order (deterministic when several capitalisations exist).
std::optional<fs::path> child_ci(const fs::path& dir, const fs::path& comp) {
    fs::path exact = dir / comp;
    if (fsutil::lexists(exact)) return exact;
    std::error_code ec;
    std::optional<fs::path> match;
    const std::string want = comp.string();
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path name = it->path().filename();
        if (iequals(name.string(), want) && (!match || name < match->filename())) match = it->path();
    }
    return match;
}

bool is_dir_nofollow(const fs::directory_entry& e) {
    std::error_code ec;
    return e.symlink_status(ec).type() == fs::file_type::directory;
}

[[noreturn]] void corrupt(const std::string& msg) { fail(ErrorKind::Corrupt, msg); }

std::string quoted(const fs::path& p) { return "\"" + p.string() + "\""; }

}  // namespace

std::optional<fs::path> find_ci(const fs::path& root, const fs::path& rel) {
    fs::path cur = root;
    for (const fs::path& comp : rel) {
        auto next = child_ci(cur, comp);
        if (!next) return std::nullopt;
        cur = std::move(*next);
    }
    return cur;
}

fs::path path_for_write(const fs::path& root, const fs::path& rel) {
    fs::path cur = root;
    bool exists = true;  // once a component is missing, nothing below it can exist
    for (const fs::path& comp : rel) {
        std::optional<fs::path> next;
        if (exists) next = child_ci(cur, comp);
        if (next) {
            cur = std::move(*next);
        } else {
            exists = false;
            cur /= comp;
        }
    }
    return cur;
}

std::vector<NamedFile> scan(const fs::path& root, std::vector<std::string>* skipped) {
    std::vector<NamedFile> out;
    // Depth-first over exactly four levels: host/ns/model/tag.
    auto level = [&](auto&& self, const fs::path& dir, std::vector<std::string>& parts) -> void {
        std::error_code ec;
        for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
            const std::string name = it->path().filename().string();
            std::error_code ec2;
            const bool is_dir = it->is_directory(ec2);
            if (parts.size() < 3) {
                if (!is_dir) continue;
                parts.push_back(name);
                self(self, it->path(), parts);
                parts.pop_back();
                continue;
            }
            if (is_dir) continue;
            ModelName n{"https", parts[0], parts[1], parts[2], name};
            if (n.valid()) {
                out.push_back({std::move(n), it->path()});
            } else if (skipped && name.rfind(kTempPrefix, 0) != 0) {
                skipped->push_back(it->path().string());
            }
        }
    };
    std::vector<std::string> parts;
    level(level, root, parts);
    std::sort(out.begin(), out.end(), [](const NamedFile& a, const NamedFile& b) { return a.path < b.path; });
    return out;
}

Opened open_verified(const fs::path& path, const fs::path& manifests_root, const BlobStore& blobs) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) fsutil::fail_errno("cannot open manifest", path, errno);
    Opened o;
    if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        const fs::path target = fs::read_symlink(path, ec);
        std::error_code resolve_ec;
        const fs::path resolved = fs::canonical(path, resolve_ec);
        // A dangling link still names its intended blob; judge it by that name first so the
        // error says what is wrong.
        const std::string base =
            (resolve_ec ? (path.parent_path() / target).lexically_normal().filename() : resolved.filename()).string();
        if (base.size() != 71 || base.rfind("sha256-", 0) != 0 || !is_valid_digest(base))
            corrupt("manifest symlink target " + quoted(target) + " is not a sha256 blob");
        const fs::path blob = blobs.path_of(base);
        std::error_code eq_ec;
        if (resolve_ec || !fs::equivalent(resolved, blob, eq_ec) || eq_ec)
            corrupt("manifest symlink target " + quoted(target) + " does not match blob " + quoted(blob));
        o.bytes = fsutil::read_file(resolved);
        o.digest_hex = Sha256::hex_of(o.bytes);
        if ("sha256-" + o.digest_hex != digest_file_name(base))
            corrupt("digest mismatch: manifest " + quoted(path) + " links to blob " + base +
                    " but its content hashes to sha256-" + o.digest_hex);
        return o;
    }
    if (!S_ISREG(st.st_mode)) corrupt("manifest path " + quoted(path) + " is not a regular file");
    // A regular file reached through a symlinked directory could live anywhere; only files that
    // really are inside the manifests tree count as named manifests.
    std::error_code ec1, ec2;
    const fs::path resolved = fs::canonical(path, ec1);
    const fs::path root = fs::canonical(manifests_root, ec2);
    if (ec1) fsutil::fail_errno("cannot resolve manifest path", path, ec1.value());
    if (ec2) fsutil::fail_errno("cannot resolve manifest directory", manifests_root, ec2.value());
    const fs::path rel = resolved.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..")
        corrupt("manifest path " + quoted(path) + " resolves outside manifest directory");
    o.bytes = fsutil::read_file(resolved);
    o.digest_hex = Sha256::hex_of(o.bytes);
    return o;
}

std::string read_unverified(const fs::path& path) { return fsutil::read_file(path); }

void link_atomic(const fs::path& link, const fs::path& blob, std::string_view bytes) {
    const fs::path dir = link.parent_path();
    const fs::path rel = blob.lexically_relative(dir);
    // A concurrent remove may prune the (momentarily empty) directory between our mkdir and our
    // rename; recreating it and trying again is all that is needed.
    for (int attempt = 0;; ++attempt) {
        fsutil::make_dirs(dir);
        const fs::path tmp = dir / (std::string(kTempPrefix) + fsutil::random_hex());
        bool made = false;
        if (!rel.empty() && ::symlink(rel.c_str(), tmp.c_str()) == 0) {
            // Only keep the symlink if it really reaches the blob (a symlinked directory inside
            // the tree would make the relative path point elsewhere).
            std::error_code ec;
            made = fs::equivalent(tmp, blob, ec) && !ec;
            if (!made) ::unlink(tmp.c_str());
        }
        if (!made && ::link(blob.c_str(), tmp.c_str()) == 0) made = true;
        if (!made) {
            try {
                fsutil::UniqueFd fd = fsutil::create_exclusive(tmp);
                try {
                    fsutil::write_all(fd.get(), bytes.data(), bytes.size(), tmp);
                    if (::fsync(fd.get()) != 0) fsutil::fail_errno("cannot sync", tmp, errno);
                    if (::fchmod(fd.get(), 0644) != 0) fsutil::fail_errno("cannot set permissions of", tmp, errno);
                    fd.close_checked(tmp);
                } catch (...) {
                    ::unlink(tmp.c_str());
                    throw;
                }
            } catch (const Error& e) {
                if (e.kind() == ErrorKind::NotFound && attempt < 2) continue;
                throw;
            }
        }
        if (::rename(tmp.c_str(), link.c_str()) == 0) {
            fsutil::fsync_dir(dir);
            return;
        }
        const int err = errno;
        ::unlink(tmp.c_str());
        if (err == ENOENT && attempt < 2) continue;
        fsutil::fail_errno("cannot replace manifest link", link, err);
    }
}

namespace {

// Returns true when dir itself ended up removed.
bool prune_dir(const fs::path& dir, bool is_root, const std::optional<fs::file_time_type>& temps_older_than) {
    bool empty = true;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (is_dir_nofollow(*it)) {
            if (!prune_dir(it->path(), false, temps_older_than)) empty = false;
            continue;
        }
        const std::string name = it->path().filename().string();
        if (temps_older_than && name.rfind(kTempPrefix, 0) == 0) {
            try {
                if (fsutil::lstat_mtime(it->path()) < *temps_older_than && ::unlink(it->path().c_str()) == 0) continue;
            } catch (const Error&) {
                // vanished meanwhile: nothing to clean
                continue;
            }
        }
        empty = false;
    }
    if (ec) return false;  // unreadable: leave it alone
    if (is_root || !empty) return false;
    return ::rmdir(dir.c_str()) == 0;  // ENOTEMPTY when something appeared meanwhile: fine
}

}  // namespace

void prune_empty_dirs(const fs::path& root, std::optional<fs::file_time_type> temps_older_than) {
    prune_dir(root, true, temps_older_than);
}

}  // namespace pictor::store::tree
