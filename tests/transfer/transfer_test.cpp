// pull and push against an in-memory registry (tests/support/fake_registry.h): round trips,
// skipping what is already there, the registry's refusals, damaged downloads, Bearer
// challenges, redirects, retries and cancellation, and what each leaves in the store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/model_store.h"
#include "support/fake_registry.h"
#include "transfer/pull.h"
#include "transfer/push.h"
#include "util/error.h"

namespace pictor::transfer {
namespace {

namespace fs = std::filesystem;
using test::FakeRegistry;

class TempStore {
public:
    TempStore() {
        static std::atomic<int> counter{0};
        root_ = fs::temp_directory_path() /
                ("pictor-transfer-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(root_);
        store_ = std::make_unique<store::ModelStore>(root_);
    }
    ~TempStore() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    store::ModelStore& operator*() { return *store_; }
    store::ModelStore* operator->() { return store_.get(); }
    // Every file name in blobs/ (temp files included).
    std::vector<std::string> blob_files() const {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(root_ / "blobs", ec)) out.push_back(e.path().filename().string());
        return out;
    }

private:
    fs::path root_;
    std::unique_ptr<store::ModelStore> store_;
};

std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = char(rng());
    return s;
}

// A model of a config blob and three tensor-like layers, one of them a few MiB so that it
// streams in many chunks.
store::ModelName make_model(store::ModelStore& s, const std::string& name, uint32_t seed = 1) {
    store::Manifest m;
    const store::BlobRef cfg = s.blobs().put(R"({"model_format":"safetensors","capabilities":["image"]})");
    m.config = {std::string(store::kConfigMediaType), cfg.digest, cfg.size, "", ""};
    const size_t sizes[] = {3 << 20, 1000, 7};
    int i = 0;
    for (size_t n : sizes) {
        const store::BlobRef b = s.blobs().put(random_bytes(n, seed * 10 + i));
        m.layers.push_back({std::string(store::kTensorMediaType), b.digest, b.size, "", "t" + std::to_string(i++)});
    }
    const store::ModelName parsed = store::ModelName::parse(name);
    s.write_manifest(parsed, m);
    return parsed;
}

RegistryOptions plain_http() {
    RegistryOptions o;
    o.insecure = true;
    o.read_timeout = std::chrono::seconds(5);
    return o;
}

// A registry that holds a model pushed from store `a`, and an empty store `b` to pull it into.
struct PushedModel {
    explicit PushedModel(FakeRegistry::Options o = FakeRegistry::Options()) : registry(std::move(o)) {
        name = make_model(*a, registry.host() + "/me/tiny");
        push_model(*a, {name, plain_http()}, nullptr);
    }
    FakeRegistry registry;
    TempStore a, b;
    store::ModelName name;
};

TEST(Transfer, PushThenPullGivesTheSameModel) {
    FakeRegistry registry;
    TempStore a, b;
    const auto name = make_model(*a, registry.host() + "/me/tiny:v1");
    std::vector<Progress> pushed;
    push_model(*a, {name, plain_http()}, [&](const Progress& p) { pushed.push_back(p); });
    EXPECT_EQ(registry.blob_count(), 4u);
    EXPECT_EQ(registry.manifest("me/tiny:v1"), a->get_bytes(name));
    ASSERT_GE(pushed.size(), 2u);
    EXPECT_EQ(pushed.front().status, "retrieving manifest");
    EXPECT_EQ(pushed.back().status, "pushing model");
    EXPECT_EQ(pushed.back().digest, "sha256:model");
    EXPECT_EQ(pushed.back().completed, pushed.back().total);

    std::vector<Progress> pulled;
    pull_model(*b, {name, plain_http()}, [&](const Progress& p) { pulled.push_back(p); });
    EXPECT_EQ(b->get_bytes(name), a->get_bytes(name));  // the registry's bytes: same model ID
    const store::ModelEntry e = b->get(name);
    EXPECT_EQ(e.digest_hex, a->get(name).digest_hex);
    for (const auto& l : e.manifest.layers) EXPECT_TRUE(b->blobs().verify(l.digest)) << l.digest;
    EXPECT_TRUE(b->blobs().verify(e.manifest.config.digest));
    ASSERT_GE(pulled.size(), 3u);
    EXPECT_EQ(pulled.front().status, "pulling manifest");
    EXPECT_EQ(pulled.back().status, "writing manifest");
    const Progress& last_bar = pulled[pulled.size() - 2];
    EXPECT_EQ(last_bar.status, "pulling model");
    EXPECT_EQ(last_bar.total, e.manifest.total_size());
    EXPECT_EQ(last_bar.completed, last_bar.total);
    EXPECT_EQ(registry.blob_gets.load(), 4);
}

TEST(Transfer, BlobsAlreadyThereAreNotSentAgain) {
    FakeRegistry registry;
    TempStore a, b;
    const auto name = make_model(*a, registry.host() + "/me/tiny");
    push_model(*a, {name, plain_http()}, nullptr);
    EXPECT_EQ(registry.blob_puts.load(), 4);
    push_model(*a, {name, plain_http()}, nullptr);
    EXPECT_EQ(registry.blob_puts.load(), 4) << "the second push re-sent blobs the registry has";

    pull_model(*b, {name, plain_http()}, nullptr);
    EXPECT_EQ(registry.blob_gets.load(), 4);
    // Another tag of the same blobs: only the manifest moves.
    const auto other = store::ModelName::parse(registry.host() + "/me/tiny:other");
    a->copy(name, other);
    push_model(*a, {other, plain_http()}, nullptr);
    pull_model(*b, {other, plain_http()}, nullptr);
    EXPECT_EQ(registry.blob_puts.load(), 4);
    EXPECT_EQ(registry.blob_gets.load(), 4);
    EXPECT_TRUE(b->find(other).has_value());
}

TEST(Transfer, AMissingModelIsNotFoundAndWritesNothing) {
    FakeRegistry registry;
    TempStore b;
    const auto name = store::ModelName::parse(registry.host() + "/me/absent");
    try {
        pull_model(*b, {name, plain_http()}, nullptr);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
        EXPECT_STREQ(e.what(), "pull model manifest: file does not exist");
    }
    EXPECT_TRUE(b->list().empty());
    // Pushing a model the store does not have is the store's 404.
    try {
        push_model(*b, {name, plain_http()}, nullptr);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    }
}

// A damaged blob fails the pull after its retries: no model, no temp file, no bad blob.
void expect_damaged_pull_fails(FakeRegistry::Options damage_for, const char* expected) {
    TempStore a, b;
    FakeRegistry source;
    const auto name = make_model(*a, source.host() + "/me/tiny");
    const std::string big = a->get(name).manifest.layers[0].digest;
    if (damage_for.corrupt_digest == "big") damage_for.corrupt_digest = big;
    if (damage_for.short_digest == "big") damage_for.short_digest = big;
    FakeRegistry registry(damage_for);
    const auto there = store::ModelName::parse(registry.host() + "/me/tiny");
    a->copy(name, there);
    push_model(*a, {there, plain_http()}, nullptr);
    try {
        pull_model(*b, {there, plain_http()}, nullptr);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupt);
        EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_FALSE(b->find(there).has_value());
    EXPECT_FALSE(b->blobs().has(big));
    for (const std::string& f : b.blob_files()) {
        EXPECT_EQ(f.rfind("sha256-", 0), 0u) << f;
        EXPECT_EQ(f.size(), 71u) << "a temp file was left behind: " << f;
    }
    EXPECT_EQ(registry.blob_gets.load() >= 3, true) << "the damaged blob was not retried";
}

TEST(Transfer, ADamagedBlobFailsThePullAndLeavesNothingHalfWritten) {
    FakeRegistry::Options o;
    o.corrupt_digest = "big";
    expect_damaged_pull_fails(o, "digest mismatch");
}

TEST(Transfer, AShortBlobIsASizeMismatch) {
    FakeRegistry::Options o;
    o.short_digest = "big";
    expect_damaged_pull_fails(o, "size mismatch");
}

TEST(Transfer, TransientErrorsAreRetried) {
    FakeRegistry::Options o;
    o.fail_first_blob_gets = 2;
    PushedModel m(o);
    pull_model(*m.b, {m.name, plain_http()}, nullptr);
    EXPECT_EQ(m.b->get_bytes(m.name), m.a->get_bytes(m.name));
}

TEST(Transfer, BearerChallengesAreAnswered) {
    FakeRegistry::Options o;
    o.require_token = true;
    PushedModel m(o);
    pull_model(*m.b, {m.name, plain_http()}, nullptr);
    EXPECT_EQ(m.b->get_bytes(m.name), m.a->get_bytes(m.name));
    EXPECT_GE(m.registry.token_requests.load(), 1);
    EXPECT_EQ(m.registry.last_token_scope, "repository:x:pull,push");
}

TEST(Transfer, RedirectedDownloadsDoNotCarryTheTokenToAnotherHost) {
    FakeRegistry::Options o;
    o.require_token = true;
    o.redirect_blobs = true;
    PushedModel m(o);
    pull_model(*m.b, {m.name, plain_http()}, nullptr);
    EXPECT_EQ(m.b->get_bytes(m.name), m.a->get_bytes(m.name));
    EXPECT_EQ(m.registry.cdn_requests.load(), 4);
    EXPECT_EQ(m.registry.cdn_requests_with_auth.load(), 0);
}

TEST(Transfer, CancellingAPullWritesNoManifest) {
    PushedModel m;
    std::atomic<bool> cancel{false};
    try {
        pull_model(
            *m.b, {m.name, plain_http()},
            [&](const Progress& p) {
                if (p.status == "pulling model") cancel = true;
            },
            &cancel);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    EXPECT_FALSE(m.b->find(m.name).has_value());
    for (const std::string& f : m.b.blob_files()) EXPECT_EQ(f.size(), 71u) << "a temp file was left behind: " << f;
}

TEST(Transfer, PlainHttpNeedsInsecure) {
    FakeRegistry registry;
    TempStore b;
    const auto name = store::ModelName::parse("http://" + registry.host() + "/me/tiny");
    RegistryOptions tls;  // insecure = false
    try {
        pull_model(*b, {name, tls}, nullptr);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
        EXPECT_STREQ(e.what(), "insecure protocol http");
    }
}

TEST(Transfer, AnUnreachableRegistryIsUnavailable) {
    int port;
    {
        FakeRegistry gone;
        port = gone.port();
    }  // stopped: nothing listens there now
    TempStore b;
    RegistryOptions o = plain_http();
    o.attempts = 1;
    try {
        pull_model(*b, {store::ModelName::parse("127.0.0.1:" + std::to_string(port) + "/me/tiny"), o}, nullptr);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
        EXPECT_NE(std::string(e.what()).find("cannot reach http://127.0.0.1:"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace pictor::transfer
