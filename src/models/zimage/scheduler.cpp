#include "models/zimage/scheduler.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "util/error.h"

namespace pictor::zimage {

SchedulerConfig SchedulerConfig::from_json(const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(ErrorKind::Corrupt, std::string("scheduler_config.json: ") + e.what());
    }
    if (!j.is_object()) fail(ErrorKind::Corrupt, "scheduler_config.json: not an object");
    SchedulerConfig c;
    try {
        auto get = [&](const char* key, auto& dst) {
            if (j.contains(key) && !j[key].is_null()) dst = j[key].get<std::decay_t<decltype(dst)>>();
        };
        get("num_train_timesteps", c.num_train_timesteps);
        get("shift", c.shift);
        get("use_dynamic_shifting", c.use_dynamic_shifting);
        get("base_shift", c.base_shift);
        get("max_shift", c.max_shift);
        get("base_image_seq_len", c.base_image_seq_len);
        get("max_image_seq_len", c.max_image_seq_len);
        std::string ts = "exponential";
        get("time_shift_type", ts);
        if (ts == "exponential") c.time_shift_type = TimeShift::Exponential;
        else if (ts == "linear") c.time_shift_type = TimeShift::Linear;
        else fail(ErrorKind::Unsupported, "scheduler_config.json: time_shift_type '" + ts + "'");

        for (const char* key : {"use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "invert_sigmas",
                                "stochastic_sampling"})
            if (j.contains(key) && j[key].is_boolean() && j[key].get<bool>())
                fail(ErrorKind::Unsupported, std::string("scheduler_config.json: ") + key + " is not supported");
        if (j.contains("shift_terminal") && !j["shift_terminal"].is_null())
            fail(ErrorKind::Unsupported, "scheduler_config.json: shift_terminal is not supported");
    } catch (const nlohmann::json::exception& e) {
        fail(ErrorKind::Corrupt, std::string("scheduler_config.json: ") + e.what());
    }
    if (c.num_train_timesteps <= 0 || !(c.shift > 0) || c.max_image_seq_len == c.base_image_seq_len)
        fail(ErrorKind::Corrupt, "scheduler_config.json: values out of range");
    return c;
}

float Schedule::t_model(size_t i) const { return (1000.0f - timesteps[i]) / 1000.0f; }

std::vector<float> torch_linspace_f32(float start, float end, int64_t steps) {
    if (steps < 0) fail(ErrorKind::InvalidArgument, "linspace: negative step count");
    std::vector<float> out(size_t(steps), start);
    if (steps <= 1) return out;
    // ATen's linspace_kernel: step in float, first half counted up from start, second half
    // down from end (so both ends are exact). PyTorch's x86 kernels are built with -mfma and
    // GCC's default contraction, so `start + step*idx` and `end - step*k` are single FMAs;
    // written out here because this project compiles with contraction off.
    const float step = (end - start) / float(steps - 1);
    const int64_t halfway = steps / 2;
    auto at = [&](int64_t idx) {
        return idx < halfway ? std::fmaf(step, float(idx), start) : std::fmaf(-step, float(steps - idx - 1), end);
    };
    int64_t idx = 0;
    // cpu_serial_kernel_vec: blocks of two 8-wide vectors while 16 remain; each vector is
    // Vectorized::arange(base, step) = base + k·step (again contracted), with the half
    // decided once per vector from its first index.
    for (; idx + 16 <= steps; idx += 8) {
        const float base = at(idx);
        out[size_t(idx)] = base;
        for (int k = 1; k < 8; ++k) out[size_t(idx + k)] = std::fmaf(float(k), step, base);
    }
    for (; idx < steps; ++idx) out[size_t(idx)] = at(idx);
    return out;
}

double dynamic_shift_mu(const SchedulerConfig& cfg, int64_t image_seq_len) {
    // Python floats (double), exactly as diffusers' calculate_shift.
    const double m = (cfg.max_shift - cfg.base_shift) / double(cfg.max_image_seq_len - cfg.base_image_seq_len);
    const double b = cfg.base_shift - m * double(cfg.base_image_seq_len);
    return double(image_seq_len) * m + b;
}

Schedule make_schedule(const SchedulerConfig& cfg, int steps, int64_t image_seq_len) {
    if (steps <= 0) fail(ErrorKind::InvalidArgument, "scheduler: steps must be positive");
    // The pipeline passes torch.linspace(1.0, 1/N, N); 1/N is a Python double rounded to float.
    std::vector<float> s = torch_linspace_f32(1.0f, float(1.0 / double(steps)), steps);

    // The shift runs on a numpy float32 array with Python-float scalars, which numpy treats
    // as float32: every operation below rounds to float.
    Schedule out;
    out.sigmas.resize(size_t(steps) + 1);
    if (cfg.use_dynamic_shifting) {
        if (image_seq_len <= 0) fail(ErrorKind::InvalidArgument, "scheduler: dynamic shifting needs the image size");
        const double mu = dynamic_shift_mu(cfg, image_seq_len);
        const float a = cfg.time_shift_type == SchedulerConfig::TimeShift::Exponential ? float(std::exp(mu)) : float(mu);
        for (int i = 0; i < steps; ++i) {
            const float x = 1.0f / s[size_t(i)] - 1.0f;  // (1/t - 1) ** 1.0 is exact
            out.sigmas[size_t(i)] = a / (a + x);
        }
    } else {
        const float shift = float(cfg.shift);
        const float shift_m1 = float(cfg.shift - 1.0);
        for (int i = 0; i < steps; ++i) {
            const float num = shift * s[size_t(i)];
            const float den = 1.0f + shift_m1 * s[size_t(i)];
            out.sigmas[size_t(i)] = num / den;
        }
    }
    out.sigmas[size_t(steps)] = 0.0f;
    out.timesteps.resize(size_t(steps));
    const float ntt = float(cfg.num_train_timesteps);
    for (int i = 0; i < steps; ++i) out.timesteps[size_t(i)] = out.sigmas[size_t(i)] * ntt;
    return out;
}

void euler_step(float* x, const float* d, size_t n, float dt) {
    for (size_t i = 0; i < n; ++i) {
        const float delta = dt * d[i];  // rounded on its own: contraction is off
        x[i] = x[i] + delta;
    }
}

}  // namespace pictor::zimage
