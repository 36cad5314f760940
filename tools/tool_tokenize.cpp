// pictor-dev tokenize: encodes prompts with the Qwen3 tokenizer, for comparing against Hugging
// Face. Input: one JSON string per line on stdin (JSON so that prompts may hold newlines and any
// other character); output: one JSON array of ids per line, in the same order.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "models/qwen3/tokenizer.h"
#include "tools.h"
#include "util/error.h"

namespace pictor::dev {
namespace {

struct TokenizeOptions {
    std::string tokenizer;
    bool chat = false;
};

void run_tokenize(const TokenizeOptions& options) {
    const qwen3::Tokenizer tokenizer = qwen3::Tokenizer::from_dir(options.tokenizer);
    std::string line;
    size_t line_number = 0;
    while (std::getline(std::cin, line)) {
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines carry no prompt
        nlohmann::json prompt;
        try {
            prompt = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw Error(ErrorKind::InvalidArgument, "stdin line " + std::to_string(line_number) + ": not JSON: " + e.what());
        }
        if (!prompt.is_string()) {
            throw Error(ErrorKind::InvalidArgument, "stdin line " + std::to_string(line_number) + ": expected a JSON string");
        }
        const std::string& text = prompt.get_ref<const std::string&>();
        const auto ids = options.chat ? tokenizer.encode_chat(text) : tokenizer.encode(text);
        std::cout << nlohmann::json(ids).dump() << '\n';
    }
    std::cout.flush();
}

}  // namespace

void register_tokenize(CLI::App& app) {
    // The options outlive parsing: CLI11 writes into them and the callback reads them later.
    auto options = std::make_shared<TokenizeOptions>();
    CLI::App* sub = app.add_subcommand("tokenize", "Encode prompts (one JSON string per stdin line) with the Qwen3 tokenizer");
    sub->add_option("--tokenizer", options->tokenizer, "Directory holding tokenizer.json (+ tokenizer_config.json), or the file")
        ->required();
    sub->add_flag("--chat", options->chat, "Encode the Z-Image chat prompt, truncated to 512 tokens");
    sub->callback([options] { run_tokenize(*options); });
}

}  // namespace pictor::dev
