#!/usr/bin/env bash
# The whole test run (`npm test`): pytest under CPython, the same suite inside
# Pyodide under Node, then the end-to-end tests when e2e/run.sh exists.
# Idempotent: sets up .venv, node_modules and build/ only when missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

say() { printf '\n=== %s\n' "$*"; }
hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

# --- a. Python environment: .venv with msepy (editable) + pytest + hypothesis -------
say "python env (.venv)"
venv_key=$(hash_of pyproject.toml)
if ! .venv/bin/python -c '' 2>/dev/null; then
    rm -rf .venv
    python3 -m venv .venv
fi
if [ "$(cat .venv/.msepy-key 2>/dev/null)" != "$venv_key" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
    echo "$venv_key" > .venv/.msepy-key
fi
.venv/bin/python -c 'import sys, pytest, hypothesis; print(f"Python {sys.version.split()[0]}, pytest {pytest.__version__}, hypothesis {hypothesis.__version__}")'

# --- b. node_modules (pyodide, playwright-core) --------------------------------------
say "node_modules"
npm_key=$(hash_of package-lock.json)
if [ ! -d node_modules ] || [ "$(cat node_modules/.msepy-key 2>/dev/null)" != "$npm_key" ]; then
    npm ci --no-audit --no-fund
    echo "$npm_key" > node_modules/.msepy-key
fi
echo "node $(node --version), pyodide $(node -p 'require("./node_modules/pyodide/package.json").version')"

# --- c. wheels: msepy, and pure-Python test wheels for Pyodide ------------------------
say "wheels"
mkdir -p build/wheels build/pyodide-wheels
rm -rf build/wheels/msepy-*.whl build/lib build/bdist.*   # build/lib would leak stale modules
.venv/bin/python -m pip wheel -q --disable-pip-version-check --no-deps . -w build/wheels
ls build/wheels/msepy-*-py3-none-any.whl
# Pyodide gets the CPython run's pytest version and the newest pure-Python hypothesis
# (newer hypothesis releases ship only compiled wheels).  Cached: fetched again only
# when the pytest version changes or the folder is emptied.
pins="pytest==$(.venv/bin/python -c 'from importlib.metadata import version; print(version("pytest"))') hypothesis"
if [ "$(cat build/pyodide-wheels/.key 2>/dev/null)" != "$pins" ] || ! ls build/pyodide-wheels/hypothesis-*.whl >/dev/null 2>&1; then
    rm -f build/pyodide-wheels/*.whl
    # shellcheck disable=SC2086
    .venv/bin/python -m pip download -q --disable-pip-version-check --only-binary=:all: \
        --python-version 3.14 --platform any --implementation py --abi none \
        -d build/pyodide-wheels $pins
    echo "$pins" > build/pyodide-wheels/.key
fi
ls build/pyodide-wheels/*.whl | xargs -n1 basename | tr '\n' ' '; echo

# --- d. the runs -----------------------------------------------------------------------
declare -a names=() results=()
run_stage() {  # run_stage NAME CMD...: run, time, record; never aborts the script
    local name=$1; shift
    say "$name: $*"
    local t0=$SECONDS rc=0
    "$@" || rc=$?
    names+=("$name")
    results+=("$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $((SECONDS - t0))s")
}

run_stage "pytest (CPython)" .venv/bin/python -m pytest -q -p no:cacheprovider tests
run_stage "pytest (Pyodide under Node)" node tests/pyodide/run.mjs

# >>> e2e hook: the end-to-end tests run here once e2e/run.sh exists. <<<
if [ -f e2e/run.sh ]; then
    run_stage "e2e" bash e2e/run.sh
fi

# --- e. summary ----------------------------------------------------------------------
say "summary"
status=0
for i in "${!names[@]}"; do
    printf '  %-30s %s\n' "${names[$i]}" "${results[$i]}"
    case ${results[$i]} in ok*) ;; *) status=1 ;; esac
done
[ -f e2e/run.sh ] || printf '  %-30s %s\n' "e2e" "skipped (no e2e/run.sh yet)"
exit $status
