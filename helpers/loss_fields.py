"""Per-sample losses as scalar fields on a fixed graph of the inputs, and their topology.

After an epoch of training every image has its own loss. Meena (2024, §6.1–6.4)
treats these losses as a scalar field on a fixed ``k``-nearest-neighbour graph of the
images (:func:`input_graph`) and summarizes it by its join tree (basins of low loss)
and split tree (peaks of high loss): :func:`tree_diagram` gives their persistence
diagrams, :func:`epoch_topology` one diagram per epoch with its total persistence and
Wasserstein distance to the last epoch's, and :func:`heatmap_frame` persistence images
of many diagrams on one shared grid. :func:`control_values` builds the controls of
Chapter 6: each epoch's losses shuffled over the vertices, or replaced by their ranks.

Diagrams are in *sweep orientation*: a join-tree point is ``(birth, death)`` with the
loss at a local minimum and at the saddle where its basin merges; a split-tree point
is the same for ``-loss``, so ``death >= birth`` always holds and total persistence,
images and Wasserstein distances apply unchanged (the split diagram of ``f`` is the
join diagram of ``-f``). :func:`birth_persistence` returns points in loss units for
display. Infinite (essential) points are left out everywhere.

Examples
--------
>>> from scipy import sparse
>>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(5, 5), format="csr")
>>> tree_diagram(path, [0.0, 3.0, 1.0, 4.0, 2.0], "join").tolist()
[[1.0, 3.0], [2.0, 4.0]]
>>> tree_diagram(path, [0.0, 3.0, 1.0, 4.0, 2.0], "split").tolist()
[[-3.0, -1.0]]
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats

import helpers.graphs
import helpers.topology
from helpers.cache import ArtifactCache, code_version
from helpers.checks import check_bool, check_choice, check_float, check_int
from helpers.data import SPLITS, Dataset
from helpers.topology import MERGE_TREE_KINDS

__all__ = [
    "SETS",
    "VARIANTS",
    "EpochTopology",
    "birth_persistence",
    "control_values",
    "epoch_topology",
    "graph_summary",
    "heatmap_frame",
    "input_graph",
    "tree_diagram",
]

#: The two image sets whose losses become fields.
SETS = SPLITS
#: ``"loss"``: the field as measured; the controls ``"shuffle"`` and ``"rank"``.
VARIANTS = ("loss", "shuffle", "rank")


# ---------------------------------------------------------------------------- graphs


def input_graph(dataset: Dataset, which: str, k: int = 20, *,
                cache: ArtifactCache | None = None) -> sparse.csr_matrix:
    """The ``k``-nearest-neighbour graph of a set's images, on their pixels (cached).

    Meena (2024, §6.2) joins each image to its ``k = 20`` nearest others in pixel
    space with scikit-learn; here :func:`helpers.graphs.knn_graph` (exact, the
    union of the directed relations, one edge per pair) on the flattened,
    normalized images the network sees. Row ``i`` is image ``i`` of the set, in the
    order of its per-sample losses.

    Parameters
    ----------
    dataset : Dataset
    which : {"train", "test"}
    k : int
        From 1 to the number of images minus one.
    cache : ArtifactCache, optional
        The store (``data/cache`` by default); the graph is keyed by the dataset's
        name, its number of images, the set and ``k``.

    Returns
    -------
    scipy.sparse.csr_matrix
        Symmetric; its sparsity structure is the graph (values are edge lengths).

    Examples
    --------
    >>> import tempfile
    >>> from helpers.data import load_dataset
    >>> data = load_dataset("digits", train_size=50)
    >>> graph = input_graph(data, "train", k=5, cache=ArtifactCache(tempfile.mkdtemp()))
    >>> graph.shape, bool((graph != graph.T).nnz == 0)
    ((50, 50), True)
    """
    if not isinstance(dataset, Dataset):
        raise ValueError(f"dataset must be a helpers.data.Dataset; got {type(dataset).__name__}")
    which = check_choice("which", which, SETS)
    images = dataset.train_x if which == "train" else dataset.test_x
    k = check_int("k", k, minimum=1, maximum=len(images) - 1)
    cache = cache or ArtifactCache()
    fields = {"dataset": dataset.name, "set": which, "n": len(images), "k": k,
              "n_train": dataset.n_train}

    def compute() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        started = time.perf_counter()
        with warnings.catch_warnings():  # graph_summary reports the components instead
            warnings.simplefilter("ignore", UserWarning)
            graph = helpers.graphs.knn_graph(images.reshape(len(images), -1).numpy(), k=k)
        return ({"indptr": graph.indptr, "indices": graph.indices, "lengths": graph.data},
                {"seconds": time.perf_counter() - started})

    artifact = cache.get_or_compute("lr-graph", fields, compute,
                                    code=code_version(sys.modules[__name__]))
    n = len(images)
    return sparse.csr_matrix((np.asarray(artifact["lengths"]), np.asarray(artifact["indices"]),
                              np.asarray(artifact["indptr"])), shape=(n, n))


def graph_summary(graphs: Mapping[str, sparse.spmatrix], k: int) -> pd.DataFrame:
    """Size, connected components and degrees of each set's graph.

    Examples
    --------
    >>> from scipy import sparse
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(4, 4), format="csr")
    >>> row = graph_summary({"train": path}, k=1).loc["train"]
    >>> int(row["vertices"]), int(row["edges"]), int(row["max degree"])
    (4, 3, 2)
    """
    rows = {}
    for name, graph in graphs.items():
        degree = np.diff(sparse.csr_matrix(graph).indptr)
        rows[name] = {"vertices": graph.shape[0], "edges": graph.nnz // 2, "k": k,
                      "components": helpers.graphs.connected_components(graph),
                      "min degree": int(degree.min()), "median degree": float(np.median(degree)),
                      "max degree": int(degree.max())}
    return pd.DataFrame(rows).T.astype({"vertices": int, "edges": int, "k": int,
                                        "components": int, "min degree": int,
                                        "max degree": int})


# ------------------------------------------------------------------- fields, diagrams


def control_values(losses: np.ndarray, variant: str = "loss", seed: int = 0) -> np.ndarray:
    """Per-epoch fields: the losses, or a control built from them.

    Parameters
    ----------
    losses : ndarray, shape (n_epochs, n_vertices)
        Row ``e`` holds every vertex's loss after epoch ``e``.
    variant : {"loss", "shuffle", "rank"}
        ``"loss"``: the losses (a float64 copy). ``"shuffle"``: each row permuted
        over the vertices by its own random permutation, so each epoch keeps its
        values (the same multiset) but no longer their place on the graph.
        ``"rank"``: each row replaced by its ranks divided by ``n_vertices`` (ties
        get their average rank), so every epoch has the same values, in
        ``(0, 1]``, and only their arrangement on the graph changes.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    ndarray, shape (n_epochs, n_vertices), float64

    Examples
    --------
    >>> control_values(np.array([[0.5, 0.1, 0.9]]), "rank").tolist()
    [[0.6666666666666666, 0.3333333333333333, 1.0]]
    >>> sorted(control_values(np.array([[0.5, 0.1, 0.9]]), "shuffle")[0].tolist())
    [0.1, 0.5, 0.9]
    """
    variant = check_choice("variant", variant, VARIANTS)
    seed = check_int("seed", seed, minimum=0)
    values = np.array(losses, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError(f"losses must be a 2-D array (epochs, vertices); got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("losses must be finite")
    if variant == "shuffle":
        rng = np.random.default_rng(seed)
        return np.stack([row[rng.permutation(row.size)] for row in values])
    if variant == "rank":
        return stats.rankdata(values, method="average", axis=1) / values.shape[1]
    return values


def tree_diagram(graph: sparse.spmatrix, values: Any, kind: str = "join") -> np.ndarray:
    """Finite points of a join- or split-tree diagram, in sweep orientation.

    A join-tree point ``(birth, death)`` is a local minimum's value and the value
    at which its basin merges into an older one (:func:`helpers.topology.merge_tree`).
    A split-tree point is the same for ``-values`` (a local maximum ``m`` whose peak
    merges at ``s`` gives ``(-m, -s)``), so ``death > birth`` in both, and the split
    diagram of ``f`` is the join diagram of ``-f``. Essential points are left out.

    Parameters
    ----------
    graph : scipy sparse matrix, shape (n, n)
    values : array_like, shape (n,)
    kind : {"join", "split"}

    Returns
    -------
    ndarray, shape (m, 2)

    Examples
    --------
    >>> from scipy import sparse
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(3, 3), format="csr")
    >>> tree_diagram(path, [2.0, 0.0, 1.0], "split").tolist()
    [[-1.0, 0.0]]
    """
    tree = helpers.topology.merge_tree(graph, values, kind)
    pairs = tree.pairs if kind == "join" else -tree.pairs + 0.0  # + 0.0: no negative zeros
    return pairs[np.all(np.isfinite(pairs), axis=1)]


def birth_persistence(diagram: Any, kind: str) -> np.ndarray:
    """``(birth value, persistence)`` of each point, in the field's own units.

    For a join tree the birth is the loss at the minimum; for a split tree (a
    diagram of :func:`tree_diagram`, in sweep orientation) the loss at the maximum.

    Examples
    --------
    >>> birth_persistence(np.array([[-3.0, -1.0]]), "split").tolist()
    [[3.0, 2.0]]
    """
    kind = check_choice("kind", kind, MERGE_TREE_KINDS)
    points = np.asarray(diagram, dtype=np.float64).reshape(-1, 2)
    birth = points[:, 0] if kind == "join" else -points[:, 0]
    return np.column_stack([birth, points[:, 1] - points[:, 0]])


@dataclass
class EpochTopology:
    """Diagrams of one field per epoch and their summaries (see :func:`epoch_topology`).

    Attributes
    ----------
    diagrams : list of ndarray
        Finite points of each epoch's diagram, sweep orientation.
    total_persistence : ndarray, shape (n_epochs,)
    wasserstein : ndarray, shape (n_epochs,)
        1-Wasserstein distance (persim) of each epoch's diagram to the last one's;
        NaN where not computed.
    """

    diagrams: list[np.ndarray]
    total_persistence: np.ndarray
    wasserstein: np.ndarray


def epoch_topology(graph: sparse.spmatrix, fields: Any, kind: str = "join", *,
                   p: float = 1.0, distances: bool = True) -> EpochTopology:
    """The diagram of every epoch's field, its total persistence and distance to the last.

    Parameters
    ----------
    graph : scipy sparse matrix, shape (n, n)
    fields : array_like, shape (n_epochs, n)
        Row ``e``: the value of every vertex after epoch ``e``.
    kind : {"join", "split"}
    p : float
        Total persistence is ``sum (death - birth) ** p`` over finite points.
    distances : bool
        Compute the Wasserstein distances (else NaN).

    Returns
    -------
    EpochTopology

    Examples
    --------
    >>> from scipy import sparse
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(3, 3), format="csr")
    >>> result = epoch_topology(path, [[0.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    >>> result.total_persistence.tolist(), result.wasserstein.round(4).tolist()
    ([1.0, 0.0], [0.7071, 0.0])
    """
    p = check_float("p", p, minimum=0.0, strict_minimum=True)
    check_bool("distances", distances)
    kind = check_choice("kind", kind, MERGE_TREE_KINDS)
    values = np.asarray(fields, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"fields must be a 2-D array (epochs, vertices); got shape {values.shape}")
    diagrams = [tree_diagram(graph, row, kind) for row in values]
    total = np.array([helpers.topology.total_persistence(d, p=p) for d in diagrams])
    wasserstein = np.full(len(diagrams), np.nan)
    if distances and diagrams:
        wasserstein = np.array([helpers.topology.diagram_distance(d, diagrams[-1])
                                for d in diagrams])
    return EpochTopology(diagrams, total, wasserstein)


# -------------------------------------------------------------------- persistence images


def heatmap_frame(groups: Mapping[tuple, Sequence[np.ndarray]], names: Sequence[str],
                  resolution: int = 20) -> pd.DataFrame:
    """Persistence images of groups of ``(birth, persistence)`` points on one shared grid.

    Each group's image is the mean of its point sets' images
    (:func:`helpers.topology.persistence_image`, Gaussian of one pixel's width,
    weighted by persistence), so seeds average. The grid spans every point of every
    group (padded by two pixels), with square pixels, ``resolution`` of them along
    the longer side.

    Parameters
    ----------
    groups : mapping of tuple to sequence of ndarray
        Key: the group's labels (e.g. ``(lr, epoch)``); value: ``(m, 2)`` arrays of
        ``(birth, persistence)`` (:func:`birth_persistence`).
    names : sequence of str
        Column names of the key's parts.
    resolution : int

    Returns
    -------
    pandas.DataFrame
        One row per pixel of each group: the key columns, ``birth``, ``birth_end``,
        ``persistence``, ``persistence_end`` (the pixel's edges) and ``intensity``.

    Examples
    --------
    >>> frame = heatmap_frame({("a",): [np.array([[0.0, 1.0]])]}, ["name"], resolution=8)
    >>> sorted(set(frame.columns)) == sorted(["name", "birth", "birth_end", "persistence",
    ...                                        "persistence_end", "intensity"])
    True
    """
    resolution = check_int("resolution", resolution, minimum=8)
    names = list(names)
    if not groups:
        raise ValueError("groups must not be empty")
    for key, point_sets in groups.items():
        if not isinstance(key, tuple) or len(key) != len(names) or not len(point_sets):
            raise ValueError(f"groups must map tuples of {len(names)} labels ({names}) to "
                             f"non-empty lists of point sets; got {key!r}")
    everything = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2)
                                 for sets in groups.values() for p in sets])
    if everything.size:
        low, high = float(everything[:, 0].min()), float(everything[:, 0].max())
        top = float(everything[:, 1].max())
    else:
        low, high, top = 0.0, 1.0, 1.0
    top = top if top > 0 else 1.0
    pixel = max(high - low, top) / (resolution - 4)  # leaves two pixels of padding per side
    birth_range = (low - 2 * pixel, high + 2 * pixel)
    pers_range = (0.0, top + 2 * pixel)
    frames = []
    for key, point_sets in groups.items():
        diagrams = [np.column_stack([p[:, 0], p[:, 0] + p[:, 1]])
                    for p in (np.asarray(q, dtype=np.float64).reshape(-1, 2) for q in point_sets)]
        images = helpers.topology.persistence_image(diagrams, pixel_size=pixel,
                                                    birth_range=birth_range,
                                                    pers_range=pers_range)
        image = np.mean(images, axis=0)
        # persim pads a range that is not a whole number of pixels equally on both sides.
        n_birth, n_pers = image.shape
        birth0 = birth_range[0] - (n_birth * pixel - (birth_range[1] - birth_range[0])) / 2
        pers0 = pers_range[0] - (n_pers * pixel - (pers_range[1] - pers_range[0])) / 2
        b, q = np.meshgrid(np.arange(n_birth), np.arange(n_pers), indexing="ij")
        frame = pd.DataFrame({"birth": birth0 + b.ravel() * pixel,
                              "persistence": pers0 + q.ravel() * pixel,
                              "intensity": image.ravel()})
        frame["birth_end"] = frame["birth"] + pixel
        frame["persistence_end"] = frame["persistence"] + pixel
        for name, value in zip(names, key, strict=True):
            frame[name] = value
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
