// The scheduler of loaded models: implements ImageService with one runner process per model.
//
// Per model (keyed by manifest digest, so two names of one model share a runner) there is a
// Slot: a FIFO queue bounded by max_queue, and a worker thread that owns the runner process,
// starts it on demand, feeds it one request at a time and relays its events. The thread that
// called generate() waits on its Job and delivers the progress callbacks itself, so a slow
// client can never stall a runner, and it notices cancellation (queued: it leaves the queue;
// running: the worker sends {"cancel":id} and the caller returns Cancelled at once).
// A reaper thread unloads runners whose keep-alive has expired; a runner that dies is reaped
// by its worker, fails the request it was serving, and is started again on the next one.
//
// Locking: one mutex (mu_) guards every Slot's and Job's shared fields; the runner process
// itself is touched only by its worker thread. Callbacks never run under the mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/image_service.h"
#include "server/keep_alive.h"
#include "store/model_store.h"

namespace pictor::server {

class Logger;

struct SchedulerOptions {
    std::filesystem::path runner_executable;  // argv[0] of runners; from_env: this binary
    std::vector<std::string> runner_args;     // appended to "runner --model NAME --models DIR"
    size_t max_queue = 64;                    // waiting requests per model (PICTOR_MAX_QUEUE)
    Millis default_keep_alive = kDefaultKeepAlive;  // PICTOR_KEEP_ALIVE
    Millis load_timeout = std::chrono::minutes(5);  // runner start to "ready"
    Millis kill_grace = std::chrono::seconds(5);    // SIGTERM to SIGKILL on unload

    static SchedulerOptions from_env();
};

class Scheduler final : public ImageService {
public:
    Scheduler(const store::ModelStore& store, Logger& log, SchedulerOptions options);
    ~Scheduler() override;  // shutdown()
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    ImageResult generate(const ImageRequest& req, const ImageProgressFn& progress,
                         const std::function<bool()>& cancelled) override;
    void load(const std::string& model, std::optional<Millis> keep_alive) override;
    bool unload(const std::string& model) override;
    std::vector<LoadedModelInfo> running() override;

    // Fails every queued and running request with Unavailable("server is shutting down"),
    // stops every runner and the reaper. Idempotent; later requests fail the same way.
    void shutdown();

    struct Job;
    struct Slot;

private:
    struct Resolved;
    Resolved resolve(const std::string& model) const;
    std::shared_ptr<Job> enqueue(const Resolved& r, std::shared_ptr<Job> job);
    ImageResult wait(const std::shared_ptr<Job>& job, const ImageProgressFn& progress,
                     const std::function<bool()>& cancelled);

    void worker_main(Slot& slot);
    void run_job(Slot& slot, Job& job);
    void ensure_runner(Slot& slot, Job& job);
    void generate_on_runner(Slot& slot, Job& job);
    // Reaps a runner whose stdout closed; returns "runner for <name> exited unexpectedly (<exit
    // status>); its last log line: <last stderr line>" and leaves the slot without a runner.
    std::string reap_dead_runner(Slot& slot, const std::string& during);
    void after_job(Slot& slot, const Job& job);  // under mu_
    void push_progress(Job& job, const ImageProgress& p);
    void finish(Job& job, std::exception_ptr error, std::optional<ImageResult> result);

    void reaper_main();
    // Removes the slot from the map (under mu_) and returns it for join_slot (outside mu_).
    std::unique_ptr<Slot> detach_slot(const std::string& key);
    void join_slot(std::unique_ptr<Slot> slot);

    const store::ModelStore& store_;
    Logger& log_;
    SchedulerOptions options_;

    std::mutex mu_;
    std::condition_variable reaper_cv_;
    std::map<std::string, std::unique_ptr<Slot>> slots_;  // by manifest digest
    bool shutting_down_ = false;
    std::thread reaper_;
};

}  // namespace pictor::server
