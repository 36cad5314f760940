// The Qwen3 tokenizer (byte-level BPE), read from a Hugging Face tokenizer.json. Produces the
// same ids as Hugging Face tokenizers for the Qwen2/Qwen3 files, except for a handful of
// NFC compositions of characters newer than Unicode 9 (see tokenizer_utf8.h).
//
// Pipeline of encode(): repair ill-formed UTF-8 -> cut out added tokens (raw text) -> NFC ->
// cut out "normalized" added tokens -> regex split -> byte-level BPE per piece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/qwen3/tokenizer_added_tokens.h"
#include "models/qwen3/tokenizer_bpe.h"
#include "models/qwen3/tokenizer_pretokenizer.h"

namespace pictor::qwen3 {

class Tokenizer {
public:
    // Z-Image encodes prompts into at most this many tokens (spec §3.1).
    static constexpr size_t kChatMaxTokens = 512;

    // From the text of tokenizer.json and, optionally, tokenizer_config.json (which names the
    // pad and eos tokens; without it they default to <|endoftext|> and <|im_end|>, Qwen3's
    // choices). Throws Error(Corrupt) for malformed files, Error(Unsupported) for tokenizer
    // features this class does not implement.
    static Tokenizer from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json = {});
    // A directory holding tokenizer.json (and, if present, tokenizer_config.json), or the path of
    // a tokenizer.json (tokenizer_config.json is then looked for beside it).
    static Tokenizer from_dir(const std::filesystem::path& dir_or_file);

    // Token ids of `text`; no special tokens are added, but added tokens written in the text
    // (e.g. "<|im_end|>") are recognised. Ill-formed UTF-8 is first repaired (repair_utf8:
    // U+FFFD per maximal subpart). Thread-safe.
    std::vector<int32_t> encode(std::string_view text) const;

    // Text of `ids`: bytes joined, then ill-formed UTF-8 (e.g. a cut-off character) replaced by
    // U+FFFD, as Hugging Face's ByteLevel decoder does. Added tokens decode to their content
    // unless skip_special_tokens is set and they are special. Throws Error(InvalidArgument) for
    // an id outside the vocabulary.
    std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

    // The Z-Image prompt "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n",
    // encoded as one string (a prompt that starts or ends with newlines merges with the
    // template's) and cut to its first max_tokens ids, like transformers' right truncation.
    std::vector<int32_t> encode_chat(std::string_view prompt, size_t max_tokens = kChatMaxTokens) const;

    // Throw Error(NotFound) if the files name no such token.
    int32_t pad_id() const;
    int32_t eos_id() const;
    // One more than the largest id (vocabulary plus added tokens): 151669 for Qwen3.
    size_t vocab_size() const { return pieces_.size(); }

private:
    Tokenizer(BytePairEncoder bpe, RegexSplitter splitter) : bpe_(std::move(bpe)), splitter_(std::move(splitter)) {}

    // Appends the ids of a run of text without raw-matched added tokens.
    void encode_plain(std::string_view text, std::vector<int32_t>& out) const;

    BytePairEncoder bpe_;
    RegexSplitter splitter_;
    AddedTokenMatcher raw_added_;         // normalized == false: matched before NFC
    AddedTokenMatcher normalized_added_;  // normalized == true: matched after NFC
    bool nfc_ = true;
    std::vector<std::string> pieces_;     // per id: the bytes decode() emits
    std::vector<uint8_t> kind_;           // per id: 0 unused id, 1 ordinary, 2 special
    int32_t pad_id_ = -1;
    int32_t eos_id_ = -1;
};

}  // namespace pictor::qwen3
