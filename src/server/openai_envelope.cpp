#include "server/openai_envelope.h"

#include <nlohmann/json.hpp>

#include "server/http_errors.h"
#include "server/openai_types.h"

namespace pictor::server {

void write_current_openai_error(httplib::Response& res, Logger& log) noexcept {
    auto write = [&res](int status, std::string_view message, std::string_view param) {
        res.status = status;
        res.set_content(openai_error_body(status, message, param)
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        "application/json");
    };
    try {
        try {
            throw;
        } catch (const ParamError& e) {
            write(400, e.what(), e.param());
        } catch (...) {
            auto [status, message] = describe_current_exception();
            if (status >= 500) log.warn("openai request failed: " + message);
            write(status, message, {});
        }
    } catch (...) {
        res.status = 500;  // formatting the error failed (out of memory)
        res.set_content(R"({"error":{"message":"internal error","type":"api_error","param":null,"code":null}})",
                        "application/json");
    }
}

}  // namespace pictor::server
