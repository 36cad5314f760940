#include "runner/runner_main.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "runner/event_writer.h"
#include "runner/request_defaults.h"
#include "runner/runner_loop.h"
#include "runner/stop_signals.h"
#include "runner/zimage_engine.h"
#include "store/model_files.h"
#include "store/model_store.h"
#include "util/error.h"

namespace pictor::runner {
namespace {

// The protocol owns stdout. Anything else that prints there (a library's diagnostics, a stray
// printf) would corrupt it, so the protocol writes to a private copy of the descriptor and fd 1
// becomes another name for stderr.
int take_stdout() {
    const int fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) fail(ErrorKind::Io, "runner: cannot duplicate stdout");
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    return fd;
}

struct Loaded {
    std::unique_ptr<Engine> engine;
    LoopConfig config;
};

Loaded load(const RunnerOptions& o) {
    store::ModelStore st(o.models_dir.empty() ? store::ModelStore::default_root() : o.models_dir);
    const store::ModelName name = store::ModelName::parse(o.model);
    const store::ModelEntry entry = st.get(name);
    Loaded l;
    l.config.params = ModelParameters::read(st, entry);
    if (o.fake_engine) {
        std::cerr << "runner: FAKE ENGINE (test mode): no weights are loaded, images are gradients" << std::endl;
        l.engine = make_fake_engine(o.fake);
    } else {
        l.engine = load_zimage_engine(store::ModelFiles::open_store_model(st, entry), o.threads, name.display());
    }
    l.config.defaults = effective_defaults(l.engine->defaults(), l.config.params);
    return l;
}

}  // namespace

int run_runner(const RunnerOptions& o) {
    StopSignals signals(std::chrono::milliseconds(2000));
    const int proto_fd = take_stdout();
    EventWriter out(proto_fd);
    out.write(LoadingEvent{});
    std::cerr << "runner: loading " << o.model << " (pid " << getpid() << ")" << std::endl;

    const auto t0 = std::chrono::steady_clock::now();
    Loaded l;
    try {
        l = load(o);
    } catch (const Error& e) {
        std::cerr << "runner: " << e.what() << std::endl;
        out.write(LoadFailedEvent{e.what(), e.kind()});
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "runner: out of memory while loading " << o.model << std::endl;
        out.write(LoadFailedEvent{"out of memory while loading " + o.model, ErrorKind::Internal});
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "runner: " << e.what() << std::endl;
        out.write(LoadFailedEvent{e.what(), ErrorKind::Internal});
        return 1;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    const ModelDefaults& d = l.config.defaults;
    const uint64_t estimate = l.engine->memory_estimate(d.width, d.height);
    std::cerr << "runner: loaded " << o.model << " in " << ms.count() << " ms; defaults " << d.width << "x" << d.height
              << ", " << d.steps << " steps, guidance " << d.guidance << "; memory estimate " << (estimate >> 20)
              << " MiB" << std::endl;
    out.write(ReadyEvent{d, estimate});

    serve_commands(*l.engine, l.config, STDIN_FILENO, out, signals.requested());
    std::cerr << "runner: exiting" << std::endl;
    ::close(proto_fd);
    return 0;
}

}  // namespace pictor::runner
