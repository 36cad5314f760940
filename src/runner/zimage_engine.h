// The real engine: the Z-Image pipeline behind the runner's Engine interface.
#pragma once

#include <memory>
#include <string>

#include "runner/engine.h"
#include "store/model_files.h"

namespace pictor::runner {

// Loads tokenizer, text encoder, DiT and VAE. threads 0 = PICTOR_NUM_THREADS or all cores.
// `model_name` is recorded in the PNGs.
std::unique_ptr<Engine> load_zimage_engine(std::unique_ptr<store::ModelFiles> files, int threads,
                                           const std::string& model_name);

}  // namespace pictor::runner
