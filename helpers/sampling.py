"""Sampling the loss landscape around an optimum: jump & retrain, grid, naive.

:func:`jump_and_retrain` samples around the book's networks (a
:class:`~helpers.train.TrainResult`, cached); :func:`jump_and_retrain_model` does the
same around a reader's own ``torch.nn.Module``, with their own data, loss and optimizer.

All three samplers return :class:`helpers.sample_table.Samples`: a table with one row per
sampled point and, when recorded, a float32 parameter matrix whose row ``i`` is the point
of table row ``i`` (the public code of the J&R paper dropped the optimum's row from its
parameters but not from its losses; here the pairing is explicit and tested).

Table columns
    ``method`` ("jump_retrain", "grid", "naive"), ``kind`` ("optimum", "jump" for the
    jump-init point, "retrain", "grid", "naive"), ``seed`` (the direction's seed; -1
    for the optimum and grid), ``step_size`` (0 for the optimum), ``epoch`` (retraining
    epoch, 0 at the jump; -1 where it does not apply), ``steps`` (optimizer steps since
    the jump; -1 where it does not apply), ``a, b, c`` (grid coordinates),
    ``diverged`` and the metrics ``train_loss, train_accuracy, test_loss, test_accuracy``.
    ``diverged`` marks, for jump and retrain, every kept row of a retrain that later
    stopped on a non-finite loss; for the grid and naive samplers, a point whose loss
    is not finite.

Jump and retrain (Horoi et al. 2022, §3.1): for each seed, one filter-normalized random
direction ``d``; for each step size ``s`` the network jumps to ``θ* + s·d`` and is
retrained with the optimum's own optimizer at a small constant rate; every epoch (or
every ``steps_per_sample`` optimizer steps) is a sample. The paper's 4 directions × 4
steps × 40 epochs give 640 retraining samples; the table adds the optimum and the 16
jump points (epoch 0), 657 rows in all.

Every row can be re-evaluated from what is stored:
:attr:`~helpers.sample_table.Samples.parameters` holds its
parameters and :attr:`~helpers.sample_table.Samples.buffers` its BatchNorm running statistics —
for jump and
retrain those of the retraining epoch at which it was recorded, for the grid and naive
samples (and the optimum) those of the optimum, with which they were evaluated
(:func:`~helpers.sample_table.sample_model` loads both). Each (seed, step) retrain is
cached on its own, so an interrupted run resumes without losing a finished retrain.
:attr:`~helpers.sample_table.Samples.runs` lists the retrains, with the epoch at which each
diverged; a retrain
whose jump point is already non-finite contributes no table row, only its ``runs`` row.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

import helpers.data
import helpers.directions
from helpers.cache import ArtifactCache, code_version, frame_arrays
from helpers.checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_sequence,
    progress_disabled,
)
from helpers.config import TrainConfig, field_names
from helpers.data import SPLITS
from helpers.directions import IGNORES, NORMALIZATIONS
from helpers.flat_parameters import (
    flatten_buffers,
    flatten_parameters,
    load_flat_parameters,
)
from helpers.losses import LossFunction, check_loss
from helpers.presets import DEFAULT_RETRAIN
from helpers.sample_table import (
    COLUMNS,
    METRICS,
    Samples,
    check_optimum,
    optimum_buffers,
    optimum_key,
    optimum_row,
    parameter_matrix,
)
from helpers.train import (
    TrainResult,
    batch_count,
    evaluate,
    fit,
    fit_model,
    load_training_data,
    steps_per_epoch,
    torch_device,
)

#: The :class:`~helpers.config.TrainConfig` fields a retraining may change. The others
#: (data, labels, architecture, optimizer type) are the optimum's: the network that is
#: retrained *is* the optimum's, on the optimum's data; ``epochs`` and ``seed`` are
#: arguments of :func:`jump_and_retrain`.
RETRAIN_FIELDS = ("lr", "momentum", "weight_decay", "milestones", "lr_factor", "batch_size",
                  "augment", "device")
RUN_COLUMNS = ("seed", "step_size", "epochs_kept", "epochs_per_sample", "steps_per_sample",
               "diverged_epoch", "seconds", "from_cache")
EVALUATIONS = ("auto", "vmap", "loop")


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
    >>> (c.lr, c.epochs, c.seed, c.milestones, c.weight_decay)  # the optimum's weight decay
    (0.001, 5, 2, (), 0.0005)
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
                           steps_per_sample: int | None = None,
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
    if steps_per_sample is not None:
        steps_per_sample = check_int("steps_per_sample", steps_per_sample, minimum=1)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice("ignore", ignore, IGNORES)
    retrain = _check_retrain(retrain)
    try:
        TrainConfig().replace(**{**DEFAULT_RETRAIN, **retrain})
    except ValueError as error:
        raise ValueError(f"retrain: {error}") from None
    return {"seeds": seeds, "step_sizes": step_sizes, "epochs": epochs, "retrain": retrain,
            "steps_per_sample": steps_per_sample, "normalization": normalization,
            "ignore": ignore}


def jump_and_retrain(optimum: TrainResult, seeds: Sequence[int] = (0, 1, 2, 3),
                     step_sizes: Sequence[float] = (0.25, 0.5, 0.75, 1.0), epochs: int = 20,
                     *, retrain: dict[str, Any] | None = None,
                     steps_per_sample: int | None = None, normalization: str | None = "filter",
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
        Samples recorded per retrain after the jump: retraining epochs when
        ``steps_per_sample`` is ``None`` (the paper: 40).
    retrain : dict, optional
        Retraining settings overriding :data:`helpers.presets.DEFAULT_RETRAIN` (the
        optimum's own optimizer, momentum, weight decay and batch size at a constant
        rate of 0.001): any of :data:`RETRAIN_FIELDS`, e.g. ``{"lr": 0.01}`` or
        ``{"batch_size": 64}``. The optimizer type, data and network are the optimum's.
    steps_per_sample : int, optional
        Record a sample every ``ceil(steps_per_sample / steps per epoch)`` epochs, so
        that optima trained with different batch sizes move about as far between two
        samples; ``None`` records every epoch, as the paper does.
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
        recorded retraining epoch. A retrain that diverges keeps the epochs before the divergence,
        marked ``diverged`` (fewer rows); :attr:`~helpers.sample_table.Samples.runs` says where it
        stopped.
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
    check_optimum(optimum)
    checked = check_jump_and_retrain(seeds, step_sizes, epochs, retrain=retrain,
                                     steps_per_sample=steps_per_sample,
                                     normalization=normalization, ignore=ignore)
    seeds, step_sizes, epochs, retrain, steps_per_sample = (
        checked[k] for k in ("seeds", "step_sizes", "epochs", "retrain", "steps_per_sample"))
    check_bool("record_parameters", record_parameters)
    if progress is not None:
        check_bool("progress", progress)
    retrain_config(optimum, seeds[0], epochs, retrain)  # the settings on this optimum's config
    cache = cache or ArtifactCache()
    dataset = load_training_data(optimum.config)
    every = epochs_per_sample(retrain_config(optimum, seeds[0], 1, retrain), len(dataset.train_x),
                              steps_per_sample)
    code = code_version(sys.modules[__name__])  # training and directions included
    settings = {"seeds": list(seeds), "step_sizes": list(step_sizes), "epochs": epochs,
                "retrain": retrain, "steps_per_sample": steps_per_sample,
                "normalization": normalization, "ignore": ignore}
    key_fields = {**optimum_key(optimum), **settings}

    def one(seed: int, step: float) -> Any:
        # One artifact per retrain, keyed without the other seeds and steps: a finished
        # retrain survives an interrupt and is shared by runs that differ in those.
        fields = {**key_fields, "seed": seed, "step_size": step, "seeds": None,
                  "step_sizes": None}
        return cache.get_or_compute(
            "jump-retrain", fields,
            lambda: _retrain_one(optimum, dataset, seed, step, epochs, every, retrain,
                                 normalization, ignore),
            code=code)

    def matrix(artifacts: dict, table: pd.DataFrame) -> np.ndarray:
        return _assemble_parameters(cache, optimum, artifacts, table, key_fields, code)

    return _collect(seeds, step_sizes, one, optimum_row("jump_retrain", optimum),
                    optimum_buffers(optimum) if record_parameters else None,
                    matrix if record_parameters else None,
                    {"optimum": optimum.config.to_dict(), **settings}, every, progress)


def jump_and_retrain_model(model: nn.Module, train_data: Any, test_data: Any = None, *,
                           loss: LossFunction | None = None,
                           optimizer: Callable[[Any], torch.optim.Optimizer] | None = None,
                           batch_size: int = 32, seeds: Sequence[int] = (0, 1, 2, 3),
                           step_sizes: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
                           epochs: int = 20, steps_per_sample: int | None = None,
                           normalization: str | None = "filter", ignore: str | None = "biasbn",
                           record_parameters: bool = True, progress: bool | None = None,
                           device: str | torch.device = "cpu") -> Samples:
    """Jump and retrain around a reader's own trained model, on their own data and loss.

    :func:`jump_and_retrain` for any ``torch.nn.Module``: the same jumps (filter-normalized
    random directions, one per seed, biases and BatchNorm left where they are), the same
    retraining loop (:func:`helpers.train.fit_model`: batches shuffled from the seed,
    evaluation in evaluation mode after each sample) and the same
    :class:`~helpers.sample_table.Samples`, whose every row can be re-evaluated from its
    stored parameters and BatchNorm statistics
    (:func:`~helpers.sample_table.sample_model` with the model). Nothing is cached: the
    artifact cache keys the book's networks by their configuration, which a reader's
    model does not have.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network: the optimum. It is copied; the caller's model is not changed.
    train_data, test_data : pair, Dataset or DataLoader
        What :func:`helpers.data.as_tensors` reads: retraining runs on ``train_data``;
        ``test_data`` may be ``None`` (the test metrics are then ``nan``).
    loss : callable, optional
        ``loss(outputs, targets)`` (:mod:`helpers.losses`); cross-entropy by default.
    optimizer : callable, optional
        ``optimizer(parameters)`` returns a fresh ``torch.optim.Optimizer`` for each
        retrain, e.g. ``lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)``; by default
        plain SGD at the paper's retraining rate, 0.001.
    batch_size : int, default 32
        Samples per retraining step.
    seeds, step_sizes, epochs, steps_per_sample, normalization, ignore, record_parameters, progress
        As in :func:`jump_and_retrain`.
    device : str or torch.device, default "cpu"

    Returns
    -------
    Samples
        As :func:`jump_and_retrain`'s, with ``settings`` holding the model's class name,
        the batch size and the number of training samples instead of an optimum's
        configuration; ``parameters`` is in memory.

    Raises
    ------
    ValueError
        On a bad argument, before any retraining.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    >>> x = torch.randn(40, 2)
    >>> y = (x[:, 0] > 0).long()
    >>> samples = jump_and_retrain_model(net, (x, y), seeds=[0], step_sizes=[0.5], epochs=2,
    ...                                  batch_size=8)
    >>> samples.table["kind"].tolist(), samples.parameters.shape, samples.buffers.shape
    (['optimum', 'jump', 'retrain', 'retrain'], (4, 58), (4, 16))
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    checked = check_jump_and_retrain(seeds, step_sizes, epochs,
                                     steps_per_sample=steps_per_sample,
                                     normalization=normalization, ignore=ignore)
    seeds, step_sizes, epochs, steps_per_sample = (
        checked[k] for k in ("seeds", "step_sizes", "epochs", "steps_per_sample"))
    x, y = helpers.data.as_tensors(train_data, "train_data")
    test = None if test_data is None else helpers.data.as_tensors(test_data, "test_data")
    check_loss(loss)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if optimizer is None:
        def optimizer(parameters: Any) -> torch.optim.Optimizer:
            return torch.optim.SGD(parameters, lr=DEFAULT_RETRAIN["lr"])
    made = optimizer(copy.deepcopy(model).parameters()) if callable(optimizer) else None
    if not isinstance(made, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a callable that returns a torch.optim.Optimizer "
                         f"for the parameters it is given, or None; got {optimizer!r}")
    check_bool("record_parameters", record_parameters)
    if progress is not None:
        check_bool("progress", progress)
    device = torch_device(device)

    optimum = copy.deepcopy(model).to(device).eval()
    per_epoch = batch_count(len(x), batch_size)
    every = _epochs_between(per_epoch, steps_per_sample)
    train_loss, train_accuracy, _ = evaluate(optimum, x, y, loss=loss)
    test_loss, test_accuracy, _ = (evaluate(optimum, *test, loss=loss) if test is not None
                                   else (np.nan, np.nan, None))
    if not np.isfinite(train_loss):
        raise ValueError(f"model must have a finite loss on train_data; got {train_loss}")
    first = optimum_row("jump_retrain", {
        "train_loss": train_loss, "train_accuracy": train_accuracy, "test_loss": test_loss,
        "test_accuracy": test_accuracy})

    def one(seed: int, step: float) -> _Computed:
        jumped = copy.deepcopy(optimum)
        _jump(jumped, seed, step, normalization, ignore)
        result = fit_model(jumped, optimizer(jumped.parameters()), (x, y), test,
                           epochs=epochs * every, batch_size=batch_size, loss=loss, seed=seed,
                           record_parameters=True, record_every=every, device=device,
                           progress=False)
        return _Computed(*_retrain_arrays(result, per_epoch))

    def matrix(artifacts: dict, table: pd.DataFrame) -> np.ndarray:
        blocks = [flatten_parameters(optimum)[None]]
        blocks += [np.asarray(a["parameters"]) for a in artifacts.values()]
        return np.concatenate(blocks)

    settings = {"model": type(model).__name__, "batch_size": batch_size, "n_train": len(x),
                "seeds": list(seeds), "step_sizes": list(step_sizes), "epochs": epochs,
                "steps_per_sample": steps_per_sample, "normalization": normalization,
                "ignore": ignore}
    return _collect(seeds, step_sizes, one, first,
                    flatten_buffers(optimum) if record_parameters else None,
                    matrix if record_parameters else None, settings, every, progress)


def _collect(seeds: Sequence[int], step_sizes: Sequence[float], one: Callable[[int, float], Any],
             first: dict[str, Any], first_buffers: np.ndarray | None,
             matrix: Callable[[dict, pd.DataFrame], np.ndarray] | None,
             settings: dict[str, Any], every: int, progress: bool | None) -> Samples:
    """Run every (seed, step) retrain with ``one`` and assemble the samples, optimum first.

    ``one`` returns a cache artifact or a :class:`_Computed` (the same interface);
    ``matrix`` builds the parameter matrix from them (``None``: not recorded).
    """
    runs = [(seed, step) for seed in seeds for step in step_sizes]
    artifacts = {}
    bar = tqdm(runs, desc="jump & retrain", disable=progress_disabled(progress))
    for seed, step in bar:
        artifacts[seed, step] = one(seed, step)
    bar.close()

    rows = [first]
    run_rows = []
    for (seed, step), artifact in artifacts.items():
        history = artifact.frame("history")
        diverged_epoch = artifact.meta["diverged_epoch"]
        for record in history.to_dict("records"):
            rows.append({"method": "jump_retrain",
                         "kind": "jump" if record["epoch"] == 0 else "retrain",
                         "seed": seed, "step_size": step, "epoch": int(record["epoch"]),
                         "steps": int(record["steps"]), "a": np.nan, "b": np.nan, "c": np.nan,
                         "diverged": diverged_epoch is not None,
                         **{m: float(record[m]) for m in METRICS}})
        run_rows.append((seed, step, len(history), every,
                         every * artifact.meta["steps_per_epoch"],
                         -1 if diverged_epoch is None else int(diverged_epoch),
                         float(artifact.meta["seconds"]), artifact.from_cache))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    runs_table = pd.DataFrame(run_rows, columns=list(RUN_COLUMNS))

    parameters = buffers = None
    if matrix is not None:
        parameters = matrix(artifacts, table)
        if len(parameters) != len(table):  # pragma: no cover - guards the one-to-one pairing
            raise AssertionError(f"{len(parameters)} parameter rows for {len(table)} table rows")
        buffers = np.concatenate([first_buffers[None]]
                                 + [np.asarray(a["buffers"]) for a in artifacts.values()])
    seconds = float(runs_table["seconds"].sum())
    return Samples(table, parameters, buffers, settings, seconds, runs_table)


class _Computed:
    """One retrain computed here and not stored, read like a cache artifact."""

    from_cache = False

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.arrays, self.meta = arrays, meta

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def frame(self, prefix: str) -> pd.DataFrame:
        return pd.DataFrame({c: self.arrays[f"{prefix}.{c}"]
                             for c in self.meta["frames"][prefix]})


def epochs_per_sample(config: TrainConfig, n_train: int, steps_per_sample: int | None) -> int:
    """Epochs between two recorded samples: enough for ``steps_per_sample`` optimizer steps.

    Examples
    --------
    >>> epochs_per_sample(TrainConfig(batch_size=300), 300, 5)  # full batch: 1 step/epoch
    5
    >>> epochs_per_sample(TrainConfig(batch_size=64), 300, 5)   # 5 steps/epoch
    1
    >>> epochs_per_sample(TrainConfig(batch_size=64), 300, None)
    1
    """
    return _epochs_between(steps_per_epoch(config, n_train), steps_per_sample)


def _epochs_between(per_epoch: int, steps_per_sample: int | None) -> int:
    return 1 if steps_per_sample is None else -(-steps_per_sample // per_epoch)


def _jump(model: nn.Module, seed: int, step: float, normalization: str | None,
          ignore: str | None) -> None:
    """Move ``model`` in place by ``step`` along the seed's normalized random direction."""
    theta = flatten_parameters(model)
    direction = helpers.directions.random_direction(model, seed, normalization=normalization,
                                                    ignore=ignore)
    load_flat_parameters(model, theta + np.float32(step) * direction)


def _retrain_arrays(result: TrainResult, per_epoch: int) -> tuple[dict[str, np.ndarray],
                                                                  dict[str, Any]]:
    """A retrain's history, parameters and buffers as the arrays and meta of an artifact."""
    arrays, columns = frame_arrays("history", result.history)
    arrays["parameters"] = result.parameters
    arrays["buffers"] = result.buffers
    return arrays, {"frames": {"history": columns}, "diverged_epoch": result.diverged_epoch,
                    "steps_per_epoch": per_epoch, "seconds": result.seconds}


def _retrain_one(optimum: TrainResult, dataset, seed: int, step: float, epochs: int,
                 every: int, retrain: dict[str, Any] | None, normalization: str | None,
                 ignore: str | None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Jump from the optimum along the seed's direction and retrain; arrays for the cache."""
    model = optimum.model(dataset)
    _jump(model, seed, step, normalization, ignore)
    config = retrain_config(optimum, seed, epochs * every, retrain)
    result = fit(model, dataset, config, record_parameters=True, record_every=every,
                 progress=False)
    return _retrain_arrays(result, steps_per_epoch(config, len(dataset.train_x)))


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

    return parameter_matrix(cache, "jump-retrain-matrix", fields, code,
                             (len(table), theta.size), fill)


# --- static samplers ------------------------------------------------------------------

def check_grid_and_naive(n_points: int | None = None, grid_extent: float = 1.0) -> None:
    """Check the grid and naive samplers' settings before anything is trained.

    Examples
    --------
    >>> check_grid_and_naive(n_points=0)
    Traceback (most recent call last):
    ...
    ValueError: n_points must be an integer >= 8; got 0
    """
    if n_points is not None:
        check_int("n_points", n_points, minimum=8)
    check_float("grid_extent", grid_extent, minimum=0.0, strict_minimum=True)


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
                    points_per_batch: int, splits: tuple[str, ...]) -> tuple[pd.DataFrame, float]:
    dataset = load_training_data(optimum.config)
    model = optimum.model(dataset)
    base = flatten_parameters(model)
    device = optimum.config.device
    if evaluation == "auto":
        # benchmarks/bench_evaluate.py: on CPUs one forward pass per point is the faster.
        evaluation = "loop" if device == "cpu" else "vmap"
    started = time.perf_counter()
    data = {"train": (dataset.train_x, dataset.train_y), "test": (dataset.test_x, dataset.test_y)}
    metrics = {}
    for split in SPLITS:
        if split in splits:
            loss, accuracy = helpers.directions.evaluate_along(
                model, base, directions, coefficients, *data[split], method=evaluation,
                points_per_batch=points_per_batch, device=device)
        else:  # not evaluated: a pass over a split is most of a point's cost
            loss = accuracy = np.full(len(coefficients), np.nan)
        metrics[f"{split}_loss"], metrics[f"{split}_accuracy"] = loss, accuracy
    seconds = time.perf_counter() - started
    finite = np.all([np.isfinite(metrics[f"{split}_loss"]) for split in splits], axis=0)
    table = info.assign(method=method, kind=method, diverged=~finite, **metrics)
    table = pd.concat([pd.DataFrame([optimum_row(method, optimum)]), table], ignore_index=True)
    return table[list(COLUMNS)], seconds


def _static_cached(method: str, optimum: TrainResult, settings: dict[str, Any],
                   build: Any, evaluation: str, points_per_batch: int,
                   record_parameters: bool, cache: ArtifactCache | None) -> Samples:
    cache = cache or ArtifactCache()

    def compute() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        directions, coefficients, info = build()
        table, seconds = _static_samples(method, optimum, directions, coefficients, info,
                                         evaluation, points_per_batch, settings["splits"])
        arrays, columns = frame_arrays("table", table)
        return arrays, {"frames": {"table": columns}, "seconds": seconds}

    code = code_version(sys.modules[__name__])
    # The evaluation method is not part of the key: both give the same numbers to rounding.
    fields = {**optimum_key(optimum), **settings}
    artifact = cache.get_or_compute(method, fields, compute, code=code)
    table = artifact.frame("table")
    parameters = buffers = None
    if record_parameters:
        parameters = _static_parameters(cache, f"{method}-matrix", fields, code, optimum, build,
                                        len(table))
        # Every point is evaluated with the optimum's running statistics.
        buffers = np.tile(optimum_buffers(optimum), (len(table), 1))
    return Samples(table, parameters, buffers, {"optimum": optimum.config.to_dict(), **settings},
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

    return parameter_matrix(cache, namespace, fields, code, (n_rows, base.size), fill)


def _check_static(optimum: TrainResult, normalization: str | None, ignore: str | None,
                  evaluation: str, points_per_batch: int, record_parameters: bool,
                  splits: Sequence[str]) -> tuple[str, ...]:
    """Check the shared arguments of the static samplers; return ``splits`` in order."""
    check_optimum(optimum)
    check_bool("record_parameters", record_parameters)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice("ignore", ignore, IGNORES)
    check_choice("evaluation", evaluation, EVALUATIONS)
    check_int("points_per_batch", points_per_batch, minimum=1)
    chosen = () if isinstance(splits, str) else tuple(splits)
    if not chosen or not set(chosen) <= set(SPLITS) or len(set(chosen)) != len(chosen):
        raise ValueError(f"splits must be a non-empty subset of {SPLITS} without repeats; "
                         f"got {list(splits)!r}")
    return tuple(split for split in SPLITS if split in chosen)


def grid_sample(optimum: TrainResult, n_points: int = 336, extent: float = 1.0, *,
                seed: int = 0, normalization: str | None = "filter", ignore: str | None = "biasbn",
                evaluation: str = "auto", points_per_batch: int = 16,
                record_parameters: bool = False, splits: Sequence[str] = ("train", "test"),
                cache: ArtifactCache | None = None) -> Samples:
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
    = table row ``i``), e.g. to embed them beside J&R samples. ``splits`` says which data
    each point is evaluated on (``("train",)`` skips the test set, whose columns are then
    ``NaN``: a pass over a split is most of a point's cost). Bad arguments raise
    ``ValueError`` before any work.

    Examples
    --------
    >>> from helpers.train import train
    >>> optimum = train(TrainConfig(epochs=2, train_size=40), progress=False)
    >>> len(grid_sample(optimum, n_points=27))
    28
    """
    splits = _check_static(optimum, normalization, ignore, evaluation, points_per_batch,
                           record_parameters, splits)
    shape = grid_shape(n_points)
    extent = check_float("extent", extent, minimum=0.0, strict_minimum=True)
    seed = check_int("seed", seed, minimum=0)
    settings = {"n_points": n_points, "extent": extent, "seed": seed,
                "normalization": normalization, "ignore": ignore, "splits": list(splits)}

    def build() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        model = optimum.model()
        directions = np.stack([helpers.directions.random_direction(
            model, seed + i, normalization=normalization, ignore=ignore) for i in range(3)])
        axes = [np.linspace(-extent, extent, side) for side in shape]
        coefficients = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
        info = pd.DataFrame(coefficients, columns=["a", "b", "c"]).assign(
            seed=-1, epoch=-1, steps=-1, step_size=np.linalg.norm(coefficients, axis=1))
        return directions, coefficients, info

    return _static_cached("grid", optimum, settings, build, evaluation, points_per_batch,
                          record_parameters, cache)


def naive_sample(optimum: TrainResult, n_points: int = 336,
                 step_sizes: Sequence[float] = (0.25, 0.5, 0.75, 1.0), *, seed: int = 0,
                 normalization: str | None = "filter", ignore: str | None = "biasbn",
                 evaluation: str = "auto", points_per_batch: int = 16,
                 record_parameters: bool = False, splits: Sequence[str] = ("train", "test"),
                 cache: ArtifactCache | None = None) -> Samples:
    """Naive sampling (Horoi et al. 2022, §4.2): many random directions × step sizes.

    ``n_points / len(step_sizes)`` normalized random directions (seeds ``seed``,
    ``seed + 1``, ...), each evaluated at every step size: ``θ* + s·d``. More
    directions than J&R or the grid, no dynamics. The optimum is the first row. By
    default as many points as :func:`jump_and_retrain` and :func:`grid_sample` at theirs;
    ``evaluation``, ``points_per_batch`` and ``splits`` as in :func:`grid_sample`.

    Examples
    --------
    >>> from helpers.train import train
    >>> optimum = train(TrainConfig(epochs=2, train_size=40), progress=False)
    >>> len(naive_sample(optimum, n_points=8, step_sizes=[0.5, 1.0]))
    9
    """
    splits = _check_static(optimum, normalization, ignore, evaluation, points_per_batch,
                           record_parameters, splits)
    n_points = check_int("n_points", n_points, minimum=1)
    step_sizes = check_sequence("step_sizes", step_sizes, minimum=0.0, strict_minimum=True,
                                unique=True)
    if n_points % len(step_sizes):
        raise ValueError(f"n_points must be a multiple of len(step_sizes)={len(step_sizes)}; "
                         f"got {n_points}")
    seed = check_int("seed", seed, minimum=0)
    n_directions = n_points // len(step_sizes)
    settings = {"n_points": n_points, "step_sizes": list(step_sizes), "seed": seed,
                "normalization": normalization, "ignore": ignore, "splits": list(splits)}

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
                             "steps": -1, "a": np.nan, "b": np.nan, "c": np.nan})
        return directions, coefficients, info

    return _static_cached("naive", optimum, settings, build, evaluation, points_per_batch,
                          record_parameters, cache)


# --- summaries ------------------------------------------------------------------------


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
