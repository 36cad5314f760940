// The narrow view the models have of a model's files: JSON/text documents by relative path
// ("transformer/config.json") and weights by component and tensor name, as zero-copy views into
// mmapped safetensors. Two sources: a model in the store (one blob per tensor) and a diffusers
// folder on disk (sharded safetensors). The models never learn which one they read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/model_store.h"
#include "store/safetensors.h"

namespace pictor::store {

struct WeightView {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::span<const std::byte> bytes;
    // fp8 weights: float32 scale per output row ([shape[0]]); w = f8 * row_scale[row].
    std::span<const std::byte> row_scale;
    int64_t numel() const;
    bool is_fp8() const { return dtype == DType::F8_E4M3; }
};

class ModelFiles {
public:
    virtual ~ModelFiles() = default;

    // A JSON or text document by its path relative to the model root; nullopt when absent.
    virtual std::optional<std::string> read_text(std::string_view relpath) const = 0;
    // nullptr when the component has no tensor of that name.
    virtual const WeightView* find(std::string_view component, std::string_view name) const = 0;
    // Names of all tensors of a component, sorted.
    virtual std::vector<std::string> names(std::string_view component) const = 0;

    // Weights are read-only file mappings, so every page a model has read stays in this
    // process's RSS (as RssFile) until dropped: the whole text encoder (~8 GB) on top of the DiT
    // (~12 GB) when both use their mmapped weights in place. These drop the process's pages
    // (madvise MADV_DONTNEED) while every view stays valid: the next read faults the page back
    // in from the page cache, cheaply unless memory pressure evicted it. Best effort, no errors.
    //   release_pages(component): every file of that component opened so far.
    //   release_pages(bytes): the pages of a range inside one of the mapped files (e.g. a
    //     weight's bytes once a packed copy replaced it); a range that is not part of a mapping
    //     held here (heap memory, another object's files) is left alone.
    // The default does nothing, for ModelFiles that are not backed by mapped files.
    virtual void release_pages(std::string_view component) const { (void)component; }
    virtual void release_pages(std::span<const std::byte> bytes) const { (void)bytes; }
    // release_pages(bytes), and the page cache's copy of those file pages is dropped as well
    // (SafetensorsFile::evict_pages): for weights the model has copied and will not read again.
    virtual void evict_pages(std::span<const std::byte> bytes) const { (void)bytes; }

    // Like find, but Error(Corrupt, "model is missing weight <component>/<name>").
    const WeightView& get(std::string_view component, std::string_view name) const;
    // Like read_text, but Error(Corrupt, "model is missing <relpath>").
    std::string require_text(std::string_view relpath) const;

    // A diffusers folder (model_index.json, text_encoder/, transformer/, vae/, ...).
    static std::unique_ptr<ModelFiles> open_directory(const std::filesystem::path& dir);
    // A model in the store: tensor layers "<component>/<name>" are opened lazily per component.
    static std::unique_ptr<ModelFiles> open_store_model(const ModelStore& store, const ModelEntry& entry);
};

}  // namespace pictor::store
