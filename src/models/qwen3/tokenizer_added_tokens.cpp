#include "models/qwen3/tokenizer_added_tokens.h"

#include <utf8proc.h>

#include <algorithm>

#include "models/qwen3/tokenizer_utf8.h"

namespace pictor::qwen3 {
namespace {

// Unicode White_Space (what Hugging Face's \s means for lstrip/rstrip).
bool is_white_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// Approximates Rust regex \w (Alphabetic, marks, decimal digits, connector punctuation) with
// general categories; only single_word tokens consult it.
bool is_word_char(char32_t c) {
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_PC:
            return true;
        default:
            return false;
    }
}

// Start of the code point that ends at `end` (exclusive).
size_t previous_code_point(std::string_view s, size_t end) {
    size_t p = end - 1;
    while (p > 0 && (static_cast<uint8_t>(s[p]) & 0xc0) == 0x80) --p;
    return p;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
    // An empty content would match everywhere; Hugging Face never matches it either.
    std::erase_if(tokens_, [](const AddedToken& t) { return t.content.empty(); });
    for (uint32_t i = 0; i < tokens_.size(); ++i) {
        by_first_byte_[static_cast<uint8_t>(tokens_[i].content[0])].push_back(i);
    }
    for (auto& list : by_first_byte_) {
        std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
            return tokens_[a].content.size() > tokens_[b].content.size();
        });
    }
}

int AddedTokenMatcher::find_at(std::string_view text, size_t pos) const {
    for (const uint32_t i : by_first_byte_[static_cast<uint8_t>(text[pos])]) {
        if (text.substr(pos).starts_with(tokens_[i].content)) return static_cast<int>(i);
    }
    return -1;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<TextSegment>& out) const {
    size_t plain_start = 0;  // start of the plain run not yet emitted
    size_t pos = 0;
    while (pos < text.size()) {
        const int found = find_at(text, pos);
        if (found < 0) {
            ++pos;
            continue;
        }
        const AddedToken& token = tokens_[static_cast<size_t>(found)];
        size_t start = pos;
        size_t stop = pos + token.content.size();
        if (token.single_word) {
            bool word_before = false, word_after = false;
            if (start > 0) {
                size_t p = previous_code_point(text, start);
                word_before = is_word_char(next_code_point(text, p));
            }
            if (stop < text.size()) {
                size_t p = stop;
                word_after = is_word_char(next_code_point(text, p));
            }
            if (word_before || word_after) {
                pos = stop;
                continue;
            }
        }
        if (token.lstrip) {
            while (start > plain_start) {
                const size_t p = previous_code_point(text, start);
                size_t q = p;
                if (!is_white_space(next_code_point(text, q))) break;
                start = p;
            }
        }
        if (token.rstrip) {
            while (stop < text.size()) {
                size_t q = stop;
                if (!is_white_space(next_code_point(text, q))) break;
                stop = q;
            }
        }
        if (start > plain_start) out.push_back(TextSegment{text.substr(plain_start, start - plain_start), -1});
        out.push_back(TextSegment{text.substr(start, stop - start), token.id});
        pos = stop;
        plain_start = stop;
    }
    if (plain_start < text.size()) out.push_back(TextSegment{text.substr(plain_start), -1});
}

}  // namespace pictor::qwen3
