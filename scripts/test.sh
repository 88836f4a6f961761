#!/usr/bin/env bash
# Runs the whole test suite: unit tests, and integration tests against real servers in both
# storage modes (PGlite, and the PostgreSQL server at EARSHOT_TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
EARSHOT_SETUP_TEST=1 scripts/setup.sh
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null && [ "$(id -u)" = 0 ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
# The whole suite (no arguments) starts with the linter (Biome) and the type check of src/, test/, bench/ and console/.
if [ "$#" = 0 ]; then
  npm run --silent lint
  npm run --silent typecheck
fi
exec npx vitest run "$@"
