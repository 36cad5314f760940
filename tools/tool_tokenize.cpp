// Placeholder until the tool lands: the subcommand is not registered yet.
#include "tools.h"

namespace pictor::dev {
void register_tokenize(CLI::App&) {}
}  // namespace pictor::dev
