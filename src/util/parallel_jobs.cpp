#include "util/parallel_jobs.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pictor::util {

void run_parallel(size_t n, int threads, const std::function<void(size_t)>& job, const std::function<void()>& tick,
                  std::chrono::milliseconds period) {
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::condition_variable cv;
    std::exception_ptr first_error;
    size_t running = 0;

    auto record = [&](std::exception_ptr e) {
        std::lock_guard lk(mu);
        if (!first_error) first_error = e;
        stop = true;
    };
    auto worker = [&] {
        while (!stop) {
            size_t i = next.fetch_add(1);
            if (i >= n) break;
            try {
                job(i);
            } catch (...) {
                record(std::current_exception());
            }
        }
        std::lock_guard lk(mu);
        if (--running == 0) cv.notify_all();
    };

    const size_t nthreads = std::clamp<size_t>(size_t(std::max(threads, 1)), 1, std::max<size_t>(n, 1));
    {
        std::vector<std::jthread> pool;
        pool.reserve(nthreads);
        for (size_t t = 0; t < nthreads; ++t) {
            { std::lock_guard lk(mu); ++running; }
            try {
                pool.emplace_back(worker);
            } catch (...) {  // no thread for this slot: undo its count, keep the ones that started
                { std::lock_guard lk(mu); --running; }
                if (pool.empty()) throw;
                break;
            }
        }
        std::unique_lock lk(mu);
        while (running > 0) {
            if (cv.wait_for(lk, period, [&] { return running == 0; })) break;
            lk.unlock();
            try {
                tick();
            } catch (...) {
                record(std::current_exception());
            }
            lk.lock();
        }
    }  // joins
    if (first_error) std::rethrow_exception(first_error);
    tick();
}

}  // namespace pictor::util
