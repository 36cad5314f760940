// Generated images kept in memory so that response_format "url" can point at them
// (GET /v1/images/files/<id>.png, product.md §2.2). Bounded by count and bytes, oldest evicted
// first; entries otherwise live for the configured time (default one hour). Ids are 128 random
// bits in hex: unguessable, so one client cannot read another's images, and a fixed shape,
// so nothing a client sends can become a path.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pictor::server {

// At namespace scope because a nested struct with member initializers cannot be a default
// argument of its enclosing class's constructor (the class is incomplete there).
struct ImageCacheLimits {
    size_t max_bytes = size_t{256} << 20;
    size_t max_entries = 512;
    std::chrono::seconds ttl{3600};
};

class ImageFileCache {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    using Limits = ImageCacheLimits;

    explicit ImageFileCache(Limits limits = {}, Clock clock = &std::chrono::steady_clock::now);

    // Stores the PNG and returns its id (32 lowercase hex digits). An image larger than
    // max_bytes on its own is still kept (alone) rather than lost: the client was promised a URL.
    std::string put(std::string png);
    // nullptr when the id is unknown, expired, evicted or not of the id shape.
    std::shared_ptr<const std::string> get(std::string_view id);

    static bool valid_id(std::string_view id);

    size_t size() const;
    size_t bytes() const;

private:
    struct Entry {
        std::string id;
        std::shared_ptr<const std::string> png;
        std::chrono::steady_clock::time_point stored;
    };
    void drop_oldest_locked();
    void expire_locked(std::chrono::steady_clock::time_point now);
    void make_room_locked(size_t incoming_bytes);

    Limits limits_;
    Clock clock_;
    mutable std::mutex mu_;
    std::deque<Entry> order_;  // oldest first; ids are unique so expiry and eviction pop the front
    std::unordered_map<std::string, std::shared_ptr<const std::string>> by_id_;
    size_t bytes_ = 0;
};

}  // namespace pictor::server
