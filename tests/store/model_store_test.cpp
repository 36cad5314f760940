#include "store/model_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "store/digest.h"
#include "store/store_test_util.h"
#include "util/error.h"
#include "util/sha256.h"

using namespace pictor::store;
using pictor::Error;
using pictor::ErrorKind;
using pictor::Sha256;
using pictor::store::testing::make_old;
using pictor::store::testing::names_in;
using pictor::store::testing::read_file;
using pictor::store::testing::TempDir;
using pictor::store::testing::write_file;
namespace fs = std::filesystem;

namespace {

ModelName N(std::string_view s) { return ModelName::parse(s); }

bool lexists(const fs::path& p) {
    std::error_code ec;
    return fs::symlink_status(p, ec).type() != fs::file_type::not_found && !ec;
}

// A store plus helpers to build models out of small blobs.
class ModelStoreTest : public ::testing::Test {
protected:
    TempDir tmp;
    ModelStore store{tmp.path()};

    fs::path blob(const std::string& digest) const { return store.blobs().path_of(digest); }
    fs::path v2(const std::string& rel) const { return tmp.path() / "manifests-v2" / rel; }
    fs::path legacy(const std::string& rel) const { return tmp.path() / "manifests" / rel; }

    // A manifest whose config and layers are real blobs holding the given contents.
    Manifest make(const std::string& config, const std::vector<std::string>& layers) {
        Manifest m;
        BlobRef c = store.blobs().put(config);
        m.config = {std::string(kConfigMediaType), c.digest, c.size, "", ""};
        for (const std::string& l : layers) {
            BlobRef r = store.blobs().put(l);
            m.layers.push_back({std::string(kTensorMediaType), r.digest, r.size, "", "transformer/" + l});
        }
        return m;
    }
    std::string digest_of(const std::string& content) const { return "sha256:" + Sha256::hex_of(content); }
};

TEST_F(ModelStoreTest, V2WriteIsARelativeSymlinkToTheManifestBlob) {
    const Manifest m = make("cfg", {"w1", "w2"});
    const std::string hex = store.write_manifest(N("foo"), m);
    const std::string bytes = m.serialize();
    EXPECT_EQ(hex, Sha256::hex_of(bytes));

    const fs::path link = v2("ollama.com/library/foo/latest");
    ASSERT_TRUE(fs::is_symlink(link));
    const fs::path target = fs::read_symlink(link);
    EXPECT_TRUE(target.is_relative()) << target;
    EXPECT_EQ(target, fs::path("../../../../blobs/sha256-" + hex));
    EXPECT_TRUE(fs::equivalent(link, blob("sha256:" + hex)));
    EXPECT_EQ(read_file(link), bytes);
    EXPECT_EQ(read_file(blob("sha256:" + hex)), bytes);
    // The temp entry used for the atomic replacement is gone.
    EXPECT_EQ(names_in(link.parent_path()), std::vector<std::string>{"latest"});

    auto e = store.find(N("foo"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name.display(), "foo:latest");
    EXPECT_EQ(e->digest_hex, hex);
    EXPECT_EQ(e->manifest_size, bytes.size());
    EXPECT_FALSE(e->legacy);
    EXPECT_EQ(e->manifest.layers.size(), 2u);
    EXPECT_EQ(e->manifest.total_size(), 3u + 2 + 2);
    // Both public host spellings and any capitalisation find it.
    EXPECT_TRUE(store.find(N("ollama.com/library/foo:latest")));
    EXPECT_TRUE(store.find(N("Registry.Ollama.AI/LIBRARY/FOO:LATEST")));
    EXPECT_FALSE(store.find(N("foo:other")));
    EXPECT_EQ(store.get_bytes(N("foo")), bytes);
}

TEST_F(ModelStoreTest, RewriteReplacesTheLinkAtomically) {
    store.write_manifest(N("foo"), make("cfg", {"a"}));
    const Manifest m2 = make("cfg", {"b"});
    const std::string hex2 = store.write_manifest(N("foo"), m2);
    EXPECT_EQ(store.get(N("foo")).digest_hex, hex2);
    EXPECT_EQ(names_in(v2("ollama.com/library/foo")), std::vector<std::string>{"latest"});
}

TEST_F(ModelStoreTest, ExistingCapitalisationIsReused) {
    store.write_manifest(N("x/Foo"), make("cfg", {"a"}));
    store.write_manifest(N("X/foo:v2"), make("cfg", {"b"}));
    EXPECT_TRUE(lexists(v2("ollama.com/x/Foo/v2")));
    EXPECT_FALSE(lexists(v2("ollama.com/X")));
    const auto all = store.list(false);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name.display(), "x/Foo:latest");
    EXPECT_EQ(all[1].name.display(), "x/Foo:v2");
    EXPECT_EQ(store.get(N("X/FOO:V2")).name.display(), "x/Foo:v2");
}

// What Ollama (before v2) leaves on disk: a regular manifest file and dash-named blobs.
TEST_F(ModelStoreTest, StoreLaidOutByTheReferenceIsFoundListedAndRemoved) {
    const std::string config = "{\"model_format\":\"safetensors\",\"capabilities\":[\"image\"]}";
    const std::string tensor = "tensor bytes";
    const std::string index = "{\"_class_name\":\"ZImagePipeline\"}";
    write_file(blob(digest_of(config)), config);
    write_file(blob(digest_of(tensor)), tensor);
    write_file(blob(digest_of(index)), index);
    const std::string unrelated = "some other model's blob";
    write_file(blob(digest_of(unrelated)), unrelated);
    const std::string manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" +
        digest_of(config) + "\",\"size\":" + std::to_string(config.size()) +
        "},\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.tensor\",\"digest\":\"" + digest_of(tensor) +
        "\",\"size\":" + std::to_string(tensor.size()) +
        ",\"name\":\"transformer/w\"},{\"mediaType\":\"application/vnd.ollama.image.json\",\"digest\":\"" +
        digest_of(index) + "\",\"size\":" + std::to_string(index.size()) + ",\"name\":\"model_index.json\"}]}\n";
    write_file(legacy("registry.ollama.ai/library/foo/latest"), manifest);

    auto e = store.find(N("foo"));
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->legacy);
    EXPECT_EQ(e->digest_hex, Sha256::hex_of(manifest));
    EXPECT_EQ(e->name.display(), "foo:latest");
    EXPECT_EQ(store.read_json(*e, "model_index.json"), index);
    EXPECT_FALSE(store.read_json(*e, "transformer/w"));  // not a JSON layer
    EXPECT_FALSE(store.read_json(*e, "missing.json"));
    // The v2 spelling of the host finds the legacy file too.
    EXPECT_TRUE(store.find(N("ollama.com/library/foo")));

    const auto all = store.list(false);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].name.display(), "foo:latest");
    EXPECT_EQ(all[0].manifest.total_size(), config.size() + tensor.size() + index.size());

    store.remove(N("foo"));
    EXPECT_FALSE(store.find(N("foo")));
    EXPECT_FALSE(lexists(legacy("registry.ollama.ai")));  // empty directories pruned
    EXPECT_TRUE(fs::is_directory(tmp.path() / "manifests"));
    EXPECT_FALSE(lexists(blob(digest_of(config))));
    EXPECT_FALSE(lexists(blob(digest_of(tensor))));
    EXPECT_FALSE(lexists(blob(digest_of(index))));
    EXPECT_TRUE(lexists(blob(digest_of(unrelated))));  // remove collects only the model's own blobs
    EXPECT_TRUE(store.list().empty());
}

TEST_F(ModelStoreTest, LegacyUnderTheOtherPublicHostSpellingIsRead) {
    const Manifest m = make("cfg", {"a"});
    write_file(legacy("ollama.com/library/bar/v1"), m.serialize());
    auto e = store.find(N("bar:v1"));
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->legacy);
    EXPECT_EQ(e->name.display(), "bar:v1");
    // Hosts that are not public are never swapped.
    write_file(legacy("example.com/library/baz/latest"), m.serialize());
    EXPECT_TRUE(store.find(N("example.com/library/baz")));
    EXPECT_FALSE(store.find(N("baz")));
}

TEST_F(ModelStoreTest, V2IsPreferredAndShadowsLegacyInList) {
    const Manifest old_m = make("cfg", {"old"});
    const Manifest new_m = make("cfg", {"new"});
    const std::string new_hex = store.write_manifest(N("foo"), new_m);
    // An older Ollama wrote the same name in the legacy tree afterwards (a downgrade).
    write_file(legacy("registry.ollama.ai/library/foo/latest"), old_m.serialize());
    write_file(legacy("registry.ollama.ai/library/other/latest"), old_m.serialize());

    EXPECT_EQ(store.get(N("foo")).digest_hex, new_hex);
    EXPECT_FALSE(store.get(N("foo")).legacy);
    const auto all = store.list(false);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name.display(), "foo:latest");
    EXPECT_EQ(all[0].digest_hex, new_hex);
    EXPECT_EQ(all[1].name.display(), "other:latest");
    EXPECT_TRUE(all[1].legacy);
}

TEST_F(ModelStoreTest, WriteDeletesLegacyFilesForBothSpellings) {
    const Manifest m = make("cfg", {"a"});
    write_file(legacy("registry.ollama.ai/library/foo/latest"), m.serialize());
    write_file(legacy("ollama.com/library/foo/latest"), m.serialize());
    write_file(legacy("registry.ollama.ai/library/keep/latest"), m.serialize());
    store.write_manifest(N("foo"), m);
    EXPECT_FALSE(lexists(legacy("registry.ollama.ai/library/foo")));
    EXPECT_FALSE(lexists(legacy("ollama.com")));
    EXPECT_TRUE(lexists(legacy("registry.ollama.ai/library/keep/latest")));
    EXPECT_FALSE(store.get(N("foo")).legacy);
}

TEST_F(ModelStoreTest, SymlinkToANonShaFileIsRejected) {
    const Manifest m = make("cfg", {"a"});
    store.write_manifest(N("foo"), m);
    write_file(tmp.path() / "blobs" / "not-a-blob", m.serialize());
    const fs::path link = v2("ollama.com/library/foo/latest");
    fs::remove(link);
    fs::create_symlink("../../../../blobs/not-a-blob", link);
    try {
        store.find(N("foo"));
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
        EXPECT_EQ(std::string(e.what()), "manifest symlink target \"../../../../blobs/not-a-blob\" is not a sha256 blob");
    }
    // list skips it with a warning, or throws when asked to.
    EXPECT_TRUE(store.list(true).empty());
    EXPECT_THROW(store.list(false), Error);
}

TEST_F(ModelStoreTest, SymlinkToADifferentCopyOfTheBlobIsRejected) {
    const Manifest m = make("cfg", {"a"});
    const std::string hex = store.write_manifest(N("foo"), m);
    const fs::path copy = tmp.path() / "elsewhere" / ("sha256-" + hex);
    write_file(copy, m.serialize());  // same name, same content, but not the blob
    const fs::path link = v2("ollama.com/library/foo/latest");
    fs::remove(link);
    fs::create_symlink(copy, link);
    try {
        store.find(N("foo"));
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
        const std::string msg = e.what();
        EXPECT_NE(msg.find("does not match blob \"" + blob("sha256:" + hex).string() + "\""), std::string::npos) << msg;
        EXPECT_EQ(msg.rfind("manifest symlink target \"" + copy.string() + "\"", 0), 0u) << msg;
    }
}

TEST_F(ModelStoreTest, BlobContentNotMatchingItsDigestIsRejected) {
    const Manifest m = make("cfg", {"a"});
    const std::string hex = store.write_manifest(N("foo"), m);
    write_file(blob("sha256:" + hex), make("cfg", {"b"}).serialize());
    try {
        store.find(N("foo"));
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
        EXPECT_NE(std::string(e.what()).find("digest mismatch"), std::string::npos) << e.what();
    }
}

TEST_F(ModelStoreTest, RegularFileResolvingOutsideTheManifestTreeIsRejected) {
    TempDir outside;
    write_file(outside.path() / "library" / "foo" / "latest", make("cfg", {"a"}).serialize());
    fs::create_directories(tmp.path() / "manifests");
    fs::create_directory_symlink(outside.path(), legacy("registry.ollama.ai"));
    try {
        store.find(N("foo"));
        ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
        EXPECT_EQ(std::string(e.what()), "manifest path \"" + legacy("registry.ollama.ai/library/foo/latest").string() +
                                             "\" resolves outside manifest directory");
    }
}

TEST_F(ModelStoreTest, HardLinkedV2EntryIsReadAsARegularFile) {
    const Manifest m = make("cfg", {"a"});
    const std::string hex = store.write_manifest(N("foo"), m);
    const fs::path link = v2("ollama.com/library/foo/latest");
    fs::remove(link);
    fs::create_hard_link(blob("sha256:" + hex), link);
    EXPECT_EQ(store.get(N("foo")).digest_hex, hex);
}

TEST_F(ModelStoreTest, CopyAndRemoveCollectOnlyUnsharedBlobs) {
    const Manifest a = make("cfg-a", {"shared", "only-a"});
    const Manifest c = make("cfg-c", {"shared", "only-c"});
    const std::string a_hex = store.write_manifest(N("a"), a);
    store.copy(N("a"), N("ns/b:copy"));
    const std::string c_hex = store.write_manifest(N("c"), c);

    // The copy links to the very same manifest blob.
    const fs::path b_link = v2("ollama.com/ns/b/copy");
    ASSERT_TRUE(fs::is_symlink(b_link));
    EXPECT_TRUE(fs::equivalent(b_link, blob("sha256:" + a_hex)));
    EXPECT_EQ(store.get(N("ns/b:copy")).digest_hex, a_hex);

    // Removing a: b still uses everything of a.
    store.remove(N("a"));
    EXPECT_FALSE(store.find(N("a")));
    EXPECT_FALSE(lexists(v2("ollama.com/library/a")));
    EXPECT_TRUE(lexists(blob("sha256:" + a_hex)));
    EXPECT_TRUE(lexists(blob(digest_of("cfg-a"))));
    EXPECT_TRUE(lexists(blob(digest_of("only-a"))));
    EXPECT_EQ(store.get(N("ns/b:copy")).digest_hex, a_hex);

    // Removing c: its own blobs (manifest blob, config, layer) go, the shared layer stays.
    store.remove(N("c"));
    EXPECT_FALSE(lexists(blob("sha256:" + c_hex)));
    EXPECT_FALSE(lexists(blob(digest_of("cfg-c"))));
    EXPECT_FALSE(lexists(blob(digest_of("only-c"))));
    EXPECT_TRUE(lexists(blob(digest_of("shared"))));

    // Removing b: nothing is left.
    store.remove(N("ns/b:copy"));
    EXPECT_TRUE(names_in(tmp.path() / "blobs").empty());
    EXPECT_TRUE(names_in(tmp.path() / "manifests-v2").empty());
    EXPECT_TRUE(store.list(false).empty());
}

TEST_F(ModelStoreTest, MissingModelsAndInvalidNames) {
    try {
        store.copy(N("nope"), N("dst"));
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
        EXPECT_EQ(std::string(e.what()), "model \"nope:latest\" not found");
    }
    try {
        store.remove(N("x/nope:v1"));
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
        EXPECT_EQ(std::string(e.what()), "model 'x/nope:v1' not found");
    }
    try {
        store.get(N("nope"));
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
        EXPECT_EQ(std::string(e.what()), "model 'nope:latest' not found");
    }
    ModelName bad = N("foo");
    bad.model = "../../../etc";
    EXPECT_THROW(store.write_manifest(bad, make("cfg", {})), Error);
    EXPECT_THROW(store.find(bad), Error);
    EXPECT_FALSE(lexists(tmp.path() / "manifests-v2"));
    EXPECT_THROW(store.write_manifest_bytes(N("foo"), "not a manifest"), Error);
}

TEST_F(ModelStoreTest, PruneWithACorruptManifestTouchesNothing) {
    store.write_manifest(N("good"), make("cfg", {"a"}));
    write_file(legacy("registry.ollama.ai/library/broken/latest"), "{ this is not json");
    write_file(tmp.path() / "blobs" / ("sha256-" + std::string(64, 'e')), "orphan");
    write_file(tmp.path() / "blobs" / "sha256-1234-partial", "junk");
    fs::create_directories(v2("example.com/empty/dir"));
    for (const auto& n : names_in(tmp.path() / "blobs")) make_old(tmp.path() / "blobs" / n);
    const auto before = names_in(tmp.path() / "blobs");

    const PruneReport r = store.prune(std::chrono::hours(1));
    EXPECT_TRUE(r.skipped);
    EXPECT_NE(r.reason.find("broken"), std::string::npos) << r.reason;
    EXPECT_EQ(r.removed_blobs, 0u);
    EXPECT_EQ(names_in(tmp.path() / "blobs"), before);
    EXPECT_TRUE(fs::is_directory(v2("example.com/empty/dir")));

    // remove() still works and keeps everything the broken manifest might use.
    store.remove(N("good"));
    EXPECT_EQ(names_in(tmp.path() / "blobs"), before);
}

TEST_F(ModelStoreTest, PruneDeletesOldUnreferencedBlobsAndJunkOnly) {
    const Manifest m = make("cfg", {"used"});
    const std::string hex = store.write_manifest(N("foo"), m);
    const fs::path blobs = tmp.path() / "blobs";
    const std::string old_orphan = "sha256-" + Sha256::hex_of("old orphan");
    const std::string young_orphan = "sha256-" + Sha256::hex_of("young orphan");
    write_file(blobs / old_orphan, "old orphan");
    write_file(blobs / young_orphan, "young orphan");
    write_file(blobs / "sha256-abcdef-partial", "old junk");
    write_file(blobs / "sha256-fedcba-partial", "young junk");
    write_file(blobs / "x.tmp", "old junk");
    // A referenced layer stored under the old colon name is renamed, not deleted.
    const std::string moved = "moved layer";
    const Manifest m2 = make("cfg", {moved});
    fs::rename(blob(digest_of(moved)), blobs / ("sha256:" + Sha256::hex_of(moved)));
    store.write_manifest(N("bar"), m2);
    fs::create_directories(v2("example.com/ns/empty"));
    fs::create_directories(legacy("registry.ollama.ai/library/gone"));
    write_file(v2("ollama.com/library/foo/.manifest-0123456789abcdef"), "leftover");

    for (const auto& n : names_in(blobs))
        if (n != young_orphan && n != "sha256-fedcba-partial") make_old(blobs / n);
    make_old(v2("ollama.com/library/foo/.manifest-0123456789abcdef"));

    const PruneReport r = store.prune(std::chrono::hours(1));
    EXPECT_FALSE(r.skipped) << r.reason;
    EXPECT_EQ(r.removed_blobs, 3u);
    EXPECT_EQ(r.removed_bytes, std::string("old orphan").size() + 2 * std::string("old junk").size());
    const auto left = names_in(blobs);
    auto has = [&](const std::string& n) { return std::find(left.begin(), left.end(), n) != left.end(); };
    EXPECT_FALSE(has(old_orphan));
    EXPECT_FALSE(has("sha256-abcdef-partial"));
    EXPECT_FALSE(has("x.tmp"));
    EXPECT_TRUE(has(young_orphan));
    EXPECT_TRUE(has("sha256-fedcba-partial"));
    EXPECT_TRUE(has("sha256-" + hex));
    EXPECT_TRUE(has(digest_file_name(digest_of("cfg"))));
    EXPECT_TRUE(has(digest_file_name(digest_of("used"))));
    EXPECT_TRUE(has(digest_file_name(digest_of(moved))));
    EXPECT_FALSE(has("sha256:" + Sha256::hex_of(moved)));
    EXPECT_FALSE(lexists(v2("example.com")));
    EXPECT_FALSE(lexists(legacy("registry.ollama.ai")));
    EXPECT_FALSE(lexists(v2("ollama.com/library/foo/.manifest-0123456789abcdef")));
    EXPECT_TRUE(store.find(N("foo")));
    EXPECT_TRUE(store.find(N("bar")));
}

TEST(ModelStoreRoot, DefaultRootFromEnvironment) {
    const char* saved_models = std::getenv("PICTOR_MODELS");
    const std::string saved = saved_models ? saved_models : "";
    const char* home = std::getenv("HOME");
    ::setenv("PICTOR_MODELS", "/some/where", 1);
    EXPECT_EQ(ModelStore::default_root(), fs::path("/some/where"));
    ::unsetenv("PICTOR_MODELS");
    if (home && *home) {
        EXPECT_EQ(ModelStore::default_root(), fs::path(home) / ".pictor" / "models");
    }
    if (saved_models) ::setenv("PICTOR_MODELS", saved.c_str(), 1);
}

}  // namespace
