"""The artifact store: computed once, checked when read, never read half-written.

An artifact is a folder ``<root>/<namespace>/<key>/`` holding one ``.npy`` file per
array and a ``meta.json`` that records each file's size and SHA-256, the fields the
key was made from, and free-form metadata. It is built in a temporary folder beside
its final place and renamed into place only when complete, so an interrupted
computation leaves nothing that could be mistaken for a result.

When checksums are compared:

- :meth:`ArtifactCache.load` (and so :meth:`ArtifactCache.get_or_compute`) hashes
  every file of the artifact; a damaged artifact is deleted and recomputed.
- ``artifact[name]`` for an array under :data:`MMAP_BYTES` reads the file once,
  hashes the very bytes it read and returns them as a read-only array; later requests
  return that same in-memory array, which later changes to the file cannot reach.
- A memory-mapped array (``artifact[name]`` at :data:`MMAP_BYTES` or more, and
  :meth:`Artifact.memmap`) is read lazily from the file, page by page, so no single
  read can be checked cheaply. Its file is hashed by the load and again at *every
  later request* for it. Damage to the file after a request is caught by the next
  request or load, which raise :class:`DamagedArtifactError` (and delete the
  artifact); an array already handed out reads the damaged bytes until then.

The key hashes the configuration *and* the code that computes the artifact
(:func:`code_version`): editing the training loop invalidates every cached training
run, so a stale result never survives a change of the code; editing a docstring, a
comment, a chart or a sentence of the book invalidates nothing.

Only ``.npy`` files (``allow_pickle=False``) and JSON are ever read back; nothing is
unpickled. Large arrays load memory-mapped.

Examples
--------
>>> import tempfile, numpy as np
>>> cache = ArtifactCache(tempfile.mkdtemp())
>>> art = cache.get_or_compute("demo", {"n": 3}, lambda: ({"x": np.arange(3)}, {"note": "hi"}))
>>> art.from_cache, art["x"].tolist()
(False, [0, 1, 2])
>>> cache.get_or_compute("demo", {"n": 3}, lambda: 1 / 0).from_cache
True
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import importlib
import inspect
import io
import json
import os
import shutil
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

#: Arrays at least this large (bytes of their ``.npy`` file) are memory-mapped on
#: request instead of read into memory.
MMAP_BYTES = 64 * 2**20
_META = "meta.json"
_FORMAT = 1


def project_root() -> Path | None:
    """The repository checkout this package lives in, or ``None`` when installed elsewhere."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").exists() and (root / "book").is_dir() else None


def data_dir() -> Path:
    """Where datasets live: ``$LOSS_LANDSCAPE_DATA``, else ``data/`` of the checkout.

    Examples
    --------
    >>> data_dir().name
    'data'
    """
    if os.environ.get("LOSS_LANDSCAPE_DATA"):
        return Path(os.environ["LOSS_LANDSCAPE_DATA"])
    root = project_root()
    return root / "data" if root else Path.home() / ".cache" / "loss-landscape-book" / "data"


def default_cache_dir() -> Path:
    """Where artifacts live: ``$LOSS_LANDSCAPE_CACHE``, else ``data/cache/`` of the checkout."""
    if os.environ.get("LOSS_LANDSCAPE_CACHE"):
        return Path(os.environ["LOSS_LANDSCAPE_CACHE"])
    return data_dir() / "cache"


def code_version(*sources: ModuleType | Callable[..., Any] | str) -> str:
    """A hash of the code that computes an artifact, blind to docstrings and comments.

    Used in cache keys so that editing the code that computes an artifact invalidates
    it, and editing anything else does not. Each source counts as follows:

    - a module of this package: its syntax tree with docstrings removed, and the same
      for every ``helpers`` module it imports, directly or through others, except this
      store, whose format is part of every key (so
      ``code_version(helpers.train)`` covers configuration, data, models and flat
      parameters). A module that no computing module imports — charts, rendering, the
      sentences of :mod:`helpers.report` — never enters a key;
    - any other module or a function: its syntax tree with docstrings removed;
    - a string: as given (e.g. another code version).

    Comments, docstrings, blank lines and line breaks therefore change no key; a
    changed statement, default or constant does.

    Examples
    --------
    >>> import helpers.config
    >>> len(code_version(helpers.config))
    16
    >>> def f(x):
    ...     return 2 * x
    >>> before = code_version(f)
    >>> def f(x):
    ...     'Twice x.'
    ...     return 2 * x  # doubled
    >>> code_version(f) == before
    True
    """
    if not sources:
        raise ValueError("code_version needs at least one module, function or string")
    texts: list[str] = []
    seen: set[str] = set()
    for source in sources:
        if isinstance(source, str):
            texts.append(source)
        elif isinstance(source, ModuleType) and source.__name__.startswith("helpers."):
            for name in sorted(helper_modules(source)):
                if name not in seen:
                    seen.add(name)
                    texts.append(source_fingerprint(inspect.getsource(sys.modules[name])))
        else:
            texts.append(source_fingerprint(inspect.getsource(source)))
    digest = hashlib.sha256()
    for text in texts:
        # Length-prefixed so that ("ab", "") and ("a", "b") differ.
        digest.update(f"{len(text)}:{text}".encode())
    return digest.hexdigest()[:16]


def source_fingerprint(source: str) -> str:
    """The syntax tree of Python source without its docstrings, as text.

    Examples
    --------
    >>> source_fingerprint("x = 1  # one") == source_fingerprint("x = (1)")
    True
    >>> source_fingerprint("x = 1") == source_fingerprint("x = 2")
    False
    """
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def helper_modules(module: ModuleType) -> set[str]:
    """The names of ``module`` and of every ``helpers`` module it imports, transitively.

    Imports inside functions count too (a lazy import is still a dependency).

    Examples
    --------
    >>> import helpers.train
    >>> {"helpers.config", "helpers.models", "helpers.train"} <= helper_modules(helpers.train)
    True
    >>> "helpers.charts" in helper_modules(helpers.train)
    False
    """
    found: set[str] = set()
    pending = [module.__name__]
    while pending:
        name = pending.pop()
        if name in found or name == __name__:
            continue  # the store itself computes nothing; its format is in every key
        found.add(name)
        tree = ast.parse(inspect.getsource(importlib.import_module(name)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                pending += [a.name for a in node.names if a.name.startswith("helpers.")]
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("helpers."):
                    pending.append(node.module)
                elif node.module == "helpers":
                    pending += [f"helpers.{a.name}" for a in node.names]
    return found


def stable_hash(value: Any, length: int = 16) -> str:
    """Hash a JSON-compatible value into a short hexadecimal string.

    Keys are sorted and floats written by ``repr``, so equal values always hash
    equally, in any process.

    Examples
    --------
    >>> stable_hash({"b": 1, "a": 2}) == stable_hash({"a": 2, "b": 1})
    True
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default`` for what the book stores: dataclasses, tuples, numpy.

    Examples
    --------
    >>> import numpy as np
    >>> json.dumps({"a": (1, 2), "b": np.float32(0.5)}, default=json_default)
    '{"a": [1, 2], "b": 0.5}'
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"cannot store a value of type {type(value).__name__} as JSON")


class DamagedArtifactError(OSError):
    """A stored file no longer matches the checksum recorded when it was written."""


@dataclass
class Artifact:
    """A stored artifact: named arrays plus JSON metadata.

    Made by :meth:`ArtifactCache.load`. ``artifact[name]`` returns an array, checked
    against its recorded SHA-256 as the module docstring describes.

    Attributes
    ----------
    path : Path
        The artifact's folder.
    meta : dict
        The metadata saved with it.
    from_cache : bool
        ``True`` when it was read from disk rather than just computed.
    """

    path: Path
    meta: dict[str, Any]
    from_cache: bool
    _files: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _loaded: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # Files hashed by the load and not requested since: a first request for a memory map
    # need not hash them again.
    _hashed_by_load: set[str] = field(default_factory=set, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the stored arrays."""
        return tuple(self._files)

    def __contains__(self, name: str) -> bool:
        return name in self._files

    def __getitem__(self, name: str) -> np.ndarray:
        self._check_name(name)
        return self._array(name, mmap=self._files[name]["bytes"] >= MMAP_BYTES)

    def memmap(self, name: str) -> np.memmap:
        """The array memory-mapped (read-only) whatever its size.

        For matrices read by rows that must never be in memory twice. Checked like
        every memory-mapped array: hashed by the load and at every later request.
        """
        self._check_name(name)
        return self._array(name, mmap=True)

    def _check_name(self, name: str) -> None:
        if name not in self._files:
            raise KeyError(f"artifact has no array {name!r}; it has {list(self._files)}")

    def _array(self, name: str, mmap: bool) -> np.ndarray:
        loaded = self._loaded.get(name)
        if loaded is not None and not isinstance(loaded, np.memmap) and not mmap:
            return loaded  # already in memory, checked when it was read
        file = self.path / f"{name}.npy"
        first_request = name in self._hashed_by_load
        self._hashed_by_load.discard(name)
        if mmap:
            if not first_request:
                self._verify(name, file.stat().st_size, _sha256(file))
            if not isinstance(loaded, np.memmap):
                loaded = np.load(file, mmap_mode="r", allow_pickle=False)
                self._loaded[name] = loaded
            return loaded
        data = file.read_bytes()
        self._verify(name, len(data), hashlib.sha256(data).hexdigest())
        array = np.load(io.BytesIO(data), allow_pickle=False)
        array.flags.writeable = False  # what later requests return must stay what was checked
        self._loaded[name] = array
        return array

    def _verify(self, name: str, size: int, digest: str) -> None:
        expected = self._files[name]
        if size != expected["bytes"] or digest != expected["sha256"]:
            shutil.rmtree(self.path, ignore_errors=True)
            raise DamagedArtifactError(
                f"{self.path / (name + '.npy')} no longer matches the checksum recorded when "
                "it was written; the artifact was deleted and the next get_or_compute "
                "recomputes it")

    def frame(self, prefix: str) -> pd.DataFrame:
        """Rebuild a table saved with :func:`frame_arrays` under ``prefix``."""
        columns = self.meta["frames"][prefix]
        return pd.DataFrame({c: self[f"{prefix}.{c}"] for c in columns})


def frame_arrays(prefix: str, frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], list[str]]:
    """Split a table into one array per column, named ``prefix.column``.

    Returns the arrays and the column order, which :meth:`Artifact.frame` needs
    (pass it as ``meta["frames"][prefix]``). Text columns become fixed-width
    unicode arrays, which ``.npy`` stores without pickling.
    """
    arrays = {}
    for column in frame.columns:
        values = frame[column].to_numpy()
        if values.dtype == object:
            values = values.astype(str)
        arrays[f"{prefix}.{column}"] = values
    return arrays, [str(c) for c in frame.columns]


class ArtifactWriter:
    """Collects an artifact's files in a temporary folder; see :meth:`ArtifactCache.writing`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: list[str] = []

    def _file(self, name: str) -> Path:
        if not name or "/" in name or name.startswith(".") or name in self.names:
            raise ValueError(f"array name must be new, non-empty and contain no '/'; got {name!r}")
        self.names.append(name)
        return self.folder / f"{name}.npy"

    def save_array(self, name: str, array: np.ndarray) -> None:
        """Store one array (no object dtype: nothing is pickled)."""
        np.save(self._file(name), np.asarray(array), allow_pickle=False)

    def open_memmap(self, name: str, shape: tuple[int, ...], dtype: Any = np.float32) -> np.memmap:
        """An on-disk array to fill row by row, for matrices too large to hold twice."""
        return np.lib.format.open_memmap(self._file(name), mode="w+", dtype=dtype, shape=shape)


class ArtifactCache:
    """A content-addressed store of computed arrays under ``root``.

    Parameters
    ----------
    root : str or Path, optional
        Folder of the store; :func:`default_cache_dir` by default.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> cache = ArtifactCache(tempfile.mkdtemp())
    >>> with cache.writing("demo", "abc", meta={"rows": 2}) as writer:
    ...     writer.save_array("x", np.ones(2))
    >>> cache.load("demo", "abc").meta["rows"]
    2
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def key(self, fields: Mapping[str, Any], code: str = "") -> str:
        """The key of an artifact computed from ``fields`` by code of version ``code``."""
        return stable_hash({"fields": dict(fields), "code": code, "format": _FORMAT})

    def path(self, namespace: str, key: str) -> Path:
        """The folder an artifact has (or would have)."""
        if not namespace.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"namespace must be letters, digits, '-' or '_'; got {namespace!r}")
        return self.root / namespace / key

    def load(self, namespace: str, key: str) -> Artifact | None:
        """The artifact if it exists and every file checks out, else ``None``.

        Every file is hashed. A damaged artifact (missing file, wrong size or
        checksum, unreadable metadata) is deleted so that it is recomputed.
        """
        folder = self.path(namespace, key)
        try:
            record = json.loads((folder / _META).read_text())
            files = record["files"]
            for name, expected in files.items():
                file = folder / f"{name}.npy"
                if file.stat().st_size != expected["bytes"] or _sha256(file) != expected["sha256"]:
                    raise ValueError(f"{file} does not match its checksum")
        except FileNotFoundError:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            return None
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return Artifact(folder, record["meta"], True, dict(files), _hashed_by_load=set(files))

    @contextlib.contextmanager
    def writing(self, namespace: str, key: str,
                meta: Mapping[str, Any] | None = None,
                fields: Mapping[str, Any] | None = None) -> Iterator[ArtifactWriter]:
        """Write an artifact atomically.

        Files go to a temporary folder; on leaving the block without an error
        their checksums and ``meta`` are recorded and the folder is renamed into
        place. On an error (or an interrupt) the temporary folder is removed.
        """
        final = self.path(namespace, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.parent / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        temporary.mkdir()
        writer = ArtifactWriter(temporary)
        try:
            yield writer
            files = {}
            for name in writer.names:
                file = temporary / f"{name}.npy"
                _fsync(file)
                files[name] = {"bytes": file.stat().st_size, "sha256": _sha256(file)}
            record = {"format": _FORMAT, "key": key, "fields": dict(fields or {}),
                      "meta": dict(meta or {}), "files": files}
            (temporary / _META).write_text(json.dumps(record, indent=1, default=json_default))
            _fsync(temporary / _META)
            if final.exists():
                shutil.rmtree(final)
            os.replace(temporary, final)
        finally:
            if temporary.exists():
                shutil.rmtree(temporary, ignore_errors=True)

    def get_or_compute(self, namespace: str, fields: Mapping[str, Any],
                       compute: Callable[[], tuple[Mapping[str, np.ndarray], Mapping[str, Any]]],
                       code: str = "") -> Artifact:
        """Load the artifact for ``fields`` and ``code``, computing and storing it if needed.

        Parameters
        ----------
        namespace : str
            A folder per kind of artifact (``"train"``, ``"jump-retrain"``, ...).
        fields : mapping
            JSON-compatible values that determine the result (a configuration).
        compute : callable
            Returns ``(arrays, meta)``; called only when no valid artifact exists.
        code : str
            Version of the computing code, usually :func:`code_version` of its modules.
        """
        key = self.key(fields, code)
        found = self.load(namespace, key)
        if found is not None:
            return found
        arrays, meta = compute()
        with self.writing(namespace, key, meta=meta, fields=fields) as writer:
            for name, array in arrays.items():
                writer.save_array(name, array)
        stored = self.load(namespace, key)
        if stored is None:  # pragma: no cover - only if the disk fails under us
            raise OSError(f"artifact {namespace}/{key} could not be read back after writing")
        stored.from_cache = False
        return stored

    def clear(self, namespace: str | None = None) -> None:
        """Delete every artifact, or those of one namespace."""
        target = self.root if namespace is None else self.root / namespace
        shutil.rmtree(target, ignore_errors=True)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(2**22), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(file: Path) -> None:
    with open(file, "rb") as handle:
        os.fsync(handle.fileno())

