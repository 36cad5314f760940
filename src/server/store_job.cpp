#include "server/store_job.h"

#include <memory>

#include "server/api_types.h"
#include "server/http_errors.h"

namespace pictor::server {

StoreJob::StoreJob(Work work) : thread_([this, work = std::move(work)] { run(work); }) {}

StoreJob::~StoreJob() {
    cancel();
    if (thread_.joinable()) thread_.join();
}

void StoreJob::run(const Work& work) {
    try {
        work([this](nlohmann::ordered_json frame) { push(Event{Event::Kind::Progress, std::move(frame), 200, {}}); },
             cancel_);
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

void StoreJob::push(Event e) {
    {
        std::lock_guard lock(mu_);
        // Byte progress of one status replaces its previous, unsent frame.
        if (e.kind == Event::Kind::Progress && !events_.empty() && events_.back().kind == Event::Kind::Progress &&
            events_.back().frame.value("status", "") == e.frame.value("status", "") && e.frame.contains("total"))
            events_.back() = std::move(e);
        else
            events_.push_back(std::move(e));
    }
    cv_.notify_one();
}

std::optional<StoreJob::Event> StoreJob::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return !events_.empty(); })) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

StoreJob::Event StoreJob::wait_next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !events_.empty(); });
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

namespace {

std::string ndjson(const nlohmann::ordered_json& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

void reply_with_job(std::shared_ptr<StoreJob> job, bool stream, int held_events, httplib::Response& res) {
    std::deque<StoreJob::Event> held;
    held.push_back(job->wait_next());
    while (!held.back().terminal() && int(held.size()) < held_events) held.push_back(job->wait_next());
    if (held.back().kind == StoreJob::Event::Kind::Failure) {
        set_error(res, held.back().http_status, held.back().message);
        return;
    }
    if (!stream) {
        StoreJob::Event e = held.back();
        while (!e.terminal()) e = job->wait_next();
        if (e.kind == StoreJob::Event::Kind::Failure) set_error(res, e.http_status, e.message);
        else set_json(res, 200, e.frame);
        return;
    }

    auto pending = std::make_shared<std::deque<StoreJob::Event>>(std::move(held));
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [job, pending](size_t, httplib::DataSink& sink) {
            try {
                std::optional<StoreJob::Event> e;
                if (!pending->empty()) {
                    e = std::move(pending->front());
                    pending->pop_front();
                } else {
                    e = job->next(std::chrono::milliseconds(250));
                }
                if (!e) return true;  // nothing new yet; httplib calls again
                const std::string line = ndjson(e->frame);
                if (!sink.write(line.data(), line.size())) {
                    job->cancel();  // the client went away
                    return false;
                }
                if (e->terminal()) sink.done();
                return true;
            } catch (...) {
                job->cancel();
                return false;
            }
        },
        [job](bool /*success*/) { job->cancel(); });
}

}  // namespace pictor::server
