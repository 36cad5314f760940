// The runner's serving loop: a reader thread takes commands from the input fd (generate
// requests queue up, a cancel sets the running generation's flag or drops a queued request),
// and the calling thread generates one image at a time and writes the events.
// Returns when the input reaches EOF (the server closed the pipe or died) or `stop` is set
// (SIGTERM); a generation in flight is cancelled then, since nobody is left to receive it.
#pragma once

#include <atomic>

#include "runner/engine.h"
#include "runner/event_writer.h"
#include "runner/request_defaults.h"

namespace pictor::runner {

struct LoopConfig {
    ModelDefaults defaults;   // architecture overridden by the Modelfile
    ModelParameters params;   // for the Modelfile's seed and negative prompt
};

void serve_commands(Engine& engine, const LoopConfig& config, int in_fd, EventWriter& out,
                    const std::atomic<bool>& stop);

}  // namespace pictor::runner
