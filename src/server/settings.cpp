#include "server/settings.h"

#include <cstdlib>

#include "store/model_store.h"

namespace pictor::server {

Settings Settings::from_env() {
    Settings s;
    s.address = host_from_env();
    s.models = store::ModelStore::default_root();
    // Ollama treats any non-empty OLLAMA_NOPRUNE as "set"; so do we.
    const char* np = std::getenv("PICTOR_NOPRUNE");
    s.noprune = np != nullptr && *np != '\0';
    return s;
}

}  // namespace pictor::server
