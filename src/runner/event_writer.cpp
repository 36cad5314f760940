#include "runner/event_writer.h"

#include <unistd.h>

#include <cerrno>

namespace pictor::runner {

bool EventWriter::write(const Event& e) {
    std::string line = serialize(e);
    line += '\n';
    std::lock_guard lock(mu_);
    size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace pictor::runner
