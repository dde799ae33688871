#!/usr/bin/env bash
# The end-to-end tests (tests/run_all.sh runs this when present): Chromium driven by
# playwright-core over the demo server.  Sets up only what the repo's own files name:
# the micropip wheel beside Pyodide's files (the worker loads it by URL) and the msepy
# wheel (tests/run_all.sh builds it; built here when this runs alone).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python; [ -x "$PY" ] || PY=python3
MICROPIP=node_modules/pyodide/micropip-0.11.1-py3-none-any.whl
if [ ! -f "$MICROPIP" ]; then
    "$PY" -m pip download -q --disable-pip-version-check micropip==0.11.1 --no-deps \
        --only-binary=:all: --python-version 3.14 -d node_modules/pyodide/
fi
if ! ls build/wheels/msepy-*-py3-none-any.whl >/dev/null 2>&1; then
    "$PY" -m pip wheel -q --disable-pip-version-check --no-deps . -w build/wheels
    rm -rf build/lib build/bdist.*
fi
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "e2e: no Chromium at $CHROMIUM (.ci/run installs it)" >&2
    exit 1
fi
mkdir -p test-results
files=(e2e/*.test.mjs)
if [ $# -gt 0 ]; then files=("$@"); fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
