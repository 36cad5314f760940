#include "models/qwen3/tokenizer_utf8.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>

#include "util/error.h"

namespace pictor::qwen3 {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed sequence starting at `pos`, or 0 if it is ill-formed; in that case
// `subpart` is set to the length of its maximal subpart (at least 1), which is what gets replaced.
size_t well_formed_length(std::string_view s, size_t pos, size_t& subpart) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
    const uint8_t lead = byte(pos);
    subpart = 1;
    if (lead < 0x80) return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte (Table 3-7)
    if (lead >= 0xc2 && lead <= 0xdf) {
        need = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        need = 3;
        if (lead == 0xe0) lo = 0xa0;
        if (lead == 0xed) hi = 0x9f;  // excludes surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        need = 4;
        if (lead == 0xf0) lo = 0x90;
        if (lead == 0xf4) hi = 0x8f;  // excludes > U+10FFFF
    } else {
        return 0;  // 80..C1 and F5..FF never start a sequence
    }
    for (size_t k = 1; k < need; ++k) {
        if (pos + k >= s.size()) {
            subpart = k;
            return 0;
        }
        const uint8_t b = byte(pos + k);
        const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xbf);
        if (!ok) {
            subpart = k;
            return 0;
        }
    }
    return need;
}

struct FreeDeleter {
    void operator()(void* p) const noexcept { std::free(p); }
};

}  // namespace

std::string repair_utf8(std::string_view text) {
    std::string out;
    size_t pos = 0;
    size_t copied = 0;  // text[copied, pos) is valid and not yet appended
    while (pos < text.size()) {
        if (static_cast<uint8_t>(text[pos]) < 0x80) {  // fast path for ASCII runs
            ++pos;
            continue;
        }
        size_t subpart = 0;
        const size_t len = well_formed_length(text, pos, subpart);
        if (len != 0) {
            pos += len;
            continue;
        }
        if (out.empty()) out.reserve(text.size() + 16);
        out.append(text.substr(copied, pos - copied));
        out.append(kReplacement);
        pos += subpart;
        copied = pos;
    }
    if (copied == 0) return std::string(text);
    out.append(text.substr(copied));
    return out;
}

namespace {

struct CodePointRange {
    char32_t first, last;
};
constexpr CodePointRange kUnicode9Assigned[] = {
#include "models/qwen3/unicode9_assigned.inc"
};

bool assigned_in_unicode9(char32_t cp) {
    const auto* end = std::end(kUnicode9Assigned);
    const auto* it = std::upper_bound(std::begin(kUnicode9Assigned), end, cp,
                                      [](char32_t c, const CodePointRange& r) { return c < r.first; });
    return it != std::begin(kUnicode9Assigned) && cp <= (it - 1)->last;
}

// NFC with utf8proc's own (newer) Unicode tables.
std::string nfc_utf8proc(std::string_view valid_utf8) {
    if (valid_utf8.empty()) return {};
    utf8proc_uint8_t* raw = nullptr;
    // No UTF8PROC_NULLTERM: the length is explicit, so embedded NULs are ordinary characters.
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid_utf8.data()),
                                            static_cast<utf8proc_ssize_t>(valid_utf8.size()), &raw,
                                            static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    const std::unique_ptr<utf8proc_uint8_t, FreeDeleter> owned(raw);
    if (n < 0) {
        throw Error(ErrorKind::Internal, std::string("NFC normalisation failed: ") + utf8proc_errmsg(n));
    }
    return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<size_t>(n));
}

}  // namespace

std::string nfc(std::string_view valid_utf8) {
    // ASCII is always in NFC; most prompts are ASCII, so skip utf8proc for them.
    bool ascii = true;
    for (const char c : valid_utf8) {
        if (static_cast<uint8_t>(c) >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii) return std::string(valid_utf8);

    // Unicode 9.0 semantics, as Hugging Face tokenizers has them: a code point 9.0 had not
    // assigned is a starter that neither decomposes nor composes, and nothing reorders across
    // a starter, so the text splits there into pieces normalised independently, with the
    // code point itself kept as it is. utf8proc's newer tables then never see one of them.
    std::string out;
    out.reserve(valid_utf8.size());
    size_t piece = 0, pos = 0;
    while (pos < valid_utf8.size()) {
        const size_t at = pos;
        if (assigned_in_unicode9(next_code_point(valid_utf8, pos))) continue;
        out += nfc_utf8proc(valid_utf8.substr(piece, at - piece));
        out.append(valid_utf8.substr(at, pos - at));
        piece = pos;
    }
    out += nfc_utf8proc(valid_utf8.substr(piece));
    return out;
}

char32_t next_code_point(std::string_view s, size_t& pos) {
    const auto byte = [&](size_t i) -> char32_t { return static_cast<uint8_t>(s[i]); };
    const char32_t lead = byte(pos);
    if (lead < 0x80) {
        pos += 1;
        return lead;
    }
    const size_t len = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    if (pos + len > s.size()) throw Error(ErrorKind::Internal, "truncated UTF-8 sequence");
    if (lead < 0xe0) {
        const char32_t cp = ((lead & 0x1f) << 6) | (byte(pos + 1) & 0x3f);
        pos += 2;
        return cp;
    }
    if (lead < 0xf0) {
        const char32_t cp = ((lead & 0x0f) << 12) | ((byte(pos + 1) & 0x3f) << 6) | (byte(pos + 2) & 0x3f);
        pos += 3;
        return cp;
    }
    const char32_t cp = ((lead & 0x07) << 18) | ((byte(pos + 1) & 0x3f) << 12) | ((byte(pos + 2) & 0x3f) << 6) |
                        (byte(pos + 3) & 0x3f);
    pos += 4;
    return cp;
}

}  // namespace pictor::qwen3
