// FlowMatchEulerDiscreteScheduler as the diffusers Z-Image pipeline drives it (spec §4.1):
// sigmas from torch.linspace(1, 1/N, N) in float32, a static (or resolution-dependent) shift
// evaluated in float32, a trailing 0, and a plain Euler step. Every float32 rounding of the
// reference is reproduced because the schedule feeds the timestep embedding directly: a
// 1-ulp different sigma changes every DiT output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pictor::zimage {

struct SchedulerConfig {
    int num_train_timesteps = 1000;
    double shift = 1.0;  // diffusers default; Z-Image's config says 3.0
    bool use_dynamic_shifting = false;
    double base_shift = 0.5;
    double max_shift = 1.15;
    int64_t base_image_seq_len = 256;
    int64_t max_image_seq_len = 4096;
    enum class TimeShift { Exponential, Linear } time_shift_type = TimeShift::Exponential;

    // Parses scheduler/scheduler_config.json text. Missing keys take the diffusers defaults;
    // options that change the schedule in ways we do not implement (karras/exponential/beta
    // sigmas, shift_terminal, invert_sigmas, stochastic_sampling) throw Unsupported.
    static SchedulerConfig from_json(const std::string& text);
};

struct Schedule {
    std::vector<float> sigmas;     // N + 1 values, last is 0
    std::vector<float> timesteps;  // N values, sigma * num_train_timesteps

    size_t steps() const { return timesteps.size(); }
    // Value handed to the DiT at step i: (1000 - t_i) / 1000 in float32.
    float t_model(size_t i) const;
    // sigma_{i+1} - sigma_i in float32 (negative).
    float dt(size_t i) const { return sigmas[i + 1] - sigmas[i]; }
};

// torch.linspace(start, end, steps) on CPU in float32, including its half-from-each-end
// formula and the AVX2 kernel's vectorised blocks (which matter for steps >= 16).
std::vector<float> torch_linspace_f32(float start, float end, int64_t steps);

// mu of diffusers' calculate_shift, linear in the image token count between the two anchors.
double dynamic_shift_mu(const SchedulerConfig& cfg, int64_t image_seq_len);

// The schedule for `steps` denoising steps. image_seq_len = (H/16)·(W/16) is only used with
// use_dynamic_shifting.
Schedule make_schedule(const SchedulerConfig& cfg, int steps, int64_t image_seq_len = 0);

// x <- x + dt·d, float32 with two roundings (multiply, then add), d = the negated model
// output (after CFG).
void euler_step(float* x, const float* d, size_t n, float dt);

}  // namespace pictor::zimage
