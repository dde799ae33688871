"""Smoke tests: the package imports and the MIME registry answers."""

import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from conftest import IN_PYODIDE
from msepy.bytestream import ParseError, parse_mime, support


def test_parse_mime_with_quoted_codecs():
    assert parse_mime('video/mp4; codecs="avc1.64001f"') == (
        "video/mp4", {"codecs": "avc1.64001f"})


def test_parse_mime_rejects_garbage():
    assert parse_mime("not a mime type") is None


def test_support_accepts_known_codecs():
    assert support('video/mp4; codecs="avc1.64001f, mp4a.40.2"') == "video/mp4"
    assert support('audio/webm; codecs="opus"') == "audio/webm"


def test_support_rejects_empty_and_mismatched_codecs():
    assert support('video/mp4; codecs=""') is None
    assert support('audio/mp4; codecs="avc1.64001f"') is None
    assert support("video/x-unknown") is None


def test_parse_error_is_an_exception():
    assert issubclass(ParseError, Exception)


def test_runs_on_supported_python():
    assert sys.version_info >= (3, 11)


@given(st.text(max_size=80))
def test_parse_mime_never_raises(text):
    parsed = parse_mime(text)
    assert parsed is None or (isinstance(parsed, tuple) and "/" in parsed[0])


@pytest.mark.native
def test_native_marker_runs_only_outside_pyodide():
    assert not IN_PYODIDE
    out = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "42"


def test_every_npm_command_the_readme_names_exists():
    """The README's commands work: each `npm run X` / `npm X` it names is a script."""
    import json
    import re
    from pathlib import Path
    repo = Path(__file__).resolve().parent.parent
    scripts = json.loads((repo / "package.json").read_text())["scripts"]
    named = set(re.findall(r"`npm (?:run )?([\w:-]+)", (repo / "README.md").read_text()))
    named -= {"install", "ci"}  # npm's own commands
    assert named, "the README names no npm command"
    assert named <= set(scripts), sorted(named - set(scripts))
