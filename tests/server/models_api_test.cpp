// tags, show, copy, delete against a store holding the imported zimage-dev model.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "server/server_fixture.h"
#include "server/format.h"
#include "server/host.h"
#include "util/error.h"
#include "store/model_store.h"
#include "store/safetensors.h"
#include "support/fake_registry.h"

namespace pictor::server::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ModelsApi : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        models_ = new fs::path(make_temp_dir("pictor-srv-models"));
        import_dev_model(*models_, "dev");
    }
    static void TearDownTestSuite() {
        fs::remove_all(*models_);
        delete models_;
        models_ = nullptr;
    }
    void SetUp() override { server_ = std::make_unique<TestServer>(*models_); }
    void TearDown() override { server_.reset(); }

    httplib::Result post(const std::string& path, const std::string& body) {
        auto c = server_->client();
        return c.Post(path.c_str(), body, "application/json");
    }
    httplib::Result del(const std::string& body) {
        auto c = server_->client();
        return c.Delete("/api/delete", body, "application/json");
    }
    static void expect_error(const httplib::Result& r, int status, const std::string& message) {
        ASSERT_TRUE(r) << "no response";
        EXPECT_EQ(r->status, status) << r->body;
        const json j = json_of(r);
        ASSERT_TRUE(j.is_object()) << r->body;
        EXPECT_EQ(j.value("error", ""), message) << r->body;
    }

    static fs::path* models_;
    std::unique_ptr<TestServer> server_;
};
fs::path* ModelsApi::models_ = nullptr;

TEST_F(ModelsApi, RootAndVersion) {
    auto c = server_->client();
    auto r = c.Get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "pictor is running");
    auto h = c.Head("/");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    auto v = c.Get("/api/version");
    ASSERT_TRUE(v);
    EXPECT_EQ(json_of(v), json({{"version", "0.1.0"}}));
}

TEST_F(ModelsApi, TagsListsImageModelWithDetails) {
    auto c = server_->client();
    auto r = c.Get("/api/tags");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const json j = json_of(r);
    ASSERT_EQ(j["models"].size(), 1u) << r->body;
    const json m = j["models"][0];
    EXPECT_EQ(m["name"], "dev:latest");
    EXPECT_EQ(m["model"], "dev:latest");
    EXPECT_TRUE(std::regex_match(m["modified_at"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))")))
        << m["modified_at"];
    EXPECT_TRUE(std::regex_match(m["digest"].get<std::string>(), std::regex("[0-9a-f]{64}")));

    store::ModelStore st(*models_);
    const auto e = st.get(store::ModelName::parse("dev"));
    EXPECT_EQ(m["size"].get<uint64_t>(), e.manifest.total_size());
    EXPECT_EQ(m["digest"], e.digest_hex);

    const json d = m["details"];
    EXPECT_EQ(d["format"], "safetensors");
    EXPECT_EQ(d["family"], "ZImagePipeline");
    EXPECT_TRUE(d["families"].is_null());
    EXPECT_EQ(d["parent_model"], "");
    const json index = json::parse(*st.read_json(e, "model_index.json"));
    EXPECT_EQ(d["parameter_size"], human_number(index["parameter_count"].get<uint64_t>()));
    EXPECT_EQ(d["quantization_level"], "BFLOAT16");  // model_index quantization = torch_dtype, uppercased
}

TEST_F(ModelsApi, TagsNewestFirst) {
    import_dev_model(*models_, "newer");
    auto c = server_->client();
    const json j = json_of(c.Get("/api/tags"));
    ASSERT_EQ(j["models"].size(), 2u);
    EXPECT_EQ(j["models"][0]["name"], "newer:latest");
    EXPECT_EQ(j["models"][1]["name"], "dev:latest");
    ASSERT_TRUE(del(R"({"model":"newer"})"));
}

TEST_F(ModelsApi, ShowImageModel) {
    auto r = post("/api/show", R"({"model":"dev"})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const json j = json_of(r);
    EXPECT_EQ(j["capabilities"], json::array({"image"}));
    EXPECT_EQ(j["details"]["family"], "ZImagePipeline");
    EXPECT_EQ(j["details"]["format"], "safetensors");
    EXPECT_EQ(j["details"]["quantization_level"], "BFLOAT16");
    EXPECT_EQ(j["model_info"], json::object());
    EXPECT_EQ(j["template"], "");
    EXPECT_NE(j["modelfile"].get<std::string>().find("FROM dev:latest"), std::string::npos);
    EXPECT_TRUE(j.contains("modified_at"));
    EXPECT_FALSE(j.contains("tensors"));

    // The legacy "name" field still works.
    auto legacy = post("/api/show", R"({"name":"dev:latest"})");
    ASSERT_TRUE(legacy);
    EXPECT_EQ(legacy->status, 200);
}

TEST_F(ModelsApi, ShowVerboseTensorTable) {
    auto r = post("/api/show", R"({"model":"dev","verbose":true})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const json t = json_of(r)["tensors"];
    store::ModelStore st(*models_);
    const auto e = st.get(store::ModelName::parse("dev"));
    std::set<std::string> layer_names;
    for (const auto& l : e.manifest.layers)
        if (l.media_type == store::kTensorMediaType) layer_names.insert(l.name);
    ASSERT_EQ(t.size(), layer_names.size());
    std::string prev;
    for (const auto& row : t) {
        const std::string name = row["name"];
        EXPECT_TRUE(layer_names.count(name)) << name;
        EXPECT_LT(prev, name);  // sorted
        prev = name;
        EXPECT_TRUE(row["type"] == "BF16" || row["type"] == "F32") << row;
        EXPECT_TRUE(row["shape"].is_array());
    }
    // Shapes are the source tensors' shapes.
    const auto src = store::SafetensorsFile::read_header(dev_model_dir() / "vae" / "diffusion_pytorch_model.safetensors");
    for (const auto& info : src) {
        auto it = std::find_if(t.begin(), t.end(), [&](const json& row) { return row["name"] == "vae/" + info.name; });
        ASSERT_NE(it, t.end()) << info.name;
        EXPECT_EQ((*it)["shape"], json(info.shape)) << info.name;
        EXPECT_EQ((*it)["type"], std::string(store::dtype_name(info.dtype)));
    }
}

TEST_F(ModelsApi, ShowErrors) {
    expect_error(post("/api/show", ""), 400, "missing request body");
    auto bad = post("/api/show", "{not json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(json_of(bad).value("error", "").rfind("invalid JSON", 0), 0u) << bad->body;
    expect_error(post("/api/show", "[1,2]"), 400, "invalid request: body must be a JSON object");
    expect_error(post("/api/show", R"({"model":5})"), 400, "invalid request: \"model\" must be a string");
    expect_error(post("/api/show", R"({"model":"dev","verbose":"yes"})"), 400,
                 "invalid request: \"verbose\" must be a boolean");
    expect_error(post("/api/show", R"({})"), 400, "model is required");
    expect_error(post("/api/show", R"({"model":"../../etc"})"), 400, "invalid model name: ../../etc");
    expect_error(post("/api/show", R"({"model":"nope"})"), 404, "model 'nope' not found");
    expect_error(post("/api/show", json{{"model", std::string(200, 'x')}}.dump()), 400,
                 "invalid model name: " + std::string(200, 'x'));
}

TEST_F(ModelsApi, CopyThenDelete) {
    auto r = post("/api/copy", R"({"source":"dev","destination":"me/dev-copy:v1"})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_TRUE(r->body.empty());

    auto c = server_->client();
    const json tags = json_of(c.Get("/api/tags"));
    std::set<std::string> names;
    for (const auto& m : tags["models"]) names.insert(m["name"]);
    EXPECT_TRUE(names.count("me/dev-copy:v1")) << tags.dump();
    EXPECT_EQ(json_of(post("/api/show", R"({"model":"me/dev-copy:v1"})"))["details"]["family"], "ZImagePipeline");

    auto d = del(R"({"model":"me/dev-copy:v1"})");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 200) << d->body;
    EXPECT_TRUE(d->body.empty());
    expect_error(post("/api/show", R"({"model":"me/dev-copy:v1"})"), 404, "model 'me/dev-copy:v1' not found");
    // The original keeps every blob it shares with the deleted copy.
    auto v = post("/api/show", R"({"model":"dev","verbose":true})");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->status, 200) << v->body;
}

TEST_F(ModelsApi, CopyErrors) {
    expect_error(post("/api/copy", R"({"source":"../x","destination":"y"})"), 400, "source \"../x\" is invalid");
    expect_error(post("/api/copy", R"({"source":"dev","destination":"a b"})"), 400, "destination \"a b\" is invalid");
    expect_error(post("/api/copy", R"({"source":"","destination":"y"})"), 400, "source \"\" is invalid");
    expect_error(post("/api/copy", R"({"source":"nope","destination":"y"})"), 404, "model \"nope\" not found");
    expect_error(post("/api/copy", R"({"source":1,"destination":"y"})"), 400, "invalid request: \"source\" must be a string");
    expect_error(post("/api/copy", ""), 400, "missing request body");
}

TEST_F(ModelsApi, DeleteErrors) {
    expect_error(del(R"({"model":"../../etc"})"), 400, "name \"../../etc\" is invalid");
    expect_error(del(R"({"model":""})"), 400, "name \"\" is invalid");
    expect_error(del(R"({"name":"nope"})"), 404, "model 'nope' not found");
    expect_error(del(R"({"model":"nope:tag"})"), 404, "model 'nope:tag' not found");
    expect_error(del(R"({"model":[]})"), 400, "invalid request: \"model\" must be a string");
    expect_error(del(""), 400, "missing request body");
    auto garbage = del("nul");
    ASSERT_TRUE(garbage);
    EXPECT_EQ(garbage->status, 400);
}

TEST_F(ModelsApi, UnknownRoutesAndMethods) {
    auto c = server_->client();
    auto r = c.Get("/api/nothing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_TRUE(json_of(r).contains("error")) << r->body;
    auto g = c.Get("/api/show");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 404);
}

// Push dev to a registry and pull it back under the same name, through the API: NDJSON frames
// with Ollama's statuses, the "sha256:model" bar, and real statuses for early failures.
TEST_F(ModelsApi, PullAndPushThroughARegistry) {
    pictor::test::FakeRegistry registry;
    const std::string there = registry.host() + "/me/dev:v1";
    auto c = server_->client();
    ASSERT_EQ(c.Post("/api/copy", json({{"source", "dev"}, {"destination", there}}).dump(), "application/json")->status,
              200);
    auto frames = [](const std::string& body) {
        std::vector<json> out;
        std::istringstream in(body);
        for (std::string l; std::getline(in, l);)
            if (!l.empty()) out.push_back(json::parse(l));
        return out;
    };
    auto pushed = post("/api/push", json({{"model", there}, {"insecure", true}}).dump());
    ASSERT_TRUE(pushed);
    ASSERT_EQ(pushed->status, 200) << pushed->body;
    auto pf = frames(pushed->body);
    ASSERT_GE(pf.size(), 3u) << pushed->body;
    EXPECT_EQ(pf.front(), json({{"status", "retrieving manifest"}}));
    EXPECT_EQ(pf[1]["status"], "pushing model");
    EXPECT_EQ(pf[1]["digest"], "sha256:model");
    EXPECT_EQ(pf.back(), json({{"status", "success"}}));
    EXPECT_FALSE(registry.manifest("me/dev:v1").empty());

    ASSERT_EQ(del(json({{"model", there}}).dump())->status, 200);
    auto pulled = post("/api/pull", json({{"model", there}, {"insecure", true}}).dump());
    ASSERT_TRUE(pulled);
    ASSERT_EQ(pulled->status, 200) << pulled->body;
    auto lf = frames(pulled->body);
    ASSERT_GE(lf.size(), 4u) << pulled->body;
    EXPECT_EQ(lf.front(), json({{"status", "pulling manifest"}}));
    EXPECT_EQ(lf[lf.size() - 2], json({{"status", "writing manifest"}}));
    EXPECT_EQ(lf.back(), json({{"status", "success"}}));
    const json bar = lf[lf.size() - 3];
    EXPECT_EQ(bar["status"], "pulling model");
    EXPECT_EQ(bar["completed"], bar["total"]);
    auto shown = post("/api/show", json({{"model", there}}).dump());
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 200) << shown->body;

    // Non-streaming: one answer.
    auto quiet = post("/api/pull", json({{"model", there}, {"insecure", true}, {"stream", false}}).dump());
    ASSERT_TRUE(quiet);
    EXPECT_EQ(quiet->status, 200);
    EXPECT_EQ(json_of(quiet), json({{"status", "success"}}));

    // Early failures keep their statuses.
    expect_error(post("/api/pull", json({{"model", registry.host() + "/me/absent"}, {"insecure", true}}).dump()), 404,
                 "pull model manifest: file does not exist");
    expect_error(post("/api/push", json({{"model", registry.host() + "/me/absent"}, {"insecure", true}}).dump()), 404,
                 "model '" + registry.host() + "/me/absent:latest' not found");
    expect_error(post("/api/pull", json({{"model", "http://" + there}}).dump()), 400, "insecure protocol http");
    expect_error(post("/api/pull", R"({"model":"../x"})"), 400, "invalid model name: ../x");
    expect_error(post("/api/pull", R"({})"), 400, "model is required");
    ASSERT_EQ(del(json({{"model", there}}).dump())->status, 200);
}

// An image model lacks the chat and embedding capabilities; clients that try them get the
// reference's capability error, not a bare "404 page not found" that reads as "model missing".
TEST_F(ModelsApi, ChatAndEmbeddingsNameTheMissingCapability) {
    expect_error(post("/api/chat", R"({"model":"dev","messages":[{"role":"user","content":"hi"}]})"), 400,
                 R"("dev" does not support chat)");
    expect_error(post("/api/embed", R"({"model":"dev","input":"hi"})"), 400, R"("dev" does not support embeddings)");
    expect_error(post("/api/embeddings", R"({"model":"dev","prompt":"hi"})"), 400,
                 R"("dev" does not support embeddings)");
    expect_error(post("/api/chat", R"({"model":"nope"})"), 404, "model 'nope' not found");
    expect_error(post("/api/chat", R"({"messages":[]})"), 400, "model is required");
    auto r = post("/v1/chat/completions", R"({"model":"dev","messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(json_of(r)["error"].value("message", ""), R"("dev" does not support chat)") << r->body;
    EXPECT_EQ(json_of(r)["error"].value("type", ""), "invalid_request_error") << r->body;
    r = post("/v1/embeddings", R"({"model":"nope","input":"hi"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(json_of(r)["error"].value("type", ""), "not_found_error") << r->body;
}

// A second server on a port that is already served must fail, not share it (httplib's default
// SO_REUSEPORT let it bind and take half of the connections, with its own scheduler).
TEST_F(ModelsApi, SecondServerOnTheSamePortFailsToBind) {
    std::ostringstream log_text;
    Logger log(log_text);
    Settings s;
    s.address = parse_host("127.0.0.1:" + std::to_string(server_->port()));
    s.models = *models_;
    ServerContext ctx(s, log);
    Server second(ctx);
    try {
        second.bind();
        FAIL() << "bound a port another server listens on";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
        EXPECT_NE(std::string(e.what()).find("cannot bind"), std::string::npos) << e.what();
    }
    auto c = server_->client();
    auto r = c.Get("/api/version");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(ModelsApi, RequestsAreLogged) {
    auto c = server_->client();
    ASSERT_TRUE(c.Get("/api/tags"));
    ASSERT_TRUE(post("/api/show", R"({"model":"nope"})"));
    server_->stop();
    const std::string log = server_->log_text();
    EXPECT_TRUE(std::regex_search(log, std::regex(R"(\[GIN\] .* \| 200 \| .* \| +127\.0\.0\.1 \| GET +"/api/tags")")))
        << log;
    EXPECT_TRUE(std::regex_search(log, std::regex(R"(\| 404 \| .* POST +"/api/show")"))) << log;
}

}  // namespace
}  // namespace pictor::server::test
