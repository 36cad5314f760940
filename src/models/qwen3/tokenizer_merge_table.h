// (left id, right id) -> (rank, merged id) for BPE. A flat open-addressing table: the merge loop
// looks a pair up for every candidate, so one cache miss per lookup instead of a node chase.
#pragma once

#include <cstdint>
#include <vector>

namespace pictor::qwen3 {

class MergeTable {
public:
    struct Merge {
        uint32_t rank;
        int32_t id;  // the merged token
    };

    // Sets the merge for (left, right); ids are non-negative.
    void insert_or_assign(int32_t left, int32_t right, Merge merge) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        Slot& s = slots_[probe(key(left, right))];
        if (s.key == kEmpty) ++size_;
        s = Slot{key(left, right), merge};
    }

    // The merge for (left, right), or nullptr.
    const Merge* find(int32_t left, int32_t right) const {
        if (slots_.empty()) return nullptr;
        const Slot& s = slots_[probe(key(left, right))];
        return s.key == kEmpty ? nullptr : &s.merge;
    }

private:
    // Both ids are non-negative, so a key with the sign bits set never occurs.
    static constexpr uint64_t kEmpty = ~uint64_t{0};
    struct Slot {
        uint64_t key = kEmpty;
        Merge merge{};
    };
    static uint64_t key(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }
    size_t probe(uint64_t k) const {
        const size_t mask = slots_.size() - 1;
        // Fibonacci hashing: the multiply spreads both ids over the high bits.
        for (size_t i = (k * 0x9e3779b97f4a7c15ull) >> (64 - shift_);; i = (i + 1) & mask) {
            if (slots_[i].key == k || slots_[i].key == kEmpty) return i;
        }
    }
    void grow() {
        std::vector<Slot> old = std::move(slots_);
        shift_ = old.empty() ? 10 : shift_ + 1;
        slots_.assign(size_t{1} << shift_, Slot{});
        for (const Slot& s : old) {
            if (s.key != kEmpty) slots_[probe(s.key)] = s;
        }
    }

    std::vector<Slot> slots_;  // 2^shift_ slots, at most half full
    unsigned shift_ = 0;
    size_t size_ = 0;
};

}  // namespace pictor::qwen3
