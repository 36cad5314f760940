// Showing the saved picture in the terminal (reference §1.1.2): iTerm2's OSC 1337 inline image
// for iTerm2 and WezTerm, the kitty graphics protocol for kitty and Ghostty. The caller only
// writes these to a terminal; the reference wrote them into redirected stdout too.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace pictor::cli {

enum class InlineProtocol { None, ITerm2, Kitty };

// From the environment: TERM_PROGRAM=iTerm.app|WezTerm or WEZTERM_PANE -> ITerm2;
// KITTY_WINDOW_ID, GHOSTTY_RESOURCES_DIR or TERM_PROGRAM=ghostty -> Kitty. `getenv` returns
// nullptr for unset variables (tests pass a map lookup).
InlineProtocol detect_inline_protocol(const std::function<const char*(const char*)>& getenv);

// ESC ] 1337 ; File=inline=1;preserveAspectRatio=1: <base64> BEL, then a newline.
std::string iterm2_image(std::string_view png);
// ESC _ G a=T,f=100,m=1 ; <4096 base64 chars> ESC \, then ESC _ G m=1 ; ... ESC \, the last
// chunk with m=0 (the first carries m=0 itself when it is the only one), then a newline.
std::string kitty_image(std::string_view png);
// The sequence for `p`; "" for None.
std::string inline_image(InlineProtocol p, std::string_view png);

}  // namespace pictor::cli
