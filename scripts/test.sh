#!/usr/bin/env bash
# Builds pictor and runs the whole test suite with CTest.
#   scripts/test.sh             release build in build/
#   scripts/test.sh --sanitize  ASan+UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
flags=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Release -DPICTOR_SANITIZE=ON)
  # Leak checking is off: third-party runtimes (oneDNN, libgomp) keep process-lifetime
  # allocations that LeakSanitizer may report; memory errors and UB still abort the test.
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export PICTOR_SANITIZED=1   # lets the slowest numeric tests shrink their problem sizes
fi

cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)"
