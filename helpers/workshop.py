"""The instructor page: workshop plans timed by the build, set-up facts, common errors.

A plan is a sequence of :class:`Slot`: minutes of teaching, a chapter and its sections,
and what to run live, with which parameters. The times of the runs are not written
here: :func:`chapter_times` and :func:`plan_table` take them from the records the
chapters wrote in the build (:mod:`helpers.timings`) and say "not measured in this
build" where there is none. :func:`common_errors` produces the messages participants
meet by calling the code that raises them, so the page quotes the current wording.

Examples
--------
>>> print(live_command("02", {"step_sizes": [0.5, 1, 2, 4]}))
make chapter CH=02 P="-p step_sizes '[0.5, 1, 2, 4]'"
>>> format_duration(75), format_duration(3725)
('1 min 15 s', '1 h 2 min')
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: Download and installation of the environment, measured once with
#: ``benchmarks/bench_setup.py`` (a fresh virtual environment, ``pip download`` of the
#: project with its test extras, then ``pip install`` from the downloaded files); they
#: cannot be measured while the book builds. The installation ran at the lowest CPU
#: priority on two cores that other jobs shared (load about 6), so a laptop's is shorter.
SETUP_MEASURED = {
    "date": "2026-11-30",
    "machine": "Linux x86-64, 2 cores shared with other jobs, Python 3.11, pip 23.2",
    "download_bytes": 3_310_368_519,
    "download_files": 183,
    "torch_download_bytes": 3_004_425_392,
    "download_seconds": 107,
    "install_seconds": 550,
}


@dataclass(frozen=True)
class Slot:
    """One part of a workshop.

    Parameters
    ----------
    minutes : int
        Its length in the plan.
    title : str
        What happens (for a chapter: how it is taught).
    chapter : str, optional
        The chapter's number, ``"04"``.
    sections : tuple of str
        The chapter's sections covered (their headings).
    live : dict, optional
        Parameters of the run done live (``{}``: the defaults); ``None``: no live run.
    """

    minutes: int
    title: str
    chapter: str | None = None
    sections: tuple[str, ...] = ()
    live: dict[str, Any] | None = field(default=None)


#: Three hours, Chapters 1 to 4. Participants have done the set-up beforehand.
THREE_HOURS = (
    Slot(15, "Welcome; everyone opens the built site and runs the set-up check"),
    Slot(30, "Good, bad and memorizing optima", "01",
         ("Overview", "Training", "What the paper reports, and what this run found"),
         {"epochs": 40}),
    Slot(35, "Jump and retrain", "02",
         ("J&R on a toy landscape", "J&R around the three optima",
          "Grid, naive and J&R sampling around one optimum (Fig. 2, top row)"),
         {"retrain_lr": 0.1}),
    Slot(15, "Break"),
    Slot(30, "Embeddings of the samples", "03",
         ("Eight views of the same samples (the paper's Fig. 1 A, B)",
          "Measured, not only looked at"),
         {"phate_knn": 5}),
    Slot(45, "Persistent homology of the samples", "04",
         ("Filtrations and persistence diagrams on a path",
          "From jump-and-retrain samples to diagrams",
          "Fig. 3A: the landscape around different optima"),
         {"filtration": "test_loss"}),
    Slot(10, "Summary; what Chapters 5, 6 and 7 add; questions"),
)

#: A full day, every chapter, with the exercises done in groups.
FULL_DAY = (
    Slot(20, "Welcome; set-up check, fixing what fails with the table of errors below"),
    Slot(45, "Good, bad and memorizing optima; exercises 1-2", "01",
         ("Overview", "Training", "What the paper reports, and what this run found",
          "The paper's 108-network sweep"),
         {"epochs": 40}),
    Slot(55, "Jump and retrain; exercises 2-3", "02",
         ("J&R on a toy landscape", "J&R around the three optima",
          "Cosine-PHATE views (the paper's Fig. 2, bottom row)",
          "Grid, naive and J&R sampling around one optimum (Fig. 2, top row)"),
         {"retrain_lr": 0.1}),
    Slot(15, "Break"),
    Slot(45, "Embeddings of the samples; exercises 1-2", "03",
         ("Eight views of the same samples (the paper's Fig. 1 A, B)",
          "An artificial tree (the paper's Fig. 1 C)", "Measured, not only looked at"),
         {"phate_knn": 5}),
    Slot(60, "Lunch"),
    Slot(60, "Persistent homology of the samples; exercises 1 and 2", "04",
         ("Filtrations and persistence diagrams on a path",
          "From jump-and-retrain samples to diagrams",
          "Fig. 3A: the landscape around different optima",
          "Two conventions the paper does not state",
          "Fig. 3B: total persistence against test loss",
          "Beyond the paper: does topology say more than sharpness?"),
         {"filtration": "test_loss"}),
    Slot(40, "The classifier table; exercise 1", "05",
         ("The zoo", "From samples to features", "The table",
          "J&R against grid and naive samples"),
         {"tasks": ["augment"], "classifiers": ["knn", "lda", "random_forest"]}),
    Slot(15, "Break"),
    Slot(50, "The learning-rate study; exercise 3", "06",
         ("Two learning rates", "The graphs", "Total persistence per epoch",
          "Controls: does the graph matter?"),
         {"k": 5}),
    Slot(50, "Loss surfaces, merge trees and curvature; exercise 2", "07",
         ("Loss surfaces along random and Hessian directions", "Merge trees of the surfaces",
          "Curvature: top eigenvalues, trace, density",
          "Residual against plain: does 002's finding hold?"),
         {"connectivity": 8}),
    Slot(25, "Using helpers/ on your own model; summary; questions"),
)

PLANS = {"three hours": THREE_HOURS, "full day": FULL_DAY}


def format_duration(seconds: float) -> str:
    """``"42 s"``, ``"3 min 5 s"``, ``"1 h 2 min"``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _command_value(value: Any) -> str:
    # What helpers.chapters.parse_value reads back: Python's words for scalars, YAML's flow
    # style (no double quotes, which would end the P="..." of make) for lists and mappings.
    import yaml

    if isinstance(value, list | dict):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    else:
        text = str(value)
    return f"'{text}'" if any(c in text for c in " []{},") else text


def live_command(chapter: str, parameters: dict[str, Any]) -> str:
    """The command that re-runs ``chapter`` with ``parameters``."""
    options = " ".join(f"-p {name} {_command_value(v)}" for name, v in parameters.items())
    return f'make chapter CH={chapter} P="{options}"' if options else f"make chapter CH={chapter}"


def cold_seconds(timing: dict[str, Any]) -> tuple[float, bool]:
    """A chapter's time from an empty cache, and whether the build measured it directly.

    When the build computed something (``artifacts_written > 0``) its wall time is that
    time, in book order (earlier chapters' results read from the cache). When it read
    everything from the cache, the time of its cached computations is added: an upper
    estimate.

    Examples
    --------
    >>> cold_seconds({"seconds": 90.0, "compute_seconds": 80.0, "artifacts_written": 6})
    (90.0, True)
    >>> cold_seconds({"seconds": 9.0, "compute_seconds": 80.0, "artifacts_written": 0})
    (89.0, False)
    """
    if timing["artifacts_written"] > 0:
        return float(timing["seconds"]), True
    return float(timing["seconds"] + timing["compute_seconds"]), False


def chapter_titles() -> dict[str, str]:
    """Each chapter's number and its title (the first heading), in book order."""
    from helpers.chapters import book_dir

    titles = {}
    for path in sorted(book_dir().glob("[0-9][0-9]-*.md")):
        heading = next(line for line in path.read_text().splitlines() if line.startswith("# "))
        titles[path.stem[:2]] = heading[2:].strip()
    return titles


def chapter_sections(chapter: str) -> list[str]:
    """The headings (levels 2 and 3) of a chapter, in order."""
    from helpers.chapters import find_chapter

    return [line.lstrip("#").strip() for line in find_chapter(chapter).read_text().splitlines()
            if line.startswith(("## ", "### "))]


NOT_MEASURED = "not measured in this build"


def chapter_times(records: dict[str, dict[str, Any]],
                  titles: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per chapter: this build's times, or "not measured in this build".

    Examples
    --------
    >>> frame = chapter_times({"01": {"seconds": 30.0, "compute_seconds": 25.0,
    ...                               "artifacts_written": 9, "cores": 2,
    ...                               "date": "2026-11-30 10:00 UTC"}},
    ...                       {"01": "Training", "02": "Jump and retrain"})
    >>> frame.loc["02", "this execution"]
    'not measured in this build'
    >>> frame.loc["01", ["chapter", "this execution", "from an empty cache"]].tolist()
    ['Training', '30 s', '30 s']
    """
    titles = titles if titles is not None else chapter_titles()
    rows = {}
    for number, title in titles.items():
        timing = records.get(number)
        title = title.split(":")[0]
        if timing is None:
            rows[number] = {"chapter": title, "this execution": NOT_MEASURED, "results": "",
                            "cached computations": "", "from an empty cache": ""}
            continue
        cold, measured = cold_seconds(timing)
        rows[number] = {
            "chapter": title,
            "this execution": format_duration(timing["seconds"]),
            "results": (f"computed ({timing['artifacts_written']} artifacts)"
                        if timing["artifacts_written"] else "read from the cache"),
            "cached computations": format_duration(timing["compute_seconds"]),
            "from an empty cache": format_duration(cold) if measured
            else f"at most {format_duration(cold)}"}
    return pd.DataFrame.from_dict(rows, orient="index")


def plan_table(plan: tuple[Slot, ...], records: dict[str, dict[str, Any]],
               start: str = "9:00") -> pd.DataFrame:
    """A plan as a table: clock time, minutes, what, the live run and how long it takes.

    A live run re-computes only what its parameters change, so it takes at most the
    chapter's time from an empty cache (:func:`cold_seconds`); where that is more than
    half of the slot, the table says to start it before the slot.

    Examples
    --------
    >>> plan = (Slot(30, "Intro"), Slot(40, "Training", "01", ("Training",), {"epochs": 40}))
    >>> timing = {"seconds": 1500.0, "compute_seconds": 1400.0, "artifacts_written": 9,
    ...           "cores": 2, "date": ""}
    >>> table = plan_table(plan, {"01": timing})
    >>> table["time"].tolist(), table.loc[1, "live run takes"]
    (['9:00', '9:30'], 'at most 25 min: start it before the slot')
    >>> plan_table(plan, {}).loc[1, "live run takes"]
    'not measured in this build'
    """
    from helpers.chapters import find_chapter

    hours, minutes = (int(part) for part in start.split(":"))
    clock = hours * 60 + minutes
    rows = []
    for slot in plan:
        row = {"time": f"{clock // 60}:{clock % 60:02d}", "minutes": slot.minutes,
               "what": slot.title, "chapter": "", "sections": "; ".join(slot.sections),
               "run live": "", "live run takes": ""}
        if slot.chapter is not None:
            row["chapter"] = f"{{doc}}`{find_chapter(slot.chapter).stem}`"
        if slot.live is not None:
            row["run live"] = code_span(live_command(slot.chapter, slot.live))
            timing = records.get(slot.chapter)
            if timing is None:
                row["live run takes"] = NOT_MEASURED
            else:
                bound = cold_seconds(timing)[0]
                fits = bound <= slot.minutes * 60 / 2
                row["live run takes"] = (f"at most {format_duration(bound)}"
                                         + ("" if fits else ": start it before the slot"))
        rows.append(row)
        clock += slot.minutes
    return pd.DataFrame(rows)


def plan_markdown(table: pd.DataFrame) -> str:
    """A plan table (:func:`plan_table`) as a Markdown list, one item a slot.

    Examples
    --------
    >>> plan = (Slot(15, "Welcome"), Slot(30, "Optima", "01", ("Training",), {"epochs": 40}))
    >>> print(plan_markdown(plan_table(plan, {})))
    - **9:00-9:15** Welcome
    - **9:15-9:45** Optima: {doc}`01-training`, sections Training.
      Live: `make chapter CH=01 P="-p epochs 40"`, not measured in this build.
    """
    items = []
    for row in table.to_dict("records"):
        hours, minutes = (int(part) for part in row["time"].split(":"))
        end = hours * 60 + minutes + row["minutes"]
        item = f"- **{row['time']}-{end // 60}:{end % 60:02d}** {row['what']}"
        if row["chapter"]:
            item += f": {row['chapter']}, sections {row['sections']}"
            item += "" if item.endswith(("?", ".")) else "."
        if row["run live"]:
            item += f"\n  Live: {row['run live']}, {row['live run takes']}."
        items.append(item)
    return "\n".join(items)


def markdown_table(frame: pd.DataFrame, index: bool = False) -> str:
    """A MyST (pipe) table of ``frame``; cells keep their Markdown.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"a": [1], "b": ["`x`"]})))
    | a | b |
    | --- | --- |
    | 1 | `x` |
    """
    frame = frame.reset_index() if index else frame
    lines = ["| " + " | ".join(str(c) for c in frame.columns) + " |",
             "| " + " | ".join("---" for _ in frame.columns) + " |"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ")
                                       for v in row) + " |")
    return "\n".join(lines)


def folder_bytes(folder: str | Path) -> int:
    """Bytes of the files under ``folder`` (links not followed)."""
    total = 0
    for directory, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except OSError:
                continue
    return total


def environment_sizes() -> dict[str, int]:
    """Bytes of this Python environment, and of torch with its CUDA libraries in it."""
    import torch

    packages = Path(torch.__file__).resolve().parent.parent
    torch_bytes = sum(folder_bytes(packages / name) for name in ("torch", "nvidia", "triton")
                      if (packages / name).is_dir())
    return {"environment": folder_bytes(sys.prefix), "torch": torch_bytes}


def code_span(text: str) -> str:
    """``text`` as inline code, fenced by more backticks than it contains in a row.

    Examples
    --------
    >>> code_span("set the `download` parameter")
    '`` set the `download` parameter ``'
    """
    runs = [len(part) for part in "".join(c if c == "`" else " " for c in text).split()]
    fence = "`" * (max(runs, default=0) + 1)
    text = " ".join(text.split())
    return f"{fence} {text} {fence}" if len(fence) > 1 else f"{fence}{text}{fence}"


def _error(call: Any) -> str:
    try:
        call()
    except Exception as error:  # the message a participant sees
        return code_span(f"{type(error).__name__}: {error}")
    return "(no error on this machine)"


def common_errors() -> pd.DataFrame:
    """The errors participants meet most, with the current message of each and its fix.

    The messages of the book's own checks are produced by calling them (about ten
    seconds); the others quote the message of the tool that prints it.
    """
    import torch

    from helpers.book_parameters import chapter_values
    from helpers.chapters import check_parameters, run_chapter
    from helpers.config import DEVICES
    from helpers.data import load_dataset

    available = {"cuda": torch.cuda.is_available(),
                 "mps": bool(torch.backends.mps.is_available())}
    missing_device = next((d for d in DEVICES if d != "cpu" and not available.get(d)), "cuda")
    empty = tempfile.mkdtemp()
    rows = [
        ("A parameter name is misspelt",
         _error(lambda: run_chapter("01", {"epoch": 3})),
         "Use a name from the list in the message (the chapter's `parameters` cell)."),
        ("A value is out of range",
         _error(lambda: check_parameters("01", {"epochs": -1})),
         "Change the value the message names; nothing was run."),
        (f"No {missing_device.upper()} on the laptop",
         _error(lambda: check_parameters("01", {"device": missing_device})),
         "Leave `device` at `cpu` (the default); the paper preset needs a GPU."),
        ("A parameter file is refused",
         _error(lambda: chapter_values({"all": {"epoch": 3}})),
         "Fix the names and values it lists; `make book PARAMS=...` ran nothing."),
        ("No internet for CIFAR-10 (paper preset or `dataset cifar10`)",
         _error(lambda: load_dataset("cifar10", root=empty)).replace(empty, "data"),
         "Fetch it once while online (`download True`, about 170 MB) or copy `data/` from "
         "a colleague; the default digits need no download."),
        ("Out of memory",
         "`torch.OutOfMemoryError: CUDA out of memory` or "
         "`RuntimeError: DefaultCPUAllocator: can't allocate memory`",
         "Close other notebooks; lower `batch_size`, `eval_samples` or `hessian_samples`; "
         "or run with `-p preset workshop`."),
        ("A notebook still uses the old code after `git pull`",
         "`AttributeError: module 'helpers....' has no attribute ...` or old results",
         "Restart the kernel: a running kernel keeps the helpers it imported."),
        ("`make test` skips or fails the browser test",
         "`chromium and chromedriver are not installed (make browser installs them)`",
         "Install the Debian packages `chromium` and `chromium-driver` (`make browser` "
         "does as root); the other tests run without them."),
    ]
    return pd.DataFrame(rows, columns=["symptom", "message", "fix"])


def _chapter_list(numbers: list[str]) -> str:
    names = [f"Chapter {int(n)}" if len(numbers) == 1 else str(int(n)) for n in numbers]
    if len(names) == 1:
        return names[0]
    return "Chapters " + ", ".join(names[:-1]) + " and " + names[-1]


def measurement_sentence(records: dict[str, dict[str, Any]], chapters: list[str]) -> str:
    """What the build measured, on which machine, and which times are from an empty cache.

    Examples
    --------
    >>> base = {"compute_seconds": 1.0, "cores": 2, "date": "2026-11-30 10:00 UTC"}
    >>> sentence = measurement_sentence(
    ...     {"01": {**base, "seconds": 9.0, "artifacts_written": 3},
    ...      "02": {**base, "seconds": 2.0, "artifacts_written": 0}}, ["01", "02", "03"])
    >>> for part in sentence.split(". "):
    ...     print(part[:60])
    The chapters recorded their times on a machine with 2 CPU co
    Chapter 1 computed its results in this build: its time is th
    Chapter 2 read every result from `data/cache/`; its time fro
    Chapter 3: not measured in this build.
    """
    if not records:
        return ("No chapter recorded its time in this build: times are recorded when the book "
                "is built with `make book` (or `python -m helpers build-book`), which tell the "
                "chapters where to write them.")
    cores = sorted({r["cores"] for r in records.values()})
    dates = sorted({r["date"] for r in records.values()})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    machine = " or ".join(str(c) for c in cores)
    parts = [f"The chapters recorded their times on a machine with {machine} CPU "
             f"{'core' if cores == [1] else 'cores'} ({when})."]
    cold = [n for n in chapters if n in records and records[n]["artifacts_written"] > 0]
    warm = [n for n in chapters if n in records and records[n]["artifacts_written"] == 0]
    missing = [n for n in chapters if n not in records]
    if cold:
        parts.append(f"{_chapter_list(cold)} computed {'its' if len(cold) == 1 else 'their'} "
                     "results in this build: "
                     f"{'its time is' if len(cold) == 1 else 'their times are'} the time from "
                     "an empty cache, with earlier chapters' results read from the cache.")
    if warm:
        parts.append(f"{_chapter_list(warm)} read every result from `data/cache/`; "
                     f"{'its time' if len(warm) == 1 else 'their times'} from an empty cache "
                     f"{'is' if len(warm) == 1 else 'are'} estimated from above, as this "
                     "execution plus the time "
                     f"{'its' if len(warm) == 1 else 'their'} cached computations took.")
    if missing:
        parts.append(f"{_chapter_list(missing)}: {NOT_MEASURED}.")
    return " ".join(parts)


def _gigabytes(size: float) -> str:
    return f"{size / 1e9:.1f} GB"


def setup_checklist(records: dict[str, dict[str, Any]], chapters: list[str],
                    sizes: dict[str, int], measured: dict[str, Any] | None = None,
                    repository: str = "") -> str:
    """The participants' set-up, as a Markdown list with the measured sizes and times.

    ``sizes`` are those of the environment that builds the page
    (:func:`environment_sizes`); ``measured`` the download and installation
    (:data:`SETUP_MEASURED`); the time of the first ``make book`` is the sum of the
    chapters' times from an empty cache in this build.
    """
    measured = SETUP_MEASURED if measured is None else measured
    clone = (f"`git clone {repository}`" if repository
             else "a copy of the book's repository (from the instructor)")
    download = (f"{_gigabytes(measured['download_bytes'])} in {measured['download_files']} "
                f"files, {_gigabytes(measured['torch_download_bytes'])} of them PyTorch "
                f"with its CUDA libraries (measured on {measured['date']}, "
                f"{measured['machine']})")
    install = (f"installing them from the downloaded files took "
               f"{format_duration(measured['install_seconds'])} there, on a loaded machine"
               if measured.get("install_seconds") else "")
    if all(n in records for n in chapters):
        total = sum(cold_seconds(records[n])[0] for n in chapters)
        estimated = any(not cold_seconds(records[n])[1] for n in chapters)
        run = (f"{'at most ' if estimated else ''}{format_duration(total)} of chapter execution "
               f"on {records[chapters[0]]['cores']} cores, measured in this build")
    else:
        run = f"the chapters' execution time: {NOT_MEASURED}"
    torch_share = _gigabytes(sizes["torch"])
    items = [
        f"**Before the workshop, with internet:** Python ≥ 3.10, `make`, git, and "
        f"{clone}.",
        "**The two commands**, in the repository:\n\n  ```bash\n  make book   # set-up, "
        "every chapter executed, the site in _build/html/\n  make test   # the same set-up, "
        "then the tests\n  ```",
        f"**Download:** {download}" + (f"; {install}." if install else "."),
        f"**Disk:** the environment that built this page takes "
        f"{_gigabytes(sizes['environment'])}, of which {torch_share} are PyTorch with its "
        "CUDA libraries; the artifact cache `data/cache/` grows with every result.",
        f"**The first `make book`:** {run}; later builds read the results from "
        "`data/cache/` and take seconds a chapter.",
        "**Check:** open `_build/html/index.html`; a chapter page shows its charts and offers "
        "its notebook (`.ipynb`) in the download menu.",
        "**Offline:** after the first `make book` nothing needs the internet: the default data "
        "(scikit-learn's 8×8 digits) ship with scikit-learn, and the site serves its own "
        "charting and math scripts. To set up a machine with no internet, download the "
        "packages elsewhere (`pip download -d wheels '.[test]'`) and install them with "
        "`pip install --no-index --find-links wheels -e '.[test]'`; copy `data/` from a "
        "machine that built the same commit to skip the computation, and fetch CIFAR-10 "
        "beforehand if you use the paper preset.",
    ]
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def built_with(root: str | Path) -> str:
    """A sentence on the parameter file this site was built with, or ``""`` for the defaults."""
    import yaml

    file = Path(root) / "parameters.yaml"
    if not file.is_file():
        return ""
    content = yaml.safe_load(file.read_text())
    lines = [f"This site was built with the parameter file `{content['parameter_file']}` "
             "(`make book PARAMS=...`); its times are those of these values:", ""]
    for stem, values in content["chapters"].items():
        given = ", ".join(f"`{k} = {v!r}`" for k, v in values.items())
        lines.append(f"- {stem}: {given}")
    return "\n".join(lines)


def repository_url(root: str | Path) -> str:
    """The ``repository.url`` of the book's ``_config.yml`` (``""`` when unset)."""
    import yaml

    config = yaml.safe_load((Path(root) / "_config.yml").read_text()) or {}
    return ((config.get("repository") or {}).get("url") or "").strip()
