// The pre-tokenizer: splits normalised text into the pieces that BPE encodes independently,
// with the Split regex from tokenizer.json (behaviour "Isolated": matches and the gaps between
// them are both pieces).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::qwen3 {

// Rewrites a pattern written for Oniguruma (what Hugging Face tokenizers uses) into one PCRE2
// matches identically. The one difference that matters for tokenizer patterns is `\s`: with
// Unicode properties PCRE2 also counts U+180E MONGOLIAN VOWEL SEPARATOR as space (Perl's \h
// list), Oniguruma does not. `\s`/`\S` become explicit classes: [\t\n\v\f\r\x85\p{Z}].
std::string oniguruma_to_pcre2(std::string_view pattern);

class RegexSplitter {
public:
    // `pattern` is the Oniguruma pattern from tokenizer.json. Throws Error(Corrupt) if it does
    // not compile.
    explicit RegexSplitter(std::string_view pattern);
    ~RegexSplitter();
    RegexSplitter(RegexSplitter&&) noexcept;
    RegexSplitter& operator=(RegexSplitter&&) noexcept;

    // Appends the pieces of `text` (valid UTF-8) to `out`, in order; they concatenate to `text`.
    // Thread-safe: all per-call state is local.
    void split(std::string_view text, std::vector<std::string_view>& out) const;

private:
    struct Compiled;
    std::unique_ptr<Compiled> compiled_;
};

}  // namespace pictor::qwen3
