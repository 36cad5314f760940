// One store operation (create, pull, push) running on its own thread for an HTTP request. The
// HTTP side pulls events at its own pace: progress frames for the same status are coalesced, so
// a slow client never makes the queue grow. Destroying the job cancels the work and waits for
// it; the operations leave no manifest behind when cancelled.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace httplib {
struct Response;
}

namespace pictor::server {

class StoreJob {
public:
    struct Event {
        enum class Kind { Progress, Success, Failure };
        Kind kind = Kind::Progress;
        nlohmann::ordered_json frame;  // what goes on the wire: a status frame, {"status":"success"} or {"error":...}
        int http_status = 200; // for Failure: the status a not-yet-started response should get
        std::string message;   // for Failure
        bool terminal() const { return kind != Kind::Progress; }
    };
    // The operation: reports status frames through `emit`, stops (throwing) when `cancel` is set,
    // returns normally on success, throws pictor::Error (or anything) on failure.
    using Emit = std::function<void(nlohmann::ordered_json frame)>;
    using Work = std::function<void(const Emit& emit, const std::atomic<bool>& cancel)>;

    explicit StoreJob(Work work);
    ~StoreJob();
    StoreJob(const StoreJob&) = delete;
    StoreJob& operator=(const StoreJob&) = delete;

    // The next event, or nullopt when none arrived within `timeout`.
    std::optional<Event> next(std::chrono::milliseconds timeout);
    // Blocks until the next event.
    Event wait_next();
    void cancel() { cancel_.store(true); }

private:
    void run(const Work& work);
    void push(Event e);

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> events_;
    std::atomic<bool> cancel_{false};
    std::thread thread_;  // last: starts after everything it touches exists
};

// Answers a request with a job's events. The response is held until the job has sent
// `held_events` events (the operation's early checks: a missing model, a bad folder) or ended,
// so that a request that fails early gets a real status code instead of a 200 stream. Then:
// NDJSON frames when `stream`, else the final frame (or the error) as one JSON answer. A client
// that disconnects cancels the job.
void reply_with_job(std::shared_ptr<StoreJob> job, bool stream, int held_events, httplib::Response& res);

}  // namespace pictor::server
