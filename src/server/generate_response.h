// The JSON objects /api/generate answers with for image models (reference §2.1.3–2.1.5):
// progress frames, the final frame, and the load/unload answers.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "server/image_service.h"

namespace pictor::server {

// Frames keep the reference's field order (Go encodes struct fields in declaration order), so
// byte-level comparisons with Ollama's output line up; pictor's own "seed" comes last.
using Frame = nlohmann::ordered_json;

// {"model","created_at","response":"","done":false,"completed":N,"total":T}; completed and total
// are omitted when zero, as Go's omitempty does (so step 0 carries only total).
Frame progress_frame(const std::string& model, std::chrono::system_clock::time_point now, int completed, int total);

// {"model","created_at","response":"","done":true,"done_reason":"stop","total_duration",
//  "load_duration","image":"<base64 PNG>","seed":N}
Frame final_frame(const std::string& model, std::chrono::system_clock::time_point now, const ImageResult& r);

// {"model","created_at","response":"","done":true,"done_reason":"load"|"unload"}
Frame done_frame(const std::string& model, std::chrono::system_clock::time_point now, const std::string& reason);

// One NDJSON line (compact JSON plus '\n'), invalid UTF-8 replaced.
std::string ndjson_line(const Frame& j);

}  // namespace pictor::server
