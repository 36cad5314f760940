#include "store/digest.h"

#include "util/error.h"

namespace pictor::store {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Lowercase hex of a digest already known to be valid.
std::string lower_hex(std::string_view d) {
    std::string hex(d.substr(7));
    for (char& c : hex)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return hex;
}

void require_valid(std::string_view d) {
    // The bad value is deliberately not echoed in full: it may be arbitrary bytes from a request.
    if (!is_valid_digest(d)) fail(ErrorKind::InvalidArgument, "invalid digest format");
}

}  // namespace

bool is_valid_digest(std::string_view d) {
    if (d.size() != 7 + 64 || d.substr(0, 6) != "sha256" || (d[6] != ':' && d[6] != '-')) return false;
    for (char c : d.substr(7))
        if (!is_hex(c)) return false;
    return true;
}

std::string normalize_digest(std::string_view d) {
    require_valid(d);
    return "sha256:" + lower_hex(d);
}

std::string digest_file_name(std::string_view d) {
    require_valid(d);
    return "sha256-" + lower_hex(d);
}

}  // namespace pictor::store
