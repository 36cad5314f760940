#include "models/zimage/cfg.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "util/npy.h"
#include "zimage_test_util.h"

using namespace pictor::zimage;

namespace {

using pictor::zimage::test::dev_dir;

}  // namespace

TEST(Cfg, EnabledAndTruncation) {
    EXPECT_FALSE(cfg_enabled(0.0f));
    EXPECT_TRUE(cfg_enabled(0.5f));  // DF main: any g > 0
    EXPECT_FALSE(cfg_applies_at(0.0f, 0.5f, std::nullopt));
    EXPECT_TRUE(cfg_applies_at(4.0f, 0.9f, std::nullopt));
    EXPECT_TRUE(cfg_applies_at(4.0f, 0.9f, 1.0));   // default truncation never switches off
    EXPECT_TRUE(cfg_applies_at(4.0f, 0.5f, 0.5));   // t_norm == truncation: still on
    EXPECT_FALSE(cfg_applies_at(4.0f, 0.6f, 0.5));  // later (cleaner) steps run without CFG
    EXPECT_TRUE(cfg_applies_at(4.0f, 0.9f, 1.5));   // > 1 disables the rule
}

TEST(Cfg, CombineAndRenormalize) {
    const float pos[3] = {1.0f, 2.0f, -2.0f}, neg[3] = {0.0f, 1.0f, -1.0f};
    float out[3];
    cfg_combine(pos, neg, out, 3, 2.0f);
    EXPECT_EQ(out[0], 3.0f);
    EXPECT_EQ(out[1], 4.0f);
    EXPECT_EQ(out[2], -4.0f);
    // ||out|| = 6.4 > 1.0 * ||pos|| = 3 -> scaled to norm 3.
    EXPECT_FALSE(cfg_renormalize(out, pos, 3, 0.0));
    EXPECT_FALSE(cfg_renormalize(out, pos, 3, 5.0));
    EXPECT_TRUE(cfg_renormalize(out, pos, 3, 1.0));
    const double norm = std::sqrt(double(out[0]) * out[0] + double(out[1]) * out[1] + double(out[2]) * out[2]);
    EXPECT_NEAR(norm, 3.0, 1e-6);
    EXPECT_NEAR(out[0] / out[1], 0.75, 1e-6);  // direction kept
}

// d2 runs with guidance 2.5: -(pos + g·(pos - neg)) must equal the reference noise_pred.
TEST(Cfg, MatchesReferenceD2) {
    std::ifstream f(dev_dir() + "cases.json");
    const auto j = nlohmann::json::parse(f);
    float g = 0;
    for (const auto& c : j["cases"])
        if (c["name"] == "d2") g = c["guidance"].get<float>();
    ASSERT_GT(g, 0.0f);
    const std::string dir = dev_dir() + "cases/d2/";
    for (int i = 0; i < 3; ++i) {
        char p[64];
        std::snprintf(p, sizeof p, "step%02d_", i);
        const auto pos = pictor::read_npy(dir + p + "model_out.npy").as<float>();
        const auto neg = pictor::read_npy(dir + p + "model_out_neg.npy").as<float>();
        const auto want = pictor::read_npy(dir + p + "noise_pred.npy").as<float>();
        ASSERT_EQ(pos.size(), want.size());
        std::vector<float> pred(pos.size());
        cfg_combine(pos.data(), neg.data(), pred.data(), pred.size(), g);
        size_t exact = 0;
        for (size_t k = 0; k < pred.size(); ++k) {
            const float d = -pred[k];
            exact += std::memcmp(&d, &want[k], 4) == 0;
        }
        EXPECT_EQ(exact, pred.size()) << "step " << i;
    }
}
