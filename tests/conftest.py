"""Shared test setup.

Tests run against the working tree (``<repo>/py`` first on ``sys.path``) unless
``MSEPY_USE_INSTALLED=1``, which the Pyodide runner sets so that msepy is imported
from the installed wheel instead.
"""

import os
import sys
from pathlib import Path

import pytest

IN_PYODIDE = sys.platform == "emscripten"
"""True inside Pyodide: no subprocess, no ffmpeg, no threads."""

if os.environ.get("MSEPY_USE_INSTALLED") != "1":
    _PY = str(Path(__file__).resolve().parent.parent / "py")
    if _PY not in sys.path:
        sys.path.insert(0, _PY)


def pytest_collection_modifyitems(config, items):
    # @pytest.mark.native: needs what Pyodide lacks (subprocess, ffmpeg, threads).
    if IN_PYODIDE:
        skip = pytest.mark.skip(reason="needs a native process (not in Pyodide)")
        for item in items:
            if item.get_closest_marker("native"):
                item.add_marker(skip)
