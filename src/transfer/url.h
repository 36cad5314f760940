// Absolute http(s) URLs as registries hand them out (upload locations, blob redirects): split
// into the origin httplib connects to and the path it requests, and resolved against the
// request that produced them.
#pragma once

#include <string>
#include <string_view>

namespace pictor::transfer {

struct Url {
    std::string scheme;  // "http" or "https"
    std::string host;    // host or host:port, as written
    std::string target;  // path and query, starting with '/'

    std::string origin() const { return scheme + "://" + host; }
    std::string str() const { return origin() + target; }

    // "http(s)://host[:port][/path][?query]". Error(InvalidArgument) for anything else.
    static Url parse(std::string_view absolute);
    // A Location header: absolute, or a path ("/v2/...") on this URL's origin.
    Url resolve(std::string_view location) const;
    // Adds one query parameter (value already escaped).
    Url with_query(std::string_view key, std::string_view value) const;
};

}  // namespace pictor::transfer
