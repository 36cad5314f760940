#include "server/memory_info.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace pictor::server {

std::optional<MemoryInfo> parse_meminfo(std::string_view text) {
    MemoryInfo m;
    bool have_total = false, have_avail = false;
    std::istringstream in{std::string(text)};
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib) {
        std::getline(in, unit);
        if (key == "MemTotal:") m.total = kib * 1024, have_total = true;
        else if (key == "MemAvailable:") m.available = kib * 1024, have_avail = true;
    }
    if (!have_total) return std::nullopt;
    if (!have_avail) m.available = m.total;  // very old kernels: no estimate, assume no pressure
    return m;
}

std::optional<MemoryInfo> read_meminfo() {
    std::ifstream f("/proc/meminfo");
    if (!f) return std::nullopt;
    std::stringstream ss;
    ss << f.rdbuf();
    return parse_meminfo(ss.str());
}

std::string format_bytes(uint64_t b) {
    char buf[64];
    if (b >= (uint64_t(1) << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", double(b) / double(uint64_t(1) << 30));
    else std::snprintf(buf, sizeof buf, "%.1f MiB", double(b) / double(uint64_t(1) << 20));
    return buf;
}

}  // namespace pictor::server
