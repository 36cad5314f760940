// The one place where failures become HTTP responses: every error body is {"error": "..."}
// with the status that pictor::ErrorKind maps to (util/error.h). Handlers throw; the router
// calls respond_with_current_exception() at the edge.
#pragma once

#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace pictor::server {

class Logger;

void set_json(httplib::Response& res, int status, const nlohmann::json& body);
void set_json(httplib::Response& res, int status, const nlohmann::ordered_json& body);
void set_error(httplib::Response& res, int status, std::string_view message);
// {"error":"..."} plus newline, for NDJSON streams that already sent their headers.
std::string error_line(std::string_view message);

// Call only inside a catch block. pictor::Error -> its status; JSON/std exceptions -> 500
// (logged, because they mean a bug rather than bad input). Never throws.
void respond_with_current_exception(httplib::Response& res, Logger* log) noexcept;
// Status and message for the in-flight exception, for streams that report errors in-band.
std::pair<int, std::string> describe_current_exception() noexcept;

}  // namespace pictor::server
