#!/usr/bin/env bash
# The end-to-end tests (tests/run_all.sh runs this when present): Chromium driven by
# playwright-core over the demo server.  web/setup.sh provides the micropip wheel
# beside Pyodide's files and the msepy wheel (when stale); nothing else is installed.
# Arguments: test files to run (default: all of e2e/*.test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash web/setup.sh
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "e2e: no Chromium at $CHROMIUM (.ci/run installs it)" >&2
    exit 1
fi
mkdir -p test-results
files=(e2e/*.test.mjs)
if [ $# -gt 0 ]; then files=("$@"); fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
