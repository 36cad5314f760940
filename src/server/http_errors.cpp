#include "server/http_errors.h"

#include "server/logger.h"
#include "util/error.h"

namespace pictor::server {

void set_json(httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    // `replace` keeps a response valid JSON even if a file name with invalid UTF-8 reaches it.
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json; charset=utf-8");
}

void set_json(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                    "application/json; charset=utf-8");
}

void set_error(httplib::Response& res, int status, std::string_view message) {
    set_json(res, status, nlohmann::json{{"error", std::string(message)}});
}

std::string error_line(std::string_view message) {
    return nlohmann::json{{"error", std::string(message)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
}

std::pair<int, std::string> describe_current_exception() noexcept {
    try {
        throw;
    } catch (const Error& e) {
        return {http_status(e.kind()), e.what()};
    } catch (const std::bad_alloc&) {
        return {500, "out of memory"};
    } catch (const std::exception& e) {
        return {500, std::string("internal error: ") + e.what()};
    } catch (...) {
        return {500, "internal error"};
    }
}

void respond_with_current_exception(httplib::Response& res, Logger* log) noexcept {
    try {
        auto [status, message] = describe_current_exception();
        if (status >= 500 && log) log->warn("request failed: " + message);
        set_error(res, status, message);
    } catch (...) {
        // Formatting the error failed (out of memory): leave a bare status rather than crash.
        res.status = 500;
    }
}

}  // namespace pictor::server
