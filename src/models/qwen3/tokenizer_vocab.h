// Token string -> id map for a 150k-entry vocabulary. Open addressing over one string arena:
// building it and looking tokens up (three times per merge while loading) costs a fraction of
// what node-based std::unordered_map<std::string, int> does, which dominated load time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::qwen3 {

class Vocabulary {
public:
    // Sets the id of `token`, adding it if new.
    void insert_or_assign(std::string_view token, int32_t id);
    // The id of `token`, or -1.
    int32_t find(std::string_view token) const;
    size_t size() const { return size_; }

    // Calls f(token, id) for every entry, in no particular order.
    template <class F>
    void for_each(F&& f) const {
        for (const Slot& s : slots_) {
            if (s.id >= 0) f(std::string_view(arena_).substr(s.offset, s.length), s.id);
        }
    }

private:
    struct Slot {
        uint32_t offset = 0;  // of the token in arena_
        uint32_t length = 0;
        int32_t id = -1;      // -1: empty slot
        uint32_t hash = 0;    // low bits of the full hash, to skip most string compares
    };
    static uint64_t hash_of(std::string_view s);
    // The slot holding `token`, or the empty slot where it would go.
    size_t probe(std::string_view token, uint64_t hash) const;
    void grow();

    std::string arena_;
    std::vector<Slot> slots_;  // size is zero or a power of two, at most half full
    size_t size_ = 0;
};

}  // namespace pictor::qwen3
