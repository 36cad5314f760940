#include "server/image_stream_job.h"

#include "server/http_errors.h"

namespace pictor::server {

ImageStreamJob::ImageStreamJob(ImageService& service, ImageRequest base, int n, uint64_t first_seed)
    : thread_([this, &service, base = std::move(base), n, first_seed] {
          Event last;
          try {
              last.images = generate_batch(
                  service, base, n, first_seed,
                  [this](const BatchProgress& p) {
                      Event e;
                      e.progress = p;
                      push(std::move(e));
                  },
                  [this] { return cancelled_.load(); });
              last.kind = Event::Kind::Done;
          } catch (...) {
              last.kind = Event::Kind::Failed;
              std::tie(last.status, last.message) = describe_current_exception();
          }
          push(std::move(last));
      }) {}

ImageStreamJob::~ImageStreamJob() {
    cancel();
    if (thread_.joinable()) thread_.join();
}

void ImageStreamJob::push(Event e) {
    {
        std::lock_guard lock(mu_);
        events_.push_back(std::move(e));
    }
    cv_.notify_all();
}

std::optional<ImageStreamJob::Event> ImageStreamJob::next(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [this] { return !events_.empty(); })) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

}  // namespace pictor::server
