"""Topological features of the loss landscape around one trained network.

Horoi et al. (2022, §3.3, §4.4) summarize the landscape around an optimum in a few
steps, each of which lives in its own module of this package:

1. train the network (:func:`helpers.train.train`);
2. sample around it with jump and retrain (:func:`helpers.sampling.jump_and_retrain`);
3. embed the sampled parameter vectors with cosine PHATE and keep its diffusion
   potential (:func:`helpers.embedding.embed`);
4. join every sample to its ``k`` nearest neighbours in potential distance
   (:func:`helpers.distances.potential_distances`, :func:`helpers.graphs.knn_graph`);
5. filter that graph by the samples' loss and compute its persistence diagrams
   (:func:`helpers.topology.lower_star_persistence`) and merge tree
   (:func:`helpers.topology.merge_tree`);
6. reduce them to numbers: total persistence of H0 and H1, average persistence and
   number of saddles of the merge tree, beside the optimum's own test loss.

:class:`FeatureTask` holds every setting of that pipeline; :func:`compute_features`
runs it and returns a :class:`LandscapeFeatures`; :func:`sample_features` runs steps 3–6
alone, on any samples with their parameters (a reader's own model's, for instance);
:func:`landscape_features` is the same as a task of :func:`helpers.sweep.run_sweep`
(``task(config) -> (arrays, meta)``),
and :func:`feature_sweep` runs it over many networks, cached, in this process or on a
Dask cluster, with the modules the pipeline calls in its cache key.

Examples
--------
>>> from helpers.config import TrainConfig
>>> task = FeatureTask(TrainConfig(epochs=2, train_size=40), seeds=(0, 1),
...                    step_sizes=(0.5, 1.0), epochs=3, knn=5, phate_knn=5)
>>> task.n_samples
17
>>> features = compute_features(task, progress=False)  # doctest: +SKIP
>>> features.summary["total_persistence_h0"] >= 0  # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

import helpers.config
import helpers.data
import helpers.directions
import helpers.embedding
import helpers.flat_parameters
import helpers.models
import helpers.sample_table
import helpers.sampling
import helpers.sweep
import helpers.topology
import helpers.train
from helpers.cache import ArtifactCache, frame_arrays
from helpers.checks import check_choice, check_float, check_int, check_sequence
from helpers.config import TrainConfig
from helpers.distances import METRICS

#: Sample-table columns that can serve as the filtration (the value of each vertex).
FILTRATIONS = ("train_loss", "test_loss")


#: Scalars of :attr:`LandscapeFeatures.summary` (and columns of a sweep's table).
SUMMARY_FIELDS = (
    "train_loss", "test_loss", "train_accuracy", "test_accuracy",
    "total_persistence_h0", "total_persistence_h1", "average_persistence",
    "n_saddles", "n_minima", "n_h0_finite", "n_h0_infinite", "n_h1_finite", "n_h1_infinite",
    "n_samples", "n_edges", "n_components", "knn_used", "phate_t", "phate_components",
    "diverged_retrains", "steps_per_sample", "seconds_training", "seconds_sampling",
    "seconds_embedding",
    "seconds_topology",
)


@dataclass(frozen=True)
class FeatureTask:
    """One network and every setting of the feature pipeline.

    Parameters
    ----------
    config : TrainConfig
        The network to train (or load from the cache).
    seeds : sequence of int, default (0, 1, 2, 3)
        Jump-and-retrain directions, one per seed (the paper: 4).
    step_sizes : sequence of float, default (0.25, 0.5, 0.75, 1.0)
        Jump lengths in filter-normalized units (the paper's).
    epochs : int, default 20
        Retraining epochs per jump (the paper's public code: 40).
    retrain : mapping, optional
        Retraining settings over :data:`helpers.presets.DEFAULT_RETRAIN` (the optimum's
        own optimizer at a constant rate of 0.001), e.g. ``{"lr": 0.01}``; any of
        :data:`helpers.sampling.RETRAIN_FIELDS`.
    steps_per_sample : int, optional
        Optimizer steps between two recorded samples (``None``: one epoch, as the paper);
        see :func:`helpers.sampling.jump_and_retrain`.
    normalization : {"filter", "layer", None}, default "filter"
        Normalization of the jump directions.
    phate_knn : int, default 15
        Neighbours of PHATE's kernel (:func:`helpers.embedding.embed`'s default).
    knn : int, default 20
        Neighbours of each sample in the graph that is filtered (the paper: 20).
    filtration : {"train_loss", "test_loss"}, default "train_loss"
        The value of each vertex: the sample's loss on the training or the test set.
    potential_metric : {"euclidean", "cosine"}, default "euclidean"
        Distance between rows of the diffusion potential. Euclidean is the potential
        distance of PHATE's definition (Moon et al. 2019; Horoi et al. §2.1:
        ``||log P_i - log P_j||_2``); cosine PHATE embeds the cosine distance instead.
    random_state : int, default 0
        Seed of PHATE (its MDS; the diffusion potential does not depend on it).
    record_every : int, default 1
        The network's training evaluates every ``record_every``-th epoch
        (:func:`helpers.train.train`); a population of networks needs only the last.

    Notes
    -----
    The settings are checked when the task is made, before anything runs.
    :meth:`to_dict` flattens them with the configuration's fields into one mapping,
    which :func:`helpers.sweep.run_sweep` uses as the cache key and as the columns of
    its table; the J&R settings are prefixed ``jr_``.

    Examples
    --------
    >>> task = FeatureTask(TrainConfig(), epochs=5)
    >>> task.n_samples, task.to_dict()["jr_epochs"], task.to_dict()["weight_decay"]
    (97, 5, 0.0)
    >>> FeatureTask(TrainConfig(), filtration="loss")
    Traceback (most recent call last):
    ...
    ValueError: filtration must be one of 'train_loss', 'test_loss'; got 'loss'
    """

    config: TrainConfig
    seeds: tuple[int, ...] = (0, 1, 2, 3)
    step_sizes: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    epochs: int = 20
    retrain: Mapping[str, Any] | None = field(default=None, compare=False)
    steps_per_sample: int | None = None
    normalization: str | None = "filter"
    phate_knn: int = 15
    knn: int = 20
    filtration: str = "train_loss"
    potential_metric: str = "euclidean"
    random_state: int = 0
    record_every: int = 1
    # The retraining settings in full (defaults filled in), as sorted pairs: frozen,
    # hashable, and what equality and the cache key use.
    retrain_items: tuple[tuple[str, Any], ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.config, TrainConfig):
            raise ValueError(f"config must be a TrainConfig; got {type(self.config).__name__}")
        set_(self, "seeds", check_sequence("seeds", self.seeds, item="int", minimum=0,
                                           unique=True))
        set_(self, "step_sizes", check_sequence("step_sizes", self.step_sizes, minimum=0.0,
                                                strict_minimum=True, unique=True))
        set_(self, "epochs", check_int("epochs", self.epochs, minimum=1))
        if self.steps_per_sample is not None:
            set_(self, "steps_per_sample", check_int("steps_per_sample", self.steps_per_sample,
                                                     minimum=1))
        retrain = self.retrain if self.retrain is not None else {}
        if not isinstance(retrain, Mapping):
            raise ValueError(f"retrain must be a mapping of retraining settings or None; "
                             f"got {retrain!r}")
        refused = sorted(set(retrain) - set(helpers.sampling.RETRAIN_FIELDS))
        if refused:
            raise ValueError(f"retrain has field(s) {refused} that a retraining cannot "
                             f"change; accepted: {list(helpers.sampling.RETRAIN_FIELDS)}")
        try:  # the values, checked by the configuration they will become
            used = self.config.replace(**{**helpers.presets.DEFAULT_RETRAIN, **retrain},
                                       epochs=self.epochs)
        except ValueError as error:
            raise ValueError(f"retrain: {error}") from None
        # What retraining uses, as far as it differs from the optimum's own settings: a
        # value spelled out equal to the optimum's makes the same task and cache key.
        resolved = {k: getattr(used, k) for k in helpers.sampling.RETRAIN_FIELDS
                    if k in helpers.presets.DEFAULT_RETRAIN
                    or getattr(used, k) != getattr(self.config, k)}
        set_(self, "retrain", dict(resolved))
        set_(self, "retrain_items", tuple(sorted(
            (k, tuple(v) if isinstance(v, tuple | list) else v) for k, v in resolved.items())))
        check_choice("normalization", self.normalization, helpers.directions.NORMALIZATIONS)
        check_choice("filtration", self.filtration, FILTRATIONS)
        check_choice("potential_metric", self.potential_metric, METRICS)
        set_(self, "random_state", check_int("random_state", self.random_state, minimum=0))
        set_(self, "record_every", check_int("record_every", self.record_every, minimum=1))
        n = self.n_samples
        set_(self, "knn", check_int("knn", self.knn, minimum=1))
        if self.knn > n - 1:
            raise ValueError(f"knn must be an integer in 1..{n - 1} (the {n} samples of "
                             f"this J&R minus one); got {self.knn}")
        set_(self, "phate_knn", check_int("phate_knn", self.phate_knn, minimum=1))
        if self.phate_knn > n - 2:
            raise ValueError(f"phate_knn must be an integer in 1..{n - 2} (the {n} samples "
                             f"of this J&R minus two); got {self.phate_knn}")

    @property
    def n_samples(self) -> int:
        """Samples of a J&R without divergence: the optimum, then each jump and epoch."""
        return 1 + len(self.seeds) * len(self.step_sizes) * (self.epochs + 1)

    def replace(self, **changes: Any) -> FeatureTask:
        """A copy with ``changes`` applied (and checked).

        Examples
        --------
        >>> FeatureTask(TrainConfig()).replace(filtration="test_loss").filtration
        'test_loss'
        """
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self) if f.init})
        if unknown:
            raise ValueError(f"unknown FeatureTask field(s) {unknown}")
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        return FeatureTask(**{**values, **changes})

    def to_dict(self) -> dict[str, Any]:
        """The configuration's fields and the pipeline's settings, flat and JSON-compatible.

        Examples
        --------
        >>> sorted(k for k in FeatureTask(TrainConfig()).to_dict() if k.startswith("jr_"))[:3]
        ['jr_epochs', 'jr_normalization', 'jr_retrain_lr']
        """
        return {
            **self.config.to_dict(),
            "jr_seeds": list(self.seeds), "jr_step_sizes": list(self.step_sizes),
            "jr_epochs": self.epochs, "jr_steps_per_sample": self.steps_per_sample,
            "jr_normalization": self.normalization,
            **{f"jr_retrain_{k}": list(v) if isinstance(v, tuple) else v
               for k, v in self.retrain_items},
            "phate_knn": self.phate_knn, "knn": self.knn, "filtration": self.filtration,
            "potential_metric": self.potential_metric, "random_state": self.random_state,
            "record_every": self.record_every,
        }


@dataclass
class LandscapeFeatures:
    """What :func:`compute_features` found around one network.

    Attributes
    ----------
    samples : pandas.DataFrame
        The J&R sample table (:class:`helpers.sample_table.Samples`), one row per vertex,
        with the PHATE coordinates ``x, y`` and the filtration ``value`` of each.
    graph : scipy.sparse.csr_matrix
        The kNN graph on potential distances; row ``i`` is sample ``i``.
    diagrams : list of ndarray
        ``[H0, H1]`` of the loss filtration (:func:`helpers.topology.lower_star_persistence`);
        infinite deaths kept.
    tree : helpers.topology.MergeTree
        The join tree of the same filtration.
    summary : dict
        The scalars of :data:`SUMMARY_FIELDS`: the optimum's final metrics, total
        persistence of H0 and H1 (``p = 2``), the merge tree's average persistence,
        saddles and minima, sizes, and the seconds each stage took (0 when cached).
    """

    samples: pd.DataFrame
    graph: sparse.csr_matrix
    diagrams: list[np.ndarray]
    tree: helpers.topology.MergeTree
    summary: dict[str, Any]

    @property
    def values(self) -> np.ndarray:
        """The filtration value of each vertex (``samples["value"]``)."""
        return self.samples["value"].to_numpy()


def compute_features(task: FeatureTask, *, progress: bool | None = None,
                     download: bool = False) -> LandscapeFeatures:
    """Run the whole pipeline of :class:`FeatureTask` on one network.

    Training and jump-and-retrain are read from the artifact cache when they were
    computed before (by this or another chapter); PHATE and the topology are
    recomputed (a second or two) by :func:`sample_features`. :func:`feature_sweep`
    caches the whole result.

    Parameters
    ----------
    task : FeatureTask
    progress : bool or None
        Progress bars of training and J&R; ``None``: only on a terminal.
    download : bool
        Allow torchvision to download the dataset.

    Returns
    -------
    LandscapeFeatures

    Warns
    -----
    UserWarning
        When the kNN graph (or PHATE's) is disconnected: the diagrams then hold one
        infinite H0 bar per component, and ``summary["n_components"]`` says how many.
    """
    if not isinstance(task, FeatureTask):
        raise ValueError(f"task must be a FeatureTask; got {type(task).__name__}")
    started = time.perf_counter()
    optimum = helpers.train.train(task.config, record_every=task.record_every,
                                  progress=progress, download=download)
    seconds_training = 0.0 if optimum.from_cache else time.perf_counter() - started
    if optimum.diverged:
        raise ValueError(f"the network of {task.config.label} (seed {task.config.seed}) "
                         f"diverged in epoch {optimum.diverged_epoch}; no landscape to sample")
    samples = helpers.sampling.jump_and_retrain(
        optimum, task.seeds, task.step_sizes, task.epochs, retrain=task.retrain,
        steps_per_sample=task.steps_per_sample, normalization=task.normalization,
        progress=progress)
    n = len(samples)
    # A retrain that diverged leaves fewer samples than the task was checked against.
    features = sample_features(samples, knn=min(task.knn, n - 1),
                               phate_knn=min(task.phate_knn, n - 2),
                               filtration=task.filtration,
                               potential_metric=task.potential_metric,
                               random_state=task.random_state)
    features.summary["seconds_training"] = float(seconds_training)
    return features


def sample_features(samples: helpers.sample_table.Samples, *, knn: int = 20,
                    phate_knn: int = 15, filtration: str = "train_loss",
                    potential_metric: str = "euclidean",
                    random_state: int = 0) -> LandscapeFeatures:
    """Steps 3–6 of the pipeline on any samples with their parameters: embedding to numbers.

    The samples may come from :func:`helpers.sampling.jump_and_retrain` around one of
    the book's networks or from :func:`helpers.sampling.jump_and_retrain_model` around a
    reader's own model: cosine PHATE of the parameter matrix, the kNN graph on potential
    distances, the persistence diagrams and merge tree of its ``filtration``, and the
    summary numbers.

    Parameters
    ----------
    samples : helpers.sample_table.Samples
        With their parameter matrix (``record_parameters=True``), at least 3 rows.
    knn : int, default 20
        Neighbours of each sample in the filtered graph, ``1 <= knn <= n - 1``.
    phate_knn : int, default 15
        PHATE's neighbours, ``1 <= phate_knn <= n - 2``.
    filtration, potential_metric, random_state
        As in :class:`FeatureTask`.

    Returns
    -------
    LandscapeFeatures
        Its ``summary`` has every field of :data:`SUMMARY_FIELDS`, ``seconds_training``
        0 (the samples' network was trained elsewhere).

    Raises
    ------
    ValueError
        On samples without parameters or a bad setting, before any work.

    Warns
    -----
    UserWarning
        When the kNN graph (or PHATE's) is disconnected, as :func:`compute_features`.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from helpers.sampling import jump_and_retrain_model
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> x = torch.randn(40, 2)
    >>> samples = jump_and_retrain_model(net, (x, (x[:, 0] > 0).long()), seeds=[0, 1],
    ...                                  step_sizes=[0.5], epochs=4, batch_size=8)
    >>> features = sample_features(samples, knn=5, phate_knn=5)
    >>> features.summary["n_samples"], features.diagrams[0].shape[1]
    (11, 2)
    """
    if not isinstance(samples, helpers.sample_table.Samples) or samples.parameters is None:
        raise ValueError("samples must be Samples recorded with their parameters "
                         "(record_parameters=True)")
    table = samples.table
    n = len(table)
    if n < 3:
        raise ValueError(f"samples must hold at least 3 rows for PHATE and a graph; got {n}")
    knn = check_int("knn", knn, minimum=1, maximum=n - 1)
    phate_knn = check_int("phate_knn", phate_knn, minimum=1, maximum=n - 2)
    check_choice("filtration", filtration, FILTRATIONS)
    check_choice("potential_metric", potential_metric, METRICS)
    random_state = check_int("random_state", random_state, minimum=0)
    values = table[filtration].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"filtration {filtration!r} must be finite on every sample; the "
                         f"samples have {int((~np.isfinite(values)).sum())} non-finite values")

    started = time.perf_counter()
    embedded = helpers.embedding.embed(samples.parameters, "phate", metric="cosine",
                                       random_state=random_state, knn=phate_knn,
                                       n_landmark=None)
    seconds_embedding = time.perf_counter() - started

    started = time.perf_counter()
    potential = embedded.diagnostics["diffusion_potential"]
    if potential.shape[0] != n:  # pragma: no cover - guards the one-to-one pairing
        raise AssertionError(f"{potential.shape[0]} potential rows for {n} samples")
    distances = helpers.distances.potential_distances(potential, metric=potential_metric)
    graph = helpers.graphs.knn_graph(distances=distances, k=knn)
    # Row i of the table, of the parameters and of the potential is vertex i.
    diagrams = helpers.topology.lower_star_persistence(graph, values, maxdim=1)
    tree = helpers.topology.merge_tree(graph, values)
    seconds_topology = time.perf_counter() - started

    h0, h1 = diagrams
    optimum = table[table["kind"] == "optimum"].iloc[0]
    runs = samples.runs
    summary = {
        "train_loss": float(optimum["train_loss"]), "test_loss": float(optimum["test_loss"]),
        "train_accuracy": float(optimum["train_accuracy"]),
        "test_accuracy": float(optimum["test_accuracy"]),
        # Finite points only: the essential H0 point would make the sum infinite.
        "total_persistence_h0": helpers.topology.total_persistence(h0, essential="drop"),
        "total_persistence_h1": helpers.topology.total_persistence(h1, essential="drop"),
        "average_persistence": tree.average_persistence,
        "n_saddles": tree.n_saddles, "n_minima": int(tree.minima.size),
        "n_h0_finite": int(np.isfinite(h0[:, 1]).sum()),
        "n_h0_infinite": int((~np.isfinite(h0[:, 1])).sum()),
        "n_h1_finite": int(np.isfinite(h1[:, 1]).sum()),
        "n_h1_infinite": int((~np.isfinite(h1[:, 1])).sum()),
        "n_samples": n, "n_edges": int(graph.nnz // 2),
        "n_components": helpers.graphs.connected_components(graph), "knn_used": knn,
        "phate_t": int(embedded.diagnostics["t"]),
        "phate_components": int(embedded.diagnostics["n_connected_components"]),
        "diverged_retrains": int((runs["diverged_epoch"] >= 0).sum()) if runs is not None else 0,
        "steps_per_sample": int(runs["steps_per_sample"].iloc[0]) if runs is not None else -1,
        "seconds_training": 0.0,
        "seconds_sampling": (float(runs["seconds"][~runs["from_cache"]].sum())
                             if runs is not None else float(samples.seconds)),
        "seconds_embedding": float(seconds_embedding),
        "seconds_topology": float(seconds_topology),
    }
    coordinates = embedded.coordinates
    frame = table.assign(x=coordinates[:, 0], y=coordinates[:, 1], value=values)
    return LandscapeFeatures(frame, graph, [h0, h1], tree, summary)


def landscape_features(task: FeatureTask) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """:func:`compute_features` as a task of :func:`helpers.sweep.run_sweep`.

    Runs quietly; inside a Dask worker, torch uses as many threads as the worker has
    (one, for the local cluster of :func:`feature_sweep`), so that two workers on two
    cores do not wait on each other's threads.

    Returns
    -------
    arrays : dict of ndarray
        ``samples.<column>`` (the table of :attr:`LandscapeFeatures.samples`),
        ``h0``, ``h1``, ``edges`` (the graph's unique edges ``i < j``),
        ``edge_lengths`` (their potential distances) and the merge
        tree's ``tree_pairs``, ``tree_minima``, ``tree_saddles``, ``tree_parent``.
    meta : dict
        :attr:`LandscapeFeatures.summary`, plus the table's column order.

    See Also
    --------
    features_from_artifact : the :class:`LandscapeFeatures` back from a stored result.
    """
    with _worker_threads():
        features = compute_features(task, progress=False)
    arrays, columns = frame_arrays("samples", features.samples)
    upper = sparse.triu(features.graph, k=1).tocoo()
    tree = features.tree
    arrays.update(h0=features.diagrams[0], h1=features.diagrams[1],
                  edges=np.column_stack([upper.row, upper.col]).astype(np.int64),
                  edge_lengths=np.asarray(upper.data, dtype=np.float64),
                  tree_pairs=tree.pairs, tree_minima=tree.minima, tree_saddles=tree.saddles,
                  tree_parent=tree.parent)
    return arrays, {**features.summary, "frames": {"samples": columns}}


def features_from_artifact(artifact: Any) -> LandscapeFeatures:
    """Rebuild :class:`LandscapeFeatures` from a stored :func:`landscape_features` result.

    Parameters
    ----------
    artifact : helpers.cache.Artifact
        One entry of :attr:`helpers.sweep.SweepResult.results`.

    Examples
    --------
    >>> sweep = feature_sweep(tasks)  # doctest: +SKIP
    >>> features_from_artifact(sweep.results[0]).tree.n_saddles  # doctest: +SKIP
    3
    """
    if artifact is None or not hasattr(artifact, "frame"):
        raise ValueError("artifact must be a stored result of landscape_features (an "
                         f"Artifact); got {type(artifact).__name__} (a failed configuration?)")
    table = artifact.frame("samples")
    n = len(table)
    edges = np.asarray(artifact["edges"], dtype=np.int64).reshape(-1, 2)
    lengths = np.asarray(artifact["edge_lengths"], dtype=np.float64)
    graph = sparse.csr_matrix((np.r_[lengths, lengths], (np.r_[edges[:, 0], edges[:, 1]],
                                                        np.r_[edges[:, 1], edges[:, 0]])),
                              shape=(n, n))
    graph.sort_indices()
    values = table["value"].to_numpy(dtype=np.float64)
    tree = helpers.topology.MergeTree(
        kind="join", values=values, pairs=np.asarray(artifact["tree_pairs"]),
        minima=np.asarray(artifact["tree_minima"]), saddles=np.asarray(artifact["tree_saddles"]),
        parent=np.asarray(artifact["tree_parent"]))
    summary = {k: artifact.meta[k] for k in SUMMARY_FIELDS if k in artifact.meta}
    return LandscapeFeatures(table, graph, [np.asarray(artifact["h0"]),
                                            np.asarray(artifact["h1"])], tree, summary)


def feature_sweep(tasks: Sequence[FeatureTask], *, executor: Any = "local",
                  n_workers: int | None = None, cache: ArtifactCache | None = None,
                  progress: bool | None = None) -> helpers.sweep.SweepResult:
    """:func:`landscape_features` over many networks, cached (:func:`helpers.sweep.run_sweep`).

    The cache key of each result is the task's :meth:`FeatureTask.to_dict`, the task
    function's name and the code of this module and of every module it imports
    (:func:`helpers.cache.code_version`): editing the training, sampling, embedding or
    topology code recomputes the sweep; editing a docstring, a chart or a sentence does not.

    Parameters
    ----------
    tasks : sequence of FeatureTask
        Distinct tasks.
    executor, n_workers, cache, progress
        As for :func:`helpers.sweep.run_sweep`: ``"local"`` runs here, ``"dask"`` on a
        local cluster of ``n_workers`` single-threaded processes.

    Returns
    -------
    helpers.sweep.SweepResult
        Its ``table`` has one row per task: the configuration's fields, the pipeline's
        settings, and every scalar of :data:`SUMMARY_FIELDS`.

    Raises
    ------
    ValueError
        If ``tasks`` is empty or holds something other than :class:`FeatureTask`.
    """
    tasks = list(tasks) if isinstance(tasks, Sequence) and not isinstance(tasks, str) else None
    if not tasks or not all(isinstance(t, FeatureTask) for t in tasks):
        raise ValueError("tasks must be a non-empty sequence of FeatureTask")
    return helpers.sweep.run_sweep(tasks, landscape_features, executor=executor,
                                   n_workers=n_workers, cache=cache,
                                   progress=progress)


@contextlib.contextmanager
def _worker_threads() -> Iterator[None]:
    """Inside a Dask worker, limit torch and BLAS to the worker's threads."""
    try:
        from distributed import get_worker

        worker = get_worker()
        threads = int(getattr(getattr(worker, "state", None), "nthreads", None)
                      or worker.nthreads)
    except (ImportError, ValueError, AttributeError):
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)


def grid_tasks(base: TrainConfig, grid: Mapping[str, Sequence[Any]],
               **settings: Any) -> list[FeatureTask]:
    """One :class:`FeatureTask` per point of a hyperparameter grid around ``base``.

    Parameters
    ----------
    base : TrainConfig
        The fields the grid does not set.
    grid : mapping of field name to sequence of values
        Expanded as :func:`helpers.presets.paper_grid` does (Cartesian product, in order).
    **settings
        :class:`FeatureTask` settings shared by every task (``seeds``, ``knn``, ...).

    Examples
    --------
    >>> tasks = grid_tasks(TrainConfig(), {"weight_decay": [0.0, 1e-3], "seed": [0, 1]},
    ...                    epochs=5)
    >>> [(t.config.weight_decay, t.config.seed) for t in tasks]
    [(0.0, 0), (0.0, 1), (0.001, 0), (0.001, 1)]
    """
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"grid must be a non-empty mapping of field names to values; got {grid!r}")
    expanded = {name: tuple(values) if isinstance(values, Sequence) and not isinstance(
        values, str) else None for name, values in grid.items()}
    bad = [name for name, values in expanded.items() if not values]
    if bad:
        raise ValueError(f"grid values must be non-empty sequences; not so for {bad}")
    configs = helpers.presets.paper_grid(base, expanded)
    return [FeatureTask(config, **settings) for config in configs]


def monotone_paths(table: pd.DataFrame, column: str = "train_loss") -> float:
    """Share of retraining paths along which ``column`` never rises from epoch to epoch.

    A path that only descends has one minimum, at its end: with nothing else near it
    in the graph it adds no finite H0 point.

    Parameters
    ----------
    table : pandas.DataFrame
        A jump-and-retrain sample table (``kind``, ``seed``, ``step_size``, ``epoch``).
    column : str
        The value along the path.

    Examples
    --------
    >>> t = pd.DataFrame({"kind": ["optimum"] + ["jump", "retrain", "retrain"] * 2,
    ...                   "seed": [-1, 0, 0, 0, 1, 1, 1], "step_size": [0.0] + [1.0] * 6,
    ...                   "epoch": [-1, 0, 1, 2, 0, 1, 2],
    ...                   "train_loss": [0.0, 3.0, 2.0, 1.0, 3.0, 1.0, 2.0]})
    >>> monotone_paths(t)
    0.5
    """
    if column not in table.columns:
        raise ValueError(f"column must be a column of table; got {column!r}")
    paths = table[table["kind"] != "optimum"].sort_values(["seed", "step_size", "epoch"])
    falling = [bool(np.all(np.diff(group[column].to_numpy()) <= 0))
               for _, group in paths.groupby(["seed", "step_size"])]
    return float(np.mean(falling)) if falling else float("nan")


def retraining_rate_comparison(task: FeatureTask, features: LandscapeFeatures, lr: float, *,
                               labels: tuple[str, str] = ("", ""),
                               progress: bool | None = None) -> pd.DataFrame:
    """The landscape of ``task`` retrained at another rate ``lr``, beside ``features``.

    Runs :func:`compute_features` again with ``retrain={"lr": lr}`` (cached like any
    run) and tabulates what the rate changes: the share of paths whose loss only falls
    (:func:`monotone_paths`), the graph's components, the finite H0 points and the
    total persistence of H0.

    Parameters
    ----------
    task : FeatureTask
        The task ``features`` was computed from.
    features : LandscapeFeatures
        Its result at the task's own rate.
    lr : float
        The other retraining rate, e.g. the paper's 0.001.
    labels : (str, str), optional
        Appended to the two columns' names, e.g. ``("(paper)", "(here)")``.
    progress : bool, optional
        Show progress bars; by default only on a terminal.

    Returns
    -------
    pandas.DataFrame
        One column per rate, ``lr`` first (named ``"retrain lr <lr> <label>"``), one row
        per measure.

    Examples
    --------
    >>> from helpers.config import TrainConfig
    >>> task = FeatureTask(TrainConfig(epochs=2, train_size=40), seeds=(0, 1),
    ...                    step_sizes=(0.5,), epochs=2, knn=3, phate_knn=3)
    >>> table = retraining_rate_comparison(task, compute_features(task, progress=False),
    ...                                    0.001, progress=False)  # doctest: +SKIP
    """
    check_float("lr", lr, minimum=0.0, strict_minimum=True)
    if not isinstance(task, FeatureTask) or not isinstance(features, LandscapeFeatures):
        raise ValueError("task must be a FeatureTask and features its LandscapeFeatures")
    other = compute_features(task.replace(retrain={**task.retrain, "lr": lr}),
                             progress=progress)

    def measures(result: LandscapeFeatures) -> dict[str, float]:
        return {"paths whose loss only falls": monotone_paths(result.samples, task.filtration),
                "graph components": result.summary["n_components"],
                "finite H0 points": result.summary["n_h0_finite"],
                "total persistence H0": result.summary["total_persistence_h0"]}

    names = [f"retrain lr {rate:g} {label}".rstrip()
             for rate, label in zip((lr, task.retrain["lr"]), labels, strict=True)]
    return pd.DataFrame({names[0]: measures(other), names[1]: measures(features)})
