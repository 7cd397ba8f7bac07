"""Building the whole book with a parameter file: one preset, one device for every chapter.

A parameter file is YAML. Its section ``all`` gives values to every chapter that has a
parameter of that name; a section named for a chapter (``"04"``, ``4`` or
``"04-persistence"``) gives values to that chapter only, over those of ``all``::

    all: {preset: paper, device: cuda, download: true}
    "04": {filtration: test_loss}

:func:`prepare_book` refuses the file before anything runs when a name is no chapter's
parameter (in ``all``: no chapter's; in a chapter's section: not that chapter's) or when
a chapter refuses a value (:func:`helpers.chapters.check_parameters`, in about a second a
chapter). Then it writes a copy of the book under ``_build/params-<name>/`` with the values
written into each chapter's ``parameters`` cell, so the default site and its executed
notebooks are untouched; the artifact cache (``data/cache/``) is shared, so a result the
default build computed is not computed again. :func:`build_book` builds that copy strictly.

Examples
--------
From the repository root::

    make book PARAMS=params/paper.yaml
    python -m helpers build-book params/paper.yaml
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jupytext
import yaml

from helpers.chapters import book_dir, chapter_parameters, check_parameters, find_chapter
from helpers.timings import VARIABLE as TIMINGS_VARIABLE

#: The section of a parameter file that applies to every chapter.
COMMON = "all"

#: The files and folders of the checkout that make up the book.
BOOK_FILES = ("_config.yml", "_toc.yml", "book")

# YAML 1.1 reads 5e-3 (no dot) as text; a parameter file means a number.
_EXPONENT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


class ParameterFileError(ValueError):
    """A parameter file was refused; the message names each chapter and parameter."""


def _numbers(value: Any) -> Any:
    if isinstance(value, str) and _EXPONENT.fullmatch(value):
        return float(value)
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    return value


def chapters() -> dict[str, dict[str, Any]]:
    """The default parameters of every chapter, by chapter name (``"01-training"``)."""
    return {path.stem: chapter_parameters(jupytext.read(path))
            for path in sorted(book_dir().glob("[0-9][0-9]-*.md"))}


def read_parameter_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """The sections of a parameter file, each a mapping of parameter names to values.

    Raises
    ------
    ParameterFileError
        When the file is not a mapping of sections to mappings.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "p.yaml"
    >>> _ = file.write_text('all: {device: cpu}\\n"04": {retrain_lr: 5e-3}\\n')
    >>> read_parameter_file(file)
    {'all': {'device': 'cpu'}, '04': {'retrain_lr': 0.005}}
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterFileError(f"parameter file {path} does not exist")
    try:
        content = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ParameterFileError(f"parameter file {path} is not valid YAML: {error}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ParameterFileError(f"parameter file {path} must map sections ('{COMMON}' or a "
                                 f"chapter such as \"04\") to parameters; got {content!r}")
    sections = {}
    for section, values in content.items():
        if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
            raise ParameterFileError(f"section {section!r} of {path} must map parameter names "
                                     f"to values; got {values!r}")
        sections[str(section)] = _numbers(values)
    return sections


def chapter_values(sections: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The values each chapter receives, by chapter name; names are checked, not values.

    A name of ``all`` goes to every chapter that has that parameter; a chapter's own
    section overrides it. Chapters that receive nothing are left out.

    Raises
    ------
    ParameterFileError
        Listing every name no chapter has (in ``all``), every name the chapter lacks
        (in a chapter's section) and every section that names no chapter.

    Examples
    --------
    >>> values = chapter_values({"all": {"preset": "paper", "rates": [0.1]},
    ...                          "4": {"filtration": "test_loss"}})
    >>> values["04-persistence"]
    {'preset': 'paper', 'filtration': 'test_loss'}
    >>> values["06-learning-rate"]["rates"], "rates" in values["01-training"]
    ([0.1], False)
    >>> chapter_values({"all": {"epoch": 3}})
    Traceback (most recent call last):
    ...
    helpers.book_parameters.ParameterFileError: all: 'epoch' is no chapter's parameter
    """
    defaults = chapters()
    errors = []
    common = sections.get(COMMON, {})
    for name in common:
        if not any(name in names for names in defaults.values()):
            errors.append(f"{COMMON}: {name!r} is no chapter's parameter")
    values = {stem: {k: v for k, v in common.items() if k in names}
              for stem, names in defaults.items()}
    for section, given in sections.items():
        if section == COMMON:
            continue
        try:
            stem = find_chapter(section).stem
        except ValueError as error:
            errors.append(f"section {section!r}: {error}")
            continue
        unknown = sorted(set(given) - set(defaults[stem]))
        if unknown:
            errors.append(f"chapter {stem}: unknown parameter(s) {unknown}; valid parameters "
                          f"are: {', '.join(defaults[stem])}")
        values[stem].update(given)
    if errors:
        raise ParameterFileError("\n".join(errors))
    return {stem: given for stem, given in values.items() if given}


def check_values(values: dict[str, dict[str, Any]]) -> None:
    """Run every chapter's own checks on its values (about a second a chapter).

    Raises
    ------
    ParameterFileError
        With one line per refusing chapter, ``chapter <name>: <its message>``.
    """
    errors = []
    for stem, given in values.items():
        try:
            check_parameters(stem, given)
        except Exception as error:  # a chapter's own refusal, whatever its type
            errors.append(f"chapter {stem}: {error}")
    if errors:
        raise ParameterFileError("\n".join(errors))


def python_literal(value: Any) -> str:
    """Source text for a value of a parameter file (strings in double quotes).

    Examples
    --------
    >>> python_literal({"weight_decay": [0, 5e-3], "augment": [True]})
    '{"weight_decay": [0, 0.005], "augment": [True]}'
    """
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}"
                               for k, v in value.items()) + "}"
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise ParameterFileError(f"a parameter value must be a number, text, true/false, null, "
                             f"a list or a mapping; got {value!r}")


def set_parameters(source: str, values: dict[str, Any], origin: str) -> str:
    """The source of a parameters cell with ``values`` assigned in place of the defaults.

    Each assignment keeps its line and its comment; a first line says where the values
    came from.

    Examples
    --------
    >>> print(set_parameters('preset = "workshop"  # or "paper"\\nepochs = None',
    ...                      {"preset": "paper"}, "paper.yaml"))
    # preset: from paper.yaml
    preset = "paper"     # or "paper"
    epochs = None
    """
    lines = source.split("\n")
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            spans[node.targets[0].id] = node.value
    missing = sorted(set(values) - set(spans))
    if missing:
        raise ParameterFileError(f"the parameters cell assigns no {missing}")
    # Replace from the last assignment up, so earlier positions stay valid.
    for name in sorted(values, key=lambda n: (spans[n].lineno, spans[n].col_offset),
                       reverse=True):
        node = spans[name]
        first, last = node.lineno - 1, node.end_lineno - 1
        head, tail = lines[first][:node.col_offset], lines[last][node.end_col_offset:]
        assignment = head + python_literal(values[name])
        if tail.lstrip().startswith("#"):  # keep the comment in its column where it fits
            column = len(lines[last]) - len(tail.lstrip())
            tail = " " * max(2, column - len(assignment)) + tail.lstrip()
        lines[first:last + 1] = [assignment + tail]
    return "\n".join([f"# {', '.join(values)}: from {origin}", *lines])


def write_chapter(text: str, values: dict[str, Any], origin: str) -> str:
    """A chapter's MyST text with ``values`` written into its ``parameters`` cell."""
    notebook = jupytext.reads(text, fmt="md:myst")
    defaults = chapter_parameters(notebook)
    (cell,) = (c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    start = text.find(":tags: [parameters]")
    position = text.find(cell.source, start)
    if start < 0 or position < 0:
        raise ParameterFileError("the parameters cell could not be found in the chapter's text")
    result = (text[:position] + set_parameters(cell.source, values, origin)
              + text[position + len(cell.source):])
    written = chapter_parameters(jupytext.reads(result, fmt="md:myst"))
    if written != {**defaults, **values}:  # pragma: no cover - a guard on the rewriting
        raise ParameterFileError("writing the parameters changed more than the given values")
    return result


def code_stamp(root: Path) -> str:
    """A hash of ``helpers/*.py`` and ``pyproject.toml``: executed chapters depend on them."""
    digest = hashlib.sha256()
    for file in [*sorted((root / "helpers").glob("*.py")), root / "pyproject.toml"]:
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _write_if_changed(path: Path, data: bytes) -> None:
    # Sphinx re-reads a page whose file changed: unchanged pages keep their cache.
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _sync(source: Path, target: Path, chapters_text: dict[str, str]) -> None:
    wanted = set()
    for file in sorted(source.rglob("*")):
        if file.is_dir() or "__pycache__" in file.parts or ".ipynb_checkpoints" in file.parts:
            continue
        relative = file.relative_to(source)
        wanted.add(relative)
        text = chapters_text.get(str(relative))
        _write_if_changed(target / relative, text.encode() if text else file.read_bytes())
    for file in sorted(target.rglob("*"), reverse=True):
        if file.is_file() and file.relative_to(target) not in wanted:
            file.unlink()


def prepare_book(parameter_file: str | Path, output: str | Path | None = None) -> Path:
    """Check a parameter file, then write the book's copy with its values; returns the copy.

    Nothing is written when a name or a value is refused. The copy is
    ``_build/params-<file name>/`` of the checkout unless ``output`` is given; it holds
    ``_config.yml``, ``_toc.yml``, ``book/`` and ``parameters.yaml`` (the values each
    chapter received). When the code of ``helpers/`` has changed since the copy was
    last built, its executed notebooks are discarded, as ``make book`` does for the
    default site.

    Raises
    ------
    ParameterFileError
        Naming each refused chapter and parameter.
    """
    parameter_file = Path(parameter_file)
    values = chapter_values(read_parameter_file(parameter_file))
    for stem, given in values.items():
        for name, value in given.items():
            try:
                python_literal(value)
            except ParameterFileError as error:
                raise ParameterFileError(f"chapter {stem}: {name}: {error}") from None
    check_values(values)
    root = book_dir().parent
    output = Path(output) if output else root / "_build" / f"params-{parameter_file.stem}"
    output.mkdir(parents=True, exist_ok=True)
    origin = parameter_file.name
    chapters_text = {f"{stem}.md": write_chapter((root / "book" / f"{stem}.md").read_text(),
                                                 given, origin)
                     for stem, given in values.items()}
    for name in BOOK_FILES[:2]:
        _write_if_changed(output / name, (root / name).read_bytes())
    _sync(root / "book", output / "book", chapters_text)
    _write_if_changed(output / "parameters.yaml", yaml.safe_dump(
        {"parameter_file": str(parameter_file), "chapters": values}, sort_keys=False).encode())
    stamp = output / "_build" / f".code-{code_stamp(root)}"
    if not stamp.exists():
        for stale in (".jupyter_cache", ".doctrees", "timings"):
            shutil.rmtree(output / "_build" / stale, ignore_errors=True)
        for old in (output / "_build").glob(".code-*"):
            old.unlink()
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    return output


def build_book(parameter_file: str | Path, output: str | Path | None = None) -> Path:
    """Prepare the copy (:func:`prepare_book`) and build it strictly; returns the site folder.

    A failing build (a failing cell, a warning, a broken reference) raises
    ``subprocess.CalledProcessError``.

    Raises
    ------
    ParameterFileError
        Before anything runs, for a refused name or value.
    """
    from helpers.cache import default_cache_dir

    book = prepare_book(parameter_file, output)
    root = book_dir().parent
    environment = {**os.environ, TIMINGS_VARIABLE: str(book / "_build" / "timings"),
                   "LOSS_LANDSCAPE_CACHE": str(default_cache_dir())}
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", "-W", "-n", "--keep-going", str(book)],
                   check=True, env=environment, cwd=root)
    return book / "_build" / "html"
