#!/usr/bin/env bash
# Builds pictor and runs the whole test suite with CTest.
#   scripts/test.sh             release build in build/, every test
#   scripts/test.sh --sanitize  ASan+UBSan build in build-asan/ of the layers whose unit tests
#                               have been verified clean under the sanitizers (see SANITIZED_LAYERS)
set -euo pipefail
cd "$(dirname "$0")/.."

# Unity builds (CMake joins up to 8 sources of a target into one translation unit) halve a full
# build on 2 cores: 6.4 instead of 13.6 minutes, most of it the repeated parsing and template
# code of CLI11, cpp-httplib, nlohmann-json and GoogleTest. PICTOR_UNITY_BUILD=OFF builds file
# by file (faster incremental rebuilds while editing).
unity="-DCMAKE_UNITY_BUILD=${PICTOR_UNITY_BUILD:-ON}"

if [ "${1:-}" = "--sanitize" ]; then
  # Layers whose tests run under ASan+UBSan in CI. The others pass too (server and cli: 108
  # and 38 tests, create, zimage) but their tests drive the pictor binaries, and a sanitized
  # build of every layer costs CI about ten more minutes on 2 cores; run them with
  # PICTOR_SANITIZED_LAYERS="server cli" bash scripts/test.sh --sanitize.
  read -r -a SANITIZED_LAYERS <<< "${PICTOR_SANITIZED_LAYERS:-util store engine qwen3 runner transfer}"
  # Leak checking is off: third-party runtimes (oneDNN, libgomp) keep process-lifetime
  # allocations that LeakSanitizer may report; memory errors and UB still abort the test.
  # Tests start `pictor serve`, runners and CLI processes whose stderr goes to logs the tests
  # may never print, so ASan writes every report (the test binary's and its children's) to
  # sanitizer-logs/asan.<pid>, and any such file fails the stage. UBSan ignores log_path when
  # it runs beside ASan (GCC's separate runtimes): its reports stay on the process's stderr and
  # abort_on_error makes the child die of SIGABRT (a runner crash, a CLI exit code 134).
  logs="$PWD/build-asan/sanitizer-logs"
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$logs/asan
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
  export PICTOR_SANITIZED=1   # lets the slowest numeric tests shrink their problem sizes
  targets=()
  for l in "${SANITIZED_LAYERS[@]}"; do targets+=("test_$l"); done
  # One build target over all of them (CMake's pictor_selected_tests), so that make schedules
  # the whole graph at once: with several --target names it builds them one after another.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DPICTOR_SANITIZE=ON "$unity" \
    -DPICTOR_SELECTED_TESTS="${targets[*]}" >/dev/null
  cmake --build build-asan -j"$(nproc)" --target pictor_selected_tests
  failed=0
  for t in "${targets[@]}"; do
    echo "== $t (ASan+UBSan) =="
    rm -rf "$logs" && mkdir -p "$logs"
    ./build-asan/"$t" --gtest_brief=1 || failed=1
    for f in "$logs"/asan.*; do
      [ -e "$f" ] || continue
      echo "-- ASan report from $t or one of its child processes ($(basename "$f")):"
      cat "$f"
      failed=1
    done
  done
  exit "$failed"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$unity" >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
