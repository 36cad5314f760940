#include "models/qwen3/tokenizer_json.h"

#include <limits>

#include "util/error.h"

namespace pictor::qwen3 {
namespace {

using json = nlohmann::json;

// SAX handler: builds the DOM like nlohmann's own parser, except that the object at
// /model/vocab and the array at /model/merges are diverted into TokenizerFile's containers.
class Reader {
public:
    explicit Reader(TokenizerFile& file) : file_(file) {}

    bool null() { return value(json()); }
    bool boolean(bool v) { return value(json(v)); }
    bool number_integer(json::number_integer_t v) {
        if (mode_ == Mode::Vocab) return vocab_id(v);
        return value(json(v));
    }
    bool number_unsigned(json::number_unsigned_t v) {
        if (mode_ == Mode::Vocab) {
            return vocab_id(v > static_cast<json::number_unsigned_t>(std::numeric_limits<int64_t>::max())
                                ? -1
                                : static_cast<int64_t>(v));
        }
        return value(json(v));
    }
    bool number_float(json::number_float_t v, const json::string_t&) { return value(json(v)); }
    bool binary(json::binary_t&) { tokenizer_json_corrupt("unexpected binary value"); }

    bool string(json::string_t& s) {
        switch (mode_) {
            case Mode::Merges: {
                // Older format "left right"; tokens never contain a space (it is spelled U+0120).
                const size_t space = s.find(' ');
                if (space == std::string::npos || space == 0 || space + 1 == s.size())
                    tokenizer_json_corrupt("bad merge \"" + s + "\"");
                file_.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
                return true;
            }
            case Mode::MergePair:
                if (pair_.size() == 2) tokenizer_json_corrupt("a merge pair has more than two tokens");
                pair_.push_back(std::move(s));
                return true;
            default:
                return value(json(std::move(s)));
        }
    }

    bool key(json::string_t& k) {
        key_ = std::move(k);
        return true;
    }

    bool start_object(std::size_t) {
        if (mode_ == Mode::Dom && is_model_member("vocab")) {
            mode_ = Mode::Vocab;
            file_.has_vocab = true;
            return true;
        }
        if (mode_ != Mode::Dom)
            tokenizer_json_corrupt(mode_ == Mode::Vocab ? "model.vocab values must be ids" : "bad model.merges entry");
        json* node = place(json::object());
        if (stack_.size() == 1 && key_ == "model" && stack_.back()->is_object()) model_ = node;
        stack_.push_back(node);
        return true;
    }
    bool end_object() {
        if (mode_ == Mode::Vocab) {
            mode_ = Mode::Dom;
            return true;
        }
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) {
        switch (mode_) {
            case Mode::Dom:
                if (is_model_member("merges")) {
                    mode_ = Mode::Merges;
                    file_.has_merges = true;
                    return true;
                }
                stack_.push_back(place(json::array()));
                return true;
            case Mode::Merges:
                mode_ = Mode::MergePair;
                pair_.clear();
                return true;
            default:
                tokenizer_json_corrupt(mode_ == Mode::Vocab ? "model.vocab values must be ids" : "bad model.merges entry");
        }
    }
    bool end_array() {
        switch (mode_) {
            case Mode::MergePair:
                if (pair_.size() != 2) tokenizer_json_corrupt("a merge pair does not have two tokens");
                file_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
                mode_ = Mode::Merges;
                return true;
            case Mode::Merges:
                mode_ = Mode::Dom;
                return true;
            default:
                stack_.pop_back();
                return true;
        }
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        tokenizer_json_corrupt(std::string("not valid JSON: ") + e.what());
    }

private:
    enum class Mode { Dom, Vocab, Merges, MergePair };

    bool is_model_member(const char* name) const {
        return model_ != nullptr && !stack_.empty() && stack_.back() == model_ && key_ == name;
    }

    bool vocab_id(int64_t v) {
        if (v < 0 || v > std::numeric_limits<int32_t>::max()) tokenizer_json_corrupt("bad id for token '" + key_ + "'");
        file_.vocab.insert_or_assign(key_, static_cast<int32_t>(v));
        return true;
    }

    bool value(json v) {
        if (mode_ != Mode::Dom)
            tokenizer_json_corrupt(mode_ == Mode::Vocab ? "model.vocab values must be ids" : "bad model.merges entry");
        place(std::move(v));
        return true;
    }

    // Stores `v` where the parser is (the root, the current key of an object, or the end of an
    // array) and returns where it went. Pointers on stack_ stay valid: a container only grows
    // while none of its children is open.
    json* place(json v) {
        if (stack_.empty()) {
            file_.rest = std::move(v);
            return &file_.rest;
        }
        json& parent = *stack_.back();
        if (parent.is_object()) {
            json& slot = parent[key_];
            slot = std::move(v);
            return &slot;
        }
        parent.push_back(std::move(v));
        return &parent.back();
    }

    TokenizerFile& file_;
    Mode mode_ = Mode::Dom;
    std::vector<json*> stack_;
    json* model_ = nullptr;
    std::string key_;
    std::vector<std::string> pair_;
};

}  // namespace

TokenizerFile parse_tokenizer_json(std::string_view text) {
    TokenizerFile file;
    Reader reader(file);
    json::sax_parse(text, &reader);
    return file;
}

void tokenizer_json_corrupt(const std::string& what) { throw Error(ErrorKind::Corrupt, "tokenizer.json: " + what); }

}  // namespace pictor::qwen3
