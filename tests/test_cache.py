"""The artifact store: served from disk the second time, recomputed when anything changes."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpers
import helpers.sampling
import helpers.train
from helpers.cache import (
    ArtifactCache,
    DamagedArtifactError,
    code_version,
    frame_arrays,
    helper_modules,
    source_fingerprint,
)


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"x": np.arange(5.0), "names": np.array(["a", "bb"])}, {"calls": self.calls}


@pytest.fixture
def cache(tmp_path):
    return ArtifactCache(tmp_path / "cache")


def test_second_request_is_served_from_cache(cache):
    compute = Counter()
    first = cache.get_or_compute("demo", {"n": 5}, compute, code="v1")
    second = cache.get_or_compute("demo", {"n": 5}, compute, code="v1")
    assert compute.calls == 1
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(second["x"], np.arange(5.0))
    assert second["names"].tolist() == ["a", "bb"] and second.meta == {"calls": 1}


def test_changed_configuration_or_code_recomputes(cache):
    compute = Counter()
    cache.get_or_compute("demo", {"n": 5}, compute, code="v1")
    cache.get_or_compute("demo", {"n": 6}, compute, code="v1")
    cache.get_or_compute("demo", {"n": 5}, compute, code="v2")
    assert compute.calls == 3


def test_code_version_follows_source_code():
    def f():
        return 1

    def g():
        return 2

    assert code_version(f) != code_version(g)
    assert code_version(f) == code_version(f)
    assert code_version("a", "b") != code_version("ab", "")
    with pytest.raises(ValueError, match="code_version"):
        code_version()


HELPERS = sorted(Path(helpers.__file__).parent.glob("*.py"))


def _edit_prose(source: str) -> str:
    """Append a comment and reword the first docstring of every function and class."""
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in ast.walk(tree):
        if (isinstance(node, ast.FunctionDef | ast.ClassDef) and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
                and isinstance(node.body[0].value.value, str)):
            line = node.body[0].lineno - 1
            lines[line] = lines[line].replace('"""', '"""Reworded. ', 1)
    return "\n".join(lines) + "\n# a comment appended by the test\n"


@pytest.mark.parametrize("path", HELPERS, ids=[p.stem for p in HELPERS])
def test_prose_edits_change_no_cache_key(path):
    source = path.read_text()
    edited = _edit_prose(source)
    assert edited != source
    assert source_fingerprint(edited) == source_fingerprint(source)


def test_a_changed_training_loop_changes_the_key():
    source = Path(helpers.train.__file__).read_text()
    assert "optimizer.step()" in source
    edited = source.replace("optimizer.step()", "optimizer.step()\n        optimizer.step()", 1)
    assert source_fingerprint(edited) != source_fingerprint(source)


def test_keys_follow_the_modules_a_computation_imports():
    assert {"helpers.train", "helpers.config", "helpers.data", "helpers.models",
            "helpers.flat_parameters"} <= helper_modules(helpers.train)
    assert helpers.train.training_code_version() == code_version(helpers.train)
    # a chart module's code never enters the key of a training run or a sample
    for computing in (helpers.train, helpers.sampling):
        assert not helper_modules(computing) & {"helpers.charts", "helpers.render",
                                                "helpers.report", "helpers.cache"}


def test_training_key_changes_with_the_code_it_imports(monkeypatch):
    import helpers.models

    before = helpers.train.training_code_version()
    real = inspect.getsource

    def edited(obj):
        text = real(obj)
        return text + "\nEXTRA_LAYER = 1\n" if obj is helpers.models else text

    monkeypatch.setattr(inspect, "getsource", edited)
    assert helpers.train.training_code_version() != before


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete_file", "delete_meta", "bad_json"])
def test_corrupted_artifact_is_recomputed_never_used(cache, damage):
    compute = Counter()
    art = cache.get_or_compute("demo", {"n": 5}, compute)
    file = art.path / "x.npy"
    if damage == "truncate":
        file.write_bytes(file.read_bytes()[:-8])
    elif damage == "flip":
        data = bytearray(file.read_bytes())
        data[-1] ^= 0xFF
        file.write_bytes(bytes(data))
    elif damage == "delete_file":
        file.unlink()
    elif damage == "delete_meta":
        (art.path / "meta.json").unlink()
    else:
        (art.path / "meta.json").write_text("{not json")
    again = cache.get_or_compute("demo", {"n": 5}, compute)
    assert compute.calls == 2 and not again.from_cache
    np.testing.assert_array_equal(again["x"], np.arange(5.0))


def test_interrupted_write_leaves_nothing_behind(cache):
    with pytest.raises(KeyboardInterrupt):
        with cache.writing("demo", "k1") as writer:
            writer.save_array("x", np.ones(3))
            raise KeyboardInterrupt
    assert cache.load("demo", "k1") is None
    assert list((cache.root / "demo").iterdir()) == []


def test_compute_failure_stores_nothing(cache):
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("demo", {"n": 1}, broken)
    folder = cache.root / "demo"
    assert not folder.exists() or not any(folder.iterdir())


def test_memmap_writer_and_large_arrays_load_memory_mapped(cache, monkeypatch):
    monkeypatch.setattr("helpers.cache.MMAP_BYTES", 1)
    with cache.writing("demo", "big") as writer:
        matrix = writer.open_memmap("params", (4, 3))
        for row in range(4):
            matrix[row] = row
        matrix.flush()
        del matrix
    loaded = cache.load("demo", "big")["params"]
    assert isinstance(loaded, np.memmap)
    np.testing.assert_array_equal(loaded[:, 0], [0, 1, 2, 3])


def _flip_last_byte(file: Path) -> None:
    """Damage a file in place (same size, same inode), as a faulty disk or a stray write would."""
    with open(file, "r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 0xFF]))


def test_memory_mapped_array_damaged_after_a_first_read_is_caught_at_the_next(cache,
                                                                               monkeypatch):
    monkeypatch.setattr("helpers.cache.MMAP_BYTES", 1)
    art = cache.get_or_compute("demo", {"n": 5}, Counter())
    first = art["x"]
    assert isinstance(first, np.memmap) and first[-1] == 4.0
    _flip_last_byte(art.path / "x.npy")
    # The map already handed out reads the file as it now is: that is what a map is.
    assert first[-1] != 4.0
    # The next request hashes the file again, refuses it and deletes the artifact...
    with pytest.raises(DamagedArtifactError, match="x.npy no longer matches"):
        art["x"]
    assert not art.path.exists()
    # ...so the next get_or_compute recomputes it.
    compute = Counter()
    again = cache.get_or_compute("demo", {"n": 5}, compute)
    assert compute.calls == 1 and not again.from_cache and again["x"][-1] == 4.0


def test_every_request_of_a_memory_mapped_array_is_checked(cache, monkeypatch):
    monkeypatch.setattr("helpers.cache.MMAP_BYTES", 1)
    cache.get_or_compute("demo", {"n": 5}, Counter())
    art = cache.load("demo", cache.key({"n": 5}))
    hashed = []
    real = helpers.cache._sha256
    monkeypatch.setattr("helpers.cache._sha256", lambda file: hashed.append(file.name)
                        or real(file))
    for _ in range(3):
        np.testing.assert_array_equal(art["x"], np.arange(5.0))
    # the load hashed it; the first request reuses that, each later one hashes again
    assert hashed == ["x.npy", "x.npy"]


def test_a_memory_map_of_an_array_read_into_memory_is_a_later_request(cache, monkeypatch):
    art = cache.get_or_compute("demo", {"n": 5}, Counter())
    assert art["names"].tolist() == ["a", "bb"]  # small: read into memory, bytes hashed
    _flip_last_byte(art.path / "names.npy")
    with pytest.raises(DamagedArtifactError):
        art.memmap("names")


def test_in_memory_array_is_checked_as_read_and_stays_as_checked(cache):
    art = cache.get_or_compute("demo", {"n": 5}, Counter())
    first = art["x"]
    assert not isinstance(first, np.memmap) and not first.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 99.0
    _flip_last_byte(art.path / "x.npy")
    # already in memory: the damaged file cannot reach it; the next load refuses the file
    np.testing.assert_array_equal(art["x"], np.arange(5.0))
    assert cache.load("demo", cache.key({"n": 5})) is None


def test_in_memory_array_damaged_between_load_and_first_read_is_refused(cache):
    art = cache.get_or_compute("demo", {"n": 5}, Counter())
    art = cache.load("demo", cache.key({"n": 5}))
    _flip_last_byte(art.path / "x.npy")
    with pytest.raises(DamagedArtifactError):
        art["x"]


def test_no_pickles_are_stored_or_read(cache):
    with pytest.raises(ValueError):
        with cache.writing("demo", "obj") as writer:
            writer.save_array("x", np.array([{"a": 1}], dtype=object))
    assert cache.load("demo", "obj") is None


def test_frames_round_trip(cache):
    frame = pd.DataFrame({"epoch": [0, 1], "split": ["train", "test"], "loss": [1.5, 0.5]})
    arrays, columns = frame_arrays("history", frame)
    art = cache.get_or_compute("demo", {}, lambda: (arrays, {"frames": {"history": columns}}))
    back = art.frame("history")
    assert list(back.columns) == list(frame.columns)
    assert back["split"].tolist() == ["train", "test"] and back["loss"].tolist() == [1.5, 0.5]


def test_metadata_records_checksums_and_fields(cache):
    art = cache.get_or_compute("demo", {"n": 5}, Counter(), code="v1")
    record = json.loads((art.path / "meta.json").read_text())
    assert record["fields"] == {"n": 5} and set(record["files"]) == {"x", "names"}
    assert all(len(f["sha256"]) == 64 for f in record["files"].values())


def test_bad_namespace(cache):
    with pytest.raises(ValueError, match="namespace"):
        cache.path("../escape", "k")
