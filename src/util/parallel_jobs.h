// A tiny fork-join pool (the import, registry transfers): N workers take job indices from a
// shared counter while the calling thread wakes up periodically to report progress. std::thread rather than OpenMP
// because libgomp's pool does not survive fork() (the kill -9 test and a forking server would
// hang), and because the progress callback must stay on the caller's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

namespace pictor::util {

// Runs job(i) for every i in [0, n) on `threads` workers (at least 1). The caller's thread runs
// tick() about every `period` and once more at the end. The first exception thrown by a job
// (or by tick) stops the hand-out of further jobs, waits for the running ones and is rethrown.
void run_parallel(size_t n, int threads, const std::function<void(size_t)>& job, const std::function<void()>& tick,
                  std::chrono::milliseconds period = std::chrono::milliseconds(100));

}  // namespace pictor::util
