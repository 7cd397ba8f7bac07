"""Command line of the book.

``python -m helpers run-chapter 01 -p epochs 60`` re-runs one chapter;
``python -m helpers build-book params/paper.yaml`` builds the whole book with a parameter file.
"""

from __future__ import annotations

import argparse
import subprocess
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
    build = commands.add_parser("build-book", help="build the whole book with a parameter file")
    build.add_argument("parameter_file", help="YAML: an 'all' section and/or chapter sections")
    build.add_argument("--output-dir", default=None, help="default: _build/params-<file name>/")
    build.add_argument("--prepare-only", action="store_true",
                       help="check the file and write the book's copy, without building it")
    args = parser.parse_args(argv)
    if args.command == "build-book":
        return _build_book(args)

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


def _build_book(args: argparse.Namespace) -> int:
    from helpers.book_parameters import ParameterFileError, build_book, prepare_book

    try:
        if args.prepare_only:
            book = prepare_book(args.parameter_file, args.output_dir)
            print(f"book with the file's parameters: {book}")
            return 0
        site = build_book(args.parameter_file, args.output_dir)
    except ParameterFileError as error:
        print(f"error: {args.parameter_file} refused, nothing was run:\n{error}",
              file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: the build failed (exit status {error.returncode})", file=sys.stderr)
        return 1
    print(f"site: {site / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
