#include "server/generate_response.h"

#include "server/format.h"
#include "util/base64.h"

namespace pictor::server {


namespace {
Frame head(const std::string& model, std::chrono::system_clock::time_point now, bool done) {
    return Frame{{"model", model}, {"created_at", rfc3339(now)}, {"response", ""}, {"done", done}};
}
}  // namespace

Frame progress_frame(const std::string& model, std::chrono::system_clock::time_point now, int completed, int total) {
    Frame j = head(model, now, false);
    if (completed != 0) j["completed"] = completed;
    if (total != 0) j["total"] = total;
    return j;
}

Frame final_frame(const std::string& model, std::chrono::system_clock::time_point now, const ImageResult& r) {
    Frame j = head(model, now, true);
    j["done_reason"] = "stop";
    j["total_duration"] = static_cast<int64_t>(r.total_duration.count());
    j["load_duration"] = static_cast<int64_t>(r.load_duration.count());
    j["image"] = base64_encode(std::string_view(r.png));
    j["seed"] = r.seed;
    return j;
}

Frame done_frame(const std::string& model, std::chrono::system_clock::time_point now, const std::string& reason) {
    Frame j = head(model, now, true);
    j["done_reason"] = reason;
    return j;
}

std::string ndjson_line(const Frame& j) {
    return j.dump(-1, ' ', false, Frame::error_handler_t::replace) + "\n";
}

}  // namespace pictor::server
