#include "transfer/url.h"

#include <cctype>

#include "util/error.h"

namespace pictor::transfer {

Url Url::parse(std::string_view s) {
    Url u;
    const size_t sep = s.find("://");
    if (sep == std::string_view::npos) fail(ErrorKind::InvalidArgument, "not an absolute URL: " + std::string(s));
    u.scheme = std::string(s.substr(0, sep));
    for (char& c : u.scheme) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (u.scheme != "http" && u.scheme != "https")
        fail(ErrorKind::InvalidArgument, "unsupported URL scheme '" + u.scheme + "' in " + std::string(s));
    std::string_view rest = s.substr(sep + 3);
    const size_t slash = rest.find_first_of("/?");
    u.host = std::string(rest.substr(0, slash));
    if (u.host.empty()) fail(ErrorKind::InvalidArgument, "URL without a host: " + std::string(s));
    u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (u.target[0] == '?') u.target = "/" + u.target;
    return u;
}

Url Url::resolve(std::string_view location) const {
    if (location.find("://") != std::string_view::npos) return parse(location);
    if (location.empty() || location[0] != '/')
        fail(ErrorKind::InvalidArgument, "unsupported relative location: " + std::string(location));
    Url u = *this;
    u.target = std::string(location);
    return u;
}

Url Url::with_query(std::string_view key, std::string_view value) const {
    Url u = *this;
    u.target += (u.target.find('?') == std::string::npos ? '?' : '&');
    u.target.append(key).append("=").append(value);
    return u;
}

}  // namespace pictor::transfer
