"""A zoo of trained networks: one cached landscape record per network of a grid.

Horoi et al. (2022) rest their two quantitative results — total persistence against
generalization (Fig. 3B) and the classifier table (Table 1) — on one population of
trained networks (108 WRNs) with their landscape samples. :class:`Zoo` defines such a
population: a grid of training configurations over the paper's factors (model size,
batch size, weight decay, augmentation, seeds) and the sampling settings shared by
every network. :meth:`Zoo.run` computes, per network, one cached and resumable task
(:func:`zoo_network`, through :func:`helpers.sweep.run_sweep`, in this process or on
Dask):

1. the optimum (:func:`helpers.train.train`), its train and test loss and accuracy;
2. jump-and-retrain samples and the landscape features of
   :func:`helpers.pipeline.landscape_features` (PHATE potential, kNN graph);
3. grid and naive samples with as many points as J&R has *retraining* samples
   (the paper: 4 directions × 4 steps × 40 epochs = 640 each, the optimum excluded);
4. persistence of the graph filtered by train loss and by test loss, summarized with
   essential bars dropped (``"drop"``) and closed at the largest filtration value
   (``"max"``, the public code's convention: ``essential="cap"`` at the largest value in
   :func:`helpers.topology.total_persistence`);
5. a sharpness baseline from the same samples (:data:`SHARPNESS_NOTE`).

A second read (a second chapter) loads every record from the cache and computes
nothing. :class:`ZooResult` gives one row per network (:attr:`ZooResult.table`) and
the sampled values as matrices whose columns mean the same thing in every network
(:meth:`ZooResult.samples`, :meth:`ZooResult.sample_columns`).

Sample order (the columns of :meth:`ZooResult.samples`)
    ``"jump_retrain"``: the retraining samples (jump points excluded), by direction
    seed (outer), step size, then sample along the retrain; ``NaN`` where a retrain
    diverged before that sample. ``"jump"``: the jump points, by seed then step.
    ``"grid"``: by grid position, ``a`` (outer), ``b``, ``c``, each ascending.
    ``"naive"``: by direction (outer), then step size. Grid and naive points are
    evaluated on the training set only (their test metrics are ``NaN``): the
    classifier table reads train metrics, and a pass over the test set would double
    their cost.

Examples
--------
>>> tiny = Zoo(TrainConfig(epochs=2, train_size=40, batch_size=20),
...            {"weight_decay": (0.0, 1e-3)}, seeds=(0, 1), step_sizes=(0.5, 1.0),
...            epochs=2, knn=4, phate_knn=4)
>>> tiny.n_networks, tiny.n_points
(2, 8)
>>> sample_columns(tiny, "naive").head(3).to_dict("list")
{'direction': [0, 0, 1], 'step_size': [0.5, 1.0, 0.5]}
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

import helpers.pipeline
import helpers.sampling
import helpers.sweep
import helpers.topology
import helpers.train
from helpers.cache import ArtifactCache
from helpers.checks import check_choice, check_float, check_int, check_sequence
from helpers.config import TrainConfig, field_names
from helpers.pipeline import FILTRATIONS, FeatureTask
from helpers.presets import PRESETS, ZOO, preset

#: Conventions for the essential (never-dying) bars of a diagram: ``"drop"`` leaves
#: them out (the book's default), ``"max"`` closes them at the largest filtration value
#: (the paper's public code).
ESSENTIAL = ("drop", "max")

#: The samplers of a zoo, as named in :meth:`ZooResult.samples`.
SAMPLERS = ("jump_retrain", "jump", "grid", "naive")

#: The sampled values stored per point.
METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")

#: Why this sharpness baseline.
SHARPNESS_NOTE = (
    "sharpness: mean rise of the train loss from the optimum to the jump points of the "
    "largest step, before any retraining — the expected loss increase under a random "
    "filter-normalized perturbation of fixed radius, the random-perturbation sharpness "
    "that Jiang et al. (2020) found among the best single predictors of generalization; "
    "it comes from the same J&R samples at no cost. sharpness_naive is the same over "
    "the naive sampler's many more directions (less noisy).")


def persistence_summary(graph: Any, values: ArrayLike) -> tuple[dict[str, float],
                                                                 list[NDArray[np.float64]]]:
    """Persistence of ``graph`` filtered by ``values``, summarized under both conventions.

    Returns
    -------
    summary : dict
        ``total_persistence_h{0,1}_{drop,max}``, ``average_persistence_{drop,max}`` (of
        H0), ``n_saddles``, ``n_minima`` (of the merge tree), ``n_h0_finite``,
        ``n_h0_infinite``, ``n_h1_finite``, ``n_h1_infinite``.
    diagrams : list of ndarray
        H0 and H1 as :func:`helpers.topology.lower_star_persistence` gives them.

    Examples
    --------
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(5, 5), format="csr")
    >>> summary, _ = persistence_summary(path, [0.0, 3.0, 1.0, 4.0, 2.0])
    >>> summary["total_persistence_h0_drop"], summary["total_persistence_h0_max"]
    (8.0, 24.0)
    """
    values = np.asarray(values, dtype=np.float64)
    diagrams = helpers.topology.lower_star_persistence(graph, values, maxdim=1)
    tree = helpers.topology.merge_tree(graph, values)
    top = float(values.max())
    summary: dict[str, float] = {}
    for essential in ESSENTIAL:
        # "max": each essential bar dies at the largest filtration value (the public code).
        how = {"essential": "drop"} if essential == "drop" else {"essential": "cap", "cap": top}
        for dim, diagram in enumerate(diagrams):
            summary[f"total_persistence_h{dim}_{essential}"] = (
                helpers.topology.total_persistence(diagram, **how))
        summary[f"average_persistence_{essential}"] = (
            helpers.topology.average_persistence(diagrams[0], **how))
    summary["n_saddles"] = tree.n_saddles
    summary["n_minima"] = int(tree.minima.size)
    for dim, diagram in enumerate(diagrams):
        finite = int(np.isfinite(diagram[:, 1]).sum())
        summary[f"n_h{dim}_finite"] = finite
        summary[f"n_h{dim}_infinite"] = len(diagram) - finite
    return summary, diagrams


# ---------------------------------------------------------------------- definition


@dataclass(frozen=True)
class ZooTask:
    """One network of a zoo: its :class:`~helpers.pipeline.FeatureTask` and grid extent.

    :meth:`to_dict` (the cache key and the sweep table's columns) adds ``grid_extent``
    and ``n_points`` to the feature task's fields.
    """

    features: FeatureTask
    grid_extent: float = 1.0

    @property
    def n_points(self) -> int:
        """Retraining samples of J&R, and grid and naive points: equal by construction."""
        return len(self.features.seeds) * len(self.features.step_sizes) * self.features.epochs

    def to_dict(self) -> dict[str, Any]:
        """The feature task's fields, ``grid_extent`` and ``n_points``."""
        return {**self.features.to_dict(), "grid_extent": self.grid_extent,
                "n_points": self.n_points}


@dataclass(frozen=True)
class Zoo:
    """A population of networks: a grid of configurations and shared sampling settings.

    Parameters
    ----------
    base : TrainConfig
        The fields the grid does not set.
    grid : mapping of field name to sequence of values
        Expanded in order as :func:`helpers.presets.paper_grid` does (last field
        fastest).
    seeds, step_sizes, epochs, retrain_lr, steps_per_sample, knn, phate_knn
        Jump and retrain and graph settings (:class:`~helpers.pipeline.FeatureTask`):
        directions, jump lengths, samples per retrain, retraining rate, optimizer steps
        per sample (``None``: one epoch), graph and PHATE neighbours.
    grid_extent : float, default 1.0
        The grid spans ``[-grid_extent, grid_extent]`` along each of its three
        directions; naive samples use ``step_sizes``.

    Notes
    -----
    Everything is checked when the zoo is made, before anything is trained; in
    particular ``len(seeds) · len(step_sizes) · epochs`` must factor into a 3D grid
    (:func:`helpers.sampling.grid_shape`), so that grid, naive and J&R have equally
    many points.

    Examples
    --------
    >>> workshop = zoo("workshop")
    >>> workshop.n_networks >= 48, workshop.n_points
    (True, 48)
    >>> zoo("paper").n_networks, zoo("paper").n_points
    (108, 640)
    """

    base: TrainConfig
    grid: Mapping[str, Sequence[Any]] = field(compare=False)  # compared as grid_items
    seeds: tuple[int, ...] = (0, 1, 2, 3)
    step_sizes: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    epochs: int = 40
    retrain_lr: float = 0.001
    steps_per_sample: int | None = None
    knn: int = 20
    phate_knn: int = 15
    grid_extent: float = 1.0
    grid_items: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=(), init=False,
                                                                repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.base, TrainConfig):
            raise ValueError(f"base must be a TrainConfig; got {type(self.base).__name__}")
        if not isinstance(self.grid, Mapping) or not self.grid:
            raise ValueError("grid must map configuration fields to non-empty sequences of "
                             f"values, e.g. {{'weight_decay': (0.0, 1e-3)}}; got {self.grid!r}")
        unknown = sorted(set(self.grid) - set(field_names()))
        if unknown:
            raise ValueError(f"grid has unknown field(s) {unknown}; valid: {field_names()}")
        items = []
        for name, values in self.grid.items():
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise ValueError(f"grid[{name!r}] must be a non-empty sequence; got {values!r}")
            items.append((name, tuple(values)))
        set_(self, "grid_items", tuple(items))
        set_(self, "grid", dict(items))
        set_(self, "seeds", check_sequence("seeds", self.seeds, item="int", minimum=0,
                                           unique=True))
        set_(self, "step_sizes", check_sequence("step_sizes", self.step_sizes, minimum=0.0,
                                                strict_minimum=True, unique=True))
        set_(self, "epochs", check_int("epochs", self.epochs, minimum=1))
        set_(self, "retrain_lr", check_float("retrain_lr", self.retrain_lr, minimum=0.0,
                                             strict_minimum=True))
        set_(self, "grid_extent", check_float("grid_extent", self.grid_extent, minimum=0.0,
                                              strict_minimum=True))
        try:
            helpers.sampling.grid_shape(self.n_points)
        except ValueError:
            raise ValueError(f"len(seeds) · len(step_sizes) · epochs = {self.n_points} must "
                             "factor into a 3D grid a × b × c (e.g. 48, 80, 640), so that "
                             "grid, naive and J&R sample equally many points") from None
        # Every configuration and task is built (and so checked) now, before any work.
        set_(self, "_tasks", tuple(self._make_tasks()))

    @property
    def n_points(self) -> int:
        """Points per sampler and network (J&R retraining samples; grid; naive)."""
        return len(self.seeds) * len(self.step_sizes) * self.epochs

    @property
    def n_networks(self) -> int:
        """Networks in the zoo."""
        return int(np.prod([len(v) for _, v in self.grid_items]))

    def configs(self) -> list[TrainConfig]:
        """The training configurations, in grid order."""
        return [task.features.config for task in self.tasks()]

    def tasks(self) -> list[ZooTask]:
        """One :class:`ZooTask` per network, in grid order."""
        return list(self._tasks)  # type: ignore[attr-defined]

    def _make_tasks(self) -> list[ZooTask]:
        names = [name for name, _ in self.grid_items]
        configs = [self.base.replace(**dict(zip(names, values, strict=True)))
                   for values in itertools.product(*(v for _, v in self.grid_items))]
        return [ZooTask(FeatureTask(config, seeds=self.seeds, step_sizes=self.step_sizes,
                                    epochs=self.epochs, retrain={"lr": self.retrain_lr},
                                    steps_per_sample=self.steps_per_sample, knn=self.knn,
                                    phate_knn=self.phate_knn,
                                    record_every=config.epochs), self.grid_extent)
                for config in configs]

    def run(self, *, executor: Any = "local", n_workers: int | None = None,
            cache: ArtifactCache | None = None, progress: bool | None = None) -> ZooResult:
        """Compute what is missing and read the whole zoo (cached, resumable).

        Parameters
        ----------
        executor, n_workers, cache, progress
            As for :func:`helpers.sweep.run_sweep`. A network whose training diverges
            is reported in :attr:`ZooResult.failures` and has ``NaN`` features.
        """
        sweep = helpers.sweep.run_sweep(self.tasks(), zoo_network, executor=executor,
                                        n_workers=n_workers, cache=cache, progress=progress)
        return ZooResult(self, sweep)


def zoo(preset_name: str = "workshop", **overrides: Any) -> Zoo:
    """The zoo of a preset (:data:`helpers.presets.ZOO`), with overrides.

    Parameters
    ----------
    preset_name : {"workshop", "paper"}
    **overrides
        Any :class:`Zoo` field (``grid``, ``seeds``, ``epochs``, ...), or ``train``: a
        dict of :class:`TrainConfig` fields applied to the preset's base (e.g.
        ``{"epochs": 10}``); ``None`` keeps the preset's value.

    Examples
    --------
    >>> zoo("workshop", grid={"weight_decay": (0.0, 1e-3)}).n_networks
    2
    >>> zoo("workshop", knn=0)
    Traceback (most recent call last):
    ...
    ValueError: knn must be an integer >= 1; got 0
    """
    settings = dict(ZOO[check_choice("preset", preset_name, PRESETS)])
    accepted = {f.name for f in dataclasses.fields(Zoo) if f.init} - {"base"} | {"train"}
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise ValueError(f"unknown zoo setting(s) {unknown}; accepted: {sorted(accepted)}")
    train = overrides.pop("train", None) or {}
    if not isinstance(train, Mapping):
        raise ValueError(f"train must be a dict of TrainConfig fields; got {train!r}")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    # The preset's own training overrides (its epochs, say) stay unless overridden.
    train = {**settings.pop("train"), **train}
    try:
        base = preset(preset_name).config(**train)
    except (ValueError, TypeError) as error:
        raise ValueError(f"train: {error}") from None
    return Zoo(base, **settings)


def chapter_zoo(preset_name: str, settings: Mapping[str, Any] | None, *, device: str = "cpu",
                parameter: str = "zoo_settings") -> Zoo:
    """The zoo a chapter's parameters ask for; every error names the chapter's parameter.

    Chapters 4 and 5 read the same zoo: at the same preset, settings and device they
    make equal definitions, and so the same cache keys.

    Parameters
    ----------
    preset_name : {"workshop", "paper"}
    settings : dict or None
        Overrides of :func:`zoo` (``grid``, ``epochs``, ``train``, ...); ``None``: none.
    device : str
        Where every network trains and is sampled.
    parameter : str
        The chapter's name for ``settings``.

    Examples
    --------
    >>> chapter_zoo("workshop", {"knn": 0})
    Traceback (most recent call last):
    ...
    ValueError: zoo_settings: knn must be an integer >= 1; got 0
    """
    check_choice("preset", preset_name, PRESETS)
    if settings is None:
        settings = {}
    if not isinstance(settings, Mapping):
        raise ValueError(f"{parameter} must be a dict of zoo settings (e.g. {{'epochs': 4}}) "
                         f"or None; got {settings!r}")
    settings = dict(settings)
    train = settings.pop("train", None) or {}
    if not isinstance(train, Mapping):
        raise ValueError(f"{parameter}: train must be a dict of TrainConfig fields; "
                         f"got {train!r}")
    try:
        return zoo(preset_name, train={**train, "device": device}, **settings)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{parameter}: {error}") from None


# ----------------------------------------------------------------- one network


def zoo_network(task: ZooTask) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Everything the zoo keeps about one network (a task of :func:`helpers.sweep.run_sweep`).

    Returns
    -------
    arrays : dict of ndarray
        ``samples.<sampler>`` for every sampler of :data:`SAMPLERS`: one row per metric
        of :data:`METRICS`, one column per point in the order of the module's docstring;
        ``diagrams``: rows ``(filtration, dimension, birth, death)``, the filtration as
        its index in :data:`helpers.pipeline.FILTRATIONS`. (Few files per network keep
        the warm read fast: every file is checksummed when read.)
    meta : dict
        The optimum's ``train_loss``, ``test_loss``, ``train_accuracy``,
        ``test_accuracy``; per filtration (suffix ``_train`` or ``_test``) the scalars
        of :func:`persistence_summary`; ``sharpness``, ``sharpness_naive``; the graph's
        ``n_components``, ``n_edges``, ``n_samples``, ``diverged_retrains``; and
        ``seconds_training``, ``seconds_jump_retrain``, ``seconds_grid_naive``,
        ``seconds_features``.
    """
    if not isinstance(task, ZooTask):
        raise ValueError(f"task must be a ZooTask; got {type(task).__name__}")
    features = task.features
    started = time.perf_counter()
    optimum = helpers.train.train(features.config, record_every=features.record_every,
                                  progress=False)
    seconds_training = 0.0 if optimum.from_cache else time.perf_counter() - started
    if optimum.diverged:
        raise ValueError(f"the network of {features.config.label} diverged in epoch "
                         f"{optimum.diverged_epoch}; no landscape to sample")

    started = time.perf_counter()
    landscape, summary = helpers.pipeline.landscape_features(features)
    seconds_pipeline = time.perf_counter() - started
    table = pd.DataFrame({c: landscape[f"samples.{c}"] for c in summary["frames"]["samples"]})
    graph = _graph(landscape["edges"], len(table))

    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {k: summary[k] for k in (
        "train_loss", "test_loss", "train_accuracy", "test_accuracy", "n_components",
        "n_edges", "n_samples", "diverged_retrains")}
    started = time.perf_counter()
    rows = []
    for index, filtration in enumerate(FILTRATIONS):
        scalars, diagrams = persistence_summary(graph, table[filtration].to_numpy())
        suffix = filtration.removesuffix("_loss")
        meta.update({f"{k}_{suffix}": v for k, v in scalars.items()})
        rows += [np.column_stack([np.full(len(d), index), np.full(len(d), dim), d])
                 for dim, d in enumerate(diagrams)]
    arrays["diagrams"] = np.concatenate(rows).astype(np.float64)
    seconds_persistence = time.perf_counter() - started

    started = time.perf_counter()
    # Grid and naive points feed the classifier table, which reads train metrics only.
    grid = helpers.sampling.grid_sample(optimum, task.n_points, task.grid_extent,
                                        splits=("train",)).table
    naive = helpers.sampling.naive_sample(optimum, task.n_points, features.step_sizes,
                                          splits=("train",)).table
    seconds_grid_naive = time.perf_counter() - started

    ordered = {"jump_retrain": _retrain_values(table, features),
               "jump": _jump_values(table, features),
               "grid": grid.iloc[1:].sort_values(["a", "b", "c"], kind="stable"),
               "naive": naive.iloc[1:].set_index(["seed", "step_size"]).reindex(
                   pd.MultiIndex.from_product([range(task.n_points // len(features.step_sizes)),
                                               features.step_sizes]))}
    for sampler, values in ordered.items():
        arrays[f"samples.{sampler}"] = values[list(METRICS)].to_numpy(dtype=np.float64).T

    largest = max(features.step_sizes)
    jumps = table[(table["kind"] == "jump") & (table["step_size"] == largest)]
    meta["sharpness"] = float(jumps["train_loss"].mean() - meta["train_loss"])
    far = naive.iloc[1:][naive["step_size"].iloc[1:] == largest]
    meta["sharpness_naive"] = float(far["train_loss"].mean() - meta["train_loss"])
    meta.update(seconds_training=seconds_training,
                seconds_jump_retrain=summary["seconds_sampling"],
                seconds_grid_naive=seconds_grid_naive,
                seconds_features=(seconds_pipeline - summary["seconds_sampling"]
                                  - summary["seconds_training"] + seconds_persistence))
    return arrays, meta


def _graph(edges: np.ndarray, n: int) -> sparse.csr_matrix:
    """The symmetric kNN graph from its unique edges ``i < j``."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    ones = np.ones(2 * len(edges))
    return sparse.csr_matrix((ones, (np.r_[edges[:, 0], edges[:, 1]],
                                     np.r_[edges[:, 1], edges[:, 0]])), shape=(n, n))


def _retrain_values(table: pd.DataFrame, features: FeatureTask) -> pd.DataFrame:
    """Retraining rows on the full (seed, step, sample) index; ``NaN`` where missing."""
    rows = table[table["kind"] == "retrain"].sort_values(["seed", "step_size", "epoch"],
                                                         kind="stable")
    rows = rows.assign(sample=rows.groupby(["seed", "step_size"]).cumcount())
    index = pd.MultiIndex.from_product([features.seeds, features.step_sizes,
                                        range(features.epochs)],
                                       names=["seed", "step_size", "sample"])
    return rows.set_index(["seed", "step_size", "sample"])[list(METRICS)].reindex(index)


def _jump_values(table: pd.DataFrame, features: FeatureTask) -> pd.DataFrame:
    rows = table[table["kind"] == "jump"].set_index(["seed", "step_size"])[list(METRICS)]
    return rows.reindex(pd.MultiIndex.from_product([features.seeds, features.step_sizes]))


def sample_columns(definition: Zoo, sampler: str) -> pd.DataFrame:
    """What each column of :meth:`ZooResult.samples` is: one row per column, in order.

    ``"jump_retrain"``: ``seed``, ``step_size``, ``sample`` (0 = first recorded sample
    after the jump); ``"jump"``: ``seed``, ``step_size``; ``"grid"``: ``a``, ``b``,
    ``c`` (coordinates along the grid's three directions); ``"naive"``: ``direction``
    (its seed), ``step_size``.

    Examples
    --------
    >>> tiny = Zoo(TrainConfig(), {"seed": (0,)}, seeds=(0, 1), step_sizes=(0.5, 1.0),
    ...            epochs=2, knn=4, phate_knn=4)
    >>> sample_columns(tiny, "grid").iloc[[0, 1, -1]].to_dict("list")
    {'a': [-1.0, -1.0, 1.0], 'b': [-1.0, -1.0, 1.0], 'c': [-1.0, 1.0, 1.0]}
    """
    if not isinstance(definition, Zoo):
        raise ValueError(f"definition must be a Zoo; got {type(definition).__name__}")
    check_choice("sampler", sampler, SAMPLERS)
    d = definition
    if sampler == "jump_retrain":
        return pd.DataFrame(list(itertools.product(d.seeds, d.step_sizes, range(d.epochs))),
                            columns=["seed", "step_size", "sample"])
    if sampler == "jump":
        return pd.DataFrame(list(itertools.product(d.seeds, d.step_sizes)),
                            columns=["seed", "step_size"])
    if sampler == "grid":
        axes = [np.linspace(-d.grid_extent, d.grid_extent, side)
                for side in helpers.sampling.grid_shape(d.n_points)]
        return pd.DataFrame(list(itertools.product(*axes)), columns=["a", "b", "c"])
    directions = range(d.n_points // len(d.step_sizes))  # naive_sample's seeds 0, 1, ...
    return pd.DataFrame(list(itertools.product(directions, d.step_sizes)),
                        columns=["direction", "step_size"])


# -------------------------------------------------------------------------- reading


class ZooResult:
    """A computed (or read-back) zoo.

    Attributes
    ----------
    definition : Zoo
    sweep : helpers.sweep.SweepResult
        The underlying sweep (``sweep.table["status"]`` says what was computed).
    table : pandas.DataFrame
        One row per network, in grid order: the grid's factors, ``status``, and every
        scalar of :func:`zoo_network` (``NaN`` for a failed network).
    failures : dict
        Failed networks by index (a diverged training, say).
    """

    def __init__(self, definition: Zoo, sweep: helpers.sweep.SweepResult) -> None:
        self.definition = definition
        self.sweep = sweep
        self.failures = sweep.failures
        factors = [name for name, _ in definition.grid_items]
        scalars = [c for c in sweep.table.columns
                   if c not in set(definition.tasks()[0].to_dict()) | {"seconds", "error"}]
        self.table = pd.concat([sweep.table[factors], sweep.table[scalars]], axis=1)

    def __repr__(self) -> str:
        return f"ZooResult({self.sweep!r})"

    def samples(self, sampler: str, metric: str = "train_loss") -> NDArray[np.float64]:
        """The sampled values, one row per network and one column per point.

        Columns are described by :meth:`sample_columns`; a failed network's row is
        ``NaN``.

        Parameters
        ----------
        sampler : {"jump_retrain", "jump", "grid", "naive"}
        metric : {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}
        """
        check_choice("sampler", sampler, SAMPLERS)
        row = METRICS.index(check_choice("metric", metric, METRICS))
        width = len(self.sample_columns(sampler))
        return np.stack([np.full(width, np.nan) if artifact is None
                         else np.asarray(artifact[f"samples.{sampler}"][row], dtype=np.float64)
                         for artifact in self.sweep.results])

    def sample_columns(self, sampler: str) -> pd.DataFrame:
        """:func:`sample_columns` of this zoo's definition."""
        return sample_columns(self.definition, sampler)

    def diagram(self, network: int, filtration: str = "train_loss",
                dim: int = 0) -> NDArray[np.float64]:
        """The persistence diagram of one network (``inf`` deaths kept)."""
        network = check_int("network", network, minimum=0,
                            maximum=len(self.sweep.results) - 1)
        check_choice("filtration", filtration, FILTRATIONS)
        check_choice("dim", dim, (0, 1))
        artifact = self.sweep.results[network]
        if artifact is None:
            raise ValueError(f"network {network} failed: {self.failures[network]}")
        rows = np.asarray(artifact["diagrams"])
        chosen = (rows[:, 0] == FILTRATIONS.index(filtration)) & (rows[:, 1] == dim)
        return rows[chosen, 2:]
