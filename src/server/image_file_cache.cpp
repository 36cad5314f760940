#include "server/image_file_cache.h"

#include <array>
#include <cstdint>

#include <openssl/rand.h>

#include "util/error.h"

namespace pictor::server {
namespace {

std::string random_id() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        fail(ErrorKind::Internal, "no random bytes for an image id (OpenSSL RAND_bytes failed)");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    id.reserve(32);
    for (unsigned char b : bytes) {
        id.push_back(kHex[b >> 4]);
        id.push_back(kHex[b & 15]);
    }
    return id;
}

}  // namespace

ImageFileCache::ImageFileCache(Limits limits, Clock clock) : limits_(limits), clock_(std::move(clock)) {}

bool ImageFileCache::valid_id(std::string_view id) {
    if (id.size() != 32) return false;
    for (char c : id)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

void ImageFileCache::drop_oldest_locked() {
    bytes_ -= order_.front().png->size();
    by_id_.erase(order_.front().id);
    order_.pop_front();
}

void ImageFileCache::expire_locked(std::chrono::steady_clock::time_point now) {
    while (!order_.empty() && now - order_.front().stored >= limits_.ttl) drop_oldest_locked();
}

void ImageFileCache::make_room_locked(size_t incoming_bytes) {
    while (!order_.empty() &&
           (order_.size() + 1 > limits_.max_entries || bytes_ + incoming_bytes > limits_.max_bytes))
        drop_oldest_locked();
}

std::string ImageFileCache::put(std::string png) {
    auto data = std::make_shared<const std::string>(std::move(png));
    std::string id = random_id();
    std::lock_guard lock(mu_);
    // 128 random bits do not collide in practice; the check keeps the map and the queue in step
    // even if the random source were broken.
    while (by_id_.count(id)) id = random_id();
    const auto now = clock_();
    expire_locked(now);
    make_room_locked(data->size());
    bytes_ += data->size();
    by_id_.emplace(id, data);
    order_.push_back(Entry{id, std::move(data), now});
    return id;
}

std::shared_ptr<const std::string> ImageFileCache::get(std::string_view id) {
    if (!valid_id(id)) return nullptr;
    std::lock_guard lock(mu_);
    expire_locked(clock_());
    auto it = by_id_.find(std::string(id));
    return it == by_id_.end() ? nullptr : it->second;
}

size_t ImageFileCache::size() const {
    std::lock_guard lock(mu_);
    return order_.size();
}

size_t ImageFileCache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

}  // namespace pictor::server
