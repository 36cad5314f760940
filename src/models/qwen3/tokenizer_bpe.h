// Byte-level BPE model: turns one pre-tokenized piece (raw bytes) into token ids by applying
// merges in rank order, exactly as Hugging Face tokenizers' BPE does.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "models/qwen3/tokenizer_merge_table.h"
#include "models/qwen3/tokenizer_vocab.h"
#include <vector>

namespace pictor::qwen3 {

class BytePairEncoder {
public:
    // `vocab` maps tokens spelled in the byte-level alphabet to ids; `merges` lists token pairs,
    // highest priority first. Throws Error(Corrupt) if a byte has no token or a merge names (or
    // produces) a token that is not in the vocabulary.
    BytePairEncoder(const Vocabulary& vocab, const std::vector<std::pair<std::string, std::string>>& merges);
    ~BytePairEncoder();
    BytePairEncoder(BytePairEncoder&&) noexcept;
    BytePairEncoder& operator=(BytePairEncoder&&) noexcept;

    // Appends the ids for `piece` (raw bytes, not yet mapped to the byte-level alphabet).
    // Thread-safe; short pieces are memoised.
    void encode(std::string_view piece, std::vector<int32_t>& out) const;

private:
    void merge_word(std::string_view piece, std::vector<int32_t>& out) const;

    std::array<int32_t, 256> byte_ids_{};
    MergeTable merges_;
    struct Cache;
    std::unique_ptr<Cache> cache_;  // behind a pointer: it holds a mutex, which cannot move
};

}  // namespace pictor::qwen3
