// One ImageService::generate() on a thread of its own, for streaming responses: httplib writes
// a chunked body from a content provider that runs after the handler returns, so the handler
// starts the generation here, waits for its first denoising frame (failures before it still
// get a proper HTTP status), and the provider drains the rest. RAII: destroying the task
// cancels the generation and joins the thread, so a dropped response cannot leak a generation.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "server/image_service.h"

namespace pictor::server {

class GenerationTask {
public:
    struct Update {
        std::vector<ImageProgress> progress;  // in order, since the previous next()
        bool done = false;
        std::optional<ImageResult> result;    // when done and successful
        std::exception_ptr error;             // when done and failed
    };

    GenerationTask(ImageService& images, ImageRequest req);
    ~GenerationTask();
    GenerationTask(const GenerationTask&) = delete;
    GenerationTask& operator=(const GenerationTask&) = delete;

    // Asks the generation to stop (the client left); the task then ends with Cancelled.
    void cancel() { cancel_ = true; }
    // Waits up to `timeout` for progress or the end; returns whatever is new.
    Update next(std::chrono::milliseconds timeout);

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<ImageProgress> progress_;
    bool done_ = false;
    std::optional<ImageResult> result_;
    std::exception_ptr error_;
    std::atomic<bool> cancel_{false};
    std::thread thread_;
};

}  // namespace pictor::server
