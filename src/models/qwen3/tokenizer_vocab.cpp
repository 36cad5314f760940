#include "models/qwen3/tokenizer_vocab.h"

#include <limits>

#include "util/error.h"

namespace pictor::qwen3 {

uint64_t Vocabulary::hash_of(std::string_view s) {
    // FNV-1a, then a final mix so that the low bits (the slot index) depend on every byte.
    uint64_t h = 1469598103934665603ull;
    for (const char c : s) {
        h ^= static_cast<uint8_t>(c);
        h *= 1099511628211ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

size_t Vocabulary::probe(std::string_view token, uint64_t hash) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.id < 0) return i;
        if (s.hash == static_cast<uint32_t>(hash >> 32) && std::string_view(arena_).substr(s.offset, s.length) == token) {
            return i;
        }
    }
}

void Vocabulary::grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.id < 0) continue;
        // Rehashing needs the full hash; recompute from the arena (cheap: tokens are short).
        size_t i = hash_of(std::string_view(arena_).substr(s.offset, s.length)) & mask;
        while (slots_[i].id >= 0) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

void Vocabulary::insert_or_assign(std::string_view token, int32_t id) {
    if (id < 0) throw Error(ErrorKind::Internal, "negative token id");
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const uint64_t hash = hash_of(token);
    Slot& s = slots_[probe(token, hash)];
    if (s.id < 0) {
        if (arena_.size() + token.size() > std::numeric_limits<uint32_t>::max()) {
            throw Error(ErrorKind::Corrupt, "tokenizer vocabulary is too large");
        }
        s.offset = static_cast<uint32_t>(arena_.size());
        s.length = static_cast<uint32_t>(token.size());
        s.hash = static_cast<uint32_t>(hash >> 32);
        arena_.append(token);
        ++size_;
    }
    s.id = id;
}

int32_t Vocabulary::find(std::string_view token) const {
    if (slots_.empty()) return -1;
    return slots_[probe(token, hash_of(token))].id;
}

}  // namespace pictor::qwen3
