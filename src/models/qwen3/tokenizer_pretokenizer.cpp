#include "models/qwen3/tokenizer_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/error.h"

namespace pictor::qwen3 {
namespace {

// Oniguruma's \s with Unicode: TAB..CR, NEL and the Z categories (Zs, Zl, Zp).
constexpr std::string_view kSpaceItems = "\\t\\n\\x{0b}\\f\\r\\x{85}\\p{Z}";

struct CodeDeleter {
    void operator()(pcre2_code* p) const noexcept { pcre2_code_free(p); }
};
struct MatchDataDeleter {
    void operator()(pcre2_match_data* p) const noexcept { pcre2_match_data_free(p); }
};
struct MatchContextDeleter {
    void operator()(pcre2_match_context* p) const noexcept { pcre2_match_context_free(p); }
};
struct JitStackDeleter {
    void operator()(pcre2_jit_stack* p) const noexcept { pcre2_jit_stack_free(p); }
};

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(code, buffer, sizeof buffer);
    return reinterpret_cast<const char*>(buffer);
}

}  // namespace

std::string oniguruma_to_pcre2(std::string_view pattern) {
    std::string out;
    out.reserve(pattern.size() + 64);
    bool in_class = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            const char e = pattern[++i];
            if (e == 's') {
                if (in_class) {
                    out += kSpaceItems;
                } else {
                    out += '[';
                    out += kSpaceItems;
                    out += ']';
                }
            } else if (e == 'S') {
                // A negated set cannot be spliced into an enclosing class; no tokenizer uses it.
                if (in_class) throw Error(ErrorKind::Unsupported, "tokenizer regex: \\S inside a character class");
                out += "[^";
                out += kSpaceItems;
                out += ']';
            } else {
                out += c;
                out += e;
            }
            continue;
        }
        out += c;
        if (!in_class && c == '[') {
            in_class = true;
            // A ']' right after '[' or '[^' is a literal, not the end of the class.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
            if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
        } else if (in_class && c == ']') {
            in_class = false;
        }
    }
    return out;
}

struct RegexSplitter::Compiled {
    std::unique_ptr<pcre2_code, CodeDeleter> code;
};

RegexSplitter::RegexSplitter(std::string_view pattern) : compiled_(std::make_unique<Compiled>()) {
    const std::string translated = oniguruma_to_pcre2(pattern);
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    compiled_->code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                        PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr));
    if (!compiled_->code) {
        throw Error(ErrorKind::Corrupt, "tokenizer regex does not compile at offset " + std::to_string(error_offset) +
                                            ": " + pcre2_message(error));
    }
    // JIT is an optimisation only: if this platform lacks it, pcre2_match interprets the pattern.
    pcre2_jit_compile(compiled_->code.get(), PCRE2_JIT_COMPLETE);
}

RegexSplitter::~RegexSplitter() = default;
RegexSplitter::RegexSplitter(RegexSplitter&&) noexcept = default;
RegexSplitter& RegexSplitter::operator=(RegexSplitter&&) noexcept = default;

void RegexSplitter::split(std::string_view text, std::vector<std::string_view>& out) const {
    pcre2_code* code = compiled_->code.get();
    const std::unique_ptr<pcre2_match_data, MatchDataDeleter> match(pcre2_match_data_create_from_pattern(code, nullptr));
    if (!match) throw Error(ErrorKind::Internal, "out of memory for regex match data");
    // The JIT normally runs on a 32 KiB machine-stack area; a pathological subject can exceed it,
    // so a large JIT stack is made only when that happens.
    std::unique_ptr<pcre2_match_context, MatchContextDeleter> context;
    std::unique_ptr<pcre2_jit_stack, JitStackDeleter> jit_stack;

    const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const size_t length = text.size();
    size_t offset = 0;
    size_t emitted = 0;           // text[0, emitted) has been handed out
    uint32_t options = 0;         // the first call validates UTF-8; later ones need not
    while (offset <= length) {
        int rc = pcre2_match(code, subject, length, offset, options, match.get(), context.get());
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !jit_stack) {
            jit_stack.reset(pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr));
            context.reset(pcre2_match_context_create(nullptr));
            if (!jit_stack || !context) throw Error(ErrorKind::Internal, "out of memory for the regex JIT stack");
            pcre2_jit_stack_assign(context.get(), nullptr, jit_stack.get());
            rc = pcre2_match(code, subject, length, offset, options, match.get(), context.get());
        }
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) throw Error(ErrorKind::Internal, "tokenizer regex match failed: " + pcre2_message(rc));
        options = PCRE2_NO_UTF_CHECK;
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
        const size_t start = ovector[0];
        const size_t end = ovector[1];
        if (end == start) {
            // Empty matches yield no piece (Hugging Face drops empty splits); step over one code
            // point so the search makes progress.
            if (start >= length) break;
            offset = start + 1;
            while (offset < length && (static_cast<uint8_t>(text[offset]) & 0xc0) == 0x80) ++offset;
            continue;
        }
        if (start > emitted) out.push_back(text.substr(emitted, start - emitted));
        out.push_back(text.substr(start, end - start));
        emitted = end;
        offset = end;
    }
    if (emitted < length) out.push_back(text.substr(emitted));
}

}  // namespace pictor::qwen3
