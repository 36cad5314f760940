// The machine's memory as the kernel reports it (/proc/meminfo), for the scheduler's honest
// memory check: refuse only what cannot fit in MemTotal, warn when MemAvailable is short.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pictor::server {

struct MemoryInfo {
    uint64_t total = 0;      // bytes
    uint64_t available = 0;  // bytes the kernel can hand out without swapping
};

// Parses the text of /proc/meminfo; nullopt when MemTotal is missing.
std::optional<MemoryInfo> parse_meminfo(std::string_view text);
// Reads /proc/meminfo; nullopt where it does not exist (then no check is made).
std::optional<MemoryInfo> read_meminfo();

// "12.3 GiB", "512.0 MiB".
std::string format_bytes(uint64_t bytes);

}  // namespace pictor::server
