#!/usr/bin/env bash
# What the demo and the e2e tests need beyond `npm install` (run by `npm start` and
# e2e/run.sh; idempotent): the msepy wheel in build/wheels/ (served at /wheels/), and
# micropip's wheel beside Pyodide's files (the worker loads it by URL: its hash is not
# the one in pyodide-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python; [ -x "$PY" ] || PY=python3
MICROPIP=node_modules/pyodide/micropip-0.11.1-py3-none-any.whl
if [ ! -d node_modules/pyodide ]; then
    echo "web/setup.sh: node_modules/pyodide missing: run npm install first" >&2
    exit 1
fi
if [ ! -f "$MICROPIP" ]; then
    "$PY" -m pip download -q --disable-pip-version-check micropip==0.11.1 --no-deps \
        --only-binary=:all: --python-version 3.14 -d node_modules/pyodide/
fi
newest=$(ls -t py/msepy/*.py py/msepy/*/*.py pyproject.toml | head -1)
wheel=$(ls build/wheels/msepy-*-py3-none-any.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ] || [ "$newest" -nt "$wheel" ]; then
    rm -f build/wheels/msepy-*.whl
    "$PY" -m pip wheel -q --disable-pip-version-check --no-deps . -w build/wheels
    rm -rf build/lib build/bdist.*
fi
