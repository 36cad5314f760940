// Reading tokenizer.json. The file is 11 MB, almost all of it model.vocab (151k entries) and
// model.merges (151k pairs); as a nlohmann DOM it takes about a second to build and half as long
// to free. So a SAX pass stores those two straight into compact containers and builds a DOM only
// for the small rest.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/qwen3/tokenizer_vocab.h"

namespace pictor::qwen3 {

struct TokenizerFile {
    Vocabulary vocab;                                          // model.vocab
    std::vector<std::pair<std::string, std::string>> merges;  // model.merges, either format
    bool has_vocab = false;
    bool has_merges = false;
    nlohmann::json rest;  // the whole document, minus model.vocab and model.merges
};

// Throws Error(Corrupt) for invalid JSON or a malformed vocab/merges.
TokenizerFile parse_tokenizer_json(std::string_view text);

// Throws Error(Corrupt) "tokenizer.json: <what>".
[[noreturn]] void tokenizer_json_corrupt(const std::string& what);

}  // namespace pictor::qwen3
