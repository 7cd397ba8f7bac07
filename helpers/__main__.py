"""Command line of the book: ``python -m helpers run-chapter 01 -p epochs 60``."""

from __future__ import annotations

import argparse
import sys

from helpers.chapters import ChapterError, parse_value, run_chapter


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run-chapter", help="execute a chapter with new parameters")
    run.add_argument("chapter", help="chapter number or name, e.g. 01 or 01-training")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    run.add_argument("--output-dir", default=None, help="default: _build/runs/")
    run.add_argument("--no-html", action="store_true", help="skip the HTML page")
    args = parser.parse_args(argv)

    parameters = {name: parse_value(value) for name, value in args.parameter}
    try:
        executed = run_chapter(args.chapter, parameters, output_dir=args.output_dir,
                               html=not args.no_html)
    except (ValueError, ChapterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2 if isinstance(error, ValueError) else 1
    print(f"executed notebook: {executed}")
    if not args.no_html:
        print(f"HTML page:         {executed.with_suffix('.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
