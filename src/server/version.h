// The version reported by GET /api/version and `pictor --version`.
#pragma once

#include <string_view>

namespace pictor::server {

// Kept equal to project(VERSION) in CMakeLists.txt; a PICTOR_VERSION definition, when the build
// provides one, wins so the two cannot drift.
#ifdef PICTOR_VERSION
inline constexpr std::string_view kVersion = PICTOR_VERSION;
#else
inline constexpr std::string_view kVersion = "0.1.0";
#endif

}  // namespace pictor::server
