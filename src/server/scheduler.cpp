#include "server/scheduler.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <deque>

#include "runner/protocol.h"
#include "server/format.h"
#include "server/logger.h"
#include "server/memory_info.h"
#include "server/model_details.h"
#include "server/runner_process.h"
#include "util/base64.h"
#include "util/error.h"

namespace pictor::server {
namespace {

using Clock = std::chrono::steady_clock;

// Before a runner reports its own estimate: activations of a 1024² image with the full-size
// Z-Image are about 0.8 GiB (runner/memory_estimate.h); 2 GiB also covers the text encoder's
// working set and the allocator's slack.
constexpr uint64_t kActivationReserve = uint64_t(2) << 30;

// Process-directed SIGINT/SIGTERM must reach the server's signal watcher, never these threads;
// children forked here restore an empty mask before exec.
void block_stop_signals() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

std::string strip_prefix(std::string_view line) {
    constexpr std::string_view p = "runner: ";
    if (line.substr(0, p.size()) == p) line.remove_prefix(p.size());
    return std::string(line);
}

}  // namespace

struct Scheduler::Job {
    enum class Kind { Generate, Load };
    enum class State { Queued, Running, Done };

    Kind kind = Kind::Generate;
    ImageRequest req;
    std::string key;
    Clock::time_point start = Clock::now();
    Clock::time_point runner_ready{};  // set by the worker before the job reaches the runner

    // Guarded by Scheduler::mu_.
    State state = State::Queued;
    bool cancel_requested = false;
    std::vector<ImageProgress> events;
    std::optional<ImageResult> result;
    std::exception_ptr error;
    std::condition_variable cv;
};

struct Scheduler::Slot {
    std::string key, name, full_name;
    uint64_t size = 0;
    ModelDetails details;

    // Guarded by Scheduler::mu_.
    std::deque<std::shared_ptr<Job>> queue;
    std::shared_ptr<Job> running;
    enum class Runner { None, Loading, Ready } runner = Runner::None;
    uint64_t memory_estimate = 0;
    Millis keep_alive = kDefaultKeepAlive;
    Clock::time_point expires{};  // meaningful while idle
    bool unload_when_idle = false;
    bool stopping = false;
    std::condition_variable cv;

    // The worker thread's alone.
    std::unique_ptr<RunnerProcess> proc;
    uint64_t next_id = 0;
    std::thread worker;

    bool idle() const { return queue.empty() && !running; }
};

struct Scheduler::Resolved {
    std::string key, display, full_name;
    uint64_t size = 0;
    ModelDetails details;
};

SchedulerOptions SchedulerOptions::from_env() {
    SchedulerOptions o;
    std::error_code ec;
    // Resolved now: if the binary is replaced on disk while the server runs, runners keep
    // starting the program that the server is.
    o.runner_executable = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) o.runner_executable = "/proc/self/exe";
    if (const char* q = std::getenv("PICTOR_MAX_QUEUE"); q && *q) {
        char* end = nullptr;
        const long v = std::strtol(q, &end, 10);
        if (*end == '\0' && v > 0) o.max_queue = static_cast<size_t>(v);
    }
    o.default_keep_alive = keep_alive_from_env(std::getenv("PICTOR_KEEP_ALIVE"));
    return o;
}

Scheduler::Scheduler(const store::ModelStore& store, Logger& log, SchedulerOptions options)
    : store_(store), log_(log), options_(std::move(options)) {
    reaper_ = std::thread([this] { reaper_main(); });
}

Scheduler::~Scheduler() { shutdown(); }

// ---- requests ----------------------------------------------------------------------------------

Scheduler::Resolved Scheduler::resolve(const std::string& model) const {
    if (model.empty()) fail(ErrorKind::InvalidArgument, "model is required");
    const store::ModelName name = store::ModelName::parse(model);
    const auto entry = store_.find(name);
    if (!entry) fail(ErrorKind::NotFound, "model '" + model + "' not found");
    const ModelConfig cfg = read_config(store_, *entry);
    if (!cfg.is_image()) fail(ErrorKind::InvalidArgument, quote(model) + " does not support image generation");
    Resolved r;
    r.key = entry->digest_hex;
    r.display = entry->name.display();
    r.full_name = entry->name.full();
    r.size = entry->manifest.tensor_size();
    try {
        r.details = describe(store_, *entry, cfg);
    } catch (const std::exception& e) {
        log_.warn("describing " + r.display + ": " + e.what());
    }
    return r;
}

std::shared_ptr<Scheduler::Job> Scheduler::enqueue(const Resolved& r, std::shared_ptr<Job> job) {
    job->key = r.key;
    std::lock_guard lock(mu_);
    if (shutting_down_) fail(ErrorKind::Unavailable, "server is shutting down");
    auto& slot = slots_[r.key];
    if (!slot) {
        slot = std::make_unique<Slot>();
        slot->key = r.key;
        slot->name = r.display;
        slot->full_name = r.full_name;
        slot->size = r.size;
        slot->details = r.details;
        slot->keep_alive = options_.default_keep_alive;
        Slot* s = slot.get();
        s->worker = std::thread([this, s] { worker_main(*s); });
    }
    if (slot->queue.size() >= options_.max_queue)
        fail(ErrorKind::Unavailable, "server busy: the queue for " + slot->name + " is full (" +
                                         std::to_string(options_.max_queue) + " waiting); try again later");
    slot->queue.push_back(job);
    slot->cv.notify_all();
    return job;
}

ImageResult Scheduler::generate(const ImageRequest& req, const ImageProgressFn& progress,
                                const std::function<bool()>& cancelled) {
    const Resolved r = resolve(req.model);
    auto job = std::make_shared<Job>();
    job->req = req;
    enqueue(r, job);
    return wait(job, progress, cancelled);
}

void Scheduler::load(const std::string& model, std::optional<Millis> keep_alive) {
    const Resolved r = resolve(model);
    auto job = std::make_shared<Job>();
    job->kind = Job::Kind::Load;
    job->req.model = model;
    job->req.keep_alive = keep_alive;
    enqueue(r, job);
    wait(job, {}, {});
}

ImageResult Scheduler::wait(const std::shared_ptr<Job>& job, const ImageProgressFn& progress,
                            const std::function<bool()>& cancelled) {
    size_t last_position = SIZE_MAX;
    std::unique_lock lock(mu_);
    for (;;) {
        std::vector<ImageProgress> events = std::move(job->events);
        job->events.clear();
        const Job::State state = job->state;
        std::optional<size_t> position;
        if (state == Job::State::Queued) {
            if (auto it = slots_.find(job->key); it != slots_.end()) {
                const Slot& s = *it->second;
                const auto q = std::find(s.queue.begin(), s.queue.end(), job);
                position = static_cast<size_t>(q - s.queue.begin()) + (s.running ? 1 : 0);
            }
        }
        lock.unlock();
        if (progress) {
            if (position && *position != last_position) {
                ImageProgress p;
                p.phase = ImageProgress::Phase::Queued;
                p.queue_position = *position;
                progress(p);
                last_position = *position;
            }
            for (const auto& e : events) progress(e);
        }
        const bool cancel = state != Job::State::Done && cancelled && cancelled();
        lock.lock();
        if (job->state == Job::State::Done) {
            if (!job->events.empty()) continue;  // deliver the last progress first
            break;
        }
        if (cancel) {
            if (job->state == Job::State::Queued) {
                if (auto it = slots_.find(job->key); it != slots_.end()) {
                    auto& q = it->second->queue;
                    q.erase(std::remove(q.begin(), q.end(), job), q.end());
                    reaper_cv_.notify_all();  // the slot may now be idle and never loaded
                }
                job->state = Job::State::Done;
            } else {
                // The worker sends {"cancel":id}; the runner stops at its next check. Nobody
                // needs the rest of this job, so the caller does not wait for that.
                job->cancel_requested = true;
            }
            fail(ErrorKind::Cancelled, "request canceled");
        }
        job->cv.wait_for(lock, std::chrono::milliseconds(100),
                         [&] { return job->state == Job::State::Done || !job->events.empty(); });
    }
    if (job->error) std::rethrow_exception(job->error);
    ImageResult res = job->result.value_or(ImageResult{});
    const auto now = Clock::now();
    res.total_duration = now - job->start;
    res.load_duration = (job->runner_ready == Clock::time_point{} ? now : job->runner_ready) - job->start;
    return res;
}

bool Scheduler::unload(const std::string& model) {
    const Resolved r = resolve(model);
    std::unique_ptr<Slot> detached;
    {
        std::lock_guard lock(mu_);
        auto it = slots_.find(r.key);
        if (it == slots_.end()) return false;
        if (!it->second->idle()) {
            // Ollama's semantics: keep_alive 0 lets the requests in hand finish, then unloads.
            it->second->unload_when_idle = true;
            return true;
        }
        detached = detach_slot(r.key);
    }
    join_slot(std::move(detached));  // synchronous, so that a following ps no longer lists it
    return true;
}

std::vector<LoadedModelInfo> Scheduler::running() {
    std::vector<LoadedModelInfo> out;
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    const auto sys_now = std::chrono::system_clock::now();
    for (const auto& [key, s] : slots_) {
        if (s->runner == Slot::Runner::None) continue;
        LoadedModelInfo i;
        i.name = s->name;
        i.digest_hex = key;
        i.size = s->size;
        i.memory_estimate = s->memory_estimate ? s->memory_estimate : s->size + kActivationReserve;
        i.busy = s->running != nullptr;
        i.queue_length = s->queue.size();
        i.family = s->details.family;
        i.parameter_size = s->details.parameter_size;
        i.quantization_level = s->details.quantization_level;
        if (s->keep_alive < Millis(0)) i.expires_at = std::chrono::system_clock::time_point::max();
        else if (!s->idle()) i.expires_at = sys_now + s->keep_alive;  // the clock starts when it goes idle
        else i.expires_at = sys_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(s->expires - now);
        out.push_back(std::move(i));
    }
    return out;
}

void Scheduler::shutdown() {
    std::vector<std::unique_ptr<Slot>> all;
    {
        std::lock_guard lock(mu_);
        if (!shutting_down_) log_.info("stopping " + std::to_string(slots_.size()) + " runner(s)");
        shutting_down_ = true;
        std::vector<std::string> keys;
        for (const auto& [k, s] : slots_) keys.push_back(k);
        for (const auto& k : keys) all.push_back(detach_slot(k));
        reaper_cv_.notify_all();
    }
    for (auto& s : all) join_slot(std::move(s));
    if (reaper_.joinable() && reaper_.get_id() != std::this_thread::get_id()) reaper_.join();
}

// ---- the worker --------------------------------------------------------------------------------

void Scheduler::worker_main(Slot& slot) {
    block_stop_signals();
    std::unique_lock lock(mu_);
    for (;;) {
        // Wake now and then while idle to notice a runner that died between requests.
        slot.cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return slot.stopping || !slot.queue.empty(); });
        if (slot.stopping) break;
        if (slot.queue.empty()) {
            lock.unlock();
            if (slot.proc && slot.proc->poll_exit()) reap_dead_runner(slot, "while idle");
            lock.lock();
            continue;
        }
        std::shared_ptr<Job> job = slot.queue.front();
        slot.queue.pop_front();
        job->state = Job::State::Running;
        slot.running = job;
        // The request's keep-alive applies from the moment it runs: its waiter is woken before
        // after_job() runs, and ps must already show the expiry the client asked for.
        slot.keep_alive = job->req.keep_alive.value_or(options_.default_keep_alive);
        lock.unlock();
        run_job(slot, *job);
        lock.lock();
        slot.running.reset();
        after_job(slot, *job);
        job->state = Job::State::Done;
        job->cv.notify_all();
    }
    // Requests still queued when a slot is detached (only at shutdown) fail rather than hang.
    for (auto& job : slot.queue) {
        job->state = Job::State::Done;
        job->error = std::make_exception_ptr(Error(ErrorKind::Unavailable, "server is shutting down"));
        job->cv.notify_all();
    }
    slot.queue.clear();
    lock.unlock();
    if (slot.proc) {
        const ExitStatus st = slot.proc->stop();
        log_.info("unloaded " + slot.name + " (runner pid " + std::to_string(slot.proc->pid()) + ", " + st.describe() + ")");
        slot.proc.reset();
    }
}

void Scheduler::run_job(Slot& slot, Job& job) {
    try {
        ensure_runner(slot, job);
        job.runner_ready = Clock::now();
        if (job.kind == Job::Kind::Load) {
            finish(job, nullptr, ImageResult{});
            return;
        }
        {
            std::lock_guard lock(mu_);
            if (job.cancel_requested) fail(ErrorKind::Cancelled, "request canceled");
        }
        generate_on_runner(slot, job);
    } catch (...) {
        finish(job, std::current_exception(), std::nullopt);
    }
}

void Scheduler::ensure_runner(Slot& slot, Job& job) {
    // A runner that died between requests is not this request's failure: start a new one.
    if (slot.proc && slot.proc->poll_exit()) reap_dead_runner(slot, "while idle");
    if (slot.proc) return;

    // Honest memory check (product §2.10): refuse only what cannot fit at all.
    const uint64_t estimate = slot.size + kActivationReserve;
    if (const auto mem = read_meminfo()) {
        if (estimate > mem->total)
            fail(ErrorKind::Internal, "model " + slot.name + " requires about " + format_bytes(estimate) +
                                          " of memory but this machine has only " + format_bytes(mem->total));
        if (estimate > mem->available)
            log_.warn("loading " + slot.name + " needs about " + format_bytes(estimate) + " but only " +
                      format_bytes(mem->available) + " is available; expect swapping");
    }

    ImageProgress loading;
    loading.phase = ImageProgress::Phase::Loading;
    push_progress(job, loading);
    std::vector<std::string> argv = {options_.runner_executable.string(), "runner", "--model", slot.full_name,
                                     "--models", store_.root().string()};
    argv.insert(argv.end(), options_.runner_args.begin(), options_.runner_args.end());
    const std::string name = slot.name;
    slot.proc = std::make_unique<RunnerProcess>(
        argv, [this, name](std::string_view line) { log_.info("runner " + name + ": " + strip_prefix(line)); },
        options_.kill_grace);
    log_.info("starting runner for " + name + " (pid " + std::to_string(slot.proc->pid()) + ")");
    {
        std::lock_guard lock(mu_);
        slot.runner = Slot::Runner::Loading;
        slot.memory_estimate = 0;
    }

    const auto deadline = Clock::now() + options_.load_timeout;
    std::string line;
    for (;;) {
        const auto r = slot.proc->read_line(line, std::chrono::milliseconds(100));
        if (r == RunnerProcess::Read::Eof) fail(ErrorKind::Internal, reap_dead_runner(slot, "while loading"));
        if (r == RunnerProcess::Read::Timeout) {
            {
                std::lock_guard lock(mu_);
                if (slot.stopping || shutting_down_) fail(ErrorKind::Unavailable, "server is shutting down");
            }
            if (Clock::now() > deadline) {
                const std::string last = slot.proc->last_stderr_line();
                slot.proc.reset();  // stops and reaps it
                std::lock_guard lock(mu_);
                slot.runner = Slot::Runner::None;
                fail(ErrorKind::Internal, "timeout waiting for the runner of " + name + " to load" +
                                              (last.empty() ? std::string() : ": " + last));
            }
            continue;
        }
        runner::Event ev;
        try {
            ev = runner::parse_event(line);
        } catch (const std::exception& e) {
            log_.warn("runner " + name + ": " + e.what());
            continue;
        }
        if (const auto* ready = std::get_if<runner::ReadyEvent>(&ev)) {
            std::lock_guard lock(mu_);
            slot.runner = Slot::Runner::Ready;
            slot.memory_estimate = ready->memory_estimate;
            if (const auto mem = read_meminfo(); mem && ready->memory_estimate > mem->available)
                log_.warn(name + " is estimated to need " + format_bytes(ready->memory_estimate) + " at " +
                          std::to_string(ready->defaults.width) + "x" + std::to_string(ready->defaults.height) +
                          " but only " + format_bytes(mem->available) + " is available");
            return;
        }
        if (const auto* failed = std::get_if<runner::LoadFailedEvent>(&ev)) {
            slot.proc.reset();
            std::lock_guard lock(mu_);
            slot.runner = Slot::Runner::None;
            throw Error(failed->kind, failed->message);
        }
    }
}

void Scheduler::generate_on_runner(Slot& slot, Job& job) {
    runner::GenerateCommand cmd;
    cmd.id = ++slot.next_id;
    cmd.prompt = job.req.prompt;
    cmd.negative_prompt = job.req.negative_prompt;
    cmd.width = job.req.width;
    cmd.height = job.req.height;
    cmd.steps = job.req.steps;
    cmd.guidance = job.req.guidance;
    cmd.seed = job.req.seed;
    if (!slot.proc->write_line(runner::serialize(runner::Command{cmd}))) fail(ErrorKind::Internal, reap_dead_runner(slot, ""));

    bool cancel_sent = false;
    std::string line;
    for (;;) {
        const auto r = slot.proc->read_line(line, std::chrono::milliseconds(50));
        if (r == RunnerProcess::Read::Eof) fail(ErrorKind::Internal, reap_dead_runner(slot, ""));
        {
            std::unique_lock lock(mu_);
            if (slot.stopping || shutting_down_) fail(ErrorKind::Unavailable, "server is shutting down");
            const bool cancel = job.cancel_requested;
            lock.unlock();
            if (cancel && !cancel_sent) {
                log_.info("canceling request " + std::to_string(cmd.id) + " on " + slot.name);
                slot.proc->write_line(runner::serialize(runner::Command{runner::CancelCommand{cmd.id}}));
                cancel_sent = true;
            }
        }
        if (r != RunnerProcess::Read::Line) continue;
        runner::Event ev;
        try {
            ev = runner::parse_event(line);
        } catch (const std::exception& e) {
            log_.warn("runner " + slot.name + ": " + e.what());
            continue;
        }
        ImageProgress p;
        if (const auto* step = std::get_if<runner::StepEvent>(&ev)) {
            if (step->id != cmd.id) continue;
            p.phase = ImageProgress::Phase::Denoising;
            p.completed = step->step;
            p.total = step->total;
            push_progress(job, p);
        } else if (const auto* phase = std::get_if<runner::PhaseEvent>(&ev)) {
            if (phase->id != cmd.id) continue;
            p.phase = phase->phase == runner::PhaseEvent::Phase::Text ? ImageProgress::Phase::TextEncoding
                                                                      : ImageProgress::Phase::Decoding;
            push_progress(job, p);
        } else if (const auto* img = std::get_if<runner::ImageEvent>(&ev)) {
            if (img->id != cmd.id) continue;
            auto png = base64_decode(img->image_base64);
            if (!png) fail(ErrorKind::Internal, "runner for " + slot.name + " sent an image that is not valid base64");
            ImageResult res;
            res.png.assign(png->begin(), png->end());
            res.seed = img->seed;
            res.width = img->width;
            res.height = img->height;
            res.steps = img->steps;
            finish(job, nullptr, std::move(res));
            return;
        } else if (const auto* failed = std::get_if<runner::FailedEvent>(&ev)) {
            if (failed->id != cmd.id) continue;
            throw Error(failed->kind, failed->message);
        }
    }
}

std::string Scheduler::reap_dead_runner(Slot& slot, const std::string& during) {
    // EOF on stdout normally means the process is exiting; give it the grace period to finish.
    auto st = slot.proc->wait_exit(options_.kill_grace);
    const ExitStatus status = st ? *st : slot.proc->stop();
    slot.proc->join_stderr();
    const std::string last = slot.proc->last_stderr_line();
    // The exit status first: the last log line is context (often the runner's note of the
    // request it had started, when something else killed it), not necessarily the cause.
    const std::string msg = "runner for " + slot.name + " exited unexpectedly" +
                            (during.empty() ? std::string() : " " + during) + " (" + status.describe() + ")" +
                            (last.empty() ? std::string() : "; its last log line: " + last);
    log_.warn(msg);
    slot.proc.reset();
    {
        std::lock_guard lock(mu_);
        slot.runner = Slot::Runner::None;
        reaper_cv_.notify_all();
    }
    return msg;
}

void Scheduler::after_job(Slot& slot, const Job& job) {
    const Millis ka = job.req.keep_alive.value_or(options_.default_keep_alive);
    slot.keep_alive = ka;
    const bool unload = ka == Millis(0) || slot.unload_when_idle;
    if (slot.queue.empty()) {
        slot.expires = unload ? Clock::now() : Clock::now() + (ka < Millis(0) ? Millis(0) : ka);
        if (unload) {
            slot.keep_alive = Millis(0);
            slot.unload_when_idle = false;
        }
    }
    reaper_cv_.notify_all();
}

void Scheduler::push_progress(Job& job, const ImageProgress& p) {
    std::lock_guard lock(mu_);
    if (job.state == Job::State::Done) return;
    job.events.push_back(p);
    job.cv.notify_all();
}

// Records the outcome; the worker loop marks the job Done and wakes its waiter only after the
// slot's bookkeeping (running, keep-alive, expiry) is updated, so that a caller returning from
// load()/generate() sees the slot idle and with the keep-alive it asked for.
void Scheduler::finish(Job& job, std::exception_ptr error, std::optional<ImageResult> result) {
    std::lock_guard lock(mu_);
    job.error = std::move(error);
    job.result = std::move(result);
}

// ---- unloading ---------------------------------------------------------------------------------

void Scheduler::reaper_main() {
    block_stop_signals();
    std::unique_lock lock(mu_);
    while (!shutting_down_) {
        const auto now = Clock::now();
        auto next = now + std::chrono::seconds(1);
        std::vector<std::string> expired;
        for (const auto& [key, s] : slots_) {
            if (!s->idle()) continue;
            if (s->runner == Slot::Runner::None) expired.push_back(key);  // failed to load, or died
            else if (s->keep_alive < Millis(0)) continue;
            else if (s->expires <= now) expired.push_back(key);
            else next = std::min(next, s->expires);
        }
        if (!expired.empty()) {
            std::vector<std::unique_ptr<Slot>> gone;
            for (const auto& k : expired) gone.push_back(detach_slot(k));
            lock.unlock();
            for (auto& s : gone) join_slot(std::move(s));
            lock.lock();
            continue;
        }
        reaper_cv_.wait_until(lock, next);
    }
}

std::unique_ptr<Scheduler::Slot> Scheduler::detach_slot(const std::string& key) {
    auto it = slots_.find(key);
    if (it == slots_.end()) return nullptr;
    std::unique_ptr<Slot> s = std::move(it->second);
    slots_.erase(it);
    s->stopping = true;
    s->cv.notify_all();
    return s;
}

void Scheduler::join_slot(std::unique_ptr<Slot> slot) {
    if (slot && slot->worker.joinable()) slot->worker.join();
}

}  // namespace pictor::server
