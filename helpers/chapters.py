"""Re-executing a chapter with new parameters, without editing a file.

A chapter is a MyST-Markdown notebook whose cell tagged ``parameters`` holds its
defaults. :func:`run_chapter` converts it with jupytext, checks the requested
parameter names against that cell (papermill alone only warns about unknown ones),
executes it with papermill and writes the executed notebook and an HTML page under
``_build/runs/``. Before that, :func:`check_parameters` runs the chapter's own checks on
the values in this process, up to the first long computation: a bad value is refused
in about a second, with the chapter's message, before a kernel starts.

Examples
--------
From the repository root::

    make chapter CH=01 P="-p epochs 60 -p train_size 600"
    python -m helpers run-chapter 01 -p epochs 60 -p train_size 600
"""

from __future__ import annotations

import ast
import contextlib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from helpers.cache import project_root, stable_hash
from helpers.render import BUNDLE_NAME, write_bundle


class ChapterError(RuntimeError):
    """A chapter could not be executed; the message says why."""


def book_dir() -> Path:
    """The folder of the chapters (``book/`` of the checkout)."""
    root = project_root()
    if root is None:
        raise ChapterError("the chapters live in a checkout of the book; none was found")
    return root / "book"


def find_chapter(chapter: str) -> Path:
    """The chapter file for ``"01"``, ``"1"``, ``"01-training"`` or a path.

    Examples
    --------
    >>> find_chapter("1").name
    '01-training.md'
    """
    path = Path(chapter)
    if path.suffix == ".md" and path.exists():
        return path
    chapters = sorted(p for p in book_dir().glob("[0-9][0-9]-*.md"))
    number = chapter.split("-")[0]
    if number.isdigit():
        matches = [p for p in chapters if p.name.startswith(f"{int(number):02d}-")]
        if len(matches) == 1:
            return matches[0]
    names = ", ".join(p.stem for p in chapters)
    raise ValueError(f"chapter must name one of the book's chapters ({names}); got {chapter!r}")


def chapter_parameters(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """The defaults assigned in the cell tagged ``parameters``."""
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ChapterError("a chapter needs exactly one cell tagged 'parameters'; "
                           f"found {len(cells)}")
    defaults: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    defaults[target.id] = ast.literal_eval(node.value)
    return defaults


def parse_value(text: str) -> Any:
    """Read a command-line value: int, float, bool, None, a list/dict (YAML), else text.

    Examples
    --------
    >>> [parse_value(v) for v in ["60", "1e-4", "True", "None", "[0, 1]", "cifar10"]]
    [60, 0.0001, True, None, [0, 1], 'cifar10']
    >>> parse_value("{weight_decay: [0, 5e-3]}")
    {'weight_decay': [0, 0.005]}
    """
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text in ("None", "none", "null"):
        return None
    if text in ("True", "False"):
        return text == "True"
    try:
        return _numbers(yaml.safe_load(text))
    except yaml.YAMLError:
        return text


def _numbers(value: Any) -> Any:
    # YAML 1.1 reads 5e-3 (no dot) as text; inside lists and dicts it is meant as a number.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    return value


def run_chapter(chapter: str, parameters: dict[str, Any] | None = None,
                output_dir: str | Path | None = None, html: bool = True,
                timeout: int | None = None) -> Path:
    """Execute ``chapter`` with ``parameters`` and return the executed notebook's path.

    Parameters
    ----------
    chapter : str
        ``"01"``, ``"01-training"`` or a path to a chapter file.
    parameters : dict, optional
        Values for names of the chapter's ``parameters`` cell; any other name is
        refused with the list of valid ones before anything runs.
    output_dir : str or Path, optional
        Where the notebook (and HTML page) go; ``_build/runs/`` by default.
    html : bool
        Also write a standalone HTML page (with the vega bundle beside it).
    timeout : int, optional
        Per-cell time limit in seconds.

    Raises
    ------
    ValueError
        For an unknown chapter or parameter name.
    ChapterError
        When a cell fails; the message carries the chapter's own error.
    """
    import papermill

    parameters = dict(parameters or {})
    source = find_chapter(chapter)
    notebook = jupytext.read(source)
    defaults = chapter_parameters(notebook)
    unknown = sorted(set(parameters) - set(defaults))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for chapter {source.stem}; "
                         f"valid parameters are: {', '.join(defaults)}")
    check_parameters(str(source), parameters)  # a bad value fails here, in about a second
    output_dir = Path(output_dir) if output_dir else book_dir().parent / "_build" / "runs"
    output_dir.mkdir(parents=True, exist_ok=True)
    suffix = f"-{stable_hash(parameters, 8)}" if parameters else ""
    executed = output_dir / f"{source.stem}{suffix}.ipynb"
    unexecuted = output_dir / f".{source.stem}{suffix}.input.ipynb"
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, unexecuted)
    try:
        papermill.execute_notebook(str(unexecuted), str(executed), parameters=parameters,
                                   kernel_name="python3", cwd=str(source.parent),
                                   progress_bar=False, execution_timeout=timeout)
    except papermill.PapermillExecutionError as error:
        raise ChapterError(f"chapter {source.stem} failed: {error.ename}: {error.evalue}") from None
    finally:
        unexecuted.unlink(missing_ok=True)
    if html:
        write_html(executed)
    return executed


def write_html(notebook_path: Path) -> Path:
    """A standalone HTML page of an executed notebook whose charts draw offline."""
    from nbconvert import HTMLExporter

    with warnings.catch_warnings():
        # glue(display=False) leaves papermill-record outputs that have no HTML form, by design
        warnings.filterwarnings("ignore", message=".*papermill.record.*")
        body, _ = HTMLExporter(template_name="lab").from_filename(str(notebook_path))
    script = f'<script type="module" src="{BUNDLE_NAME}"></script>'
    body = re.sub(r"</head>", script + "\n</head>", body, count=1)
    page = notebook_path.with_suffix(".html")
    page.write_text(body)
    write_bundle(page.parent)
    return page


class WorkStarted(RuntimeError):
    """Raised by :func:`check_parameters` where a chapter starts its long work."""


#: The calls that start a chapter's long work (training, sampling, embedding, sweeps).
#: :func:`check_parameters` stops at the first of them: every parameter must have been
#: checked before.
WORK = ("helpers.train.fit", "helpers.train.train", "helpers.train.fit_model",
        "helpers.sampling.fit", "helpers.sampling.fit_model",
        "helpers.sampling.jump_and_retrain", "helpers.sampling.jump_and_retrain_model",
        "helpers.sampling.grid_sample",
        "helpers.sampling.naive_sample", "helpers.embedding.embed",
        "helpers.comparison.compare_embeddings", "helpers.comparison.phate_neighbourhoods",
        "helpers.pipeline.compute_features", "helpers.pipeline.feature_sweep",
        "helpers.sweep.run_sweep", "helpers.classify.fold_scores",
        "helpers.classify.permutation_test")


def check_parameters(chapter: str, parameters: dict[str, Any] | None = None) -> None:
    """Run a chapter's checks on ``parameters`` in this process, in about a second.

    Executes the chapter's code cells in order, with ``parameters`` set after its
    ``parameters`` cell, until the first call of :data:`WORK` — which is replaced by one
    that stops there. A chapter checks every parameter before any long work, so a bad
    value raises its ``ValueError`` (naming the chapter's parameter) here, before a
    kernel is started or anything is trained; :func:`run_chapter` calls this first.

    Raises
    ------
    ValueError
        The chapter's own error for a bad value (or an unknown parameter name).

    Examples
    --------
    >>> check_parameters("01", {"epochs": -1})
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer >= 1; got -1
    """
    import importlib
    import io

    parameters = dict(parameters or {})
    notebook = jupytext.read(find_chapter(chapter))
    defaults = chapter_parameters(notebook)
    unknown = sorted(set(parameters) - set(defaults))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; valid parameters are: "
                         f"{', '.join(defaults)}")

    def stop(*args: Any, **kwargs: Any) -> None:
        raise WorkStarted

    import pkgutil

    import helpers

    # Import every helpers module first: one imported while a function is replaced would
    # keep the replacement (``from helpers.train import fit``) after it is restored.
    for module in pkgutil.iter_modules(helpers.__path__):
        if module.name not in ("__main__", "sphinx_vega"):
            importlib.import_module(f"helpers.{module.name}")
    originals = []
    for path in WORK:
        module_name, name = path.rsplit(".", 1)
        module = importlib.import_module(module_name)
        originals.append((module, name, getattr(module, name)))
        setattr(module, name, stop)
    namespace: dict[str, Any] = {"__name__": "__chapter__", "display": lambda *a, **k: None}
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for cell in notebook.cells:
                if cell.cell_type != "code":
                    continue
                exec(compile(cell.source, f"<{chapter} cell>", "exec"), namespace)  # noqa: S102
                if "parameters" in cell.metadata.get("tags", []):
                    namespace.update(parameters)
    except WorkStarted:
        return
    finally:
        for module, name, original in reversed(originals):
            setattr(module, name, original)


@contextlib.contextmanager
def parameter_names(**names: str) -> Iterator[None]:
    """Let errors raised inside name the chapter's parameters, not the helper's arguments.

    A helper's ``ValueError`` names its own argument first (``"n_branch must be ..."``);
    a chapter that passes its parameter ``tree_n_branch`` as ``n_branch`` wraps the call
    so that a reader sees the name they can change.

    Examples
    --------
    >>> with parameter_names(n_branch="tree_n_branch"):
    ...     raise ValueError("n_branch must be an integer >= 1; got 0")
    Traceback (most recent call last):
    ...
    ValueError: tree_n_branch must be an integer >= 1; got 0
    """
    try:
        yield
    except ValueError as error:
        message = str(error)
        for argument, parameter in names.items():
            renamed = re.sub(rf"^(retrain: |settings\[\W*\w+\W*\] ?)?{re.escape(argument)}\b",
                             parameter, message, count=1)
            if renamed != message:
                raise ValueError(renamed) from error
        raise
