#!/usr/bin/env bash
# The curl examples of Ollama's image-generation README (x/imagegen/README.md: cURL, Save to
# File, Streaming Progress) and of its native API (POST /api/generate, reference §2.1), run as
# written except for the model name, the host/port (PICTOR_URL) and the size (PICTOR_SIZE,
# small so that the check is quick). Each answer is checked for what the example promises.
# PICTOR_SKIP_NATIVE=1 leaves out the /api/generate examples.
set -euo pipefail

URL="${PICTOR_URL:-http://localhost:11434}"
MODEL="${PICTOR_MODEL:-dev}"
SIZE="${PICTOR_SIZE:-64x64}"
W="${SIZE%x*}"
H="${SIZE#*x}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL curl_examples $*"; exit 1; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# --- Example: cURL ---------------------------------------------------------------------------
curl "$URL/v1/images/generations" \
  -H "Content-Type: application/json" \
  -d '{
    "model": "'"$MODEL"'",
    "prompt": "a white cat",
    "size": "'"$SIZE"'"
  }' > "$WORK/plain.json"
jq -e '(.created | type == "number") and (.data | length == 1) and (.data[0].b64_json | length > 0)' \
  "$WORK/plain.json" > /dev/null || fail "cURL example: $(head -c 300 "$WORK/plain.json")"
echo "ok   curl_examples openai"

# --- Example: Save to File ---------------------------------------------------------------------
curl -s "$URL/v1/images/generations" \
  -H "Content-Type: application/json" \
  -d '{
    "model": "'"$MODEL"'",
    "prompt": "a white cat",
    "size": "'"$SIZE"'"
  }' | jq -r '.data[0].b64_json' | base64 -d > "$WORK/image.png"
is_png "$WORK/image.png" || fail "Save to File example: image.png is not a PNG"
echo "ok   curl_examples save-to-file ($(stat -c %s "$WORK/image.png") bytes)"

# --- Streaming Progress ------------------------------------------------------------------------
curl "$URL/v1/images/generations" \
  -H "Content-Type: application/json" \
  -d '{"model": "'"$MODEL"'", "prompt": "a sunset", "size": "'"$SIZE"'", "stream": true}' > "$WORK/stream.txt"
grep -q '^event: progress$' "$WORK/stream.txt" || fail "stream: no progress event: $(head -c 300 "$WORK/stream.txt")"
grep -q '^event: done$' "$WORK/stream.txt" || fail "stream: no done event: $(tail -c 300 "$WORK/stream.txt")"
grep -A1 '^event: done$' "$WORK/stream.txt" | sed -n 's/^data: //p' | jq -e '.data[0].b64_json | length > 0' > /dev/null \
  || fail "stream: done event without an image"
echo "ok   curl_examples stream ($(grep -c '^event: progress$' "$WORK/stream.txt") progress events)"

if [ "${PICTOR_SKIP_NATIVE:-}" = 1 ]; then echo "PASS curl_examples (native examples skipped)"; exit 0; fi

# --- Native API: POST /api/generate (streaming NDJSON by default) ------------------------------
curl "$URL/api/generate" -d '{
  "model": "'"$MODEL"'",
  "prompt": "a sunset over mountains",
  "width": '"$W"',
  "height": '"$H"'
}' > "$WORK/native.ndjson"
tail -n 1 "$WORK/native.ndjson" | jq -e '.done == true and (.image | length > 0)' > /dev/null \
  || fail "native generate: last line has no image: $(tail -c 300 "$WORK/native.ndjson")"
echo "ok   curl_examples native ($(wc -l < "$WORK/native.ndjson") lines)"

# --- Native API, "stream": false ----------------------------------------------------------------
curl "$URL/api/generate" -d '{
  "model": "'"$MODEL"'",
  "prompt": "a sunset over mountains",
  "width": '"$W"',
  "height": '"$H"',
  "stream": false
}' > "$WORK/native.json"
jq -e '.done == true and (.image | length > 0)' "$WORK/native.json" > /dev/null \
  || fail "native generate stream=false: $(head -c 300 "$WORK/native.json")"
echo "ok   curl_examples native-nostream"

echo "PASS curl_examples"
