"""Sampling the loss landscape around an optimum: jump & retrain, grid, naive.

All three samplers return :class:`Samples`: a table with one row per sampled point
and, when recorded, a float32 parameter matrix whose row ``i`` is the point of table
row ``i`` (the public code of the J&R paper dropped the optimum's row from its
parameters but not from its losses; here the pairing is explicit and tested).

Table columns
    ``method`` ("jump_retrain", "grid", "naive"), ``kind`` ("optimum", "jump" for the
    jump-init point, "retrain", "grid", "naive"), ``seed`` (the direction's seed; -1
    for the optimum and grid), ``step_size`` (0 for the optimum), ``epoch`` (retraining
    epoch, 0 at the jump; -1 where it does not apply), ``a, b, c`` (grid coordinates),
    ``diverged`` and the metrics ``train_loss, train_accuracy, test_loss, test_accuracy``.
    ``diverged`` marks, for jump and retrain, every kept row of a retrain that later
    stopped on a non-finite loss; for the grid and naive samplers, a point whose loss
    is not finite.

Jump and retrain (Horoi et al. 2022, §3.1): for each seed, one filter-normalized random
direction ``d``; for each step size ``s`` the network jumps to ``θ* + s·d`` and is
retrained for ``epochs`` epochs; every epoch is a sample. Each (seed, step) retrain is
cached on its own, so an interrupted run resumes without losing a finished retrain.
:attr:`Samples.runs` lists the retrains, with the epoch at which each diverged; a retrain
whose jump point is already non-finite contributes no table row, only its ``runs`` row.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

import helpers.directions
from helpers._checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_sequence,
    progress_disabled,
)
from helpers.cache import ArtifactCache, code_version, frame_arrays
from helpers.config import TrainConfig, field_names
from helpers.directions import IGNORES, NORMALIZATIONS
from helpers.flat_parameters import flatten_parameters, load_flat_parameters
from helpers.presets import DEFAULT_RETRAIN
from helpers.train import TrainResult, fit, load_training_data

METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
COLUMNS = ("method", "kind", "seed", "step_size", "epoch", "a", "b", "c", "diverged", *METRICS)


#: The :class:`~helpers.config.TrainConfig` fields a retraining may change. The others
#: (data, labels, architecture, optimizer type) are the optimum's: the network that is
#: retrained *is* the optimum's, on the optimum's data; ``epochs`` and ``seed`` are
#: arguments of :func:`jump_and_retrain`.
RETRAIN_FIELDS = ("lr", "momentum", "weight_decay", "milestones", "lr_factor", "batch_size",
                  "augment", "device")
RUN_COLUMNS = ("seed", "step_size", "epochs_kept", "diverged_epoch", "seconds", "from_cache")
EVALUATIONS = ("auto", "vmap", "loop")


@dataclass
class Samples:
    """Sampled points around an optimum.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per point; see the module docstring for the columns.
    parameters : ndarray or None
        ``(len(table), n_parameters)`` float32, row ``i`` = the point of ``table`` row ``i``;
        memory-mapped from the cache for large matrices.
    settings : dict
        The sampler's settings.
    seconds : float
        Compute time (the sum of the original times for cached parts).
    runs : pandas.DataFrame or None
        Jump and retrain only: one row per (seed, step) retrain with ``seed, step_size,
        epochs_kept`` (table rows it contributed, jump point included), ``diverged_epoch``
        (-1 if it did not diverge; 0 if the jump point itself was not finite),
        ``seconds`` and ``from_cache``.
    """

    table: pd.DataFrame
    parameters: np.ndarray | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    runs: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.table)


def _check_optimum(optimum: TrainResult) -> None:
    if not isinstance(optimum, TrainResult):
        raise ValueError(f"optimum must be a TrainResult (from helpers.train.train); "
                         f"got {type(optimum).__name__}")
    if optimum.diverged:
        raise ValueError("optimum diverged during training; sample around a trained network")


def _optimum_key(optimum: TrainResult) -> dict[str, Any]:
    """Cache fields of the optimum: its configuration and a hash of its trained state.

    The configuration alone would serve a stale sample for an optimum with the same
    configuration but other weights (one trained by other code, or fine-tuned).
    """
    digest = hashlib.sha256()
    for name, tensor in optimum.state.items():
        array = np.ascontiguousarray(tensor.detach().cpu().numpy())
        digest.update(f"{name}:{array.dtype}:{array.shape}:".encode())
        digest.update(array.tobytes())
    return {"optimum": optimum.config.to_dict(), "optimum_state": digest.hexdigest()[:16]}


def _check_retrain(retrain: Any) -> dict[str, Any]:
    if retrain is None:
        return {}
    if not isinstance(retrain, Mapping):
        raise ValueError(f"retrain must be a dict of retraining settings or None; got {retrain!r}")
    refused = sorted(set(retrain) - set(RETRAIN_FIELDS))
    if refused:
        hint = ("epochs and seeds are arguments of jump_and_retrain; "
                if {"epochs", "seed"} & set(refused) else "")
        unknown = sorted(set(refused) - set(field_names()))
        raise ValueError(f"retrain has field(s) {refused} that a retraining cannot change "
                         f"({hint}{'unknown: ' + str(unknown) + '; ' if unknown else ''}"
                         f"accepted: {list(RETRAIN_FIELDS)})")
    return dict(retrain)


def _optimum_row(method: str, optimum: TrainResult) -> dict[str, Any]:
    final = optimum.final
    return {"method": method, "kind": "optimum", "seed": -1, "step_size": 0.0, "epoch": -1,
            "a": 0.0, "b": 0.0, "c": 0.0, "diverged": False,
            **{m: float(final[m]) for m in METRICS}}


def retrain_config(optimum: TrainResult, seed: int, epochs: int,
                   retrain: dict[str, Any] | None = None) -> TrainConfig:
    """The configuration of one retraining: the optimum's, with the retraining settings.

    Examples
    --------
    >>> from helpers.config import TrainConfig
    >>> from helpers.train import TrainResult
    >>> import pandas as pd
    >>> fake = TrainResult(TrainConfig(weight_decay=5e-4), pd.DataFrame(), {})
    >>> c = retrain_config(fake, seed=2, epochs=5)
    >>> (c.lr, c.epochs, c.seed, c.milestones)
    (0.001, 5, 2, ())
    """
    epochs = check_int("epochs", epochs, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    try:
        return optimum.config.replace(**{**DEFAULT_RETRAIN, **_check_retrain(retrain),
                                         "epochs": epochs, "seed": seed})
    except ValueError as error:
        if str(error).startswith("retrain"):
            raise
        raise ValueError(f"retrain: {error}") from None


def check_jump_and_retrain(seeds: Sequence[int] = (0, 1, 2, 3),
                           step_sizes: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
                           epochs: int = 20, *, retrain: dict[str, Any] | None = None,
                           normalization: str | None = "filter",
                           ignore: str | None = "biasbn") -> dict[str, Any]:
    """Check :func:`jump_and_retrain`'s settings without an optimum, before any training.

    A chapter calls it right after its parameters, so that a bad value fails in seconds
    rather than after the optimum is trained. Returns the settings, normalized.

    Examples
    --------
    >>> check_jump_and_retrain(step_sizes=[0.5, -1.0])
    Traceback (most recent call last):
    ...
    ValueError: step_sizes[1] must be a number > 0.0; got -1.0
    """
    seeds = check_sequence("seeds", seeds, item="int", minimum=0, unique=True)
    step_sizes = check_sequence("step_sizes", step_sizes, minimum=0.0, strict_minimum=True,
                                unique=True)
    epochs = check_int("epochs", epochs, minimum=1)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice("ignore", ignore, IGNORES)
    retrain = _check_retrain(retrain)
    try:
        TrainConfig().replace(**{**DEFAULT_RETRAIN, **retrain})
    except ValueError as error:
        raise ValueError(f"retrain: {error}") from None
    return {"seeds": seeds, "step_sizes": step_sizes, "epochs": epochs, "retrain": retrain,
            "normalization": normalization, "ignore": ignore}


def jump_and_retrain(optimum: TrainResult, seeds: Sequence[int] = (0, 1, 2, 3),
                     step_sizes: Sequence[float] = (0.25, 0.5, 0.75, 1.0), epochs: int = 20,
                     *, retrain: dict[str, Any] | None = None, normalization: str | None = "filter",
                     ignore: str | None = "biasbn", record_parameters: bool = True,
                     progress: bool | None = None, cache: ArtifactCache | None = None) -> Samples:
    """Jump-and-retrain sampling around ``optimum`` (Horoi et al. 2022, §3.1).

    Parameters
    ----------
    optimum : TrainResult
        A trained network, from :func:`helpers.train.train`.
    seeds : sequence of int
        One random direction per seed; the seed also orders the retraining batches.
    step_sizes : sequence of float
        Jump lengths in units of the filter-normalized direction (> 0).
    epochs : int
        Retraining epochs per jump (the paper used 40 or 50).
    retrain : dict, optional
        Retraining settings overriding :data:`DEFAULT_RETRAIN`: any of
        :data:`RETRAIN_FIELDS`, e.g. ``{"lr": 0.01}`` or ``{"milestones": (10,)}``. The
        optimizer type, data and network are the optimum's.
    normalization : {"filter", "layer", None}
        Normalization of the directions (:func:`helpers.directions.random_direction`).
    ignore : {"biasbn", None}
        ``"biasbn"`` leaves biases and BatchNorm parameters where they are.
    record_parameters : bool
        Keep the parameter matrix (needed for the embeddings).
    progress : bool or None
        Progress bar over the retrains; ``None``: only on a terminal.
    cache : ArtifactCache, optional

    Returns
    -------
    Samples
        ``1 + len(seeds) · len(step_sizes) · (epochs + 1)`` rows: the optimum, then for
        each seed (outer) and step (inner) the jump-init point (epoch 0) and every
        retraining epoch. A retrain that diverges keeps the epochs before the divergence,
        marked ``diverged`` (fewer rows); :attr:`Samples.runs` says where it stopped.
        ``parameters`` is a read-only float32 memory map, row ``i`` = table row ``i``.

    Raises
    ------
    ValueError
        On a bad argument, before any work starts.

    Examples
    --------
    >>> from helpers.train import train
    >>> optimum = train(TrainConfig(epochs=2, train_size=40), progress=False)
    >>> samples = jump_and_retrain(optimum, seeds=[0], step_sizes=[0.5], epochs=2)
    >>> samples.table["kind"].tolist()
    ['optimum', 'jump', 'retrain', 'retrain']
    """
    _check_optimum(optimum)
    checked = check_jump_and_retrain(seeds, step_sizes, epochs, retrain=retrain,
                                     normalization=normalization, ignore=ignore)
    seeds, step_sizes, epochs, retrain = (checked[k] for k in ("seeds", "step_sizes", "epochs",
                                                               "retrain"))
    check_bool("record_parameters", record_parameters)
    if progress is not None:
        check_bool("progress", progress)
    retrain_config(optimum, seeds[0], epochs, retrain)  # the settings on this optimum's config
    cache = cache or ArtifactCache()
    dataset = load_training_data(optimum.config)
    code = code_version(sys.modules[__name__])  # training and directions included
    settings = {"seeds": list(seeds), "step_sizes": list(step_sizes), "epochs": epochs,
                "retrain": retrain, "normalization": normalization, "ignore": ignore}
    key_fields = {**_optimum_key(optimum), **settings}

    runs = [(seed, step) for seed in seeds for step in step_sizes]
    artifacts = {}
    bar = tqdm(runs, desc="jump & retrain", disable=progress_disabled(progress))
    for seed, step in bar:
        # One artifact per retrain, keyed without the other seeds and steps: a finished
        # retrain survives an interrupt and is shared by runs that differ in those.
        fields = {**key_fields, "seed": seed, "step_size": step, "seeds": None,
                  "step_sizes": None}
        artifacts[seed, step] = cache.get_or_compute(
            "jump-retrain", fields,
            lambda seed=seed, step=step: _retrain_one(optimum, dataset, seed, step, epochs,
                                                     retrain, normalization, ignore),
            code=code)
    bar.close()

    rows = [_optimum_row("jump_retrain", optimum)]
    run_rows = []
    for (seed, step), artifact in artifacts.items():
        history = artifact.frame("history")
        diverged_epoch = artifact.meta["diverged_epoch"]
        for epoch, *metrics in zip(history["epoch"].tolist(),
                                   *(history[m].tolist() for m in METRICS), strict=True):
            rows.append({"method": "jump_retrain", "kind": "jump" if epoch == 0 else "retrain",
                         "seed": seed, "step_size": step, "epoch": int(epoch), "a": np.nan,
                         "b": np.nan, "c": np.nan, "diverged": diverged_epoch is not None,
                         **{m: float(v) for m, v in zip(METRICS, metrics, strict=True)}})
        run_rows.append((seed, step, len(history),
                         -1 if diverged_epoch is None else int(diverged_epoch),
                         float(artifact.meta["seconds"]), artifact.from_cache))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    runs_table = pd.DataFrame(run_rows, columns=list(RUN_COLUMNS))

    parameters = None
    if record_parameters:
        parameters = _assemble_parameters(cache, optimum, artifacts, table, key_fields, code)
    seconds = float(runs_table["seconds"].sum())
    return Samples(table, parameters, {"optimum": optimum.config.to_dict(), **settings},
                   seconds, runs_table)


def _retrain_one(optimum: TrainResult, dataset, seed: int, step: float, epochs: int,
                 retrain: dict[str, Any] | None, normalization: str | None,
                 ignore: str | None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Jump from the optimum along the seed's direction and retrain; arrays for the cache."""
    model = optimum.model(dataset)
    theta = flatten_parameters(model)
    direction = helpers.directions.random_direction(model, seed, normalization=normalization,
                                                    ignore=ignore)
    load_flat_parameters(model, theta + np.float32(step) * direction)
    result = fit(model, dataset, retrain_config(optimum, seed, epochs, retrain),
                 record_parameters=True, progress=False)
    arrays, columns = frame_arrays("history", result.history)
    arrays["parameters"] = result.parameters
    return arrays, {"frames": {"history": columns}, "diverged_epoch": result.diverged_epoch,
                    "seconds": result.seconds}


def _assemble_parameters(cache: ArtifactCache, optimum: TrainResult, artifacts: dict,
                         table: pd.DataFrame, settings: dict, code: str) -> np.ndarray:
    """One on-disk matrix, row i for table row i, filled retrain by retrain."""
    theta = flatten_parameters(optimum.model())
    fields = {**settings, "matrix": True, "runs": [a.path.name for a in artifacts.values()]}

    def fill(matrix: np.memmap) -> None:
        matrix[0] = theta
        row = 1
        for artifact in artifacts.values():
            block = artifact["parameters"]
            if len(block) != len(artifact.frame("history")):  # pragma: no cover
                raise AssertionError(f"{artifact.path}: {len(block)} parameter rows for "
                                     f"{len(artifact.frame('history'))} epochs")
            matrix[row:row + len(block)] = block
            row += len(block)
        if row != len(table):  # pragma: no cover - guards the one-to-one pairing
            raise AssertionError(f"{row} parameter rows for {len(table)} table rows")

    return _parameter_matrix(cache, "jump-retrain-matrix", fields, code,
                             (len(table), theta.size), fill)


def _parameter_matrix(cache: ArtifactCache, namespace: str, fields: dict[str, Any], code: str,
                      shape: tuple[int, int], fill: Any) -> np.ndarray:
    """A cached float32 matrix written in place by ``fill``, returned memory-mapped.

    Always memory-mapped (an Artifact maps only large arrays): it is read by rows, and a
    paper-size matrix must never exist twice in memory.
    """
    key = cache.key(fields, code)
    found = cache.load(namespace, key)
    if found is None:
        with cache.writing(namespace, key, fields=fields) as writer:
            matrix = writer.open_memmap("parameters", shape)
            fill(matrix)
            matrix.flush()
            del matrix
        found = cache.load(namespace, key)
        if found is None:  # pragma: no cover - only if the disk fails under us
            raise OSError(f"parameter matrix {namespace}/{key} could not be read back")
    return found.memmap("parameters")


# --- static samplers ------------------------------------------------------------------

def grid_shape(n_points: int, max_aspect: float = 2.0) -> tuple[int, int, int]:
    """The most nearly cubic 3D grid ``a × b × c`` with exactly ``n_points`` points.

    A grid need not be a cube, which lets it match the number of points of a J&R run
    (``seeds · step sizes · (epochs + 1)``); a number without a balanced factorization
    (a prime, say) is refused.

    Examples
    --------
    >>> grid_shape(336)
    (6, 7, 8)
    >>> grid_shape(640)
    (8, 8, 10)
    """
    n_points = check_int("n_points", n_points, minimum=8)
    best = None
    for a in range(2, round(n_points ** (1 / 3)) + 2):
        for b in range(a, int((n_points / a) ** 0.5) + 2):
            c, remainder = divmod(n_points, a * b)
            if remainder == 0 and c >= b and (best is None or c / a < best[2] / best[0]):
                best = (a, b, c)
    if best is None or best[2] / best[0] > max_aspect:
        raise ValueError(f"n_points must factor into a 3D grid a × b × c with c/a <= {max_aspect} "
                         f"(e.g. 216, 336, 512, 640); got {n_points}")
    return best


def _static_samples(method: str, optimum: TrainResult, directions: np.ndarray,
                    coefficients: np.ndarray, info: pd.DataFrame, evaluation: str,
                    points_per_batch: int) -> tuple[pd.DataFrame, float]:
    dataset = load_training_data(optimum.config)
    model = optimum.model(dataset)
    base = flatten_parameters(model)
    device = optimum.config.device
    if evaluation == "auto":
        # benchmarks/bench_evaluate.py: on CPUs one forward pass per point is the faster.
        evaluation = "loop" if device == "cpu" else "vmap"
    started = time.perf_counter()
    metrics = {}
    for split, (x, y) in {"train": (dataset.train_x, dataset.train_y),
                          "test": (dataset.test_x, dataset.test_y)}.items():
        loss, accuracy = helpers.directions.evaluate_along(
            model, base, directions, coefficients, x, y, method=evaluation,
            points_per_batch=points_per_batch, device=device)
        metrics[f"{split}_loss"], metrics[f"{split}_accuracy"] = loss, accuracy
    seconds = time.perf_counter() - started
    finite = np.isfinite(metrics["train_loss"]) & np.isfinite(metrics["test_loss"])
    table = info.assign(method=method, kind=method, diverged=~finite, **metrics)
    table = pd.concat([pd.DataFrame([_optimum_row(method, optimum)]), table], ignore_index=True)
    return table[list(COLUMNS)], seconds


def _static_cached(method: str, optimum: TrainResult, settings: dict[str, Any],
                   build: Any, evaluation: str, points_per_batch: int,
                   record_parameters: bool, cache: ArtifactCache | None) -> Samples:
    cache = cache or ArtifactCache()

    def compute() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        directions, coefficients, info = build()
        table, seconds = _static_samples(method, optimum, directions, coefficients, info,
                                         evaluation, points_per_batch)
        arrays, columns = frame_arrays("table", table)
        return arrays, {"frames": {"table": columns}, "seconds": seconds}

    code = code_version(sys.modules[__name__])
    # The evaluation method is not part of the key: both give the same numbers to rounding.
    fields = {**_optimum_key(optimum), **settings}
    artifact = cache.get_or_compute(method, fields, compute, code=code)
    table = artifact.frame("table")
    parameters = None
    if record_parameters:
        parameters = _static_parameters(cache, f"{method}-matrix", fields, code, optimum, build,
                                        len(table))
    return Samples(table, parameters, {"optimum": optimum.config.to_dict(), **settings},
                   artifact.meta["seconds"])


def _static_parameters(cache: ArtifactCache, namespace: str, fields: dict[str, Any], code: str,
                       optimum: TrainResult, build: Any, n_rows: int) -> np.ndarray:
    """The points ``θ* + coefficients @ directions`` as an on-disk matrix, optimum first."""
    base = flatten_parameters(optimum.model())

    def fill(matrix: np.memmap) -> None:
        directions, coefficients, _ = build()
        if len(coefficients) + 1 != len(matrix):  # pragma: no cover - guards the pairing
            raise AssertionError(f"{len(coefficients) + 1} points for {len(matrix)} table rows")
        matrix[0] = base
        for start in range(0, len(coefficients), 64):
            block = coefficients[start:start + 64].astype(np.float32)
            matrix[1 + start:1 + start + len(block)] = base + block @ directions

    return _parameter_matrix(cache, namespace, fields, code, (n_rows, base.size), fill)


def _check_static(optimum: TrainResult, normalization: str | None, ignore: str | None,
                  evaluation: str, points_per_batch: int, record_parameters: bool) -> None:
    _check_optimum(optimum)
    check_bool("record_parameters", record_parameters)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice("ignore", ignore, IGNORES)
    check_choice("evaluation", evaluation, EVALUATIONS)
    check_int("points_per_batch", points_per_batch, minimum=1)


def grid_sample(optimum: TrainResult, n_points: int = 336, extent: float = 1.0, *,
                seed: int = 0, normalization: str | None = "filter", ignore: str | None = "biasbn",
                evaluation: str = "auto", points_per_batch: int = 16,
                record_parameters: bool = False, cache: ArtifactCache | None = None) -> Samples:
    """Grid sampling (Horoi et al. 2022, §4.2): a 3D grid spanned by three random directions.

    The grid (:func:`grid_shape`) spans ``[-extent, extent]`` along each of three
    normalized random directions (seeds ``seed``, ``seed + 1``, ``seed + 2``) around
    the optimum. The optimum is the first row and is not counted in ``n_points``;
    ``a, b, c`` are each point's coordinates and ``step_size`` its distance from the
    optimum in those units. The default ``n_points`` is the number of points of a
    :func:`jump_and_retrain` run at its defaults (4 seeds · 4 steps · 21 epochs).

    ``evaluation`` is ``"loop"`` (one forward pass per point), ``"vmap"`` (``points_per_batch``
    points per forward pass) or ``"auto"`` (loop on the CPU, where it is the faster, vmap
    elsewhere); see :func:`helpers.directions.evaluate_points`. With ``record_parameters``
    the points' parameter vectors are kept as well (an on-disk float32 matrix, row ``i``
    = table row ``i``), e.g. to embed them beside J&R samples. Bad arguments raise
    ``ValueError`` before any work.

    Examples
    --------
    >>> from helpers.train import train
    >>> optimum = train(TrainConfig(epochs=2, train_size=40), progress=False)
    >>> len(grid_sample(optimum, n_points=27))
    28
    """
    _check_static(optimum, normalization, ignore, evaluation, points_per_batch,
                  record_parameters)
    shape = grid_shape(n_points)
    extent = check_float("extent", extent, minimum=0.0, strict_minimum=True)
    seed = check_int("seed", seed, minimum=0)
    settings = {"n_points": n_points, "extent": extent, "seed": seed,
                "normalization": normalization, "ignore": ignore}

    def build() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        model = optimum.model()
        directions = np.stack([helpers.directions.random_direction(
            model, seed + i, normalization=normalization, ignore=ignore) for i in range(3)])
        axes = [np.linspace(-extent, extent, side) for side in shape]
        coefficients = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
        info = pd.DataFrame(coefficients, columns=["a", "b", "c"]).assign(
            seed=-1, epoch=-1, step_size=np.linalg.norm(coefficients, axis=1))
        return directions, coefficients, info

    return _static_cached("grid", optimum, settings, build, evaluation, points_per_batch,
                          record_parameters, cache)


def naive_sample(optimum: TrainResult, n_points: int = 336,
                 step_sizes: Sequence[float] = (0.25, 0.5, 0.75, 1.0), *, seed: int = 0,
                 normalization: str | None = "filter", ignore: str | None = "biasbn",
                 evaluation: str = "auto", points_per_batch: int = 16,
                 record_parameters: bool = False,
                 cache: ArtifactCache | None = None) -> Samples:
    """Naive sampling (Horoi et al. 2022, §4.2): many random directions × step sizes.

    ``n_points / len(step_sizes)`` normalized random directions (seeds ``seed``,
    ``seed + 1``, ...), each evaluated at every step size: ``θ* + s·d``. More
    directions than J&R or the grid, no dynamics. The optimum is the first row. By
    default as many points as :func:`jump_and_retrain` and :func:`grid_sample` at theirs;
    ``evaluation`` and ``points_per_batch`` as in :func:`grid_sample`.

    Examples
    --------
    >>> from helpers.train import train
    >>> optimum = train(TrainConfig(epochs=2, train_size=40), progress=False)
    >>> len(naive_sample(optimum, n_points=8, step_sizes=[0.5, 1.0]))
    9
    """
    _check_static(optimum, normalization, ignore, evaluation, points_per_batch,
                  record_parameters)
    n_points = check_int("n_points", n_points, minimum=1)
    step_sizes = check_sequence("step_sizes", step_sizes, minimum=0.0, strict_minimum=True,
                                unique=True)
    if n_points % len(step_sizes):
        raise ValueError(f"n_points must be a multiple of len(step_sizes)={len(step_sizes)}; "
                         f"got {n_points}")
    seed = check_int("seed", seed, minimum=0)
    n_directions = n_points // len(step_sizes)
    settings = {"n_points": n_points, "step_sizes": list(step_sizes), "seed": seed,
                "normalization": normalization, "ignore": ignore}

    def build() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        model = optimum.model()
        directions = np.stack([helpers.directions.random_direction(
            model, seed + i, normalization=normalization, ignore=ignore)
            for i in range(n_directions)])
        # Row i·len(steps) + j is direction i at step j: one non-zero coefficient per point.
        coefficients = np.zeros((n_points, n_directions), dtype=np.float32)
        index = np.arange(n_points)
        coefficients[index, index // len(step_sizes)] = np.tile(step_sizes, n_directions)
        info = pd.DataFrame({"seed": seed + index // len(step_sizes),
                             "step_size": np.tile(step_sizes, n_directions), "epoch": -1,
                             "a": np.nan, "b": np.nan, "c": np.nan})
        return directions, coefficients, info

    return _static_cached("naive", optimum, settings, build, evaluation, points_per_batch,
                          record_parameters, cache)


# --- summaries ------------------------------------------------------------------------

def retraining_summary(samples: Samples) -> pd.DataFrame:
    """Where each retrain of a J&R run started and ended, relative to the optimum.

    Distances are Euclidean distances in parameter space divided by the optimum's norm
    ``‖θ*‖``, read from the parameter matrix.

    Returns
    -------
    pandas.DataFrame
        One row per (seed, step size): ``jump_distance`` (at the jump-init point),
        ``final_distance`` (at the last epoch kept), ``jump_train_loss``,
        ``final_train_loss``, ``final_test_accuracy``, ``epochs`` and ``diverged``.
    """
    table = samples.table
    if samples.parameters is None or "jump" not in set(table["kind"]):
        raise ValueError("samples must be a jump_and_retrain result with its parameter matrix")
    optimum_row = np.flatnonzero(table["kind"].to_numpy() == "optimum")[0]
    theta = np.asarray(samples.parameters[optimum_row], dtype=np.float64)
    scale = np.linalg.norm(theta)
    rows = []
    runs = table[table["kind"] != "optimum"].groupby(["seed", "step_size"], sort=True)
    for (seed, step), run in runs:
        first, last = run.index[0], run.index[-1]
        rows.append({
            "seed": seed, "step_size": step,
            "jump_distance": np.linalg.norm(samples.parameters[first] - theta) / scale,
            "final_distance": np.linalg.norm(samples.parameters[last] - theta) / scale,
            "jump_train_loss": run["train_loss"].iloc[0],
            "final_train_loss": run["train_loss"].iloc[-1],
            "final_test_accuracy": run["test_accuracy"].iloc[-1],
            "epochs": int(run["epoch"].iloc[-1]), "diverged": bool(run["diverged"].any())})
    return pd.DataFrame(rows)


def star_score(table: pd.DataFrame, coordinates: Any) -> float:
    """How well an embedding keeps each direction's samples in one arm: about 0 to 1.

    For every J&R sample (jump-init point or retraining epoch), take its nearest
    neighbour in ``coordinates`` among the samples of the *other* retrains (other seed
    or other step size: a retrain's own epochs are always close to each other) and ask
    whether it has the same seed. The score is the fraction that does. Arms of the
    "star" of Horoi et al. (2022), one per direction with its step sizes in a row, score
    near 1; seeds mixed at random score about ``(steps − 1) / (seeds · steps − 1)``.

    Examples
    --------
    >>> table = pd.DataFrame({"kind": ["optimum"] + ["retrain"] * 4,
    ...                       "seed": [-1, 0, 0, 1, 1], "step_size": [0, 1, 2, 1, 2]})
    >>> star_score(table, [[0, 0], [1, 0], [2, 0], [-1, 0], [-2, 0]])
    1.0
    """
    from scipy.spatial import cKDTree

    coordinates = np.asarray(coordinates, dtype=float)
    if coordinates.ndim != 2 or len(coordinates) != len(table):
        raise ValueError(f"coordinates must have one row per table row ({len(table)}); "
                         f"got shape {coordinates.shape}")
    mask = table["kind"].isin(["jump", "retrain"]).to_numpy()
    points = coordinates[mask]
    seeds = table["seed"].to_numpy()[mask]
    runs = pd.MultiIndex.from_arrays([seeds, table["step_size"].to_numpy()[mask]])
    run_ids = runs.codes[0] * len(runs.levels[1]) + runs.codes[1]
    if len(np.unique(run_ids)) < 2:
        raise ValueError("table must hold the samples of at least two retrains")
    same_seed = []
    for run in np.unique(run_ids):
        inside, outside = run_ids == run, run_ids != run
        _, nearest = cKDTree(points[outside]).query(points[inside])
        same_seed.append(seeds[outside][nearest] == seeds[inside])
    return float(np.mean(np.concatenate(same_seed)))


def nearest_grid_size(n_points: int) -> int:
    """The number of points closest to ``n_points`` that :func:`grid_shape` accepts.

    Examples
    --------
    >>> nearest_grid_size(337)
    336
    """
    n_points = check_int("n_points", n_points, minimum=8)
    for offset in range(n_points):
        for candidate in (n_points - offset, n_points + offset):
            try:
                grid_shape(candidate)
            except ValueError:
                continue
            return candidate
    raise AssertionError("unreachable: 8 = 2 × 2 × 2 is a grid")  # pragma: no cover


def nearest_multiple(n_points: int, factor: int) -> int:
    """The positive multiple of ``factor`` closest to ``n_points`` (for naive sampling).

    Examples
    --------
    >>> nearest_multiple(337, 4)
    336
    """
    n_points = check_int("n_points", n_points, minimum=1)
    factor = check_int("factor", factor, minimum=1)
    return max(factor, round(n_points / factor) * factor)
