// Model names: [scheme://][host/][namespace/]model[:tag], Ollama's grammar and defaults
// (reference §3.2). A valid name can never escape the models directory: every part is
// checked against a strict character class before it is turned into a path.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace pictor::store {

inline constexpr std::string_view kDefaultHost = "registry.ollama.ai";
inline constexpr std::string_view kCanonicalHost = "ollama.com";  // host spelling in manifests-v2/
inline constexpr std::string_view kDefaultNamespace = "library";
inline constexpr std::string_view kDefaultTag = "latest";

struct ModelName {
    std::string scheme;  // "https" unless given
    std::string host;
    std::string ns;
    std::string model;
    std::string tag;

    // Parses with defaults filled in. Throws Error(InvalidArgument, "invalid model name: <s>")
    // when the result is not fully valid (empty promised part, bad characters, too long).
    static ModelName parse(std::string_view s);
    // Like parse but returns false instead of throwing.
    static bool try_parse(std::string_view s, ModelName& out);

    // "host/ns/model:tag"
    std::string full() const;
    // Shortest display form: "model:tag", "ns/model:tag" or "host/ns/model:tag".
    std::string display() const;
    // Same name with the public host spelled canonically (registry.ollama.ai -> ollama.com).
    ModelName canonical() const;
    // Relative paths under manifests/ (legacy, host as given) and manifests-v2/ (canonical host).
    std::filesystem::path legacy_relpath() const;
    std::filesystem::path v2_relpath() const;
    // Case-insensitive equality of all four parts (scheme ignored), treating the two public
    // host spellings as equal.
    bool same_as(const ModelName& other) const;

    // True when every part passes its character class and length (§3.2). A ModelName built by
    // hand (not by parse) must pass this before it is turned into a path; the *_relpath
    // functions check it and throw Error(InvalidArgument, "invalid model name: <full>").
    bool valid() const;
};

// registry.ollama.ai or ollama.com, compared case-insensitively.
bool is_public_host(std::string_view host);
// ASCII case-insensitive equality (names are ASCII by construction).
bool iequals(std::string_view a, std::string_view b);

}  // namespace pictor::store
