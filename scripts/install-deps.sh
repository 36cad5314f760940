#!/usr/bin/env bash
# Installs every build and test dependency of pictor from Debian 12 packages.
# Idempotent; works as root or through sudo. README and .ci/run both call it.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git curl jq ca-certificates
  libdnnl-dev            # oneDNN 2.6: bf16 matmul and NHWC convolution
  libcpp-httplib-dev     # HTTP server and client
  nlohmann-json3-dev     # JSON
  libcli11-dev           # command-line parsing
  libpng-dev zlib1g-dev  # PNG output
  libssl-dev             # SHA-256
  libpcre2-dev           # tokenizer pre-split regex
  libutf8proc-dev        # NFC normalisation
  libgtest-dev libgmock-dev
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all dependencies present"
fi
# Node.js + npm run the real-client tests (openai, ollama npm packages). Machines may ship a
# Node.js that bundles npm; only install Debian's when there is none.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
