// One import running on its own thread for POST /api/create. The HTTP side pulls events at
// its own pace: progress frames for the same status are coalesced, so a slow client never makes
// the queue grow. Destroying the job cancels the import and waits for it; create_model leaves
// no manifest behind when cancelled.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "create/import.h"
#include "store/model_store.h"

namespace pictor::server {

class CreateJob {
public:
    struct Event {
        enum class Kind { Progress, Success, Failure };
        Kind kind = Kind::Progress;
        nlohmann::ordered_json frame;  // what goes on the wire: a status frame, {"status":"success"} or {"error":...}
        int http_status = 200; // for Failure: the status a not-yet-started response should get
        std::string message;   // for Failure
        bool terminal() const { return kind != Kind::Progress; }
    };

    CreateJob(store::ModelStore& store, create::CreateRequest req);
    ~CreateJob();
    CreateJob(const CreateJob&) = delete;
    CreateJob& operator=(const CreateJob&) = delete;

    // The next event, or nullopt when none arrived within `timeout`.
    std::optional<Event> next(std::chrono::milliseconds timeout);
    // Blocks until the next event.
    Event wait_next();
    void cancel() { cancel_.store(true); }

private:
    void run(store::ModelStore& store, const create::CreateRequest& req);
    void push(Event e);

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> events_;
    std::atomic<bool> cancel_{false};
    std::thread thread_;  // last: starts after everything it touches exists
};

}  // namespace pictor::server
