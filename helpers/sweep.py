"""Run one task over many configurations, cached, in this process or on a Dask cluster.

:func:`run_sweep` calls ``task(config)`` for every configuration whose result is not
yet in the :class:`~helpers.cache.ArtifactCache` and stores each result as soon as
it arrives, so an interrupted sweep resumes where it stopped and nothing finished
is computed twice. A configuration whose task raises is reported with its error
and does not stop the others; failures are not cached, so running the sweep again
retries exactly them.

The task contract
-----------------
A task is a plain function defined at module level,
``task(config) -> (arrays, meta)``, where ``arrays`` maps names to NumPy arrays and
``meta`` is a JSON-compatible dict. Defined at module level it can be shipped to
Dask workers, and its source can be hashed: the cache key is made from the
configuration's fields, the task's qualified name and :func:`~helpers.cache.code_version`
of the task's module (with every ``helpers`` module it imports, and any ``depends_on``),
so editing the task or the code it calls recomputes its results.

Executors
---------
``executor="local"`` (the default) runs the configurations one after another in
this process. ``executor="dask"`` starts a :class:`dask.distributed.LocalCluster`
of ``n_workers`` single-threaded worker processes for the duration of the sweep.
A scheduler address such as ``"tcp://host:8786"`` or a :class:`dask.distributed.Client`
uses a cluster that is already running. Workers send their results back to this
process, which writes the cache: the workers need no shared disk, only an
environment in which ``helpers`` and the task's module import.

On a Slurm cluster, `dask-jobqueue <https://jobqueue.dask.org>`_ submits the
workers as batch jobs::

    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    cluster = SLURMCluster(cores=1, processes=1, memory="8GB", walltime="04:00:00",
                           job_extra_directives=["--gres=gpu:1"])
    cluster.scale(jobs=16)
    with Client(cluster) as client:
        sweep = run_sweep(configs, task, executor=client)

Examples
--------
>>> import tempfile
>>> from helpers.cache import ArtifactCache
>>> cache = ArtifactCache(tempfile.mkdtemp())
>>> configs = [{"seed": seed, "steps": 50} for seed in range(3)]
>>> run_sweep(configs, random_walk, cache=cache, progress=False).table["status"].tolist()
['computed', 'computed', 'computed']
>>> run_sweep(configs, random_walk, cache=cache, progress=False).table["status"].tolist()
['cached', 'cached', 'cached']
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from helpers.cache import Artifact, ArtifactCache, code_version, json_default, stable_hash
from helpers.checks import check_bool, check_int, progress_disabled

EXECUTORS = ("local", "dask")
STATUSES = ("cached", "computed", "failed")

Task = Callable[[Any], tuple[Mapping[str, np.ndarray], Mapping[str, Any]]]


@dataclass
class SweepFailure:
    """A configuration whose task failed.

    Attributes
    ----------
    index : int
        Position of the configuration in the sweep.
    config : object
        The configuration itself.
    error_type : str
        Name of the exception's class, such as ``'ValueError'``.
    message : str
        The exception's message.
    traceback : str
        The formatted traceback, from the worker that ran the task.
    """

    index: int
    config: Any
    error_type: str
    message: str
    traceback: str

    def __str__(self) -> str:
        return f"configs[{self.index}] failed with {self.error_type}: {self.message}"


@dataclass
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    results : list of Artifact or None
        One entry per configuration, in the order given; ``None`` where it failed.
    failures : dict of int to SweepFailure
        The failed configurations, by index.
    table : pandas.DataFrame
        One row per configuration: its fields, ``status`` (``"cached"``,
        ``"computed"`` or ``"failed"``), ``seconds`` (time the task ran, or the time
        spent loading a cached result), ``error`` (``None`` unless it failed) and
        every scalar of the result's metadata (named ``meta.<name>`` where a
        configuration field has the same name).
    seconds : float
        Wall time of the whole sweep.
    """

    results: list[Artifact | None]
    failures: dict[int, SweepFailure]
    table: pd.DataFrame
    seconds: float

    def __repr__(self) -> str:
        counts = self.table["status"].value_counts()
        parts = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
        return f"SweepResult({len(self.results)} configurations: {parts}; {self.seconds:.1f} s)"


def random_walk(config: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """An example task: a seeded Gaussian random walk.

    Parameters
    ----------
    config : mapping
        ``seed`` (int) and ``steps`` (int >= 1); ``scale`` (float, default 1) is
        the standard deviation of a step.

    Returns
    -------
    arrays : dict
        ``{"walk": ndarray of shape (steps + 1,)}``, starting at 0.
    meta : dict
        ``final`` and ``maximum`` of the walk.

    Examples
    --------
    >>> arrays, meta = random_walk({"seed": 0, "steps": 10})
    >>> arrays["walk"].shape, bool(meta["final"] == arrays["walk"][-1])
    ((11,), True)
    """
    steps = check_int("steps", config["steps"], minimum=1)
    rng = np.random.default_rng(check_int("seed", config["seed"], minimum=0))
    walk = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, config.get("scale", 1.0), steps))])
    return {"walk": walk}, {"final": float(walk[-1]), "maximum": float(walk.max())}


def run_sweep(configs: Iterable[Any], task: Task, *, executor: Any = "local",
              n_workers: int | None = None, cache: ArtifactCache | None = None,
              depends_on: Sequence[ModuleType | Callable[..., Any] | str] = (),
              progress: bool | None = None) -> SweepResult:
    """Run ``task`` on every configuration not yet cached, storing each result.

    Parameters
    ----------
    configs : iterable
        The configurations: objects with a ``to_dict()`` method (such as
        :class:`~helpers.config.TrainConfig`), dataclasses, or mappings of
        JSON-compatible values. They must be distinct.
    task : callable
        A module-level function ``task(config) -> (arrays, meta)``: a dict of
        NumPy arrays and a JSON-compatible dict. It receives each configuration
        as given.
    executor : {"local", "dask"}, str or dask.distributed.Client, default "local"
        ``"local"`` runs in this process; ``"dask"`` starts a local cluster of
        worker processes for this sweep; a scheduler address (``"tcp://host:8786"``),
        a :class:`dask.distributed.Client` or a cluster object uses that cluster
        and leaves it running.
    n_workers : int, optional
        Worker processes of ``executor="dask"`` (only there); by default one per
        CPU core, but never more than there are configurations to compute.
    cache : ArtifactCache, optional
        The store; the project's ``data/cache`` by default. Results go to the
        namespace ``sweep-<task name>``.
    depends_on : sequence of modules, functions or str
        Further code whose source is part of the cache key, such as the modules
        the task calls: editing them recomputes the sweep.
    progress : bool or None
        Show a progress bar; ``None`` shows one only on a terminal.

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        On bad arguments, before anything is computed. A task that raises does
        not raise here: it is reported in ``failures`` (and by a warning).

    Examples
    --------
    >>> import tempfile
    >>> from helpers.cache import ArtifactCache
    >>> cache = ArtifactCache(tempfile.mkdtemp())
    >>> sweep = run_sweep([{"seed": 0, "steps": 5}, {"seed": 1, "steps": 5}], random_walk,
    ...                   cache=cache, progress=False)
    >>> sweep.results[1]["walk"].shape
    (6,)
    >>> list(sweep.table.columns)
    ['seed', 'steps', 'status', 'seconds', 'error', 'final', 'maximum']

    On a local Dask cluster of two worker processes:

    >>> sweep = run_sweep(configs, task, executor="dask", n_workers=2)  # doctest: +SKIP
    """
    started = time.perf_counter()
    configs = _check_configs(configs)
    name = _check_task(task)
    executor, n_workers = check_executor(executor, n_workers)
    if cache is not None and not isinstance(cache, ArtifactCache):
        raise ValueError(f"cache must be an ArtifactCache or None; got {type(cache).__name__}")
    if not isinstance(depends_on, Sequence) or isinstance(depends_on, str):
        raise ValueError("depends_on must be a sequence of modules, functions or strings; "
                         f"got {depends_on!r}")
    if progress is not None:
        check_bool("progress", progress)
    cache = cache or ArtifactCache()

    namespace = "sweep-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in task.__name__)
    code = _task_code_version(task, depends_on)
    fields = [{"config": f, "task": name} for f in _config_fields(configs)]
    keys = [cache.key(f, code) for f in fields]

    sweep = _Sweep(configs, fields, keys, namespace, cache)
    for index, key in enumerate(keys):
        loading = time.perf_counter()
        found = cache.load(namespace, key)
        if found is not None:
            sweep.record(index, found, "cached", time.perf_counter() - loading)
    pending = [i for i in range(len(configs)) if sweep.status[i] is None]

    with tqdm(total=len(configs), initial=len(configs) - len(pending),
              desc=f"sweep {task.__name__}", unit="config",
              disable=progress_disabled(progress)) as bar:
        sweep.bar = bar
        if pending and executor == "local":
            for index in pending:
                sweep.store(index, _run_task(task, configs[index]))
        elif pending:
            _run_dask(sweep, task, pending, executor, n_workers)

    if sweep.failures:
        first = next(iter(sweep.failures.values()))
        warnings.warn(f"{len(sweep.failures)} of {len(configs)} configurations failed "
                      f"(see .failures); first: {first}", UserWarning, stacklevel=2)
    return SweepResult(sweep.results, dict(sorted(sweep.failures.items())), sweep.table(),
                       time.perf_counter() - started)


# --- execution -------------------------------------------------------------------------

@dataclass
class _Outcome:
    """What one call of a task gave, as sent back from a worker."""

    seconds: float
    arrays: dict[str, np.ndarray] | None = None
    meta: dict[str, Any] | None = None
    error: tuple[str, str, str] | None = None  # type, message, traceback


def _run_task(task: Task, config: Any) -> _Outcome:
    # Runs on the worker. Errors are caught here, not left to Dask, so that they come
    # back as plain strings: the exception class may not even import on the client.
    started = time.perf_counter()
    try:
        arrays, meta = _check_output(task(config))
    except Exception as error:
        return _Outcome(time.perf_counter() - started,
                        error=(type(error).__name__, str(error), traceback.format_exc()))
    return _Outcome(time.perf_counter() - started, arrays, meta)


def _check_output(output: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    if not isinstance(output, tuple) or len(output) != 2:
        raise TypeError(f"a task must return a tuple (arrays, meta); got {type(output).__name__}")
    arrays, meta = output
    if not isinstance(arrays, Mapping) or not isinstance(meta, Mapping):
        raise TypeError("a task must return (dict of arrays, dict of metadata); got "
                        f"({type(arrays).__name__}, {type(meta).__name__})")
    checked = {}
    for key, value in arrays.items():
        if not isinstance(key, str) or not key or "/" in key or key.startswith("."):
            raise TypeError(f"array names must be non-empty strings without '/'; got {key!r}")
        checked[key] = np.asarray(value)
        if checked[key].dtype == object:
            raise TypeError(f"array {key!r} has dtype object, which is not stored")
    meta = dict(meta)
    json.dumps(meta, default=json_default)  # fails here, with a traceback, if not JSON-compatible
    return checked, meta


def _run_dask(sweep: _Sweep, task: Task, pending: list[int], executor: Any,
              n_workers: int | None) -> None:
    import distributed

    if executor == "dask":
        with distributed.LocalCluster(
                n_workers=min(n_workers or _cpu_count(), len(pending)), processes=True,
                threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            _submit_and_store(sweep, task, pending, client)
    elif isinstance(executor, distributed.Client):
        _submit_and_store(sweep, task, pending, executor)
    else:  # a scheduler address or a cluster object
        with distributed.Client(executor) as client:
            _submit_and_store(sweep, task, pending, client)


def _submit_and_store(sweep: _Sweep, task: Task, pending: list[int], client: Any) -> None:
    import distributed

    run = uuid.uuid4().hex[:8]
    futures = {client.submit(_run_task, task, sweep.configs[i], retries=0,
                             key=f"{sweep.namespace}-{sweep.keys[i]}-{run}"): i
               for i in pending}
    try:
        for future in distributed.as_completed(futures):
            index = futures.pop(future)
            try:
                outcome = future.result()
            except Exception as error:  # the worker died, or the task was cancelled
                outcome = _Outcome(math.nan, error=(
                    type(error).__name__, str(error),
                    "".join(traceback.format_exception(type(error), error, error.__traceback__))))
            future.release()  # free the worker's copy before the next result arrives
            sweep.store(index, outcome)
    finally:
        if futures:  # interrupted: don't leave work running on a cluster we don't own
            client.cancel(list(futures))


class _Sweep:
    """The state of a sweep: what each configuration gave so far."""

    def __init__(self, configs: list[Any], fields: list[dict[str, Any]], keys: list[str],
                 namespace: str, cache: ArtifactCache) -> None:
        self.configs, self.fields, self.keys = configs, fields, keys
        self.namespace, self.cache = namespace, cache
        self.results: list[Artifact | None] = [None] * len(configs)
        self.status: list[str | None] = [None] * len(configs)
        self.seconds = [math.nan] * len(configs)
        self.failures: dict[int, SweepFailure] = {}
        self.bar: Any = None

    def record(self, index: int, artifact: Artifact | None, status: str, seconds: float) -> None:
        self.results[index], self.status[index], self.seconds[index] = artifact, status, seconds

    def store(self, index: int, outcome: _Outcome) -> None:
        """Write a computed result to the cache, or record its failure."""
        error = outcome.error
        if error is None:
            try:
                with self.cache.writing(self.namespace, self.keys[index], meta=outcome.meta,
                                        fields=self.fields[index]) as writer:
                    for name, array in outcome.arrays.items():
                        writer.save_array(name, array)
                artifact = self.cache.load(self.namespace, self.keys[index])
                if artifact is None:
                    raise OSError(f"artifact {self.namespace}/{self.keys[index]} "
                                  "could not be read back after writing")
                artifact.from_cache = False
                self.record(index, artifact, "computed", outcome.seconds)
            except Exception as failure:
                error = (type(failure).__name__, str(failure), traceback.format_exc())
        if error is not None:
            self.record(index, None, "failed", outcome.seconds)
            self.failures[index] = SweepFailure(index, self.configs[index], *error)
        if self.bar is not None:
            self.bar.update()
            if self.failures:
                self.bar.set_postfix(failed=len(self.failures))

    def table(self) -> pd.DataFrame:
        rows = []
        for index, fields in enumerate(self.fields):
            row = {k: tuple(v) if isinstance(v, list) else v for k, v in fields["config"].items()}
            failure = self.failures.get(index)
            error = None if failure is None else f"{failure.error_type}: {failure.message}"
            row.update(status=self.status[index], seconds=self.seconds[index], error=error)
            artifact = self.results[index]
            for key, value in (artifact.meta.items() if artifact is not None else ()):
                if value is None or isinstance(value, bool | int | float | str):
                    clash = key in fields["config"] or key in _COLUMNS
                    row[f"meta.{key}" if clash else key] = value
            rows.append(row)
        return pd.DataFrame(rows)


_COLUMNS = ("status", "seconds", "error")


# --- argument checks -------------------------------------------------------------------

def _check_configs(configs: Any) -> list[Any]:
    if isinstance(configs, str | bytes | Mapping) or not isinstance(configs, Iterable):
        raise ValueError("configs must be a list of configurations (objects with to_dict(), "
                         f"dataclasses or mappings); got {type(configs).__name__}")
    configs = list(configs)
    if not configs:
        raise ValueError("configs must not be empty")
    seen: dict[str, int] = {}
    for index, fields in enumerate(_config_fields(configs)):
        try:
            digest = stable_hash(fields)
        except TypeError as error:
            raise ValueError(f"configs[{index}] must have JSON-compatible fields: "
                             f"{error}") from None
        if digest in seen:
            raise ValueError(f"configs must be distinct: configs[{index}] repeats "
                             f"configs[{seen[digest]}] ({fields})")
        seen[digest] = index
    return configs


def _config_fields(configs: list[Any]) -> list[dict[str, Any]]:
    fields = []
    for index, config in enumerate(configs):
        if callable(getattr(config, "to_dict", None)):
            fields.append(dict(config.to_dict()))
        elif dataclasses.is_dataclass(config) and not isinstance(config, type):
            fields.append(dataclasses.asdict(config))
        elif isinstance(config, Mapping):
            fields.append(dict(config))
        else:
            raise ValueError(f"configs[{index}] must have a to_dict() method, be a dataclass "
                             f"or a mapping; got {type(config).__name__}")
        if not all(isinstance(key, str) for key in fields[-1]):
            raise ValueError(f"configs[{index}] must have string field names; "
                             f"got {list(fields[-1])}")
    return fields


def _check_task(task: Any) -> str:
    """The task's qualified name, after checking that it can be keyed and shipped."""
    if not callable(task):
        raise ValueError(f"task must be a callable; got {type(task).__name__}")
    qualname = getattr(task, "__qualname__", None)
    if not inspect.isfunction(task) or qualname is None or "<" in qualname:
        # A lambda, closure or partial carries state that its name and source don't
        # show, so the cache key could not tell two of them apart.
        raise ValueError("task must be a function defined at module level (not a lambda, "
                         f"closure, partial or callable object); got {task!r}")
    return f"{task.__module__}.{qualname}"


def check_executor(executor: Any, n_workers: int | None = None) -> tuple[Any, int | None]:
    """Check where a sweep runs, before anything runs.

    Examples
    --------
    >>> check_executor("dask", 2)
    ('dask', 2)
    >>> check_executor("local", 2)
    Traceback (most recent call last):
    ...
    ValueError: n_workers applies only to executor='dask'; got executor='local'
    """
    executor = _check_executor(executor)
    if n_workers is not None:
        if executor != "dask":
            raise ValueError("n_workers applies only to executor='dask'; "
                             f"got executor={executor!r}")
        n_workers = check_int("n_workers", n_workers, minimum=1)
    return executor, n_workers


def _check_executor(executor: Any) -> Any:
    if isinstance(executor, str):
        if executor in EXECUTORS or "://" in executor:
            return executor
    else:
        try:
            import distributed
        except ImportError:  # pragma: no cover - dask[distributed] is a dependency
            distributed = None
        if distributed is not None and isinstance(executor, distributed.Client | _cluster_type()):
            return executor
    raise ValueError("executor must be 'local', 'dask', a scheduler address such as "
                     f"'tcp://host:8786', or a dask.distributed.Client; got {executor!r}")


def _cluster_type() -> type:
    from distributed.deploy import Cluster

    return Cluster


def _task_code_version(task: Task, depends_on: Sequence[Any]) -> str:
    module = inspect.getmodule(task)
    try:
        inspect.getsource(module)
    except (OSError, TypeError):
        # A notebook's __main__ has no source file; the function's own source then
        # stands in for the module's (IPython keeps the source of its cells).
        module = None
    try:
        return code_version(module if module is not None else task, *depends_on)
    except (OSError, TypeError) as error:
        raise ValueError(f"the source of task {task.__qualname__!r} or of depends_on cannot "
                         f"be read, so its cache key cannot follow code changes: {error}") from None


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
