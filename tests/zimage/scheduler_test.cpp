#include "models/zimage/scheduler.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/error.h"
#include "util/npy.h"
#include "zimage_test_util.h"

using namespace pictor::zimage;

namespace {

using pictor::zimage::test::dev_dir;

std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Distance in units in the last place (same-sign finite floats).
int64_t ulps(float a, float b) { return std::llabs(int64_t(int32_t(bits(a))) - int64_t(int32_t(bits(b)))); }

int case_steps(const std::string& name) {
    const auto j = nlohmann::json::parse(slurp(dev_dir() + "cases.json"));
    for (const auto& c : j["cases"])
        if (c["name"] == name) return c["steps"].get<int>();
    return 0;
}

struct Count {
    size_t exact = 0, total = 0;
    int64_t max_ulps = 0;
    void add(float got, float want) {
        ++total;
        exact += bits(got) == bits(want);
        max_ulps = std::max(max_ulps, ulps(got, want));
    }
};

void check_case(const std::string& name) {
    const auto cfg = SchedulerConfig::from_json(slurp(dev_dir() + "model/scheduler/scheduler_config.json"));
    const int n = case_steps(name);
    ASSERT_GT(n, 0);
    const Schedule s = make_schedule(cfg, n);
    const auto dir = dev_dir() + "cases/" + name + "/";
    const auto sig = pictor::read_npy(dir + "sigmas.npy").as<float>();
    const auto ts = pictor::read_npy(dir + "timesteps.npy").as<float>();
    ASSERT_EQ(sig.size(), size_t(n) + 1);
    ASSERT_EQ(ts.size(), size_t(n));
    ASSERT_EQ(s.steps(), size_t(n));
    Count c;
    for (int i = 0; i <= n; ++i) c.add(s.sigmas[size_t(i)], sig[size_t(i)]);
    for (int i = 0; i < n; ++i) c.add(s.timesteps[size_t(i)], ts[size_t(i)]);
    for (int i = 0; i < n; ++i) {
        char f[32];
        std::snprintf(f, sizeof f, "step%02d_t_model.npy", i);
        c.add(s.t_model(size_t(i)), pictor::read_npy(dir + f).as<float>()[0]);
    }
    std::printf("[ info ] %s: %zu/%zu schedule values bit-exact (max %lld ulp)\n", name.c_str(), c.exact, c.total,
                (long long)c.max_ulps);
    EXPECT_LE(c.max_ulps, 1);
}

// Euler steps from the reference noise and noise_preds reproduce the reference latents.
void check_euler(const std::string& name) {
    const auto cfg = SchedulerConfig::from_json(slurp(dev_dir() + "model/scheduler/scheduler_config.json"));
    const int n = case_steps(name);
    const Schedule s = make_schedule(cfg, n);
    const auto dir = dev_dir() + "cases/" + name + "/";
    auto x = pictor::read_npy(dir + "noise.npy").as<float>();
    for (int i = 0; i < n; ++i) {
        char f[64];
        std::snprintf(f, sizeof f, "step%02d_noise_pred.npy", i);
        const auto d = pictor::read_npy(dir + f).as<float>();
        ASSERT_EQ(d.size(), x.size());
        euler_step(x.data(), d.data(), x.size(), s.dt(size_t(i)));
        std::snprintf(f, sizeof f, "step%02d_latents.npy", i);
        const auto want = pictor::read_npy(dir + f).as<float>();
        size_t exact = 0;
        for (size_t k = 0; k < x.size(); ++k) exact += bits(x[k]) == bits(want[k]);
        EXPECT_EQ(exact, x.size()) << name << " step " << i;
        x = want;  // continue from the reference to keep steps independent
    }
}

}  // namespace

TEST(Scheduler, ParsesZimageDevConfig) {
    const auto c = SchedulerConfig::from_json(slurp(dev_dir() + "model/scheduler/scheduler_config.json"));
    EXPECT_EQ(c.num_train_timesteps, 1000);
    EXPECT_EQ(c.shift, 3.0);
    EXPECT_FALSE(c.use_dynamic_shifting);
    EXPECT_EQ(c.base_shift, 0.5);
    EXPECT_EQ(c.max_shift, 1.15);
    EXPECT_EQ(c.base_image_seq_len, 256);
    EXPECT_EQ(c.max_image_seq_len, 4096);
    EXPECT_EQ(c.time_shift_type, SchedulerConfig::TimeShift::Exponential);
}

TEST(Scheduler, DefaultsAndRejections) {
    EXPECT_EQ(SchedulerConfig::from_json("{}").shift, 1.0);  // diffusers default, not Z-Image's
    EXPECT_EQ(SchedulerConfig::from_json(R"({"time_shift_type":"linear"})").time_shift_type,
              SchedulerConfig::TimeShift::Linear);
    EXPECT_EQ(SchedulerConfig::from_json(R"({"shift_terminal":null,"use_karras_sigmas":false})").shift, 1.0);
    EXPECT_THROW(SchedulerConfig::from_json(R"({"use_karras_sigmas":true})"), pictor::Error);
    EXPECT_THROW(SchedulerConfig::from_json(R"({"shift_terminal":0.02})"), pictor::Error);
    EXPECT_THROW(SchedulerConfig::from_json(R"({"time_shift_type":"cosine"})"), pictor::Error);
    EXPECT_THROW(SchedulerConfig::from_json(R"({"shift":"three"})"), pictor::Error);
    EXPECT_THROW(SchedulerConfig::from_json("not json"), pictor::Error);
    EXPECT_THROW(make_schedule(SchedulerConfig{}, 0), pictor::Error);
}

TEST(Scheduler, MatchesReferenceD1) { check_case("d1"); }
TEST(Scheduler, MatchesReferenceD2) { check_case("d2"); }
TEST(Scheduler, EulerMatchesReferenceD1) { check_euler("d1"); }
TEST(Scheduler, EulerMatchesReferenceD2) { check_euler("d2"); }

TEST(Scheduler, TurboEightStepTable) {
    SchedulerConfig c;
    c.shift = 3.0;
    const Schedule s = make_schedule(c, 8);
    const uint32_t want[9] = {0x3f800000, 0x3f745d17, 0x3f666666, 0x3f555555, 0x3f400000,
                              0x3f249249, 0x3f000000, 0x3e99999a, 0};
    for (int i = 0; i < 9; ++i) EXPECT_EQ(bits(s.sigmas[size_t(i)]), want[i]) << i;
    // tt = t_model * 1000 as the DiT computes it.
    EXPECT_EQ(bits(s.t_model(1) * 1000.0f), 0x4235d180u);
    EXPECT_EQ(bits(s.t_model(3) * 1000.0f), 0x4326aaacu);
    EXPECT_EQ(bits(s.t_model(5) * 1000.0f), 0x43b2924au);
    EXPECT_EQ(s.t_model(0), 0.0f);
    EXPECT_EQ(s.t_model(7) * 1000.0f, 700.0f);
}

TEST(Scheduler, Linspace) {
    EXPECT_EQ(torch_linspace_f32(1.0f, 0.5f, 1), std::vector<float>{1.0f});
    EXPECT_EQ(torch_linspace_f32(1.0f, 0.5f, 2), (std::vector<float>{1.0f, 0.5f}));
    for (int n : {3, 7, 16, 17, 31, 33, 50, 100}) {
        const auto v = torch_linspace_f32(1.0f, float(1.0 / n), n);
        EXPECT_EQ(v.front(), 1.0f);
        EXPECT_EQ(v.back(), float(1.0 / n));
        for (int i = 0; i < n; ++i) {
            const double exact = 1.0 + (1.0 / n - 1.0) * i / (n - 1);
            EXPECT_NEAR(v[size_t(i)], exact, 4e-7) << n << " " << i;
        }
    }
}

TEST(Scheduler, DynamicShift) {
    SchedulerConfig c;
    c.use_dynamic_shifting = true;
    EXPECT_NEAR(dynamic_shift_mu(c, 256), 0.5, 1e-12);
    EXPECT_NEAR(dynamic_shift_mu(c, 4096), 1.15, 1e-12);
    EXPECT_THROW(make_schedule(c, 4), pictor::Error);  // needs the token count
    // 1024² (4096 tokens), 9 steps: sigma = e^mu / (e^mu + 1/t - 1) (spec §4.2 OLL values).
    const Schedule s = make_schedule(c, 9, 4096);
    const double want[] = {1, .962, .917, .863, .798, .716, .612, .474, .283, 0};
    for (int i = 0; i < 10; ++i) EXPECT_NEAR(s.sigmas[size_t(i)], want[i], 1e-3) << i;
    c.time_shift_type = SchedulerConfig::TimeShift::Linear;
    const Schedule l = make_schedule(c, 2, 4096);  // mu / (mu + 1/t - 1), t = 0.5
    EXPECT_NEAR(l.sigmas[1], 1.15 / 2.15, 1e-6);
}
