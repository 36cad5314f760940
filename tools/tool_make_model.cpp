// Placeholder until the tool lands: the subcommand is not registered yet.
#include "tools.h"

namespace pictor::dev {
void register_make_model(CLI::App&) {}
}  // namespace pictor::dev
