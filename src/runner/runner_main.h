// `pictor runner --model NAME`: the process the server starts for each loaded model. It opens
// the model from the store, loads the engine, then serves generate/cancel commands on
// stdin/stdout (runner/protocol.h) until stdin closes or SIGTERM/SIGINT. Logs go to stderr,
// which the server copies into its own log.
#pragma once

#include <filesystem>
#include <string>

#include "runner/fake_engine.h"

namespace pictor::runner {

struct RunnerOptions {
    std::string model;                // a model name as the store resolves it
    std::filesystem::path models_dir; // empty = PICTOR_MODELS / ~/.pictor/models
    int threads = 0;                  // 0 = PICTOR_NUM_THREADS, else all cores
    bool fake_engine = false;         // test mode, see fake_engine.h
    FakeEngineOptions fake;
};

// Exit code: 0 after a clean shutdown, 1 when the model could not be loaded (after writing a
// {"error":..} line).
int run_runner(const RunnerOptions& options);

}  // namespace pictor::runner
