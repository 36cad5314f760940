// Tests of the Qwen3 tokenizer against ids produced by Hugging Face tokenizers
// (shared/testdata/qwen3-tokenizer/cases.json) and of its edge cases.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/qwen3/tokenizer.h"
#include "models/qwen3/tokenizer_pretokenizer.h"
#include "models/qwen3/tokenizer_utf8.h"
#include "util/error.h"

namespace pictor::qwen3 {
namespace {

using json = nlohmann::json;
using Ids = std::vector<int32_t>;

const std::filesystem::path kDataDir = std::filesystem::path(PICTOR_SHARED_DIR) / "testdata" / "qwen3-tokenizer";

// Loading takes a few hundred milliseconds, so all tests share one instance.
const Tokenizer& tokenizer() {
    static const Tokenizer instance = Tokenizer::from_dir(kDataDir);
    return instance;
}

const json& cases() {
    static const json instance = [] {
        std::ifstream in(kDataDir / "cases.json");
        return json::parse(in);
    }();
    return instance.at("cases");
}

// Process CPU time: other jobs share this machine's cores, so wall-clock limits would be flaky.
double cpu_ms() { return 1000.0 * static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct Tally {
    int pass = 0;
    int total = 0;
};

void report(const char* what, const std::map<std::string, Tally>& tally) {
    std::cout << what << ":";
    for (const auto& [category, t] : tally) std::cout << " " << category << " " << t.pass << "/" << t.total;
    std::cout << "\n";
}

TEST(Qwen3Tokenizer, SpecialIds) {
    EXPECT_EQ(tokenizer().pad_id(), 151643);
    EXPECT_EQ(tokenizer().eos_id(), 151645);
    EXPECT_EQ(tokenizer().vocab_size(), 151669u);
    EXPECT_EQ(tokenizer().encode("<|im_start|>"), Ids{151644});
    EXPECT_EQ(tokenizer().encode("<think></think>"), (Ids{151667, 151668}));
}

TEST(Qwen3Tokenizer, CasesIds) {
    std::map<std::string, Tally> tally;
    for (const json& c : cases()) {
        const std::string category = c.at("category");
        const Ids got = tokenizer().encode(c.at("text").get<std::string>());
        const bool ok = got == c.at("ids").get<Ids>();
        tally[category].total++;
        tally[category].pass += ok;
        EXPECT_TRUE(ok) << c.at("id") << ": " << json(got).dump();
    }
    report("ids", tally);
}

TEST(Qwen3Tokenizer, CasesChatIds) {
    std::map<std::string, Tally> tally;
    for (const json& c : cases()) {
        const std::string category = c.at("category");
        // cases.json's chat_ids are not truncated, so neither is this.
        const Ids got = tokenizer().encode_chat(c.at("text").get<std::string>(), SIZE_MAX);
        const bool ok = got == c.at("chat_ids").get<Ids>();
        tally[category].total++;
        tally[category].pass += ok;
        EXPECT_TRUE(ok) << c.at("id") << ": " << json(got).dump();
        EXPECT_EQ(tokenizer().encode(c.at("rendered").get<std::string>()), got) << c.at("id");
    }
    report("chat_ids", tally);
}

TEST(Qwen3Tokenizer, CasesDecoded) {
    std::map<std::string, Tally> tally;
    for (const json& c : cases()) {
        const std::string category = c.at("category");
        const std::string got = tokenizer().decode(c.at("ids").get<Ids>());
        const bool ok = got == c.at("decoded").get<std::string>();
        tally[category].total++;
        tally[category].pass += ok;
        EXPECT_TRUE(ok) << c.at("id") << ": " << json(got).dump();
    }
    report("decoded", tally);
}

// Hugging Face normalises with Unicode 9.0 data, utf8proc with newer tables; code points 9.0
// had not assigned must neither compose, decompose nor reorder (marks from Unicode 10–15 next
// to older ones), while 9.0 characters still do.
TEST(Qwen3Tokenizer, NfcFollowsUnicode9) {
    EXPECT_EQ(nfc("a\u0301"), "\u00e1");                        // composes
    EXPECT_EQ(nfc("q\u0301\u0316"), "q\u0316\u0301");        // reorders by ccc
    EXPECT_EQ(nfc("a\u1dfa\u0301"), "a\u1dfa\u0301");       // U+1DFA (14.0) blocks a + acute
    EXPECT_EQ(nfc("a\U00010D24\u0316"), "a\U00010D24\u0316");  // Hanifi Rohingya mark (11.0) stays put
    EXPECT_EQ(nfc("a\U0001E944\u0316"), "a\u0316\U0001E944");  // Adlam mark (9.0) reorders
    EXPECT_EQ(nfc("\U00011935\U00011930"), "\U00011935\U00011930");  // Dives Akuru (13.0) no composition
    EXPECT_EQ(nfc("e\u0301\U0001F9E0e\u0301"), "\u00e9\U0001F9E0\u00e9");  // pieces either side normalised
    for (const json& c : cases()) {
        const std::string text = c.at("text");
        EXPECT_EQ(tokenizer().decode(tokenizer().encode(text)), nfc(text)) << c.at("id");
    }
}

TEST(Qwen3Tokenizer, ChatTemplate) {
    EXPECT_EQ(tokenizer().encode_chat(""), (Ids{151644, 872, 198, 151645, 198, 151644, 77091, 198}));
    EXPECT_EQ(tokenizer().encode_chat("hello"), (Ids{151644, 872, 198, 14990, 151645, 198, 151644, 77091, 198}));
}

TEST(Qwen3Tokenizer, ChatTruncatesTo512) {
    int checked = 0;
    for (const json& c : cases()) {
        const Ids full = c.at("chat_ids").get<Ids>();
        if (full.size() < 500) continue;
        const Ids got = tokenizer().encode_chat(c.at("text").get<std::string>());
        const Ids want(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(full.size(), 512)));
        EXPECT_EQ(got, want) << c.at("id");
        EXPECT_LE(got.size(), 512u);
        ++checked;
    }
    EXPECT_GE(checked, 4);
    EXPECT_EQ(tokenizer().encode_chat("a b c d", 5), (Ids{151644, 872, 198, 64, 293}));
}

TEST(Qwen3Tokenizer, RepairsInvalidUtf8) {
    EXPECT_EQ(repair_utf8("plain ascii"), "plain ascii");
    EXPECT_EQ(repair_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
    EXPECT_EQ(repair_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
    EXPECT_EQ(repair_utf8("\xE2\x82"), "\xEF\xBF\xBD");                 // truncated: one maximal subpart
    EXPECT_EQ(repair_utf8("\xE2\x82" "A"), "\xEF\xBF\xBD" "A");
    EXPECT_EQ(repair_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    EXPECT_EQ(repair_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");     // overlong
    EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // > U+10FFFF
    EXPECT_EQ(repair_utf8("\xF0\x9F\x98"), "\xEF\xBF\xBD");

    // Encoding ill-formed text equals encoding its repair, and never throws.
    EXPECT_EQ(tokenizer().encode("a\xFF" "b"), tokenizer().encode("a\xEF\xBF\xBD" "b"));
    std::string garbage;
    for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919 + 13) % 256);
    EXPECT_NO_THROW({
        const Ids ids = tokenizer().encode(garbage);
        EXPECT_EQ(tokenizer().decode(ids), nfc(repair_utf8(garbage)));
    });
    EXPECT_NO_THROW(tokenizer().encode_chat(std::string("\0\xC3", 2)));
}

TEST(Qwen3Tokenizer, Decode) {
    EXPECT_EQ(tokenizer().decode(Ids{151644, 872, 198}), "<|im_start|>user\n");
    EXPECT_EQ(tokenizer().decode(Ids{151644, 872, 198}, true), "user\n");
    EXPECT_EQ(tokenizer().decode(Ids{151667}, true), "<think>");  // added but not special
    // Half of a multi-byte character decodes to U+FFFD, like Hugging Face.
    const Ids emoji = tokenizer().encode("\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
    ASSERT_FALSE(emoji.empty());
    EXPECT_EQ(tokenizer().decode(Ids{176}), "\xEF\xBF\xBD");
    EXPECT_THROW(tokenizer().decode(Ids{-1}), Error);
    EXPECT_THROW(tokenizer().decode(Ids{151669}), Error);
}

TEST(Qwen3Tokenizer, OnigurumaWhitespace) {
    EXPECT_EQ(oniguruma_to_pcre2("\\s+(?!\\S)|[^\\s\\p{L}]"),
              "[\\t\\n\\x{0b}\\f\\r\\x{85}\\p{Z}]+(?![^\\t\\n\\x{0b}\\f\\r\\x{85}\\p{Z}])|"
              "[^\\t\\n\\x{0b}\\f\\r\\x{85}\\p{Z}\\p{L}]");
    EXPECT_EQ(oniguruma_to_pcre2("[]\\s]\\\\s"), "[]\\t\\n\\x{0b}\\f\\r\\x{85}\\p{Z}]\\\\s");
    // U+180E is not White_Space (Oniguruma) although PCRE2's \s includes it.
    std::vector<std::string_view> pieces;
    RegexSplitter(" ?[^\\s\\p{L}\\p{N}]+|\\s+").split("!\xE1\xA0\x8E", pieces);
    EXPECT_EQ(pieces.size(), 1u);
}

TEST(Qwen3Tokenizer, LongPromptIsFast) {
    std::string prompt;
    const json& all = cases();
    while (true) {
        for (const json& c : all) prompt += c.at("text").get<std::string>() + "\n";
        if (tokenizer().encode(prompt).size() >= 10000) break;
    }
    const double start = cpu_ms();
    const Ids ids = tokenizer().encode(prompt);
    const double ms = cpu_ms() - start;
    std::cout << ids.size() << " tokens (" << prompt.size() << " bytes) in " << ms << " ms CPU\n";
    EXPECT_LT(ms, 100.0);

    // One 20,000-letter "word" skips the cache and stresses the merge loop.
    const std::string word(20000, 'a');
    const double start2 = cpu_ms();
    const Ids word_ids = tokenizer().encode(word);
    const double ms2 = cpu_ms() - start2;
    std::cout << word_ids.size() << " tokens of 'a' in " << ms2 << " ms CPU\n";
    EXPECT_EQ(tokenizer().decode(word_ids), word);
    EXPECT_LT(ms2, 100.0);
}

TEST(Qwen3Tokenizer, LoadsQuickly) {
    std::ifstream in(kDataDir / "tokenizer.json", std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const auto wall_start = std::chrono::steady_clock::now();
    const double start = cpu_ms();
    const Tokenizer t = Tokenizer::from_json(text.str());
    const double ms = cpu_ms() - start;
    const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start).count();
    std::cout << "tokenizer.json parsed and built in " << ms << " ms CPU (" << wall << " ms wall)\n";
    EXPECT_EQ(t.pad_id(), 151643);  // default without tokenizer_config.json
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)  // optimised, uninstrumented builds only
    EXPECT_LT(ms, 1000.0);
#endif
}

TEST(Qwen3Tokenizer, RejectsBadFiles) {
    EXPECT_THROW(Tokenizer::from_json("{"), Error);
    EXPECT_THROW(Tokenizer::from_json("{}"), Error);
    EXPECT_THROW(Tokenizer::from_dir("/nonexistent/tokenizer"), Error);
    try {
        Tokenizer::from_json(R"({"model":{"type":"Unigram","vocab":[]}})");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    }
}

// A tiny tokenizer.json exercising both merge formats and the added-token flags.
TEST(Qwen3Tokenizer, SmallFileFormatsAndFlags) {
    json vocab = json::object();
    // The full byte alphabet is required: ids 0..255, one per byte.
    // Build the alphabet the same way as GPT-2 so the test does not depend on internals.
    std::vector<char32_t> alphabet(256);
    char32_t extra = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
        alphabet[b] = printable ? static_cast<char32_t>(b) : extra++;
    }
    const auto utf8 = [](char32_t cp) {
        std::string s;
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else {
            s += static_cast<char>(0xc0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3f));
        }
        return s;
    };
    for (int b = 0; b < 256; ++b) vocab[utf8(alphabet[b])] = b;
    vocab["ab"] = 256;
    vocab["abc"] = 257;
    vocab["\xC4\xA0" "x"] = 258;  // " x"
    json file = {
        {"normalizer", nullptr},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           json::array({{{"type", "Split"}, {"pattern", {{"Regex", " ?\\p{L}+|\\s+|."}}}, {"behavior", "Isolated"}, {"invert", false}},
                        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}})}}},
        {"decoder", {{"type", "ByteLevel"}}},
        {"added_tokens",
         json::array({{{"id", 300}, {"content", "[L]"}, {"lstrip", true}, {"special", true}, {"normalized", false}},
                      {{"id", 301}, {"content", "[R]"}, {"rstrip", true}, {"special", true}, {"normalized", false}},
                      {{"id", 302}, {"content", "w"}, {"single_word", true}, {"special", false}, {"normalized", false}}})},
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array({"a b", json::array({"ab", "c"}), "\xC4\xA0 x"})}}},
    };
    const Tokenizer t = Tokenizer::from_json(file.dump());
    EXPECT_EQ(t.encode("abc"), Ids{257});
    EXPECT_EQ(t.encode("ab"), Ids{256});
    EXPECT_EQ(t.encode("a x"), (Ids{'a', 258}));
    EXPECT_EQ(t.encode("a  [L]b"), (Ids{'a', 300, 'b'}));   // lstrip eats the spaces before
    EXPECT_EQ(t.encode("a[R]  b"), (Ids{'a', 301, 'b'}));   // rstrip eats the spaces after
    EXPECT_EQ(t.encode("a w b"), (Ids{'a', 32, 302, 32, 'b'}));  // alone: the added token
    EXPECT_EQ(t.encode("aw"), (Ids{'a', 'w'}));              // inside a word: plain text
    EXPECT_EQ(t.decode(Ids{257, 300}), "abc[L]");
    EXPECT_EQ(t.vocab_size(), 303u);
    EXPECT_THROW(t.decode(Ids{280}), Error);  // a hole in the id range
    EXPECT_THROW(t.pad_id(), Error);          // no <|endoftext|> here
}

}  // namespace
}  // namespace pictor::qwen3
