#!/usr/bin/env bash
# Sets Earshot up and starts it on its embedded defaults (PGlite in ~/.earshot, pocketsphinx or whisper).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Silero VAD (2.3 MB) times streaming turns; offline, the energy detector stands in until it is pulled.
timeout 60 node bin/earshot.js models pull silero-vad --quiet ||
  echo "Could not download Silero VAD; streaming uses an energy detector until \`earshot models pull silero-vad\`." >&2
exec node bin/earshot.js serve "$@"
