// Added tokens (<|im_start|>, <|endoftext|>, <think>, ...): found in the text before the
// pre-tokenizer runs, so they become single ids and never reach BPE.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::qwen3 {

// One entry of tokenizer.json's "added_tokens", with Hugging Face's flags.
struct AddedToken {
    std::string content;
    int32_t id = -1;
    bool special = false;      // skipped by decode(..., skip_special_tokens = true)
    bool single_word = false;  // only matches when not inside a word
    bool lstrip = false;       // swallows the whitespace before it
    bool rstrip = false;       // swallows the whitespace after it
    bool normalized = false;   // matched in the normalised text instead of the raw text
};

// A run of text: either an added token (id >= 0) or plain text for the normal pipeline (id -1).
struct TextSegment {
    std::string_view text;
    int32_t id;
};

// Finds added tokens in text, leftmost first and, at one position, longest first -- Hugging
// Face's aho-corasick LeftmostLongest. Like Hugging Face, a match rejected by single_word is
// not retried with a shorter token and scanning resumes after it.
class AddedTokenMatcher {
public:
    AddedTokenMatcher() = default;
    explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

    bool empty() const { return tokens_.empty(); }

    // Appends the segments of `text` (valid UTF-8) to `out`; empty plain runs are left out.
    void split(std::string_view text, std::vector<TextSegment>& out) const;

private:
    // Returns the index of the longest token at text[pos...], or -1.
    int find_at(std::string_view text, size_t pos) const;

    std::vector<AddedToken> tokens_;
    // For each first byte, the indices into tokens_ of the tokens starting with it, longest first.
    std::array<std::vector<uint32_t>, 256> by_first_byte_;
};

}  // namespace pictor::qwen3
