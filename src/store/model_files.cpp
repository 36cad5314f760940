#include "store/model_files.h"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

#include "util/error.h"

namespace pictor::store {

namespace fs = std::filesystem;

int64_t WeightView::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

const WeightView& ModelFiles::get(std::string_view component, std::string_view name) const {
    const WeightView* w = find(component, name);
    if (!w) fail(ErrorKind::Corrupt, "model is missing weight " + std::string(component) + "/" + std::string(name));
    return *w;
}

std::string ModelFiles::require_text(std::string_view relpath) const {
    auto t = read_text(relpath);
    if (!t) fail(ErrorKind::Corrupt, "model is missing " + std::string(relpath));
    return *t;
}

namespace {

// Index of the tensors of several opened safetensors files. A file may hold plain tensors and,
// for fp8-quantized weights, "<name>.scale" companions (with __metadata__ quant_type fp8).
class TensorIndex {
public:
    // `key_to_name` maps a key inside the file to the logical tensor name (identity for
    // diffusers files; blob keys may carry a "<component>/" prefix or be the legacy "data").
    void add_file(SafetensorsFile file, const std::string* logical_name_for_single) {
        files_.push_back(std::make_unique<SafetensorsFile>(std::move(file)));
        const SafetensorsFile& f = *files_.back();
        bool fp8 = false;
        auto it = f.metadata().find("quant_type");
        if (it != f.metadata().end()) fp8 = (it->second == "fp8");
        for (const TensorInfo& t : f.tensors()) {
            if (t.name.size() > 6 && t.name.ends_with(".scale") && fp8) continue;
            std::string logical = logical_name_for_single ? *logical_name_for_single : t.name;
            if (logical_name_for_single && !key_matches(t.name, *logical_name_for_single)) continue;
            WeightView v;
            v.dtype = t.dtype;
            v.shape = t.shape;
            v.bytes = f.data(t);
            if (const TensorInfo* s = f.find(t.name + ".scale")) {
                if (s->dtype != DType::F32 || s->shape.size() != 1 || t.shape.empty() || s->shape[0] != t.shape[0])
                    fail(ErrorKind::Corrupt, f.path().string() + ": scale of " + t.name + " must be F32 [rows]");
                v.row_scale = f.data(*s);
            } else if (t.dtype == DType::F8_E4M3) {
                fail(ErrorKind::Corrupt, f.path().string() + ": fp8 tensor " + t.name + " has no .scale");
            }
            views_[logical] = std::move(v);
        }
    }
    const WeightView* find(std::string_view name) const {
        auto it = views_.find(std::string(name));
        return it == views_.end() ? nullptr : &it->second;
    }
    void release_pages() const {
        for (const auto& f : files_) f->release_pages();
    }
    bool release_pages(std::span<const std::byte> bytes, bool evict) const {
        for (const auto& f : files_)
            if ((evict ? f->evict_pages(bytes) : f->release_pages(bytes)) > 0) return true;
        return false;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        out.reserve(views_.size());
        for (auto& [k, v] : views_) out.push_back(k);
        return out;
    }

private:
    // Lookup order of the reference loader: stripped name, "<component>/<stripped>", "data".
    static bool key_matches(const std::string& key, const std::string& logical) {
        if (key == logical || key == "data") return true;
        auto slash = key.find('/');
        return slash != std::string::npos && key.compare(slash + 1, std::string::npos, logical) == 0;
    }
    std::vector<std::unique_ptr<SafetensorsFile>> files_;
    std::map<std::string, WeightView, std::less<>> views_;
};

std::optional<std::string> read_file_text(const fs::path& p) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return std::nullopt;
    std::ifstream in(p, std::ios::binary);
    if (!in) fail(ErrorKind::Io, "cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool safe_relpath(std::string_view rel) {
    if (rel.empty() || rel.front() == '/') return false;
    fs::path p(rel);
    for (const auto& part : p)
        if (part == "..") return false;
    return true;
}

// The per-component tensor indexes, opened on first use and kept: what both sources share.
// A subclass only says how to open one component's files.
class IndexedModelFiles : public ModelFiles {
public:
    const WeightView* find(std::string_view component, std::string_view name) const override {
        return component_index(component).find(name);
    }
    std::vector<std::string> names(std::string_view component) const override {
        return component_index(component).names();
    }
    void release_pages(std::string_view component) const override {
        std::lock_guard lock(mu_);
        // Only components opened so far: opening one just to drop its pages would be wasted work.
        auto it = components_.find(component);
        if (it != components_.end()) it->second.release_pages();
    }
    void release_pages(std::span<const std::byte> bytes) const override { drop(bytes, false); }
    void evict_pages(std::span<const std::byte> bytes) const override { drop(bytes, true); }

protected:
    // Adds the safetensors files of `component` to `idx` (called once, under the lock).
    virtual void open_component(std::string_view component, TensorIndex& idx) const = 0;

private:
    void drop(std::span<const std::byte> bytes, bool evict) const {
        std::lock_guard lock(mu_);
        for (const auto& [name, idx] : components_)
            if (idx.release_pages(bytes, evict)) return;
    }
    const TensorIndex& component_index(std::string_view component) const {
        std::lock_guard lock(mu_);
        auto it = components_.find(component);
        if (it != components_.end()) return it->second;
        TensorIndex& idx = components_[std::string(component)];
        try {
            open_component(component, idx);
        } catch (...) {
            components_.erase(components_.find(component));  // no half-opened index for the next caller
            throw;
        }
        return idx;
    }

    mutable std::mutex mu_;
    mutable std::map<std::string, TensorIndex, std::less<>> components_;
};

class DirectoryModelFiles final : public IndexedModelFiles {
public:
    explicit DirectoryModelFiles(fs::path dir) : dir_(std::move(dir)) {}

    std::optional<std::string> read_text(std::string_view relpath) const override {
        if (!safe_relpath(relpath)) return std::nullopt;
        return read_file_text(dir_ / std::string(relpath));
    }

private:
    void open_component(std::string_view component, TensorIndex& idx) const override {
        fs::path cdir = dir_ / std::string(component);
        std::error_code ec;
        if (!safe_relpath(component) || !fs::is_directory(cdir, ec)) return;
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(cdir))
            if (e.path().extension() == ".safetensors") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) idx.add_file(SafetensorsFile::open(f), nullptr);
    }

    fs::path dir_;
};

class StoreModelFiles final : public IndexedModelFiles {
public:
    StoreModelFiles(const ModelStore& store, ModelEntry entry) : store_(store), entry_(std::move(entry)) {}

    std::optional<std::string> read_text(std::string_view relpath) const override {
        return store_.read_json(entry_, relpath);
    }

private:
    void open_component(std::string_view component, TensorIndex& idx) const override {
        std::string prefix = std::string(component) + "/";
        for (const Layer& l : entry_.manifest.layers) {
            if (l.media_type != kTensorMediaType || !l.name.starts_with(prefix)) continue;
            std::string stripped = l.name.substr(prefix.size());
            idx.add_file(SafetensorsFile::open(store_.blobs().path_of(l.digest)), &stripped);
            if (!idx.find(stripped))
                fail(ErrorKind::Corrupt, "blob " + l.digest + " of layer " + l.name + " does not hold tensor " + stripped);
        }
    }

    ModelStore store_;  // a copy: it is only the paths, and the files must not outlive it
    ModelEntry entry_;
};

}  // namespace

std::unique_ptr<ModelFiles> ModelFiles::open_directory(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail(ErrorKind::NotFound, "model folder " + dir.string() + " does not exist");
    return std::make_unique<DirectoryModelFiles>(dir);
}

std::unique_ptr<ModelFiles> ModelFiles::open_store_model(const ModelStore& store, const ModelEntry& entry) {
    return std::make_unique<StoreModelFiles>(store, entry);
}

}  // namespace pictor::store
