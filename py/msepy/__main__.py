"""``python -m msepy``: developer tools.

    python -m msepy replay SCRIPT.json       run an MSE replay script, one JSON line per op
    python -m msepy inspect FILE [--type T]  what the byte stream parser sees in a file
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m msepy",
                                     description="msepy developer tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    replay = sub.add_parser(
        "replay", help="run an MSE replay script against the engine",
        description="Run a replay script (see the README's replay format) and print one "
                    "JSON object per op.  Exit code 2 for a malformed script.")
    replay.add_argument("script", metavar="SCRIPT.json", help="the script ('-' for stdin)")

    inspect = sub.add_parser(
        "inspect", help="show a media file's init segments and coded frames",
        description="Run a file through msepy's byte stream parser and print its tracks, "
                    "a frame table per track and a summary.  Exit code 1 when the parser "
                    "rejects the bytes.")
    inspect.add_argument("file", metavar="FILE")
    inspect.add_argument("--type", metavar="MIME",
                         help="MIME type (default: guessed from the first bytes, then the "
                              "file name's extension)")
    inspect.add_argument("--frames", metavar="N", type=int, default=None,
                         help="show at most N frames per track (default: all)")
    inspect.add_argument("--no-frames", action="store_true", help="no frame tables")
    inspect.add_argument("--json", action="store_true", help="machine readable output")
    inspect.add_argument("--chunk", metavar="BYTES", type=int, default=None,
                         help="feed the parser in pieces of BYTES (default: the whole "
                              "file at once); the result must not change")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "replay":
        from .replay import main as replay_main
        return replay_main(args.script)
    from .inspect import main as inspect_main
    if args.frames is not None and args.frames < 0:
        print("inspect: --frames must be >= 0", file=sys.stderr)
        return 2
    if args.chunk is not None and args.chunk <= 0:
        print("inspect: --chunk must be > 0", file=sys.stderr)
        return 2
    return inspect_main(args.file, mime=args.type, frames=args.frames,
                        no_frames=args.no_frames, as_json=args.json, chunk=args.chunk)


if __name__ == "__main__":
    sys.exit(main())
