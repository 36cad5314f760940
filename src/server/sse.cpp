#include "server/sse.h"

namespace pictor::server {

std::string sse_event(std::string_view event, std::string_view data) {
    std::string out;
    out.reserve(event.size() + data.size() + 16);
    out += "event: ";
    out += event;
    out += '\n';
    size_t start = 0;
    while (true) {
        const size_t nl = data.find('\n', start);
        std::string_view line = data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out += "data: ";
        out += line;
        out += '\n';
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    out += '\n';
    return out;
}

std::string sse_comment(std::string_view text) {
    std::string out = ": ";
    out += text;
    out += "\n\n";
    return out;
}

}  // namespace pictor::server
