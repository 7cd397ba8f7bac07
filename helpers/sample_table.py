"""What a sampler returns, and how to read it back: the sample table and its matrices.

Every sampler of :mod:`helpers.sampling` returns :class:`Samples`: a table with one row
per sampled point, the parameter matrix whose row ``i`` is the point of table row ``i``,
and the BatchNorm running statistics each row was evaluated with, so that
:func:`sample_model` rebuilds the network of any row and reproduces its recorded losses.
:func:`retraining_table`, :func:`retraining_summary` and :func:`star_score` read a
jump-and-retrain result.

Examples
--------
>>> list(COLUMNS[:5])
['method', 'kind', 'seed', 'step_size', 'epoch']
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from helpers.cache import ArtifactCache
from helpers.checks import check_int
from helpers.flat_parameters import flatten_buffers, load_flat_buffers, load_flat_parameters
from helpers.presets import DEFAULT_RETRAIN
from helpers.train import TrainResult

METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")



COLUMNS = ("method", "kind", "seed", "step_size", "epoch", "steps", "a", "b", "c", "diverged",
           *METRICS)



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
    buffers : ndarray or None
        ``(len(table), n_buffers)`` float32 BatchNorm running statistics with which row
        ``i`` was evaluated (:func:`helpers.flat_parameters.flatten_buffers`; zero
        columns for a network without BatchNorm).
    settings : dict
        The sampler's settings.
    seconds : float
        Compute time (the sum of the original times for cached parts).
    runs : pandas.DataFrame or None
        Jump and retrain only: one row per (seed, step) retrain with ``seed, step_size,
        epochs_kept`` (table rows it contributed, jump point included),
        ``epochs_per_sample`` and ``steps_per_sample`` (optimizer steps between two of
        its samples), ``diverged_epoch``
        (-1 if it did not diverge; 0 if the jump point itself was not finite),
        ``seconds`` and ``from_cache``.
    """

    table: pd.DataFrame
    parameters: np.ndarray | None = None
    buffers: np.ndarray | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    runs: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.table)



def check_optimum(optimum: TrainResult) -> None:
    """Refuse anything but a trained, finite :class:`~helpers.train.TrainResult`."""
    if not isinstance(optimum, TrainResult):
        raise ValueError(f"optimum must be a TrainResult (from helpers.train.train); "
                         f"got {type(optimum).__name__}")
    if optimum.diverged:
        raise ValueError("optimum diverged during training; sample around a trained network")



def optimum_key(optimum: TrainResult) -> dict[str, Any]:
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



def optimum_row(method: str, optimum: TrainResult | Mapping[str, float]) -> dict[str, Any]:
    """The optimum's own row of a sample table (``kind`` "optimum").

    ``optimum`` is a trained :class:`~helpers.train.TrainResult` (its final metrics are
    used) or the ``METRICS`` of a reader's model as a mapping.

    Examples
    --------
    >>> row = optimum_row("jump_retrain", dict.fromkeys(METRICS, 0.5))
    >>> row["kind"], row["train_loss"]
    ('optimum', 0.5)
    """
    final = optimum.final if isinstance(optimum, TrainResult) else optimum
    return {"method": method, "kind": "optimum", "seed": -1, "step_size": 0.0, "epoch": -1,
            "steps": -1, "a": 0.0, "b": 0.0, "c": 0.0, "diverged": False,
            **{m: float(final[m]) for m in METRICS}}



def optimum_buffers(optimum: TrainResult) -> np.ndarray:
    """The optimum's BatchNorm running statistics, flat
    (:func:`~helpers.flat_parameters.flatten_buffers`)."""
    return flatten_buffers(optimum.model())



def sample_model(optimum: TrainResult | torch.nn.Module, samples: Samples,
                 row: int) -> torch.nn.Module:
    """A fresh copy of the optimum's network carrying sample ``row``, ready to evaluate.

    Loads the row's parameters and the BatchNorm running statistics it was evaluated
    with, so that :func:`helpers.train.evaluate` reproduces the row's recorded losses.
    ``optimum`` is the book's :class:`~helpers.train.TrainResult`, or the reader's own
    model that :func:`helpers.sampling.jump_and_retrain_model` sampled around (it is
    copied, not changed).

    Examples
    --------
    >>> from helpers.config import TrainConfig
    >>> from helpers.train import evaluate, load_training_data, train
    >>> optimum = train(TrainConfig(epochs=2, train_size=40), progress=False)
    >>> from helpers.sampling import jump_and_retrain
    >>> samples = jump_and_retrain(optimum, seeds=[0], step_sizes=[0.5], epochs=2)
    >>> data = load_training_data(optimum.config)
    >>> loss, _, _ = evaluate(sample_model(optimum, samples, 3), data.train_x, data.train_y)
    >>> bool(np.isclose(loss, samples.table["train_loss"].iloc[3], rtol=1e-5))
    True
    """
    if not isinstance(optimum, torch.nn.Module):
        check_optimum(optimum)
    if not isinstance(samples, Samples) or samples.parameters is None or samples.buffers is None:
        raise ValueError("samples must be Samples recorded with their parameters "
                         "(record_parameters=True)")
    row = check_int("row", row, minimum=0, maximum=len(samples) - 1)
    model = copy.deepcopy(optimum) if isinstance(optimum, torch.nn.Module) else optimum.model()
    load_flat_parameters(model, samples.parameters[row])
    load_flat_buffers(model, samples.buffers[row])
    return model.eval()



def parameter_matrix(cache: ArtifactCache, namespace: str, fields: dict[str, Any], code: str,
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



def retraining_table(samples: Mapping[str, Samples]) -> pd.DataFrame:
    """How each J&R run retrained: the optimizer, and the steps between two samples.

    Parameters
    ----------
    samples : mapping of name to Samples
        :func:`~helpers.sampling.jump_and_retrain` results, e.g. one per optimum.

    Returns
    -------
    pandas.DataFrame
        One column per run; rows: the retraining optimizer, rate, momentum, weight decay
        and batch size — marked "(override)" where they differ from the optimum's own —,
        optimizer steps per epoch, epochs and optimizer steps between two samples, the
        samples recorded per retrain and the rows of the table: the optimum, one jump
        point per direction and step, and the retraining samples.

    Examples
    --------
    >>> from helpers.config import TrainConfig
    >>> from helpers.sampling import jump_and_retrain
    >>> from helpers.train import train
    >>> optimum = train(TrainConfig(epochs=2, train_size=40), progress=False)
    >>> run = jump_and_retrain(optimum, seeds=[0], step_sizes=[0.5], epochs=2)
    >>> retraining_table({"good": run}).loc["optimizer steps per sample", "good"]
    1
    """
    if not isinstance(samples, Mapping) or not samples or not all(
            isinstance(s, Samples) and s.runs is not None for s in samples.values()):
        raise ValueError("samples must map names to jump_and_retrain results")
    columns = {}
    for name, run in samples.items():
        own = run.settings["optimum"]
        used = {**own, **DEFAULT_RETRAIN, **run.settings["retrain"]}

        def shown(field: str, own: dict = own, used: dict = used) -> str:
            return f"{used[field]}" + ("" if used[field] == own[field] else " (override)")

        first = run.runs.iloc[0]
        per_sample = int(first["steps_per_sample"])
        columns[name] = {
            "optimizer": own["optimizer"],
            "learning rate (constant)": used["lr"],
            "momentum": shown("momentum"), "weight decay": shown("weight_decay"),
            "batch size": shown("batch_size"),
            "optimizer steps per epoch": per_sample // int(first["epochs_per_sample"]),
            "epochs per sample": int(first["epochs_per_sample"]),
            "optimizer steps per sample": per_sample,
            "samples per retrain (after the jump)": run.settings["epochs"],
            "retraining samples": int((run.table["kind"] == "retrain").sum()),
            "jump points": int((run.table["kind"] == "jump").sum()),
            "rows, optimum included": len(run),
        }
    return pd.DataFrame(columns)



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
