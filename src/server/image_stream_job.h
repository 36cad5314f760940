// One streaming image request ("stream": true on /v1/images/generations): the batch runs on a
// thread of its own while the HTTP connection's thread takes its events and writes them as
// SSE. The split exists because httplib writes a streamed body only from inside its content
// provider callback, and generation must not block that callback's view of a departed client.
// Destroying the job cancels the generation and waits for the thread (the service promises to
// stop within about a second of cancelled() turning true).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/image_batch.h"

namespace pictor::server {

class ImageStreamJob {
public:
    struct Event {
        enum class Kind { Progress, Done, Failed };
        Kind kind = Kind::Progress;
        BatchProgress progress;           // Progress
        std::vector<ImageResult> images;  // Done
        int status = 0;                   // Failed: HTTP status of the error kind
        std::string message;              // Failed
        bool terminal() const { return kind != Kind::Progress; }
    };

    ImageStreamJob(ImageService& service, ImageRequest base, int n, uint64_t first_seed);
    ~ImageStreamJob();
    ImageStreamJob(const ImageStreamJob&) = delete;
    ImageStreamJob& operator=(const ImageStreamJob&) = delete;

    // The next event, waiting at most `wait`; nullopt when none came in time. After the
    // terminal event (Done or Failed) nothing more comes.
    std::optional<Event> next(std::chrono::milliseconds wait);
    // The client went away: the generation stops at its next cancellation check.
    void cancel() { cancelled_ = true; }
    bool cancelled() const { return cancelled_; }

private:
    void push(Event e);

    std::atomic<bool> cancelled_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> events_;
    std::thread thread_;  // last member: starts after everything it uses exists
};

}  // namespace pictor::server
