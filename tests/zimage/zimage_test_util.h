// Shared helpers of the Z-Image tests: the reference data folder, relative L2 error, and a
// ModelFiles overlay that replaces or hides documents and weights of a real model.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/model_files.h"

namespace pictor::zimage::test {

// shared/testdata/zimage-dev/ (trailing slash).
inline const std::string& dev_dir() {
    static const std::string dir = std::string(PICTOR_SHARED_DIR) + "/testdata/zimage-dev/";
    return dir;
}

// The reference model, shared/testdata/zimage-dev/model, opened as a folder.
struct DevModel {
    std::unique_ptr<store::ModelFiles> files = store::ModelFiles::open_directory(dev_dir() + "model");
};

// ||got - want|| / ||want||; a size mismatch is a test failure.
inline double rel_l2(const std::vector<float>& got, const std::vector<float>& want) {
    EXPECT_EQ(got.size(), want.size());
    double num = 0, den = 0;
    for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
        const double d = double(got[i]) - double(want[i]);
        num += d * d;
        den += double(want[i]) * double(want[i]);
    }
    return std::sqrt(num / den);
}

// A ModelFiles that forwards to another one, with some documents or weights replaced
// (`texts`, `weights`, keyed "component/name") or hidden (`hidden`).
class OverlayFiles : public store::ModelFiles {
public:
    explicit OverlayFiles(const store::ModelFiles& base) : base_(base) {}
    std::optional<std::string> read_text(std::string_view relpath) const override {
        auto it = texts.find(std::string(relpath));
        return it != texts.end() ? std::optional<std::string>(it->second) : base_.read_text(relpath);
    }
    const store::WeightView* find(std::string_view component, std::string_view name) const override {
        const std::string key = std::string(component) + "/" + std::string(name);
        if (hidden.count(key)) return nullptr;
        auto it = weights.find(key);
        return it != weights.end() ? &it->second : base_.find(component, name);
    }
    std::vector<std::string> names(std::string_view component) const override { return base_.names(component); }

    std::map<std::string, std::string> texts;
    std::map<std::string, store::WeightView> weights;
    std::set<std::string> hidden;
    std::vector<std::vector<std::byte>> storage;  // backing bytes of the replaced weights

private:
    const store::ModelFiles& base_;
};

}  // namespace pictor::zimage::test
