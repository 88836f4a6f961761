#!/usr/bin/env bash
# Sets Earshot up and starts it on its embedded defaults (PGlite in ~/.earshot; a sherpa-onnx model when one
# is installed or can be downloaded, else pocketsphinx).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Silero VAD (2.3 MB) times streaming turns; offline, the energy detector stands in until it is pulled.
timeout 60 node bin/earshot.js models pull silero-vad --quiet ||
  echo "Could not download Silero VAD; streaming uses an energy detector until \`earshot models pull silero-vad\`." >&2

# A first transcript worth reading: Moonshine Tiny (int8, about 118 MB unpacked; 12.66 % average WER over the
# Open ASR Leaderboard sets, as Moonshine publishes it) unless the user chose a model or has the default one.
STARTER=moonshine-tiny-en-int8
installed() {
  node bin/earshot.js models list --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.exit(JSON.parse(s).catalogue.some(m=>m.name===process.argv[1]&&m.installed)?0:1))' "$1"
}
if [ -z "${EARSHOT_SHERPA_MODEL:-}" ] && [ -z "${EARSHOT_ENGINE:-}" ] && ! installed nemo-parakeet-tdt-0.6b-v2-int8; then
  if timeout 900 node bin/earshot.js models pull "$STARTER" --quiet; then
    export EARSHOT_SHERPA_MODEL="$STARTER"
  else
    echo "Could not download $STARTER: transcribing with pocketsphinx (weak English) for now. To use it later:" \
      "\`earshot models pull $STARTER\` (EARSHOT_MODEL_BASE_URL=<mirror> for a local mirror), then start with EARSHOT_SHERPA_MODEL=$STARTER." >&2
  fi
fi
exec node bin/earshot.js serve "$@"
