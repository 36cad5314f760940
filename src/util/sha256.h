// Streaming SHA-256 on OpenSSL (uses SHA-NI where the CPU has it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pictor {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(const void* data, size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // Lowercase hex of the digest; the object cannot be updated afterwards.
    std::string hex_digest();

    static std::string hex_of(std::string_view data);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pictor
