"""MIME type parameters as WHATWG "parse a MIME type" reads them (what Chromium's
isTypeSupported accepts): an unquoted value runs to the next ";"."""

import pytest

from msepy.bytestream import parse_mime, support


@pytest.mark.parametrize("type_, supported", [
    ("video/mp4;codecs=mp4a.40.2,avc1.4D400A", True),        # hls.js writes it so
    ("video/mp4; codecs=avc1.4D400A, mp4a.40.2", True),
    ("video/mp4;codecs=avc1.4D400A ,mp4a.40.2 ", True),
    ('video/mp4;codecs=avc1.4D400A;codecs="x"', True),       # the first one counts
    ("video/mp4;codecs=avc1.4D400A,", False),                 # an empty codec
    ('video/mp4;codecs=a"b', False),
    ("video/mp4;codecs=avc1.4D400A x", False),
    ('video/mp4; codecs="avc1.4D400A"junk', False),
    ("video/mp4;codecs=", False),
])
def test_unquoted_codec_lists(type_, supported):
    assert (support(type_) is not None) is supported


def test_unquoted_value_ends_before_trailing_whitespace():
    assert parse_mime("video/mp4; codecs=avc1.4D400A, mp4a.40.2  ; x=y") == (
        "video/mp4", {"codecs": "avc1.4D400A, mp4a.40.2", "x": "y"})


@pytest.mark.parametrize("type_, supported", [
    ('audio/mp4; codecs="mp4a.67"', True),                    # MPEG-2 AAC LC, as Chromium
    ('video/mp4; codecs="avc1.42E01E,mp4a.67"', True),
    ('audio/mp4; codecs="mp4a.66"', False),                   # (Chromium: not these two)
    ('audio/mp4; codecs="mp4a.68"', False),
])
def test_mpeg2_aac_in_mp4(type_, supported):
    assert (support(type_) is not None) is supported
