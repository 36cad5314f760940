// The pieces of the OpenAI endpoints on their own: size parsing, the error envelope, SSE
// framing (checked with the same parser the endpoint tests use), the image file cache, and
// the batch's seeds.
#include <gtest/gtest.h>

#include <set>

#include "server/image_batch.h"
#include "server/image_file_cache.h"
#include "server/openai_test_support.h"
#include "server/openai_types.h"
#include "server/sse.h"

namespace pictor::server::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(OpenAiSize, AcceptsOnlyMultiplesOf16From64To4096) {
    EXPECT_EQ(parse_size("64x64"), std::make_pair(64, 64));
    EXPECT_EQ(parse_size("4096x4096"), std::make_pair(4096, 4096));
    EXPECT_EQ(parse_size("1024x768"), std::make_pair(1024, 768));
    EXPECT_EQ(parse_size("0064x0080"), std::make_pair(64, 80));
    for (const char* bad : {"", "x", "64", "64x", "x64", "48x64", "64x4112", "65x64", "64x64x64", "64 x64", "６４x64",
                            "99999999999999999999x64", "64x-64", "1e2x64"}) {
        SCOPED_TRACE(bad);
        try {
            parse_size(bad);
            ADD_FAILURE() << "accepted";
        } catch (const ParamError& e) {
            EXPECT_EQ(e.param(), "size");
            EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
            EXPECT_NE(std::string(e.what()).find("multiple of 16 between 64 and 4096"), std::string::npos) << e.what();
        }
    }
}

TEST(OpenAiEnvelope, TypesFollowTheStatus) {
    EXPECT_EQ(openai_error_body(400, "bad", "size"),
              json({{"error", {{"message", "bad"}, {"type", "invalid_request_error"}, {"param", "size"}, {"code", nullptr}}}}));
    EXPECT_EQ(openai_error_body(404, "gone")["error"]["type"], "not_found_error");
    EXPECT_TRUE(openai_error_body(404, "gone")["error"]["param"].is_null());
    for (int s : {499, 500, 501, 503}) EXPECT_EQ(openai_error_body(s, "x")["error"]["type"], "api_error");
}

TEST(OpenAiParse, DefaultsAndExtensions) {
    const auto r = parse_images_generate(json{{"model", "m"}, {"prompt", "p"}});
    EXPECT_EQ(r.n, 1);
    EXPECT_EQ(r.width, 0);
    EXPECT_EQ(r.format, ResponseFormat::B64Json);
    EXPECT_FALSE(r.stream);
    EXPECT_FALSE(r.seed);
    EXPECT_EQ(r.steps, 0);
    EXPECT_FALSE(r.negative_prompt);
    EXPECT_FALSE(r.guidance);

    const auto s = parse_images_generate(json{{"model", "m"}, {"prompt", "p"}, {"n", 4.0}, {"seed", uint64_t{1} << 63},
                                              {"steps", 8}, {"guidance_scale", 0}, {"negative_prompt", ""}});
    EXPECT_EQ(s.n, 4);
    EXPECT_EQ(s.seed, uint64_t{1} << 63);
    EXPECT_EQ(s.steps, 8);
    EXPECT_EQ(s.guidance, 0.0f);
    EXPECT_FALSE(s.negative_prompt);  // empty = none
}

TEST(Sse, EventsRoundTripThroughTheParser) {
    const std::string text = sse_event("progress", R"({"step":1,"total":8})") + sse_comment("keep-alive") +
                             sse_event("done", "line one\nline two\r\nthree");
    EXPECT_EQ(sse_event("progress", "{}"), "event: progress\ndata: {}\n\n");
    bool complete = false;
    const auto events = parse_sse(text, &complete);
    EXPECT_TRUE(complete);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].event, "progress");
    EXPECT_EQ(events[0].data, R"({"step":1,"total":8})");
    EXPECT_EQ(events[1].event, "done");
    EXPECT_EQ(events[1].data, "line one\nline two\nthree");

    parse_sse("event: done\ndata: {", &complete);
    EXPECT_FALSE(complete);
}

class ManualClock {
public:
    std::chrono::steady_clock::time_point now() const { return t_; }
    void advance(std::chrono::seconds s) { t_ += s; }

private:
    std::chrono::steady_clock::time_point t_ = std::chrono::steady_clock::now();
};

TEST(ImageFileCache, IdsAreRandomHexAndLookupsAreStrict) {
    ImageFileCache cache;
    std::set<std::string> ids;
    for (int i = 0; i < 50; ++i) {
        const std::string id = cache.put("png" + std::to_string(i));
        EXPECT_TRUE(ImageFileCache::valid_id(id)) << id;
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 50u);
    const std::string id = *ids.begin();
    ASSERT_NE(cache.get(id), nullptr);
    std::string upper = id;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper != id) {
        EXPECT_EQ(cache.get(upper), nullptr);
    }
    EXPECT_EQ(cache.get(id + "0"), nullptr);
    EXPECT_EQ(cache.get("../" + id.substr(3)), nullptr);
    EXPECT_EQ(cache.get("00000000000000000000000000000000"), nullptr);
}

TEST(ImageFileCache, EvictsOldestByCountAndBytes) {
    ImageFileCache by_count({.max_bytes = 1 << 20, .max_entries = 3, .ttl = 3600s});
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(by_count.put(std::string(10, char('a' + i))));
    EXPECT_EQ(by_count.size(), 3u);
    EXPECT_EQ(by_count.get(ids[0]), nullptr);
    EXPECT_EQ(by_count.get(ids[1]), nullptr);
    ASSERT_NE(by_count.get(ids[4]), nullptr);
    EXPECT_EQ(*by_count.get(ids[4]), std::string(10, 'e'));

    ImageFileCache by_bytes({.max_bytes = 100, .max_entries = 100, .ttl = 3600s});
    const auto a = by_bytes.put(std::string(40, 'a'));
    const auto b = by_bytes.put(std::string(40, 'b'));
    const auto c = by_bytes.put(std::string(40, 'c'));
    EXPECT_EQ(by_bytes.get(a), nullptr);
    EXPECT_NE(by_bytes.get(b), nullptr);
    EXPECT_NE(by_bytes.get(c), nullptr);
    EXPECT_EQ(by_bytes.bytes(), 80u);
    // One image above the whole budget is still kept, alone.
    const auto big = by_bytes.put(std::string(500, 'z'));
    EXPECT_NE(by_bytes.get(big), nullptr);
    EXPECT_EQ(by_bytes.size(), 1u);
}

TEST(ImageFileCache, EntriesLiveForTheTtl) {
    ManualClock clock;
    ImageFileCache cache({.max_bytes = 1 << 20, .max_entries = 10, .ttl = 3600s}, [&] { return clock.now(); });
    const auto old_id = cache.put("old");
    clock.advance(1800s);
    const auto new_id = cache.put("new");
    clock.advance(1799s);
    EXPECT_NE(cache.get(old_id), nullptr);
    clock.advance(1s);
    EXPECT_EQ(cache.get(old_id), nullptr);
    EXPECT_NE(cache.get(new_id), nullptr);
    clock.advance(1800s);
    EXPECT_EQ(cache.get(new_id), nullptr);
    EXPECT_EQ(cache.size(), 0u);
}

TEST(ImageBatch, SeedsAreConsecutiveAndProgressIsDenoisingOnly) {
    FakeImageService fake;
    ImageRequest base;
    base.model = "m";
    base.steps = 2;
    std::vector<BatchProgress> seen;
    const auto out = generate_batch(fake, base, 3, 40, [&](const BatchProgress& p) { seen.push_back(p); },
                                    [] { return false; });
    ASSERT_EQ(out.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(out[i].seed, 40u + i);
    ASSERT_EQ(seen.size(), 9u);  // steps 0..2 of each image; loading/decoding phases dropped
    EXPECT_EQ(seen[4].image, 1);
    EXPECT_EQ(seen[4].step, 1);
    EXPECT_EQ(seen[4].total, 2);

    EXPECT_THROW(generate_batch(fake, base, 2, 0, nullptr, [] { return true; }), Error);
    for (int i = 0; i < 100; ++i) EXPECT_LT(random_seed() + 3, uint64_t{1} << 53);
}

}  // namespace
}  // namespace pictor::server::test
