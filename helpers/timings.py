"""How long each chapter took in the build that produced the site, recorded by the chapter.

The last hidden cell of every chapter calls :func:`record`. When the book is built by
``make book`` (or ``python -m helpers build-book``), the variable
``LOSS_LANDSCAPE_TIMINGS`` names a folder and the record is written there as
``<chapter>.json``, atomically; anywhere else (a re-run with ``make chapter``, a
participant's notebook, a test) it is not written, so no other execution can pass for
the build's. The instructor page reads the records with :func:`read_records`.

A record holds the chapter's wall time (``seconds``), the time its cached computations
took when they were first computed (``compute_seconds``), how many artifacts this
execution wrote to the cache (none: everything was read from it, a *warm* run), the
cores the process could use and the date.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> path = record("04", seconds=12.5, compute_seconds=300.0, folder=folder)
>>> records = read_records(folder)
>>> records["04"]["seconds"], records["04"]["compute_seconds"], records["04"]["cores"] >= 1
(12.5, 300.0, True)
"""

from __future__ import annotations

import json
import os
import platform
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from helpers.cache import default_cache_dir

#: The variable a build sets to the folder where chapters record their timings.
VARIABLE = "LOSS_LANDSCAPE_TIMINGS"


def cores() -> int:
    """The CPU cores this process may use (its affinity, else the machine's count).

    Examples
    --------
    >>> cores() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS and Windows
        return os.cpu_count() or 1


def timings_folder() -> Path | None:
    """The folder named by ``LOSS_LANDSCAPE_TIMINGS``, or ``None`` outside a book build."""
    value = os.environ.get(VARIABLE, "").strip()
    return Path(value) if value else None


def artifacts_written_since(since: float, root: str | Path | None = None) -> int:
    """How many artifacts of the cache were written at or after the time ``since``.

    An artifact's ``meta.json`` is written once, when it is computed, and never touched
    when it is read: a chapter that wrote none read everything from the cache.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from helpers.cache import ArtifactCache
    >>> root = tempfile.mkdtemp()
    >>> before = time.time() - 1
    >>> _ = ArtifactCache(root).get_or_compute("demo", {"n": 1}, lambda: ({"x": np.ones(1)}, {}))
    >>> artifacts_written_since(before, root), artifacts_written_since(time.time() + 60, root)
    (1, 0)
    """
    root = Path(root) if root is not None else default_cache_dir()
    if not root.is_dir():
        return 0
    count = 0
    for namespace in os.scandir(root):
        if not namespace.is_dir():
            continue
        for artifact in os.scandir(namespace.path):
            try:
                written = os.stat(os.path.join(artifact.path, "meta.json")).st_mtime
            except (FileNotFoundError, NotADirectoryError):
                continue
            count += written >= since
    return count


def record(chapter: str, seconds: float, compute_seconds: float,
           folder: str | Path | None = None) -> Path | None:
    """Record a chapter's timings for the instructor page; returns the file, or ``None``.

    Parameters
    ----------
    chapter : str
        The chapter's number, ``"04"``.
    seconds : float
        Wall time of this execution, from its first cell to its last.
    compute_seconds : float
        What the chapter's cached computations (training, sampling, topology) took when
        they were first computed, in this execution or an earlier one.
    folder : str or Path, optional
        Where to write; by default the folder named by ``LOSS_LANDSCAPE_TIMINGS``, and
        nothing is written when that is unset.
    """
    if not (isinstance(chapter, str) and len(chapter) == 2 and chapter.isdigit()):
        raise ValueError(f"chapter must be a chapter number such as '04'; got {chapter!r}")
    if not seconds >= 0 or not compute_seconds >= 0:
        raise ValueError(f"seconds and compute_seconds must be >= 0; got {seconds!r}, "
                         f"{compute_seconds!r}")
    folder = Path(folder) if folder is not None else timings_folder()
    if folder is None:
        return None
    now = time.time()
    content = {"chapter": chapter, "seconds": float(seconds),
               "compute_seconds": float(compute_seconds),
               "artifacts_written": artifacts_written_since(now - seconds),
               "cores": cores(), "machine": platform.machine(), "system": platform.system(),
               "date": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chapter}.json"
    temporary = folder / f".{chapter}-{uuid.uuid4().hex[:8]}.tmp"
    temporary.write_text(json.dumps(content, indent=1))
    os.replace(temporary, path)
    return path


_FIELDS = {"chapter": (str,), "seconds": (int, float), "compute_seconds": (int, float),
           "artifacts_written": (int,), "cores": (int,), "date": (str,)}


def read_records(folder: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The records of a build by chapter number; unreadable or incomplete ones are left out.

    ``folder`` defaults to the one named by ``LOSS_LANDSCAPE_TIMINGS``; with neither,
    there are no records.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "01.json").write_text("{not json")
    >>> read_records(folder)
    {}
    """
    folder = Path(folder) if folder is not None else timings_folder()
    if folder is None or not folder.is_dir():
        return {}
    records = {}
    for path in sorted(folder.glob("[0-9][0-9].json")):
        try:
            content = json.loads(path.read_text())
            if not all(isinstance(content.get(k), types) for k, types in _FIELDS.items()):
                continue
        except (OSError, ValueError, AttributeError):
            continue
        if content["chapter"] == path.stem:
            records[path.stem] = content
    return records
