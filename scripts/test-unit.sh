#!/usr/bin/env bash
# The inner loop: the test files that start no server, browser, CLI or other process, several at once (`npm test` runs
# them all, one file at a time). Extra arguments go to vitest, e.g. `npm run test:unit -- --watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(grep -L -E 'startServer\(|launchChromium\(|runCli\(|helpers/netns|spawn\(|execFile' -r test --include='*.test.ts' | sort)
exec npx vitest run --fileParallelism "${files[@]}" "$@"
