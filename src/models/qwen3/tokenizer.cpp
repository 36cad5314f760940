#include "models/qwen3/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/qwen3/tokenizer_byte_level.h"
#include "models/qwen3/tokenizer_json.h"
#include "models/qwen3/tokenizer_utf8.h"
#include "util/error.h"

namespace pictor::qwen3 {
namespace {

using json = nlohmann::json;

constexpr std::string_view kChatPrefix = "<|im_start|>user\n";
constexpr std::string_view kChatSuffix = "<|im_end|>\n<|im_start|>assistant\n";

enum : uint8_t { kUnused = 0, kOrdinary = 1, kSpecial = 2 };


const json& member(const json& object, const char* key, const char* where) {
    if (!object.is_object() || !object.contains(key))
        tokenizer_json_corrupt(std::string(where) + " has no \"" + key + "\"");
    return object.at(key);
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::NotFound, "cannot open " + path.string());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw Error(ErrorKind::Io, "cannot read " + path.string());
    return std::move(buffer).str();
}

// The Split regex, after checking that the pre-tokenizer is the Qwen2/Qwen3 shape:
// Sequence[Split(pattern, Isolated), ByteLevel(use_regex = false, add_prefix_space = false)].
std::string split_pattern(const json& pre) {
    const auto unsupported = [](const std::string& why) {
        throw Error(ErrorKind::Unsupported, "tokenizer.json: unsupported pre_tokenizer: " + why);
    };
    if (!pre.is_object() || pre.value("type", "") != "Sequence") unsupported("expected a Sequence");
    const json& steps = member(pre, "pretokenizers", "pre_tokenizer");
    if (!steps.is_array() || steps.size() != 2) unsupported("expected Split followed by ByteLevel");
    const json& split = steps[0];
    const json& byte_level = steps[1];
    if (split.value("type", "") != "Split" || byte_level.value("type", "") != "ByteLevel") {
        unsupported("expected Split followed by ByteLevel");
    }
    if (split.value("behavior", "") != "Isolated" || split.value("invert", false)) {
        unsupported("Split must be Isolated and not inverted");
    }
    if (byte_level.value("use_regex", true) || byte_level.value("add_prefix_space", false)) {
        unsupported("ByteLevel must have use_regex and add_prefix_space false");
    }
    const json& pattern = member(split, "pattern", "Split");
    if (pattern.contains("Regex")) return pattern.at("Regex").get<std::string>();
    if (pattern.contains("String")) {
        // A literal: quote it so no character is special.
        return "\\Q" + pattern.at("String").get<std::string>() + "\\E";
    }
    tokenizer_json_corrupt("Split pattern is neither Regex nor String");
}

// Whether the normalizer is NFC (true) or absent (false).
bool uses_nfc(const json& normalizer) {
    if (normalizer.is_null()) return false;
    if (normalizer.is_object() && normalizer.value("type", "") == "NFC") return true;
    throw Error(ErrorKind::Unsupported, "tokenizer.json: unsupported normalizer " + normalizer.dump());
}

void check_model(const json& model) {
    if (model.value("type", "BPE") != "BPE") {
        throw Error(ErrorKind::Unsupported, "tokenizer.json: model type " + model.value("type", "") + " is not BPE");
    }
    const auto flag = [&](const char* key) { return model.contains(key) && model.at(key).is_boolean() && model.at(key).get<bool>(); };
    const auto text = [&](const char* key) {
        return model.contains(key) && model.at(key).is_string() ? model.at(key).get<std::string>() : std::string();
    };
    if (flag("byte_fallback") || flag("ignore_merges") || (model.contains("dropout") && !model.at("dropout").is_null()) ||
        !text("continuing_subword_prefix").empty() || !text("end_of_word_suffix").empty()) {
        throw Error(ErrorKind::Unsupported,
                    "tokenizer.json: BPE options byte_fallback, ignore_merges, dropout and subword affixes are not supported");
    }
}

// The bytes Hugging Face's ByteLevel decoder emits for a token: the byte of each character if
// every character is in the byte-level alphabet, else the token's own UTF-8 (how added tokens
// such as "<|im_end|>" come out verbatim).
std::string token_bytes(std::string_view token) {
    static constexpr auto to_byte = unicode_to_byte_table();
    std::string bytes;
    bytes.reserve(token.size());
    size_t pos = 0;
    while (pos < token.size()) {
        const char32_t cp = next_code_point(token, pos);
        if (cp >= to_byte.size() || to_byte[cp] < 0) return std::string(token);
        bytes += static_cast<char>(to_byte[cp]);
    }
    return bytes;
}

// Content of a token named in tokenizer_config.json: a string or {"content": ...}.
std::optional<std::string> config_token(const json& config, const char* key) {
    if (!config.is_object() || !config.contains(key)) return std::nullopt;
    const json& v = config.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
    return std::nullopt;
}

}  // namespace

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json) {
    TokenizerFile file = parse_tokenizer_json(tokenizer_json);
    const json& root = file.rest;
    try {
        const json& model = member(root, "model", "root");
        check_model(model);
        if (!file.has_vocab) tokenizer_json_corrupt("model has no \"vocab\"");
        if (!file.has_merges) tokenizer_json_corrupt("model has no \"merges\"");
        Vocabulary& vocab = file.vocab;
        int32_t max_id = -1;
        vocab.for_each([&](std::string_view, int32_t id) { max_id = std::max(max_id, id); });

        std::vector<AddedToken> added;
        if (root.contains("added_tokens") && root.at("added_tokens").is_array()) {
            for (const json& t : root.at("added_tokens")) {
                AddedToken a;
                a.content = member(t, "content", "added token").get<std::string>();
                a.id = member(t, "id", "added token").get<int32_t>();
                if (a.id < 0) tokenizer_json_corrupt("negative id for added token '" + a.content + "'");
                a.special = t.value("special", false);
                a.single_word = t.value("single_word", false);
                a.lstrip = t.value("lstrip", false);
                a.rstrip = t.value("rstrip", false);
                a.normalized = t.value("normalized", !a.special);  // Hugging Face's default
                max_id = std::max(max_id, a.id);
                added.push_back(std::move(a));
            }
        }

        // Ids index per-id tables; a stray huge id would otherwise allocate gigabytes.
        if (max_id >= (1 << 24)) tokenizer_json_corrupt("token id " + std::to_string(max_id) + " is implausibly large");

        Tokenizer tok(BytePairEncoder(vocab, file.merges),
                      RegexSplitter(split_pattern(member(root, "pre_tokenizer", "root"))));
        tok.nfc_ = uses_nfc(root.value("normalizer", json()));
        if (root.contains("decoder") && !root.at("decoder").is_null() && root.at("decoder").value("type", "") != "ByteLevel") {
            throw Error(ErrorKind::Unsupported, "tokenizer.json: decoder must be ByteLevel");
        }

        tok.pieces_.resize(static_cast<size_t>(max_id) + 1);
        tok.kind_.assign(static_cast<size_t>(max_id) + 1, kUnused);
        vocab.for_each([&](std::string_view token, int32_t id) {
            tok.pieces_[id] = token_bytes(token);
            tok.kind_[id] = kOrdinary;
        });
        std::vector<AddedToken> raw, normalized;
        for (AddedToken& a : added) {
            // Added tokens win over the model's vocabulary when ids are shared, as in Hugging Face.
            tok.pieces_[a.id] = token_bytes(a.content);
            tok.kind_[a.id] = a.special ? kSpecial : kOrdinary;
            vocab.insert_or_assign(a.content, a.id);  // so pad/eos lookups below see them
            (a.normalized ? normalized : raw).push_back(std::move(a));
        }
        tok.raw_added_ = AddedTokenMatcher(std::move(raw));
        tok.normalized_added_ = AddedTokenMatcher(std::move(normalized));

        json config;
        if (!tokenizer_config_json.empty()) {
            try {
                config = json::parse(tokenizer_config_json);
            } catch (const json::exception& e) {
                throw Error(ErrorKind::Corrupt, std::string("tokenizer_config.json: not valid JSON: ") + e.what());
            }
        }
        const auto resolve = [&](const char* key, const char* fallback) -> int32_t {
            const std::optional<std::string> named = config_token(config, key);
            const std::string content = named.value_or(fallback);
            const int32_t id = vocab.find(content);
            if (id >= 0) return id;
            if (named) {
                throw Error(ErrorKind::Corrupt, std::string("tokenizer_config.json: ") + key + " '" + content +
                                                    "' is not in the vocabulary");
            }
            return -1;
        };
        tok.pad_id_ = resolve("pad_token", "<|endoftext|>");
        tok.eos_id_ = resolve("eos_token", "<|im_end|>");
        return tok;
    } catch (const json::exception& e) {
        tokenizer_json_corrupt(std::string("unexpected structure: ") + e.what());
    }
}

Tokenizer Tokenizer::from_dir(const std::filesystem::path& dir_or_file) {
    std::error_code ec;
    const bool is_dir = std::filesystem::is_directory(dir_or_file, ec);
    const std::filesystem::path file = is_dir ? dir_or_file / "tokenizer.json" : dir_or_file;
    const std::filesystem::path config = file.parent_path() / "tokenizer_config.json";
    const std::string tokenizer_text = read_file(file);
    const std::string config_text = std::filesystem::exists(config, ec) ? read_file(config) : std::string();
    try {
        return from_json(tokenizer_text, config_text);
    } catch (const Error& e) {
        throw Error(e.kind(), file.string() + ": " + e.what());
    }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
    std::vector<int32_t> ids;
    const std::string valid = repair_utf8(text);
    std::vector<TextSegment> segments;
    raw_added_.split(valid, segments);
    for (const TextSegment& segment : segments) {
        if (segment.id >= 0) {
            ids.push_back(segment.id);
        } else {
            encode_plain(segment.text, ids);
        }
    }
    return ids;
}

void Tokenizer::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
    const std::string normal = nfc_ ? nfc(text) : std::string(text);
    std::vector<TextSegment> segments;
    if (normalized_added_.empty()) {
        segments.push_back(TextSegment{normal, -1});
    } else {
        normalized_added_.split(normal, segments);
    }
    std::vector<std::string_view> pieces;
    for (const TextSegment& segment : segments) {
        if (segment.id >= 0) {
            out.push_back(segment.id);
            continue;
        }
        pieces.clear();
        splitter_.split(segment.text, pieces);
        for (const std::string_view piece : pieces) bpe_.encode(piece, out);
    }
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
    std::string bytes;
    for (const int32_t id : ids) {
        if (id < 0 || static_cast<size_t>(id) >= kind_.size() || kind_[id] == kUnused) {
            throw Error(ErrorKind::InvalidArgument, "token id " + std::to_string(id) + " is not in the vocabulary");
        }
        if (skip_special_tokens && kind_[id] == kSpecial) continue;
        bytes += pieces_[id];
    }
    return repair_utf8(bytes);
}

std::vector<int32_t> Tokenizer::encode_chat(std::string_view prompt, size_t max_tokens) const {
    std::string text;
    text.reserve(kChatPrefix.size() + prompt.size() + kChatSuffix.size());
    text.append(kChatPrefix).append(prompt).append(kChatSuffix);
    std::vector<int32_t> ids = encode(text);
    if (ids.size() > max_tokens) ids.resize(max_tokens);
    return ids;
}

int32_t Tokenizer::pad_id() const {
    if (pad_id_ < 0) throw Error(ErrorKind::NotFound, "the tokenizer has no pad token");
    return pad_id_;
}

int32_t Tokenizer::eos_id() const {
    if (eos_id_ < 0) throw Error(ErrorKind::NotFound, "the tokenizer has no eos token");
    return eos_id_;
}

}  // namespace pictor::qwen3
