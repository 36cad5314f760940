// Server-sent events framing (the text/event-stream format of the HTML standard), as the
// OpenAI image endpoint streams progress (product.md §2.1). Every event is complete in one
// string so that one write puts it on the wire whole.
#pragma once

#include <string>
#include <string_view>

namespace pictor::server {

// "event: <event>\ndata: <line>\n..." then a blank line. Each line of `data` becomes its own
// data: field (the standard joins them back with "\n"), so multi-line data survives; compact
// JSON has none anyway.
std::string sse_event(std::string_view event, std::string_view data);

// ": <text>\n\n": a comment every client ignores; written while nothing else happens so that a
// client that went away is noticed (the write fails) and proxies do not time the stream out.
std::string sse_comment(std::string_view text);

}  // namespace pictor::server
