#!/usr/bin/env bash
# Sets Earshot up and starts it on its embedded defaults (PGlite in ~/.earshot, pocketsphinx or whisper).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec node bin/earshot.js serve "$@"
