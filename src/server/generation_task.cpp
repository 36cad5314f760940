#include "server/generation_task.h"

namespace pictor::server {

GenerationTask::GenerationTask(ImageService& images, ImageRequest req) {
    thread_ = std::thread([this, &images, req = std::move(req)] {
        std::optional<ImageResult> result;
        std::exception_ptr error;
        try {
            result = images.generate(
                req,
                [this](const ImageProgress& p) {
                    std::lock_guard lock(mu_);
                    progress_.push_back(p);
                    cv_.notify_all();
                },
                [this] { return cancel_.load(); });
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard lock(mu_);
        done_ = true;
        result_ = std::move(result);
        error_ = error;
        cv_.notify_all();
    });
}

GenerationTask::~GenerationTask() {
    cancel_ = true;
    if (thread_.joinable()) thread_.join();
}

GenerationTask::Update GenerationTask::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return done_ || !progress_.empty(); });
    Update u;
    u.progress.assign(progress_.begin(), progress_.end());
    progress_.clear();
    u.done = done_;
    if (done_) {
        u.result = result_;
        u.error = error_;
    }
    return u;
}

}  // namespace pictor::server
