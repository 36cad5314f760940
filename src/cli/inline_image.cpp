#include "cli/inline_image.h"

#include "util/base64.h"

namespace pictor::cli {
namespace {

constexpr size_t kKittyChunk = 4096;  // the protocol's limit per escape sequence

bool set(const char* v) { return v != nullptr && *v != '\0'; }
bool equals(const char* v, std::string_view want) { return v != nullptr && want == v; }

}  // namespace

InlineProtocol detect_inline_protocol(const std::function<const char*(const char*)>& getenv) {
    const char* term_program = getenv("TERM_PROGRAM");
    if (equals(term_program, "iTerm.app") || equals(term_program, "WezTerm") || set(getenv("WEZTERM_PANE")))
        return InlineProtocol::ITerm2;
    if (set(getenv("KITTY_WINDOW_ID")) || set(getenv("GHOSTTY_RESOURCES_DIR")) || equals(term_program, "ghostty"))
        return InlineProtocol::Kitty;
    return InlineProtocol::None;
}

std::string iterm2_image(std::string_view png) {
    return "\x1b]1337;File=inline=1;preserveAspectRatio=1:" + base64_encode(png) + "\a\n";
}

std::string kitty_image(std::string_view png) {
    const std::string b64 = base64_encode(png);
    std::string out;
    size_t pos = 0;
    do {
        const std::string_view chunk = std::string_view(b64).substr(pos, kKittyChunk);
        pos += chunk.size();
        const bool last = pos >= b64.size();
        out += "\x1b_G";
        if (out.size() == 3) out += "a=T,f=100,";  // only the first chunk says what the data is
        out += last ? "m=0;" : "m=1;";
        out += chunk;
        out += "\x1b\\";
    } while (pos < b64.size());
    return out + "\n";
}

std::string inline_image(InlineProtocol p, std::string_view png) {
    switch (p) {
        case InlineProtocol::ITerm2: return iterm2_image(png);
        case InlineProtocol::Kitty: return kitty_image(png);
        case InlineProtocol::None: break;
    }
    return "";
}

}  // namespace pictor::cli
