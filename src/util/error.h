// Typed errors. Every layer throws pictor::Error with a kind that says what went wrong from the
// caller's point of view; the edges (HTTP handlers, CLI) map the kind to a status or exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace pictor {

enum class ErrorKind {
    InvalidArgument,  // bad input from the user: name, request field, flag     -> 400
    NotFound,         // model, blob, file that does not exist                    -> 404
    Corrupt,          // a file or blob that exists but fails validation         -> 500 (422 on upload)
    Io,               // the operating system said no (disk full, permission)    -> 500
    Unavailable,      // busy: queue full, server not reachable                  -> 503
    Cancelled,        // the client went away or asked to stop                    -> 499
    Unsupported,      // a valid request we do not implement (yet)                -> 501
    Internal,         // a bug or an invariant that did not hold                  -> 500
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

// HTTP status conventionally used for each kind at the server edge.
inline int http_status(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::InvalidArgument: return 400;
        case ErrorKind::NotFound: return 404;
        case ErrorKind::Cancelled: return 499;
        case ErrorKind::Unavailable: return 503;
        case ErrorKind::Unsupported: return 501;
        case ErrorKind::Corrupt:
        case ErrorKind::Io:
        case ErrorKind::Internal: return 500;
    }
    return 500;
}

}  // namespace pictor
