// Errors of the OpenAI-compatible routes (/v1/...): whatever a handler throws becomes the
// OpenAI error envelope {"error":{"message","type","param","code"}} with its status, instead of
// the native {"error": "..."} that the router's own safety net writes.
#pragma once

#include <httplib.h>

#include "server/logger.h"
#include "server/router.h"

namespace pictor::server {

// The envelope for the exception in flight (a ParamError names its field in "param"; 5xx are
// logged). Call only inside a catch block. Never throws.
void write_current_openai_error(httplib::Response& res, Logger& log) noexcept;

// Runs a handler so that whatever it throws becomes an envelope.
template <class F>
Router::Handler enveloped(Logger& log, F f) {
    return [&log, f = std::move(f)](const httplib::Request& req, httplib::Response& res) {
        try {
            f(req, res);
        } catch (...) {
            write_current_openai_error(res, log);
        }
    };
}

}  // namespace pictor::server
