#!/usr/bin/env bash
# Fresh Debian 12 machine -> pictor built, the demo model imported into the store, and an image
# generated with it. The demo model is tiny and random: the picture is coloured noise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Unity build, as scripts/test.sh does (same build folder, so no rebuild between the two).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD="${PICTOR_UNITY_BUILD:-ON}" >/dev/null
cmake --build build -j"$(nproc)" --target pictor pictor-dev
./build/pictor create demo ../shared/testdata/zimage-dev/model
# `pictor run` starts `pictor serve` in the background when nothing answers on PICTOR_HOST
# (default 127.0.0.1:11434), streams progress and prints "Image saved to: <path>".
./build/pictor run demo "a lighthouse on a cliff at dusk" --width 256 --height 256 --seed 42 </dev/null
