// Writes protocol lines to the runner's stdout. Two threads write (the generation loop and the
// command reader, which answers cancels of queued requests), so a mutex keeps every line whole.
#pragma once

#include <mutex>

#include "runner/protocol.h"

namespace pictor::runner {

class EventWriter {
public:
    explicit EventWriter(int fd) : fd_(fd) {}
    // False once the reader has gone (EPIPE): the server is gone and the runner should stop.
    bool write(const Event& e);

private:
    int fd_;
    std::mutex mu_;
};

}  // namespace pictor::runner
