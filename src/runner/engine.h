// What the runner loop needs from an image model: its defaults, an honest memory figure, and a
// cancellable generate. The Z-Image pipeline implements it (zimage_engine.h); the scheduler
// tests use a stand-in (fake_engine.h) so that they exercise the real runner process, protocol
// and scheduling without doing the maths.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runner/protocol.h"

namespace pictor::runner {

// A request with every default already applied (runner/request_defaults.h).
struct EngineRequest {
    std::string prompt;
    std::string negative_prompt;
    int width = 0, height = 0, steps = 0;
    float guidance = 0.0f;
    uint64_t seed = 0;
};

struct EngineImage {
    std::vector<uint8_t> png;
    int width = 0, height = 0, steps = 0;
    uint64_t seed = 0;
};

enum class EnginePhase { TextEncoding, Denoising, Decoding };
// step/total are meaningful for Denoising: (0,T) before the first step, then (n,T) after each.
using EngineProgressFn = std::function<void(EnginePhase phase, int step, int total)>;

class Engine {
public:
    virtual ~Engine() = default;
    // The architecture's defaults (before Modelfile PARAMETERs).
    virtual ModelDefaults defaults() const = 0;
    // Bytes the process needs to generate an image of width×height: resident weights plus the
    // peak of activations and VAE decode.
    virtual uint64_t memory_estimate(int width, int height) const = 0;
    // Error(Cancelled) once *cancel is true (checked between steps), Error(InvalidArgument) for
    // parameters the model cannot use.
    virtual EngineImage generate(const EngineRequest& req, const EngineProgressFn& progress,
                                 const std::atomic<bool>& cancel) = 0;
};

}  // namespace pictor::runner
