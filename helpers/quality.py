"""How well an embedding keeps the structure of the data.

- :func:`demap`: DEMaP (Moon et al. 2019), the Spearman correlation between geodesic
  distances on a kNN graph of the data and Euclidean distances in the embedding;
- :func:`trajectory_continuity`: the fraction of consecutive points of a trajectory
  (e.g. retraining epochs) that stay neighbours in the embedding;
- :func:`~helpers.comparison.compare_embeddings`: both, for every method and metric, in one table,
  with one pass over the data shared by all methods;
  :func:`~helpers.comparison.comparison_table` and
  :func:`~helpers.comparison.ordering_agreement` set such tables beside the published ordering.

Examples
--------
>>> import numpy as np
>>> from helpers.embedding import embed
>>> t = np.linspace(0, 1, 60)
>>> rng = np.random.default_rng(0)
>>> X = np.outer(t, rng.normal(size=40)) + 0.01 * rng.normal(size=(60, 40)) + 5
>>> round(demap(X, embed(X, "pca").coordinates, knn=10), 2) > 0.9
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.checks import (
    check_bool,
    check_choice,
    check_int,
    check_matrix,
    check_names,
)
from helpers.distances import (
    check_chunk_columns,
    pairwise_distances,
)


def demap(X: Any, coordinates: Any, *, knn: int | None = None, metric: str = "euclidean",
          chunk_columns: int | None = None) -> float:
    """DEMaP: how well embedding distances keep the geodesic distances of the data.

    DEMaP (Moon et al. 2019, "Visualizing structure and transitions in high-dimensional
    biological data") is the Spearman rank correlation, over all pairs ``i < j``, between

    - the geodesic distance: the length of the shortest path between ``i`` and ``j`` in
      the symmetric kNN graph of the data (an edge joins ``i`` and ``j`` when either is
      among the other's ``knn`` nearest neighbours, weighted by their distance), and
    - the Euclidean distance between ``coordinates[i]`` and ``coordinates[j]``.

    1 means the embedding orders all distances as the data's manifold does; a shuffled
    embedding scores about 0. Moon et al. report, on simulated trajectories, PHATE
    0.80, UMAP 0.78, t-SNE 0.76, PCA 0.48. 30 neighbours is the default of the authors'
    implementation. To measure against noise-free data (the "denoised" of DEMaP), pass
    it as ``X``.

    Parameters
    ----------
    X : array_like of shape (n, p), or (n, n) distances when ``metric="precomputed"``
        The high-dimensional data (a ``numpy.memmap`` is read block by block).
    coordinates : array_like of shape (n, d)
        The embedding.
    knn : int, optional
        Neighbours per point in the graph, at most ``n - 1``; by default 30 (or
        ``n - 1`` for fewer than 31 points).
    metric : {"euclidean", "cosine", "precomputed"}, default "euclidean"
        Distance between rows of ``X``, or ``"precomputed"`` when ``X`` holds them.
    chunk_columns : int, optional
        Columns of ``X`` per block (see :func:`~helpers.distances.pairwise_distances`).

    Returns
    -------
    float
        In ``[-1, 1]``; NaN when fewer than two pairs are connected or either set of
        distances is constant.

    Warns
    -----
    UserWarning
        When the kNN graph is disconnected: only pairs within one connected component
        (finite geodesic distance) are used, and the warning says how many.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.sort(np.random.default_rng(1).uniform(size=50))
    >>> line = np.outer(t, np.ones(20))           # a straight line in 20 dimensions
    >>> round(demap(line, t[:, None], knn=5), 12)
    1.0
    >>> shuffled = np.random.default_rng(0).permutation(t)[:, None]
    >>> abs(demap(line, shuffled, knn=5)) < 0.2
    True
    """
    check_choice("metric", metric, ("euclidean", "cosine", "precomputed"))
    X = check_matrix("X", X, min_rows=2)
    n = X.shape[0]
    coordinates = _check_coordinates(coordinates, n)
    knn = check_graph_knn("knn", knn, n)
    distances = _check_distances_input(X, metric, chunk_columns)
    geodesic = geodesic_distances(distances, knn=knn, metric="precomputed")
    return demap_from_geodesic(geodesic, coordinates, knn)


def geodesic_distances(X: Any, *, knn: int | None = None, metric: str = "euclidean",
                       chunk_columns: int | None = None) -> np.ndarray:
    """Shortest-path distances on the symmetric kNN graph of the rows of ``X``.

    An edge joins ``i`` and ``j`` when either is among the other's ``knn`` nearest
    neighbours; its length is their distance. Pairs in different connected components
    get ``inf``.

    Parameters
    ----------
    X : array_like of shape (n, p), or (n, n) distances when ``metric="precomputed"``
    knn : int, optional
        Neighbours per point, at most ``n - 1``; by default 30 (or ``n - 1``).
    metric : {"euclidean", "cosine", "precomputed"}, default "euclidean"
    chunk_columns : int, optional
        Columns of ``X`` per block (see :func:`~helpers.distances.pairwise_distances`).

    Returns
    -------
    numpy.ndarray of float64, shape (n, n)

    Examples
    --------
    >>> import numpy as np
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    >>> float(geodesic_distances(points, knn=1)[0, 2])   # 0 -> 1 -> 2, not the diagonal
    2.0
    """
    check_choice("metric", metric, ("euclidean", "cosine", "precomputed"))
    X = check_matrix("X", X, min_rows=2)
    n = X.shape[0]
    knn = check_graph_knn("knn", knn, n)
    distances = _check_distances_input(X, metric, chunk_columns)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    masked = distances.copy()
    np.fill_diagonal(masked, np.inf)
    neighbours = np.argpartition(masked, knn - 1, axis=1)[:, :knn]
    rows = np.repeat(np.arange(n), knn)
    cols = neighbours.ravel()
    # scipy drops explicit zeros from a sparse graph: a zero-length edge between
    # duplicate points would vanish and split the graph. A tiny positive length keeps it.
    weights = np.maximum(distances[rows, cols], np.finfo(np.float64).tiny)
    graph = csr_matrix((weights, (rows, cols)), shape=(n, n))
    graph = graph.maximum(graph.T)
    return shortest_path(graph, method="D", directed=False)


def demap_from_geodesic(geodesic: np.ndarray, coordinates: np.ndarray, knn: int) -> float:
    """DEMaP from precomputed geodesic distances: Spearman correlation over connected pairs."""
    from scipy.spatial.distance import pdist
    from scipy.stats import spearmanr

    n = geodesic.shape[0]
    upper = geodesic[np.triu_indices(n, k=1)]
    embedded = pdist(coordinates)
    finite = np.isfinite(upper)
    if not finite.all():
        from scipy.sparse.csgraph import connected_components

        n_pieces = connected_components(np.isfinite(geodesic), directed=False)[0]
        warnings.warn(
            f"DEMaP: the kNN graph of the data (knn={knn}) has {n_pieces} connected "
            f"components; only the {int(finite.sum())} of {upper.size} pairs within a "
            "component (finite geodesic distance) are used. A larger knn joins them.",
            UserWarning, stacklevel=3)
        upper, embedded = upper[finite], embedded[finite]
    if upper.size < 2 or np.ptp(upper) == 0 or np.ptp(embedded) == 0:
        return float("nan")
    return float(spearmanr(upper, embedded).statistic)


def trajectory_continuity(coordinates: Any, trajectory_ids: Any, order: Any, *, k: int = 5,
                          metric: str = "euclidean",
                          per_trajectory: bool = False) -> float | pd.Series:
    """The fraction of consecutive trajectory points that stay neighbours in an embedding.

    For every trajectory (the points sharing a ``trajectory_ids`` value), sorted by
    ``order``, each consecutive pair ``(a, b)`` is checked in both directions: ``b``
    counts as kept from ``a`` when its neighbour rank from ``a``,

        ``rank(a, b) = 1 + #{m ∉ {a, b} : d(a, m) <= d(a, b)}``,

    is at most ``k``. The score is the fraction of kept (pair, direction) checks:

        ``continuity = mean over pairs (a, b) and both directions of [rank <= k]``.

    Its range is ``[0, 1]``: 1 when every point's predecessor and successor are among
    its ``k`` nearest neighbours (a trajectory drawn as an unbroken path), about
    ``k / (n - 1)`` for a random placement, and it drops as trajectories shatter into
    pieces placed apart. Ties count against the pair, so an embedding collapsed onto one
    point scores 0, not 1. Only ranks of distances enter, so the score does not change
    under rotation, reflection, translation or scaling of the embedding.

    Compute it on the high-dimensional data too (``metric="precomputed"`` with
    :func:`~helpers.distances.pairwise_distances`) for the score an ideal embedding could reach:
    consecutive epochs are not always neighbours in parameter space either.

    Parameters
    ----------
    coordinates : array_like of shape (n, d), or (n, n) distances if ``metric="precomputed"``
    trajectory_ids : array_like of shape (n,)
        Which trajectory each row belongs to (any hashable values); a trajectory of one
        point (e.g. the optimum) contributes no pair.
    order : array_like of shape (n,)
        Position along the trajectory (e.g. the epoch); distinct within a trajectory.
    k : int, default 5
        Neighbours that count as "near"; between 1 and ``n - 2``.
    metric : {"euclidean", "precomputed"}, default "euclidean"
    per_trajectory : bool, default False
        Return one score per trajectory (a ``pandas.Series`` indexed by trajectory id,
        trajectories without a pair left out) instead of the overall score.

    Returns
    -------
    float or pandas.Series

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(10.0)
    >>> coordinates = np.r_[np.c_[t, 0 * t], np.c_[t, 0 * t + 100]]  # two parallel lines
    >>> ids, order = np.repeat([0, 1], 10), np.r_[t, t]
    >>> trajectory_continuity(coordinates, ids, order, k=2)
    1.0
    >>> shuffled = np.random.default_rng(0).permutation(coordinates)
    >>> trajectory_continuity(shuffled, ids, order, k=2) < 0.5
    True
    """
    check_choice("metric", metric, ("euclidean", "precomputed"))
    check_bool("per_trajectory", per_trajectory)
    if metric == "precomputed":
        distances = _check_square("coordinates", coordinates)
        n = distances.shape[0]
    else:
        coordinates = _check_coordinates(coordinates, None)
        n = coordinates.shape[0]
    k = check_int("k", k, minimum=1, maximum=max(1, n - 2))
    ids, order = check_trajectories(trajectory_ids, order, n)
    first, second, labels = _consecutive_pairs(ids, order)
    if first.size == 0:
        raise ValueError("trajectory_ids must define at least one trajectory of two or "
                         "more points; every trajectory has a single point")
    if metric != "precomputed":
        from scipy.spatial.distance import cdist

        def rows(index: np.ndarray) -> np.ndarray:
            return cdist(coordinates[index], coordinates)
    else:
        def rows(index: np.ndarray) -> np.ndarray:
            return np.asarray(distances[index], dtype=np.float64)

    kept = np.zeros((2, first.size), dtype=bool)
    for direction, (source, target) in enumerate(((first, second), (second, first))):
        # Blocks of sources keep the (sources × n) distance matrix small for large n.
        for start in range(0, source.size, 2048):
            s, t = source[start:start + 2048], target[start:start + 2048]
            d = rows(s)
            here = np.arange(s.size)
            reference = d[here, t].copy()
            # rank(a, b) - 1: points other than a and b at a distance <= d(a, b).
            d[here, s] = np.inf
            d[here, t] = np.inf
            closer = (d <= reference[:, None]).sum(axis=1)
            kept[direction, start:start + s.size] = closer + 1 <= k
    if not per_trajectory:
        return float(kept.mean())
    per_pair = kept.mean(axis=0)
    return pd.Series(per_pair).groupby(labels, sort=True).mean().rename("continuity")


def _consecutive_pairs(ids: np.ndarray, order: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of consecutive points (by ``order``) within each trajectory, and its id."""
    codes = pd.factorize(pd.Series(ids), sort=True)[0]
    # Sort by trajectory, then by order; stable so the result is reproducible.
    index = np.lexsort((order, codes))
    same = codes[index][1:] == codes[index][:-1]
    first, second = index[:-1][same], index[1:][same]
    if np.any(order[first] == order[second]):
        bad = first[np.flatnonzero(order[first] == order[second])[0]]
        raise ValueError(f"order must not repeat within a trajectory; trajectory "
                         f"{ids[bad]!r} has order {order[bad]!r} twice")
    return first, second, ids[first]


def _check_square(name: str, D: Any) -> np.ndarray:
    D = check_matrix(name, D, min_rows=2)
    if D.shape[0] != D.shape[1]:
        raise ValueError(f"{name} must be a square matrix of distances; got shape {D.shape}")
    D = np.asarray(D, dtype=np.float64)
    if not np.isfinite(D).all() or (D < 0).any():
        raise ValueError(f"{name} must hold finite non-negative distances")
    return D


def _check_distances_input(X: Any, metric: str, chunk_columns: int | None) -> np.ndarray:
    if metric == "precomputed":
        D = _check_square("X", X)
        if not np.allclose(D, D.T, rtol=1e-10, atol=1e-12):
            raise ValueError("X must be a symmetric distance matrix when "
                             "metric='precomputed'")
        return D
    X = check_matrix("X", X, min_rows=2)
    chunk = check_chunk_columns(chunk_columns, X)
    return pairwise_distances(X, metric, chunk_columns=chunk)


def _check_coordinates(coordinates: Any, n: int | None) -> np.ndarray:
    coordinates = check_matrix("coordinates", coordinates, min_rows=2)
    coordinates = np.asarray(coordinates, dtype=np.float64)
    if n is not None and coordinates.shape[0] != n:
        raise ValueError(f"coordinates must have one row per row of X ({n}); got "
                         f"{coordinates.shape[0]}")
    if not np.isfinite(coordinates).all():
        raise ValueError("coordinates must contain only finite numbers")
    return coordinates


def check_trajectories(trajectory_ids: Any, order: Any, n: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Check trajectory labels and their order (one entry per row, finite order)."""
    ids = np.asarray(trajectory_ids)
    order = np.asarray(order)
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ValueError(f"trajectory_ids must be 1-D with one entry per row ({n}); got "
                         f"shape {ids.shape}")
    if order.ndim != 1 or order.shape[0] != n:
        raise ValueError(f"order must be 1-D with one entry per row ({n}); got shape "
                         f"{order.shape}")
    if not np.issubdtype(order.dtype, np.number) or np.iscomplexobj(order):
        raise ValueError(f"order must hold real numbers (e.g. epochs); got dtype {order.dtype}")
    if not np.isfinite(order).all():
        raise ValueError("order must contain only finite numbers")
    if pd.isna(pd.Series(ids)).any():
        raise ValueError("trajectory_ids must not contain missing values")
    return ids, order


def check_graph_knn(name: str, knn: int | None, n: int) -> int:
    """Neighbours of a DEMaP graph: checked, or ``min(30, n - 1)`` when ``None``."""
    if knn is None:
        return min(30, n - 1)
    return check_int(name, knn, minimum=1, maximum=n - 1)


def trajectory_ids(table: pd.DataFrame, by: Sequence[str] = ("seed", "step_size")) -> np.ndarray:
    """One label per row naming its trajectory: the values of the ``by`` columns joined.

    For a jump-and-retrain table (:class:`helpers.sample_table.Samples`), the default makes
    every (seed, step size) retrain one trajectory; the optimum is a trajectory of its
    own. Pass the result with ``order=table["epoch"]`` to :func:`trajectory_continuity`
    or :func:`~helpers.comparison.compare_embeddings`.

    Examples
    --------
    >>> table = pd.DataFrame({"seed": [-1, 0, 0], "step_size": [0.0, 0.5, 0.5]})
    >>> trajectory_ids(table).tolist()
    ['-1/0.0', '0/0.5', '0/0.5']
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame; got {type(table).__name__}")
    by = list(check_names("by", by))
    missing = [c for c in by if c not in table.columns]
    if missing:
        raise ValueError(f"by must name columns of table; {missing} are not among "
                         f"{list(table.columns)}")
    labels = table[by[0]].astype(str)
    for column in by[1:]:
        labels = labels + "/" + table[column].astype(str)
    return labels.to_numpy()


