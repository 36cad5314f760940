// Installs the npm packages a test folder's package-lock.json pins (node_modules is not
// committed), once, however many tests ask for them at the same time.
//
// ctest -j runs each GoogleTest case as its own process, so several cases of one folder reach
// this point together. `npm ci` starts by deleting node_modules: a second install would pull
// the packages from under a script the first case is already running (CI saw exactly that:
// "Cannot find package node_modules/openai/index.js"). So the check and the install run under
// an exclusive flock(1) on a file beside package.json, and a marker written after a successful
// install (not the packages' own files, which exist half-way through an install) says "done".
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>

namespace pictor::test {

// Returns "" when `dir`'s packages are installed, or why they cannot be (to skip with).
inline std::string install_npm_packages(const std::filesystem::path& dir) {
    const std::string command = "cd '" + dir.string() +
                                "' && flock .npm-install.lock sh -c '"
                                "[ -f node_modules/.pictor-installed ] && exit 0; "
                                "command -v npm >/dev/null || { echo npm is not installed; exit 1; }; "
                                "timeout 300 npm ci --no-audit --no-fund && touch node_modules/.pictor-installed' 2>&1";
    std::string output;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return "cannot start a shell for npm ci";
    std::array<char, 4096> buf{};
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) output.append(buf.data(), n);
    const int status = ::pclose(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    return "npm ci failed in " + dir.string() + " (offline, or the registry is unreachable?):\n" + output;
}

}  // namespace pictor::test
