// How a request becomes concrete: request fields first, then the model's Modelfile PARAMETERs
// (the params layer), then the architecture's defaults; the seed is the request's, else the
// Modelfile's, else random. The effective values travel back to the client.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runner/engine.h"
#include "runner/protocol.h"
#include "store/model_store.h"

namespace pictor::runner {

struct ModelParameters {
    std::optional<int> width, height, steps;
    std::optional<float> guidance;
    std::optional<uint64_t> seed;
    std::optional<std::string> negative_prompt;

    // The params layer's JSON object (create/parameters.h writes it); unknown keys are ignored,
    // values of the wrong type are Error(Corrupt).
    static ModelParameters from_json(const nlohmann::json& j);
    // The model's params layer, or no parameters when it has none.
    static ModelParameters read(const store::ModelStore& store, const store::ModelEntry& entry);
};

// The architecture's defaults overridden by the Modelfile's.
ModelDefaults effective_defaults(const ModelDefaults& architecture, const ModelParameters& params);

// A random seed below 2^53, so that it survives a round trip through JSON doubles (JavaScript,
// Go's float64) and can be sent back to reproduce the image.
uint64_t random_seed();

// Applies the defaults and validates: sides multiples of 16 between 64 and 4096, steps 1–1000,
// guidance finite and >= 0 (Error(InvalidArgument) saying what is allowed).
EngineRequest resolve_request(const GenerateCommand& cmd, const ModelDefaults& defaults, const ModelParameters& params,
                              const std::function<uint64_t()>& make_seed = random_seed);

}  // namespace pictor::runner
