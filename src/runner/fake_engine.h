// A stand-in engine for tests of everything around the maths (`pictor runner --fake-engine`):
// it loads nothing, sleeps a configurable time per "denoising step" while watching the cancel
// flag every few milliseconds, and returns a small deterministic PNG whose pixels depend on the
// seed and prompt. It is never chosen unless the hidden flag is given.
#pragma once

#include <chrono>
#include <memory>

#include "runner/engine.h"

namespace pictor::runner {

struct FakeEngineOptions {
    std::chrono::milliseconds load_time{0};  // slept in make_fake_engine, to make loading observable
    std::chrono::milliseconds step_time{50};
    ModelDefaults defaults{64, 64, 4, 0.0f};
};

std::unique_ptr<Engine> make_fake_engine(const FakeEngineOptions& options);

}  // namespace pictor::runner
