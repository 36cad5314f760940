#include "server/create_job.h"

#include "server/api_types.h"
#include "server/http_errors.h"

namespace pictor::server {

CreateJob::CreateJob(store::ModelStore& store, create::CreateRequest req)
    : thread_([this, &store, req = std::move(req)] { run(store, req); }) {}

CreateJob::~CreateJob() {
    cancel();
    if (thread_.joinable()) thread_.join();
}

void CreateJob::run(store::ModelStore& store, const create::CreateRequest& req) {
    try {
        auto on_progress = [this](const create::Progress& p) {
            Event e;
            e.frame = status_frame(p.status, p.completed, p.total);
            push(std::move(e));
        };
        create::create_model(store, req, on_progress, &cancel_);
        Event done;
        done.kind = Event::Kind::Success;
        done.frame = nlohmann::ordered_json{{"status", "success"}};
        push(std::move(done));
    } catch (...) {
        auto [status, message] = describe_current_exception();
        Event failed;
        failed.kind = Event::Kind::Failure;
        failed.http_status = status;
        failed.message = message;
        failed.frame = nlohmann::ordered_json{{"error", message}};
        push(std::move(failed));
    }
}

void CreateJob::push(Event e) {
    {
        std::lock_guard lock(mu_);
        // Byte progress of one file replaces its previous, unsent frame.
        if (e.kind == Event::Kind::Progress && !events_.empty() && events_.back().kind == Event::Kind::Progress &&
            events_.back().frame.value("status", "") == e.frame.value("status", "") && e.frame.contains("total"))
            events_.back() = std::move(e);
        else
            events_.push_back(std::move(e));
    }
    cv_.notify_one();
}

std::optional<CreateJob::Event> CreateJob::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return !events_.empty(); })) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

CreateJob::Event CreateJob::wait_next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !events_.empty(); });
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

}  // namespace pictor::server
