#include "models/qwen3/tokenizer_bpe.h"

#include <mutex>
#include <unordered_map>
#include <queue>

#include "models/qwen3/tokenizer_byte_level.h"
#include "util/error.h"

namespace pictor::qwen3 {

// Prompts repeat words a lot ("the", " a", ","), so remembering short pieces saves most of the
// merge work. Bounded by clearing: simple, and a refill costs only a few milliseconds.
struct BytePairEncoder::Cache {
    // Transparent, so find() takes the piece as a string_view without copying it.
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    static constexpr size_t kMaxPieceBytes = 64;
    static constexpr size_t kMaxEntries = 65536;
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>, Hash, std::equal_to<>> entries;
};

BytePairEncoder::BytePairEncoder(const Vocabulary& vocab, const std::vector<std::pair<std::string, std::string>>& merges)
    : cache_(std::make_unique<Cache>()) {
    const auto alphabet = byte_to_unicode_table();
    for (int b = 0; b < 256; ++b) {
        std::string symbol;
        append_utf8(symbol, alphabet[b]);
        byte_ids_[b] = vocab.find(symbol);
        // Without byte_fallback or an unknown token, a missing byte would silently drop text.
        if (byte_ids_[b] < 0) throw Error(ErrorKind::Corrupt, "tokenizer vocabulary lacks the token for byte " + std::to_string(b));
    }
    std::string joined;
    const auto lookup = [&](const std::string& token, size_t rank) {
        const int32_t id = vocab.find(token);
        if (id < 0) {
            throw Error(ErrorKind::Corrupt, "tokenizer merge " + std::to_string(rank) + " uses token '" + token +
                                                "' that is not in the vocabulary");
        }
        return id;
    };
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [left, right] = merges[rank];
        const int32_t left_id = lookup(left, rank);
        const int32_t right_id = lookup(right, rank);
        joined.assign(left).append(right);
        const int32_t merged_id = lookup(joined, rank);
        // A repeated pair keeps its last rank, as in Hugging Face (and GPT-2's dict(zip(...))).
        merges_.insert_or_assign(left_id, right_id, MergeTable::Merge{static_cast<uint32_t>(rank), merged_id});
    }
}

BytePairEncoder::~BytePairEncoder() = default;
BytePairEncoder::BytePairEncoder(BytePairEncoder&&) noexcept = default;
BytePairEncoder& BytePairEncoder::operator=(BytePairEncoder&&) noexcept = default;

void BytePairEncoder::encode(std::string_view piece, std::vector<int32_t>& out) const {
    if (piece.empty()) return;
    if (piece.size() == 1) {
        out.push_back(byte_ids_[static_cast<uint8_t>(piece[0])]);
        return;
    }
    if (piece.size() > Cache::kMaxPieceBytes) {
        merge_word(piece, out);
        return;
    }
    {
        const std::lock_guard lock(cache_->mutex);
        const auto it = cache_->entries.find(piece);
        if (it != cache_->entries.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    const size_t first = out.size();
    merge_word(piece, out);
    std::vector<int32_t> ids(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    const std::lock_guard lock(cache_->mutex);
    if (cache_->entries.size() >= Cache::kMaxEntries) cache_->entries.clear();
    cache_->entries.emplace(std::string(piece), std::move(ids));
}

// The merge loop of Hugging Face's Word::merge_all: symbols form a doubly linked list; a min-heap
// holds candidate merges ordered by (rank, position). A popped candidate is stale if its left
// symbol was absorbed, has no right neighbour any more, or the pair there now merges into a
// different token -- then it is skipped. O(n log n) in the piece length, so one very long
// "word" (10,000 identical letters) stays fast.
void BytePairEncoder::merge_word(std::string_view piece, std::vector<int32_t>& out) const {
    struct Symbol {
        int32_t id;
        int32_t prev;
        int32_t next;
        bool alive;
    };
    struct Candidate {
        uint32_t rank;
        int32_t pos;
        int32_t id;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    const int32_t n = static_cast<int32_t>(piece.size());
    std::vector<Symbol> symbols(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
        symbols[i] = Symbol{byte_ids_[static_cast<uint8_t>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1, true};
    }
    std::vector<Candidate> storage;
    storage.reserve(static_cast<size_t>(n));
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue(std::greater<>{}, std::move(storage));
    const auto push_pair = [&](int32_t pos) {
        const int32_t next = symbols[pos].next;
        if (next < 0) return;
        if (const MergeTable::Merge* m = merges_.find(symbols[pos].id, symbols[next].id)) {
            queue.push(Candidate{m->rank, pos, m->id});
        }
    };
    for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& left = symbols[top.pos];
        if (!left.alive || left.next < 0) continue;
        Symbol& right = symbols[left.next];
        const MergeTable::Merge* m = merges_.find(left.id, right.id);
        if (m == nullptr || m->id != top.id) continue;
        left.id = top.id;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = top.pos;
        if (left.prev >= 0) push_pair(left.prev);
        push_pair(top.pos);
    }
    for (int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace pictor::qwen3
