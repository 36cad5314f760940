// UTF-8 helpers for the tokenizer: repairing ill-formed input and NFC normalisation.
#pragma once

#include <string>
#include <string_view>

namespace pictor::qwen3 {

// Returns `text` with every ill-formed UTF-8 subsequence replaced by U+FFFD, one replacement per
// "maximal subpart" (Unicode ch. 3, "U+FFFD Substitution of Maximal Subparts") -- the policy of
// Python's bytes.decode(errors="replace"), Rust's String::from_utf8_lossy and the WHATWG
// decoder, so a byte string repairs identically wherever it is decoded. Surrogates (ED A0..BF)
// and code points above U+10FFFF are ill-formed. Valid input is returned unchanged.
std::string repair_utf8(std::string_view text);

// Canonical composition (NFC) of valid UTF-8 with Unicode 9.0 semantics, as Hugging Face
// tokenizers normalises: utf8proc (newer tables) on the pieces between code points that 9.0
// had not assigned, which stay as they are (see unicode9_assigned.inc).
std::string nfc(std::string_view valid_utf8);

// Decodes the code point at `pos` of valid UTF-8 and advances `pos` past it.
char32_t next_code_point(std::string_view valid_utf8, size_t& pos);

}  // namespace pictor::qwen3
