#!/usr/bin/env bash
# Fresh Debian 12 machine -> pictor built, demo model imported into the store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pictor pictor-dev
./build/pictor create demo ../shared/testdata/zimage-dev/model
./build/pictor list
