"""Chapter timings: recorded only inside a book build, atomically, and read back with care."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest

from helpers import timings
from helpers.cache import ArtifactCache
from helpers.chapters import book_dir


def test_nothing_is_recorded_outside_a_book_build(monkeypatch, tmp_path):
    monkeypatch.delenv(timings.VARIABLE, raising=False)
    assert timings.record("01", seconds=1.0, compute_seconds=2.0) is None
    assert timings.read_records() == {}


def test_a_build_names_the_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(timings.VARIABLE, str(tmp_path / "timings"))
    path = timings.record("06", seconds=3.5, compute_seconds=70.25)
    assert path == tmp_path / "timings" / "06.json"
    assert [p.name for p in path.parent.iterdir()] == ["06.json"]  # no temporary file left
    record = timings.read_records()["06"]
    assert (record["seconds"], record["compute_seconds"]) == (3.5, 70.25)
    assert record["cores"] == timings.cores() and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC",
                                                              record["date"])


def test_artifacts_computed_during_the_execution_are_counted(tmp_path, monkeypatch):
    cache = ArtifactCache()  # the test's own cache (conftest)
    cache.get_or_compute("before", {"n": 0}, lambda: ({"x": np.zeros(1)}, {}))
    time.sleep(1.1)
    started = time.perf_counter()
    for n in range(3):
        cache.get_or_compute("during", {"n": n}, lambda: ({"x": np.ones(1)}, {}))
    cache.get_or_compute("before", {"n": 0}, lambda: 1 / 0)  # read, not written
    seconds = time.perf_counter() - started
    path = timings.record("02", seconds=seconds, compute_seconds=0.0, folder=tmp_path)
    assert json.loads(path.read_text())["artifacts_written"] == 3
    # An execution that only reads writes nothing.
    time.sleep(1.1)
    started = time.perf_counter()
    cache.get_or_compute("during", {"n": 1}, lambda: 1 / 0)
    path = timings.record("02", seconds=time.perf_counter() - started, compute_seconds=5.0,
                          folder=tmp_path)
    assert json.loads(path.read_text())["artifacts_written"] == 0


def test_damaged_or_foreign_records_are_left_out(tmp_path):
    timings.record("01", seconds=1.0, compute_seconds=1.0, folder=tmp_path)
    (tmp_path / "02.json").write_text(json.dumps({"chapter": "02", "seconds": "fast"}))
    (tmp_path / "03.json").write_text("[1, 2]")
    wrong = json.loads((tmp_path / "01.json").read_text())
    (tmp_path / "04.json").write_text(json.dumps(wrong))  # says it is Chapter 1's
    (tmp_path / "notes.json").write_text("{}")
    assert list(timings.read_records(tmp_path)) == ["01"]
    assert timings.read_records(tmp_path / "missing") == {}


@pytest.mark.parametrize(("chapter", "seconds"), [("4", 1.0), ("04-persistence", 1.0),
                                                  ("04", -1.0), ("04", float("nan"))])
def test_bad_records_are_refused(chapter, seconds, tmp_path):
    with pytest.raises(ValueError):
        timings.record(chapter, seconds=seconds, compute_seconds=0.0, folder=tmp_path)


def test_every_chapter_records_its_own_timings():
    for path in sorted(book_dir().glob("[0-9][0-9]-*.md")):
        text = path.read_text()
        number = path.stem[:2]
        assert re.findall(r'timings\.record\("(\d\d)"', text) == [number], path.name
        assert f"{{glue:text}}`ch{number}_cores`" in text, path.name
