// What the HTTP handlers need from image generation, and nothing more: the scheduler of runner
// processes implements it, tests substitute a fake. No tensors here — images arrive as PNG bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pictor::server {

using Millis = std::chrono::milliseconds;

struct ImageRequest {
    std::string model;  // as the client wrote it
    std::string prompt;
    std::optional<std::string> negative_prompt;
    int width = 0, height = 0, steps = 0;  // 0 = the model's default (Modelfile PARAMETER, then architecture)
    std::optional<float> guidance;
    std::optional<uint64_t> seed;          // absent = random; the effective seed is reported back
    std::optional<Millis> keep_alive;      // absent = PICTOR_KEEP_ALIVE; negative = forever; 0 = unload after
};

struct ImageProgress {
    enum class Phase { Queued, Loading, TextEncoding, Denoising, Decoding };
    Phase phase = Phase::Queued;
    int completed = 0, total = 0;   // denoising steps
    size_t queue_position = 0;      // Queued: requests ahead of this one
};
using ImageProgressFn = std::function<void(const ImageProgress&)>;

struct ImageResult {
    std::string png;  // PNG bytes
    uint64_t seed = 0;
    int width = 0, height = 0, steps = 0;
    std::chrono::nanoseconds load_duration{0}, total_duration{0};
};

struct LoadedModelInfo {
    std::string name;          // display name
    std::string digest_hex;    // manifest digest
    uint64_t size = 0;         // bytes of tensor layers
    uint64_t memory_estimate = 0;  // weights resident + peak activations + VAE
    std::chrono::system_clock::time_point expires_at;  // max() = never
    bool busy = false;
    size_t queue_length = 0;
    std::string family, parameter_size, quantization_level;
};

class ImageService {
public:
    virtual ~ImageService() = default;

    // Queues the request (FIFO per model), loads the model's runner if needed, generates and
    // returns the PNG. `progress` and `cancelled` are called on the calling thread (never under
    // a scheduler lock), so a handler may write to its connection from `progress`; `cancelled`
    // is polled every 100 ms — when it returns true the request leaves the queue, or the runner
    // is told to stop, and generate() throws Error(Cancelled, "request canceled") at once.
    // Errors (pictor::Error): NotFound "model '<name>' not found"; InvalidArgument "<name> does not
    // support image generation" and bad parameters; Unavailable when the queue is full; Cancelled;
    // Internal when the runner fails or dies ("runner for <name> exited unexpectedly: ...").
    virtual ImageResult generate(const ImageRequest& req, const ImageProgressFn& progress,
                                 const std::function<bool()>& cancelled) = 0;
    // Loads the model (empty-prompt request) and applies keep_alive.
    virtual void load(const std::string& model, std::optional<Millis> keep_alive) = 0;
    // Unloads now (keep_alive 0). Returns false when the model was not loaded.
    virtual bool unload(const std::string& model) = 0;
    virtual std::vector<LoadedModelInfo> running() = 0;
};

}  // namespace pictor::server
