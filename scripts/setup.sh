#!/usr/bin/env bash
# Installs what Earshot needs on Debian/Ubuntu: system packages (when root, else prints the
# apt-get line), npm dependencies, and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg libpocketsphinx3 pocketsphinx pocketsphinx-en-us)
[ "${EARSHOT_SETUP_TEST:-}" = 1 ] && APT_PACKAGES+=(pocketsphinx-testdata sox espeak-ng curl chromium python3-onnx)

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Earshot needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: a mirror may lack some platforms' optional builds, which `npm ci` refuses.
  # onnxruntime-node's install script would fetch CUDA providers; Silero VAD runs on its bundled CPU build.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --omit=optional --no-audit --no-fund --loglevel=error
fi
# The tests also run ffmpeg-installer's bundled build (the fallback when a machine has no ffmpeg). --omit=optional keeps it
# out, with node-llama-cpp's CUDA and Vulkan builds, so a test set-up unpacks just that package from the registry.
FFMPEG_INSTALLER=node_modules/@ffmpeg-installer/linux-x64
if [ "${EARSHOT_SETUP_TEST:-}" = 1 ] && [ "$(uname -sm)" = "Linux x86_64" ] && [ ! -x "$FFMPEG_INSTALLER/ffmpeg" ]; then
  spec=$(node -p "require('./package.json').optionalDependencies['@ffmpeg-installer/linux-x64']")
  pack=$(mktemp -d)
  (cd "$pack" && npm pack --silent "@ffmpeg-installer/linux-x64@$spec" >/dev/null)
  mkdir -p "$FFMPEG_INSTALLER"
  tar -xzf "$pack"/*.tgz -C "$FFMPEG_INSTALLER" --strip-components=1
  rm -rf "$pack"
fi
npm run build --silent
# `earshot` on the PATH; test runs use bin/earshot.js and leave the machine's PATH alone.
[ "${EARSHOT_SETUP_TEST:-}" = 1 ] || scripts/link-bin.sh
