#include "store/manifest.h"

#include <gtest/gtest.h>

#include "util/error.h"

using namespace pictor::store;
using pictor::Error;
using pictor::ErrorKind;

namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

Manifest sample() {
    Manifest m;
    m.config = {std::string(kConfigMediaType), D('1'), 123, "", ""};
    m.layers.push_back({std::string(kTensorMediaType), D('2'), 456, "", "transformer/layers.0.attention.to_q.weight"});
    m.layers.push_back({std::string(kJsonMediaType), D('3'), 78, "", "model_index.json"});
    m.layers.push_back({std::string(kLicenseMediaType), D('4'), 9, "", ""});
    m.layers.push_back({std::string(kTensorMediaType), D('5'), 10, "other/model", "vae/decoder.conv_in.weight"});
    return m;
}

TEST(Manifest, SerializesLikeGoEncodingJson) {
    const std::string expected =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" + D('1') +
        "\",\"size\":123},"
        "\"layers\":["
        "{\"mediaType\":\"application/vnd.ollama.image.tensor\",\"digest\":\"" + D('2') +
        "\",\"size\":456,\"name\":\"transformer/layers.0.attention.to_q.weight\"},"
        "{\"mediaType\":\"application/vnd.ollama.image.json\",\"digest\":\"" + D('3') +
        "\",\"size\":78,\"name\":\"model_index.json\"},"
        "{\"mediaType\":\"application/vnd.ollama.image.license\",\"digest\":\"" + D('4') + "\",\"size\":9},"
        "{\"mediaType\":\"application/vnd.ollama.image.tensor\",\"digest\":\"" + D('5') +
        "\",\"size\":10,\"from\":\"other/model\",\"name\":\"vae/decoder.conv_in.weight\"}"
        "]}\n";
    EXPECT_EQ(sample().serialize(), expected);
}

TEST(Manifest, EmptyLayersAndLargeSizes) {
    Manifest m;
    m.config = {std::string(kConfigMediaType), D('a'), 18446744073709551615ull, "", ""};
    EXPECT_EQ(m.serialize(),
              "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
              "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" + D('a') +
              "\",\"size\":18446744073709551615},\"layers\":[]}\n");
}

TEST(Manifest, StringEscapingMatchesGo) {
    Manifest m;
    m.config = {"", D('1'), 0, "", ""};
    // quote, backslash, short escapes, other control bytes, HTML characters, UTF-8 kept as is,
    // U+2028/U+2029 escaped, invalid UTF-8 replaced byte by byte, DEL kept.
    m.layers.push_back({"t", D('2'), 1, "",
                        std::string("a\"b\\c\b\f\n\r\t\x01\x1f<>&\xc3\xa9\xe2\x80\xa8\xe2\x80\xa9\xff\xc3\x7f") +
                            "\xed\xa0\x80" + "\xf0\x9f\x98\x80"});
    const std::string s = m.serialize();
    const std::string expected_name =
        "\"name\":\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\\u003c\\u003e\\u0026\xc3\xa9\\u2028\\u2029\\ufffd\\ufffd\x7f"
        "\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80\"";
    EXPECT_NE(s.find(expected_name), std::string::npos) << s;
    EXPECT_NE(s.find("\"config\":{\"mediaType\":\"\",\"digest\""), std::string::npos) << s;
}

TEST(Manifest, ParseRoundTrip) {
    const Manifest m = sample();
    const std::string bytes = m.serialize();
    const Manifest p = Manifest::parse(bytes);
    EXPECT_EQ(p.schema_version, 2);
    EXPECT_EQ(p.media_type, kManifestMediaType);
    EXPECT_EQ(p.config.digest, D('1'));
    EXPECT_EQ(p.config.size, 123u);
    ASSERT_EQ(p.layers.size(), 4u);
    EXPECT_EQ(p.layers[0].name, "transformer/layers.0.attention.to_q.weight");
    EXPECT_EQ(p.layers[3].from, "other/model");
    EXPECT_EQ(p.serialize(), bytes);
    EXPECT_EQ(p.total_size(), 123u + 456 + 78 + 9 + 10);
    EXPECT_EQ(p.tensor_size(), 456u + 10);
}

TEST(Manifest, ParseIsTolerantOfExtraKeysAndFormatting) {
    const std::string bytes = "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"x\",\n  \"extra\": {\"a\": [1]},\n"
                              "  \"config\": {\"digest\": \"" + D('A') + "\", \"size\": 5, \"urls\": []},\n"
                              "  \"layers\": [{\"mediaType\": \"m\", \"digest\": \"" + D('b') +
                              "\", \"size\": 0, \"dtype\": \"BF16\", \"shape\": [1, 2]}]\n}";
    const Manifest m = Manifest::parse(bytes);
    EXPECT_EQ(m.config.digest, D('A'));
    EXPECT_EQ(m.config.media_type, "");
    ASSERT_EQ(m.layers.size(), 1u);
    EXPECT_EQ(m.layers[0].size, 0u);

    const Manifest n = Manifest::parse("{\"config\":{\"digest\":\"" + D('1') + "\",\"size\":1},\"layers\":null}");
    EXPECT_TRUE(n.layers.empty());
}

TEST(Manifest, ParseRejectsBadInput) {
    const std::string good_config = "\"config\":{\"digest\":\"" + D('1') + "\",\"size\":1}";
    const std::string bad[] = {
        "",
        "not json",
        "[]",
        "{\"layers\":[]}",
        "{" + good_config + "}",
        "{" + good_config + ",\"layers\":{}}",
        "{\"config\":{\"digest\":\"sha256:123\",\"size\":1},\"layers\":[]}",
        "{\"config\":{\"digest\":\"" + D('1') + "\"},\"layers\":[]}",
        "{" + good_config + ",\"layers\":[{\"digest\":\"../../etc/passwd\",\"size\":1}]}",
        "{" + good_config + ",\"layers\":[{\"digest\":\"" + D('2') + "\",\"size\":-1}]}",
        "{" + good_config + ",\"layers\":[{\"digest\":\"" + D('2') + "\",\"size\":1.5}]}",
        "{" + good_config + ",\"layers\":[{\"digest\":\"" + D('2') + "\",\"size\":\"1\"}]}",
        "{" + good_config + ",\"layers\":[{\"digest\":\"" + D('2') + "\",\"size\":1,\"name\":7}]}",
        "{" + good_config + ",\"layers\":[7]}",
    };
    for (const std::string& b : bad) {
        try {
            Manifest::parse(b);
            ADD_FAILURE() << "accepted: " << b;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << b;
        }
    }
}

}  // namespace
