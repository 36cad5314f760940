#!/usr/bin/env bash
# Fresh Debian 12 machine -> pictor built, the demo model imported into the store, and an image
# generated with it. The demo model is tiny and random: the picture is coloured noise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pictor pictor-dev
./build/pictor create demo ../shared/testdata/zimage-dev/model
./build/pictor-dev generate --model demo --prompt "a lighthouse on a cliff at dusk" \
  --width 256 --height 256 --steps 8 --seed 42 -o demo.png
echo "Image saved to: $(pwd)/demo.png"
