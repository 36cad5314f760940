#include "runner/fake_engine.h"

#include <thread>

#include "util/error.h"
#include "util/png_writer.h"

namespace pictor::runner {
namespace {

class FakeEngine final : public Engine {
public:
    explicit FakeEngine(const FakeEngineOptions& o) : options_(o) {}

    ModelDefaults defaults() const override { return options_.defaults; }

    uint64_t memory_estimate(int width, int height) const override {
        return (16u << 20) + static_cast<uint64_t>(width) * height * 3;  // a token figure: it holds nothing
    }

    EngineImage generate(const EngineRequest& req, const EngineProgressFn& progress,
                         const std::atomic<bool>& cancel) override {
        if (req.width < 16 || req.height < 16 || req.steps < 1)
            fail(ErrorKind::InvalidArgument, "fake engine: bad size or steps");
        if (progress) progress(EnginePhase::TextEncoding, 0, 0);
        if (progress) progress(EnginePhase::Denoising, 0, req.steps);
        for (int s = 1; s <= req.steps; ++s) {
            sleep_watching(cancel);
            if (progress) progress(EnginePhase::Denoising, s, req.steps);
        }
        if (cancel) fail(ErrorKind::Cancelled, "request canceled");
        if (progress) progress(EnginePhase::Decoding, 0, 0);
        return draw(req);
    }

private:
    // Sleeps one step in 5 ms slices, so a cancel is seen within a few milliseconds.
    void sleep_watching(const std::atomic<bool>& cancel) const {
        const auto end = std::chrono::steady_clock::now() + options_.step_time;
        while (std::chrono::steady_clock::now() < end) {
            if (cancel) fail(ErrorKind::Cancelled, "request canceled");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    static EngineImage draw(const EngineRequest& req) {
        // A gradient keyed by seed and prompt: same inputs, same bytes; different seeds differ.
        uint64_t h = req.seed * 0x9E3779B97F4A7C15ull;
        for (unsigned char c : req.prompt) h = (h ^ c) * 0x100000001B3ull;
        std::vector<uint8_t> rgb(static_cast<size_t>(req.width) * req.height * 3);
        for (int y = 0; y < req.height; ++y)
            for (int x = 0; x < req.width; ++x) {
                uint8_t* p = &rgb[(static_cast<size_t>(y) * req.width + x) * 3];
                p[0] = static_cast<uint8_t>(x * 255 / req.width + (h & 0xff));
                p[1] = static_cast<uint8_t>(y * 255 / req.height + ((h >> 8) & 0xff));
                p[2] = static_cast<uint8_t>((h >> 16) & 0xff);
            }
        EngineImage img;
        img.png = encode_png(rgb.data(), req.width, req.height, 3,
                             {{"prompt", req.prompt}, {"seed", std::to_string(req.seed)}, {"engine", "fake"}});
        img.width = req.width;
        img.height = req.height;
        img.steps = req.steps;
        img.seed = req.seed;
        return img;
    }

    FakeEngineOptions options_;
};

}  // namespace

std::unique_ptr<Engine> make_fake_engine(const FakeEngineOptions& options) {
    if (options.load_time.count() > 0) std::this_thread::sleep_for(options.load_time);
    return std::make_unique<FakeEngine>(options);
}

}  // namespace pictor::runner
