#include "store/names.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "util/error.h"

using pictor::Error;
using pictor::ErrorKind;
using pictor::store::ModelName;

namespace {

ModelName P(std::string_view s) { return ModelName::parse(s); }

TEST(ModelName, DefaultsFilledIn) {
    ModelName n = P("foo");
    EXPECT_EQ(n.scheme, "https");
    EXPECT_EQ(n.host, "registry.ollama.ai");
    EXPECT_EQ(n.ns, "library");
    EXPECT_EQ(n.model, "foo");
    EXPECT_EQ(n.tag, "latest");
    EXPECT_EQ(n.full(), "registry.ollama.ai/library/foo:latest");
}

TEST(ModelName, PartsSplitFromTheRight) {
    ModelName n = P("x/z-image-turbo:bf16");
    EXPECT_EQ(n.host, "registry.ollama.ai");
    EXPECT_EQ(n.ns, "x");
    EXPECT_EQ(n.model, "z-image-turbo");
    EXPECT_EQ(n.tag, "bf16");

    n = P("example.com/team/model.v2:4b-bf16");
    EXPECT_EQ(n.host, "example.com");
    EXPECT_EQ(n.ns, "team");
    EXPECT_EQ(n.model, "model.v2");
    EXPECT_EQ(n.tag, "4b-bf16");
}

TEST(ModelName, ColonBeforeLastSlashIsAPortNotATag) {
    ModelName n = P("localhost:5000/ns/model");
    EXPECT_EQ(n.host, "localhost:5000");
    EXPECT_EQ(n.tag, "latest");
    n = P("localhost:5000/ns/model:v1");
    EXPECT_EQ(n.host, "localhost:5000");
    EXPECT_EQ(n.tag, "v1");
}

TEST(ModelName, Scheme) {
    ModelName n = P("https://example.com/ns/m:t");
    EXPECT_EQ(n.scheme, "https");
    EXPECT_EQ(n.host, "example.com");
    EXPECT_EQ(n.full(), "example.com/ns/m:t");
    n = P("http://localhost:8080/ns/m");
    EXPECT_EQ(n.scheme, "http");
    EXPECT_EQ(n.host, "localhost:8080");
    EXPECT_EQ(n.tag, "latest");
}

TEST(ModelName, DisplayShortest) {
    EXPECT_EQ(P("foo").display(), "foo:latest");
    EXPECT_EQ(P("library/foo:v1").display(), "foo:v1");
    EXPECT_EQ(P("REGISTRY.Ollama.AI/Library/Foo:V1").display(), "Foo:V1");
    EXPECT_EQ(P("x/foo").display(), "x/foo:latest");
    EXPECT_EQ(P("registry.ollama.ai/x/foo").display(), "x/foo:latest");
    EXPECT_EQ(P("example.com/library/foo").display(), "example.com/library/foo:latest");
    // Only registry.ollama.ai is the default host for display (reference §3.2).
    EXPECT_EQ(P("ollama.com/library/foo").display(), "ollama.com/library/foo:latest");
}

TEST(ModelName, CaseInsensitiveAndPublicHostEquality) {
    EXPECT_TRUE(P("Foo:Latest").same_as(P("foo")));
    EXPECT_TRUE(P("ollama.com/library/foo").same_as(P("foo")));
    EXPECT_TRUE(P("OLLAMA.COM/LIBRARY/FOO").same_as(P("registry.ollama.ai/library/foo:latest")));
    EXPECT_FALSE(P("foo:v1").same_as(P("foo:v2")));
    EXPECT_FALSE(P("a/foo").same_as(P("b/foo")));
    EXPECT_FALSE(P("example.com/library/foo").same_as(P("foo")));
}

TEST(ModelName, Paths) {
    ModelName n = P("foo");
    EXPECT_EQ(n.legacy_relpath(), std::filesystem::path("registry.ollama.ai/library/foo/latest"));
    EXPECT_EQ(n.v2_relpath(), std::filesystem::path("ollama.com/library/foo/latest"));
    EXPECT_EQ(P("Registry.Ollama.ai/x/Foo:T").v2_relpath(), std::filesystem::path("ollama.com/x/Foo/T"));
    EXPECT_EQ(P("ollama.com/x/foo").legacy_relpath(), std::filesystem::path("ollama.com/x/foo/latest"));
    EXPECT_EQ(P("example.com:5000/x/foo").v2_relpath(), std::filesystem::path("example.com:5000/x/foo/latest"));
    EXPECT_EQ(P("ollama.com/x/foo").canonical().host, "ollama.com");
    EXPECT_EQ(P("foo").canonical().host, "ollama.com");
    EXPECT_EQ(P("example.com/x/foo").canonical().host, "example.com");
}

TEST(ModelName, Lengths) {
    const std::string s80(80, 'a'), s81(81, 'a');
    EXPECT_NO_THROW(P(s80));
    EXPECT_THROW(P(s81), Error);
    EXPECT_NO_THROW(P(s80 + "/m"));
    EXPECT_THROW(P(s81 + "/m"), Error);
    EXPECT_NO_THROW(P("m:" + s80));
    EXPECT_THROW(P("m:" + s81), Error);
    const std::string h350(350, 'h'), h351(351, 'h');
    EXPECT_NO_THROW(P(h350 + "/ns/m"));
    EXPECT_THROW(P(h351 + "/ns/m"), Error);
}

TEST(ModelName, CharacterClasses) {
    EXPECT_NO_THROW(P("_x/_m:_t"));
    EXPECT_NO_THROW(P("h.o-s_t:1/n-s_/m.o-d_:t.a-g_"));
    EXPECT_THROW(P("host/n.s/m"), Error);      // no dots in a namespace
    EXPECT_THROW(P("a:b:c"), Error);           // ':' only in a host
    EXPECT_THROW(P("-m"), Error);              // first character alphanumeric or '_'
    EXPECT_THROW(P("m:-t"), Error);
    EXPECT_THROW(P(".host/ns/m"), Error);
}

TEST(ModelName, EmptyPromisedPartIsInvalid) {
    for (const char* s : {"foo:", ":tag", "/foo", "ns/", "ns//foo", "//foo", "host//foo", "/ns/foo", "https:///ns/foo", ":"}) {
        ModelName out;
        EXPECT_FALSE(ModelName::try_parse(s, out)) << s;
    }
}

TEST(ModelName, HostileNamesAreRejected) {
    const std::string nul("foo\0bar", 7);
    const std::string hostile[] = {
        "",
        ".",
        "..",
        "../x",
        "../../etc/passwd",
        "a/../../b",
        "a/b/../../../c",
        "/etc/passwd",
        "/abs",
        "ns/..",
        "..:latest",
        "foo:..",
        "foo:.hidden",
        "foo/.",
        "host/ns/..",
        "../../../../etc/passwd:latest",
        nul,
        std::string("foo\0", 4),
        "a\\b",
        "..\\..\\x",
        "foo bar",
        " foo",
        "foo\n",
        "f\xc3\xb4o",            // "fôo": unicode is not in the class
        "\xef\xbc\x8e\xef\xbc\x8e",  // fullwidth dots
        "x/y/z/w",                  // host would contain '/'
        "a/b/c/d/e",
        "ftp://host/ns/m",
        "https://",
        "https://ns/m",
        "~/x",
        "$HOME",
        "foo@sha256:abc",
        std::string(81, 'm'),
        std::string(10000, 'a') + "/m",
    };
    for (const std::string& s : hostile) {
        ModelName out;
        EXPECT_FALSE(ModelName::try_parse(s, out)) << s;
        try {
            ModelName::parse(s);
            ADD_FAILURE() << "accepted hostile name: " << s;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
            std::string shown;  // control bytes are escaped so that the message stays one line
            for (char c : s) {
                char buf[8];
                if (static_cast<unsigned char>(c) < 0x20) {
                    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
                    shown += buf;
                } else {
                    shown += c;
                }
            }
            EXPECT_EQ(std::string(e.what()), "invalid model name: " + shown);
        }
    }
}

TEST(ModelName, HandBuiltInvalidNameNeverBecomesAPath) {
    ModelName n = P("foo");
    for (const char* bad : {"..", ".", "a/b", "", "x\\y"}) {
        ModelName m = n;
        m.model = bad;
        EXPECT_FALSE(m.valid()) << bad;
        EXPECT_THROW(m.legacy_relpath(), Error) << bad;
        EXPECT_THROW(m.v2_relpath(), Error) << bad;
        m = n;
        m.host = bad;
        EXPECT_THROW(m.v2_relpath(), Error) << bad;
    }
}

}  // namespace
