// Everything `pictor serve` reads from the environment, read once at start so the rest of the
// server never touches getenv.
#pragma once

#include <filesystem>

#include "server/host.h"

namespace pictor::server {

struct Settings {
    HostPort address;                 // PICTOR_HOST
    std::filesystem::path models;     // PICTOR_MODELS (ModelStore::default_root)
    bool noprune = false;             // PICTOR_NOPRUNE set (any value)

    static Settings from_env();
};

}  // namespace pictor::server
