"""Topology of sampled loss landscapes: kNN graphs, persistence and merge trees.

Horoi et al. (2022, §2.2 and §3.3) describe a loss landscape sampled around an
optimum by a graph: one vertex per sampled parameter vector, joined to its
``k = 20`` nearest neighbours in PHATE's diffusion-potential distance, each vertex
carrying its loss. Growing the threshold ``t`` reveals the sub-graph of vertices
with loss ``<= t`` (and edges whose two ends are revealed); its persistence
diagrams summarize the landscape, and the *total persistence*
``sum (death - birth) ** 2`` is their one-number summary.

Xie et al. (2024) describe the same 0-dimensional information as a *merge tree*
(join tree of sub-level sets, split tree of super-level sets) and count its
saddles and average persistence.

The functions here are that pipeline, one step each::

    distances = potential_distances(phate_op.diff_potential)
    graph = knn_graph(distances=distances, k=20)
    h0, h1 = lower_star_persistence(graph, losses)
    total_persistence(h0), merge_tree(graph, losses).n_saddles

The public code of the paper had three mistakes that the tests of this module
make impossible: its kNN graph took the k *farthest* points, its loss values
were assigned to vertices off by one, and mutual neighbours became duplicate
edges. Here a graph is a symmetric ``scipy.sparse.csr_matrix`` whose
*sparsity structure* is the set of edges (see :func:`knn_graph`), and
``values[i]`` always belongs to row/column ``i`` of the graph.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from ripser import ripser
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial.distance import cdist

from helpers._checks import check_choice, check_float, check_int

__all__ = [
    "MergeTree",
    "average_persistence",
    "connected_components",
    "diagram_distance",
    "knn_graph",
    "lower_star_persistence",
    "merge_tree",
    "persistence_image",
    "potential_distances",
    "total_persistence",
]

MERGE_TREE_KINDS = ("join", "split")
DIAGRAM_METRICS = ("wasserstein", "bottleneck")
POTENTIAL_METRICS = ("euclidean", "cosine")

# Entries of a distance block held in memory at once by knn_graph's brute force.
_BLOCK_ENTRIES = 2**23
# Up to this many coordinates knn_graph asks a k-d tree for candidates first.
_TREE_MAX_DIMENSION = 16


# --------------------------------------------------------------------------- graphs


def potential_distances(diffusion_potential: ArrayLike, *,
                        metric: str = "euclidean") -> NDArray[np.float64]:
    """Distances between the rows of PHATE's diffusion potential.

    PHATE turns the diffusion operator ``P^t`` into a *potential*
    ``U = -log(P^t)`` (``phate.PHATE().diff_potential``, one row per point) and
    embeds the distances between its rows. Horoi et al. (§3.3) build their kNN
    graph on these "potential distances".

    Parameters
    ----------
    diffusion_potential : array_like, shape (n, m)
        One row per sampled point, finite.
    metric : {"euclidean", "cosine"}, default "euclidean"
        Distance between rows. PHATE itself embeds the potential with its
        ``mds_dist`` (``"euclidean"`` by default, ``"cosine"`` in the paper's
        cosine PHATE); pass the same here to build the graph on the distances
        PHATE embeds.

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric (exactly), non-negative, zero on the diagonal.

    Raises
    ------
    ValueError
        If ``diffusion_potential`` is not a finite 2-D array, if ``metric`` is
        unknown, or if a row is all zeros with ``metric="cosine"``.

    Examples
    --------
    >>> potential_distances([[0.0, 0.0], [3.0, 4.0]])
    array([[0., 5.],
           [5., 0.]])
    """
    metric = check_choice("metric", metric, POTENTIAL_METRICS)
    potential = _as_finite_matrix("diffusion_potential", diffusion_potential)
    if metric == "cosine" and np.any(~np.any(potential != 0, axis=1)):
        raise ValueError("diffusion_potential must have no all-zero row with "
                         "metric='cosine' (its direction is undefined)")
    # cdist subtracts coordinates before squaring, so d(i, j) == d(j, i) bit for bit
    # and d(i, i) == 0; the Gram-matrix shortcut gives neither.
    distances = cdist(potential, potential, metric=metric)
    if metric == "cosine":
        np.fill_diagonal(distances, 0.0)
        np.maximum(distances, 0.0, out=distances)
        distances = np.minimum(distances, distances.T)
    return distances


def knn_graph(X: ArrayLike | None = None, *, distances: ArrayLike | None = None,
              k: int = 20) -> sparse.csr_matrix:
    """Undirected k-nearest-neighbour graph, as a symmetric sparse matrix.

    Each vertex is joined to its ``k`` *nearest* other vertices; the graph is
    the union of these directed relations, so a vertex can have more than ``k``
    neighbours, and two vertices that are each other's neighbours share one
    edge (never two).

    For the jump-and-retrain samples of Horoi et al. (§3.3, ``k = 20``) the
    distances are PHATE's potential distances: Euclidean distances between the
    rows of the diffusion potential, from :func:`potential_distances`.

    Parameters
    ----------
    X : array_like, shape (n, d), optional
        Points; distances are Euclidean. Give exactly one of ``X`` and
        ``distances``.
    distances : array_like, shape (n, n), optional
        A precomputed symmetric, non-negative, finite distance matrix.
    k : int, default 20
        Number of nearest neighbours of each vertex, ``1 <= k <= n - 1``.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        The *sparsity structure* is the graph: entry ``(i, j)`` is stored if and
        only if ``i`` and ``j`` are joined, in both directions, never on the
        diagonal, never twice (canonical format). Stored values are edge
        lengths. An edge of length 0 (two identical points) is stored as an
        explicit zero, so it stays an edge; operations that drop stored zeros
        (``eliminate_zeros``, sparse arithmetic) would delete it, which is why the
        functions of this module read the structure (``indptr``/``indices``), never
        the values. ``graph.nnz // 2`` is the number of edges.

    Raises
    ------
    ValueError
        If both or neither of ``X`` and ``distances`` are given, if either is not
        a finite array of the right shape, if ``distances`` is negative or not
        symmetric, or if ``k`` is not an integer in ``1..n-1``.

    Warns
    -----
    UserWarning
        If the graph has more than one connected component; the message gives
        their number (see also :func:`connected_components`). A disconnected
        graph has one infinite H0 bar per component.

    Notes
    -----
    Ties are broken deterministically: among equally distant candidates the
    lower vertex index is taken (as a stable sort of each row would). For
    points, a k-d tree (``d <= 16``) or a matrix product (brute force, block by
    block, ``O(n^2 d)`` time) proposes candidates with a margin for rounding,
    and exact sums of squared differences rank them, so the result equals that
    of stably sorting each row of the exact distance matrix.

    Examples
    --------
    >>> graph = knn_graph([[0.0], [1.0], [3.0], [4.0]], k=2)
    >>> graph.toarray()
    array([[0., 1., 3., 0.],
           [1., 0., 2., 3.],
           [3., 2., 0., 1.],
           [0., 3., 1., 0.]])
    >>> graph.nnz // 2
    5
    """
    if (X is None) == (distances is None):
        raise ValueError("give exactly one of X (points) or distances (a distance matrix); "
                         f"got X={'None' if X is None else 'an array'} and "
                         f"distances={'None' if distances is None else 'an array'}")
    k = check_int("k", k, minimum=1)
    if X is not None:
        points = _as_finite_matrix("X", X)
        n = points.shape[0]
        matrix = None
    else:
        matrix = _as_finite_matrix("distances", distances)
        points = None
        n = matrix.shape[0]
        if matrix.shape != (n, n):
            raise ValueError(f"distances must be a square (n, n) matrix; got shape {matrix.shape}")
        if np.any(matrix < 0):
            raise ValueError("distances must be non-negative")
        scale = float(np.max(matrix)) if matrix.size else 0.0
        if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * scale):
            raise ValueError("distances must be a symmetric matrix")
    if n < 2:
        raise ValueError(f"X or distances must describe at least 2 points; got {n}")
    if k > n - 1:
        raise ValueError(f"k must be an integer in 1..{n - 1} (the number of points "
                         f"minus one); got {k}")

    if matrix is None:
        def exact(i: NDArray[np.int64], j: NDArray[np.int64]) -> NDArray[np.float64]:
            # Sums of squared differences: exactly symmetric, 0 for equal points.
            out = np.empty(i.size)
            step = max(1, 2**22 // points.shape[1])
            for s in range(0, i.size, step):
                diff = points[i[s:s + step]] - points[j[s:s + step]]
                out[s:s + step] = np.einsum("ij,ij->i", diff, diff)
            return out
    else:
        def exact(i: NDArray[np.int64], j: NDArray[np.int64]) -> NDArray[np.float64]:
            return matrix[i, j]

    found: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    pending = np.arange(n)
    if matrix is None and points.shape[1] <= _TREE_MAX_DIMENSION:
        found, pending = _knn_candidates_by_tree(points, k)
    found += _knn_candidates_by_blocks(points, matrix, pending, k)
    cand_row = np.concatenate([rows for rows, _ in found])
    cand_col = np.concatenate([cols for _, cols in found])
    i, j = _k_nearest(cand_row, cand_col, exact(cand_row, cand_col), k)

    # Mutual neighbours give (i, j) and (j, i): keep one unordered pair each.
    low, high = _unique_pairs(np.minimum(i, j), np.maximum(i, j), n)
    # One length per unordered pair, so both directions store the same number.
    lengths = np.sqrt(exact(low, high)) if matrix is None else matrix[low, high]
    graph = _symmetric_csr(low, high, lengths, n)
    n_components = connected_components(graph)
    if n_components > 1:
        warnings.warn(f"the kNN graph has {n_components} connected components (k={k}); "
                      "each gives an infinite H0 bar", UserWarning, stacklevel=2)
    return graph


def connected_components(graph: Any) -> int:
    """Number of connected components of an undirected graph.

    Parameters
    ----------
    graph : scipy sparse matrix, shape (n, n)
        Its sparsity structure is the graph (stored zeros are edges); a stored
        ``(i, j)`` or ``(j, i)`` joins ``i`` and ``j``.

    Returns
    -------
    int
        Number of components; isolated vertices count one each.

    Raises
    ------
    ValueError
        If ``graph`` is not a square scipy sparse matrix.

    Examples
    --------
    >>> from scipy import sparse
    >>> connected_components(sparse.csr_matrix(([0.0, 0.0], ([0, 1], [1, 0])), shape=(3, 3)))
    2
    """
    n = _check_graph(graph)
    low, high = _graph_edges(graph, n)
    structure = _symmetric_csr(low, high, np.ones(low.size), n)
    count, _ = csgraph.connected_components(structure, directed=False)
    return int(count)


# ------------------------------------------------------------------------ persistence


def lower_star_persistence(graph: Any, values: ArrayLike, maxdim: int = 1
                           ) -> list[NDArray[np.float64]]:
    """Persistence diagrams of the sub-level filtration of a graph by vertex values.

    The filtration is the clique (flag) complex of the graph: a vertex ``v``
    enters at ``values[v]``, an edge at the larger value of its ends, a triangle
    at the largest value of its corners (Horoi et al. §2.2, extended to
    triangles). It is computed by ripser on a sparse matrix with the values on
    the diagonal and ``max(values[u], values[v])`` on each edge.

    Parameters
    ----------
    graph : scipy sparse matrix, shape (n, n)
        Its sparsity structure is the graph (see :func:`knn_graph`); stored
        values (edge lengths) are ignored, diagonal entries are ignored, and a
        pair stored twice or in one direction only is one edge.
    values : array_like, shape (n,)
        Finite value of each vertex, e.g. its loss: ``values[i]`` belongs to
        row ``i`` of ``graph``.
    maxdim : int, default 1
        Highest homology dimension.

    Returns
    -------
    list of ndarray
        ``maxdim + 1`` arrays, one per dimension, each of shape ``(m, 2)``,
        float64, rows ``(birth, death)`` sorted by birth then death. A class that
        never dies has ``death = inf`` (kept, never dropped): H0 has one such bar
        per connected component, born at its minimum.

    Raises
    ------
    ValueError
        If ``graph`` is not a square sparse matrix, ``values`` does not have one
        finite entry per vertex (or exceeds float32's range), or ``maxdim`` is
        not an integer ``>= 0``.

    Notes
    -----
    ripser works in float32: births and deaths are the vertex values rounded to
    float32 (off by up to ~6e-8 relative), and a pair whose two values round to
    the same float32 is dropped, as ripser drops every zero-persistence pair.
    :func:`merge_tree` gives the exact float64 H0 pairs.

    H1 is the homology of the clique complex, not the cycle space of the graph:
    a cycle that bounds triangles of the graph is filled in as soon as the
    triangles enter. A 4-cycle has an H1 class; with a diagonal it has none.

    Examples
    --------
    >>> from scipy import sparse
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(5, 5), format="csr")
    >>> h0, h1 = lower_star_persistence(path, [0.0, 3.0, 1.0, 4.0, 2.0])
    >>> h0
    array([[ 0., inf],
           [ 1.,  3.],
           [ 2.,  4.]])
    >>> h1.shape
    (0, 2)
    """
    n = _check_graph(graph)
    f = _check_values(values, n)
    maxdim = check_int("maxdim", maxdim, minimum=0)
    if np.any(np.abs(f) > np.finfo(np.float32).max):
        raise ValueError("values must lie within float32's range (|value| <= 3.4e38): "
                         "ripser computes in float32")
    low, high = _graph_edges(graph, n)
    diagonal = np.arange(n)
    # ripser reads entries with row < col as edges and the diagonal as vertex
    # births; building COO arrays directly keeps zero-valued entries (a value of 0).
    matrix = sparse.coo_matrix(
        (np.concatenate([np.maximum(f[low], f[high]), f]),
         (np.concatenate([low, diagonal]), np.concatenate([high, diagonal]))),
        shape=(n, n))
    diagrams = ripser(matrix, distance_matrix=True, maxdim=maxdim)["dgms"]
    return [_sorted_diagram(np.asarray(d, dtype=np.float64).reshape(-1, 2)) for d in diagrams]


@dataclass(frozen=True, eq=False)
class MergeTree:
    """Merge tree of a function on the vertices of a graph.

    Made by :func:`merge_tree`. Ties between equal values are broken by vertex
    index (lower index first in the sweep), as if values were perturbed, so
    ``minima`` and ``saddles`` describe that perturbed function; a pair whose
    two values are equal (a flat merge) is counted there but left out of
    ``pairs``, as ripser does.

    Attributes
    ----------
    kind : {"join", "split"}
        ``"join"``: components of sub-level sets ``values <= t`` as ``t`` rises;
        ``"split"``: components of super-level sets ``values >= t`` as ``t`` falls.
    values : ndarray, shape (n,)
        The vertex values (float64), in the original sign.
    pairs : ndarray, shape (m, 2)
        ``(birth, death)`` per branch, in the original sign, births in sweep
        order (rising for a join tree, falling for a split tree). Finite pairs
        have ``death != birth``. Each connected component adds one essential
        row: ``(minimum, inf)`` for a join tree and
        ``(maximum, -inf)`` for a split tree. For a split tree births are local
        maxima and deaths are lower.
    minima : ndarray of int, shape (n_leaves,)
        Leaves, in sweep order: vertices none of whose neighbours comes earlier
        in the sweep (local minima for a join tree, local maxima for a split tree).
    saddles : ndarray of int
        Vertices where components merge, in sweep order, with multiplicity: a
        vertex where ``c`` components merge appears ``c - 1`` times, so
        ``len(minima) == n_saddles + n_components`` (``np.unique`` gives the
        distinct saddle vertices).
    parent : ndarray of int, shape (n,)
        The augmented merge tree: ``parent[v]`` is the next vertex to join the
        component of ``v`` in the sweep, ``-1`` for the last vertex of each
        component (a root).
    """

    kind: str
    values: NDArray[np.float64]
    pairs: NDArray[np.float64]
    minima: NDArray[np.int64]
    saddles: NDArray[np.int64]
    parent: NDArray[np.int64]

    @property
    def n_saddles(self) -> int:
        """Number of saddles, counted with multiplicity (``len(saddles)``)."""
        return int(self.saddles.size)

    @property
    def n_components(self) -> int:
        """Number of connected components (roots of the tree)."""
        return int(np.count_nonzero(self.parent < 0))

    @property
    def average_persistence(self) -> float:
        """Mean ``|death - birth|`` of the finite pairs (Xie et al.); 0 if none."""
        return average_persistence(self.pairs)

    @property
    def edges(self) -> NDArray[np.int64]:
        """Edges ``(child, parent)`` of the augmented tree, shape ``(n - n_components, 2)``."""
        child = np.flatnonzero(self.parent >= 0)
        return np.column_stack([child, self.parent[child]])

    def critical_edges(self) -> NDArray[np.int64]:
        """Edges ``(child, parent)`` of the tree reduced to its critical vertices.

        Leaves, saddles and roots are kept; chains of regular vertices between
        them are contracted. This is the tree drawn by Xie et al.: plot each
        vertex at height ``values[v]``.

        Returns
        -------
        ndarray of int, shape (m, 2)

        Examples
        --------
        >>> from scipy import sparse
        >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(5, 5), format="csr")
        >>> merge_tree(path, [0.0, 3.0, 1.0, 4.0, 2.0]).critical_edges().tolist()
        [[0, 1], [2, 1], [4, 3], [1, 3]]
        """
        critical = np.zeros(self.parent.size, dtype=bool)
        critical[self.minima] = True
        critical[self.saddles] = True
        critical[self.parent < 0] = True
        parent = self.parent.tolist()
        flags = critical.tolist()
        result = []
        for v in np.concatenate([self.minima, np.unique(self.saddles)]).tolist():
            up = parent[v]
            while up >= 0 and not flags[up]:
                up = parent[up]
            if up >= 0:
                result.append((v, up))
        return np.array(result, dtype=np.int64).reshape(-1, 2)


def merge_tree(graph: Any, values: ArrayLike, kind: str = "join") -> MergeTree:
    """Join tree (sub-level sets) or split tree (super-level sets) of vertex values.

    Vertices are swept in order of value (ties: lower index first) for a join
    tree, in decreasing order for a split tree (ties: lower index first), and
    components are merged by union-find with the elder rule: when components
    meet at vertex ``v``, all but the one with the oldest birth die at
    ``values[v]``. The finite ``pairs`` of a join tree are the H0 diagram of
    :func:`lower_star_persistence` (exact, in float64), and the split tree of
    ``values`` is the join tree of ``-values`` with the signs flipped back.

    Parameters
    ----------
    graph : scipy sparse matrix, shape (n, n)
        Its sparsity structure is the graph (see :func:`lower_star_persistence`).
    values : array_like, shape (n,)
        Finite value of each vertex.
    kind : {"join", "split"}, default "join"

    Returns
    -------
    MergeTree

    Raises
    ------
    ValueError
        If ``graph`` is not a square sparse matrix, ``values`` does not have one
        finite entry per vertex, or ``kind`` is unknown.

    Notes
    -----
    A minimum spanning forest (computed in C) first reduces the edges to at
    most ``n - 1``, which leaves the components of every sub-level set unchanged;
    union-find then runs over those. A 50,000-vertex kNN graph with ``k = 20``
    (about 560,000 edges) takes about 0.3 s.

    Examples
    --------
    >>> from scipy import sparse
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(5, 5), format="csr")
    >>> tree = merge_tree(path, [0.0, 3.0, 1.0, 4.0, 2.0])
    >>> tree.pairs
    array([[ 0., inf],
           [ 1.,  3.],
           [ 2.,  4.]])
    >>> tree.minima.tolist(), tree.saddles.tolist(), tree.average_persistence
    ([0, 2, 4], [1, 3], 2.0)
    >>> merge_tree(path, [0.0, 3.0, 1.0, 4.0, 2.0], kind="split").pairs
    array([[  4., -inf],
           [  3.,   1.]])
    """
    n = _check_graph(graph)
    f = _check_values(values, n)
    kind = check_choice("kind", kind, MERGE_TREE_KINDS)
    low, high = _graph_edges(graph, n)
    sign = 1.0 if kind == "join" else -1.0
    pairs, minima, saddles, parent = _join_tree(low, high, sign * f, n)
    return MergeTree(kind=kind, values=f, pairs=sign * pairs, minima=minima,
                     saddles=saddles, parent=parent)


def _join_tree(low: NDArray[np.int64], high: NDArray[np.int64], f: NDArray[np.float64],
               n: int) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64],
                                NDArray[np.int64]]:
    order = np.argsort(f, kind="stable")  # sweep order; ties by vertex index
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    # Work in rank space: an edge enters when its later end does, at rank
    # max(rank u, rank v), so integer weights 1..n order edges exactly (no float
    # ties, and none is 0, which csgraph would read as "no edge").
    ru, rv = rank[low], rank[high]
    first, last = np.minimum(ru, rv), np.maximum(ru, rv)
    weights = sparse.csr_matrix(((last + 1).astype(np.float64), (first, last)), shape=(n, n))
    # Why a minimum spanning forest suffices: for every threshold t, its edges of
    # weight <= t span exactly the components of the graph's edges of weight <= t
    # (the cut property, whatever the tie-breaking). H0 and the merge tree only
    # depend on these components, so union-find over the forest's <= n - 1 edges
    # gives the same pairs as over all edges, and a Python loop stays fast.
    forest = csgraph.minimum_spanning_tree(weights).tocoo()
    tree_first = np.minimum(forest.row, forest.col).astype(np.int64)
    tree_last = np.maximum(forest.row, forest.col).astype(np.int64)
    by_last = np.lexsort((tree_first, tree_last))
    tree_first, tree_last = tree_first[by_last].tolist(), tree_last[by_last].tolist()

    root = list(range(n))      # union-find parent, in rank space
    birth = list(range(n))     # rank of the oldest vertex of a component (at its root)
    top = list(range(n))       # last vertex added to a component (at its root)
    parent = [-1] * n          # augmented tree, in rank space
    deaths: list[tuple[int, int]] = []
    saddles: list[int] = []

    def find(x: int) -> int:
        r = x
        while root[r] != r:
            r = root[r]
        while root[x] != r:  # path compression
            root[x], x = r, root[x]
        return r

    previous = -1
    for a, v in zip(tree_first, tree_last, strict=True):
        ca, cv = find(a), find(v)
        parent[top[ca]] = v
        if v != previous:
            # First lower neighbour of v: v is a singleton until now and joins it.
            root[cv] = ca
            top[ca] = v
        else:
            # A further component meets v: the younger one dies here.
            old, young = (ca, cv) if birth[ca] < birth[cv] else (cv, ca)
            deaths.append((birth[young], v))
            saddles.append(v)
            root[young] = old
            top[old] = v
        previous = v

    is_leaf = np.ones(n, dtype=bool)
    is_leaf[np.asarray(tree_last, dtype=np.int64)] = False
    leaves = np.flatnonzero(is_leaf)
    roots = [r for r in range(n) if root[r] == r]
    death_ranks = np.asarray(deaths, dtype=np.int64).reshape(-1, 2)
    finite = np.column_stack([f[order[death_ranks[:, 0]]], f[order[death_ranks[:, 1]]]])
    finite = finite[finite[:, 1] != finite[:, 0]]
    essential = np.column_stack([f[order[[birth[r] for r in roots]]], np.full(len(roots), np.inf)])
    pairs = np.concatenate([essential, finite])
    pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]  # f-order of births == sweep order
    parent_ranks = np.asarray(parent, dtype=np.int64)
    parent_vertices = np.where(parent_ranks >= 0, order[np.maximum(parent_ranks, 0)], -1)
    parent_out = np.empty(n, dtype=np.int64)
    parent_out[order] = parent_vertices
    return (pairs, order[leaves].astype(np.int64),
            order[np.asarray(saddles, dtype=np.int64)].astype(np.int64), parent_out)


# ------------------------------------------------------------------ diagram summaries


def total_persistence(diagram: ArrayLike, p: float = 2.0) -> float:
    """Sum of ``|death - birth| ** p`` over the finite points of a diagram.

    Horoi et al. (§3.3) use ``p = 2`` as a complexity measure of a landscape.

    Parameters
    ----------
    diagram : array_like, shape (m, 2)
        Rows ``(birth, death)``; points with an infinite coordinate are ignored.
    p : float, default 2.0
        Exponent, ``> 0``.

    Returns
    -------
    float
        0.0 for a diagram without finite points.

    Raises
    ------
    ValueError
        If ``diagram`` is not an ``(m, 2)`` array without NaN, or ``p <= 0``.

    Examples
    --------
    >>> total_persistence([[0.0, 1.0], [1.0, 4.0], [0.0, np.inf]])
    10.0
    """
    points = _as_diagram("diagram", diagram)
    p = check_float("p", p, minimum=0.0, strict_minimum=True)
    return float(np.sum(_persistences(points) ** p))


def average_persistence(diagram: ArrayLike) -> float:
    """Mean ``|death - birth|`` over the finite points of a diagram.

    Xie et al. average the distance of each point to the diagonal; this is that
    average up to their choice of norm (the L-infinity distance to the diagonal
    is half of it, the Euclidean one ``1/sqrt(2)`` of it).

    Parameters
    ----------
    diagram : array_like, shape (m, 2)
        Rows ``(birth, death)``; points with an infinite coordinate are ignored.

    Returns
    -------
    float
        0.0 for a diagram without finite points.

    Raises
    ------
    ValueError
        If ``diagram`` is not an ``(m, 2)`` array without NaN.

    Examples
    --------
    >>> average_persistence([[0.0, 1.0], [1.0, 4.0], [0.0, np.inf]])
    2.0
    """
    persistences = _persistences(_as_diagram("diagram", diagram))
    return float(persistences.mean()) if persistences.size else 0.0


def persistence_image(diagrams: ArrayLike | Sequence[ArrayLike], *,
                      pixel_size: float | None = None,
                      birth_range: tuple[float, float] | None = None,
                      pers_range: tuple[float, float] | None = None,
                      sigma: float | None = None,
                      weight_power: float = 1.0) -> NDArray[np.float64] | list[NDArray[np.float64]]:
    """Persistence image(s) of one or several diagrams (persim's ``PersistenceImager``).

    Each finite point ``(b, d)`` becomes a Gaussian at ``(b, d - b)`` in the
    birth-persistence plane, weighted by ``(d - b) ** weight_power`` and
    integrated over each pixel (Adams et al. 2017). Infinite points are left out.

    Parameters
    ----------
    diagrams : ndarray of shape (m, 2), or a sequence of them
        A 2-D array is one diagram; a list or tuple is several, imaged on one
        common grid so that the images are comparable. Deaths must not be below
        births: pass ``-tree.pairs`` for a split tree.
    pixel_size : float, optional
        Pixel side. Default: the larger of the two ranges divided by 20.
    birth_range, pers_range : (float, float), optional
        Extent of the image, ``low < high``. Default: the births of all finite
        points (widened when there is one birth), and persistence from 0 to the
        largest; give them explicitly to compare
        images from separate calls, and pad them by a few ``sigma`` to keep the
        Gaussians of points on the edge whole.
    sigma : float, optional
        Standard deviation of the Gaussian. Default: ``pixel_size``.
    weight_power : float, default 1.0
        Exponent ``n`` of persim's persistence weight ``(d - b) ** n``, ``> 0``.

    Returns
    -------
    ndarray or list of ndarray
        One image of shape ``(n_birth_pixels, n_persistence_pixels)`` (axis 0 is
        birth) for one diagram, a list for a sequence. A diagram without finite
        points gives an image of zeros.

    Raises
    ------
    ValueError
        If a diagram is not an ``(m, 2)`` array without NaN or has a death below
        its birth, if a sequence is empty, or if a size or range is not positive.

    Examples
    --------
    >>> image = persistence_image(np.array([[0.0, 1.0], [0.5, 2.0]]), pixel_size=0.1)
    >>> image.shape
    (5, 15)
    """
    if isinstance(diagrams, (list, tuple)):
        if not diagrams:
            raise ValueError("diagrams must not be an empty sequence")
        points = [_finite_points(_as_diagram(f"diagrams[{i}]", d), f"diagrams[{i}]")
                  for i, d in enumerate(diagrams)]
        single = False
    else:
        points = [_finite_points(_as_diagram("diagrams", diagrams), "diagrams")]
        single = True
    weight_power = check_float("weight_power", weight_power, minimum=0.0, strict_minimum=True)
    if pixel_size is not None:
        pixel_size = check_float("pixel_size", pixel_size, minimum=0.0, strict_minimum=True)
    if sigma is not None:
        sigma = check_float("sigma", sigma, minimum=0.0, strict_minimum=True)
    if birth_range is not None:
        birth_range = _check_range("birth_range", birth_range)
    if pers_range is not None:
        pers_range = _check_range("pers_range", pers_range)

    everything = np.concatenate(points)
    if pers_range is None:
        top = float((everything[:, 1] - everything[:, 0]).max()) if everything.size else 0.0
        pers_range = (0.0, top if top > 0 else 1.0)
    if birth_range is None:
        low, high = ((float(everything[:, 0].min()), float(everything[:, 0].max()))
                     if everything.size else (0.0, 1.0))
        if high == low:  # one birth: as wide as the persistence range, centred on it
            low, high = low - pers_range[1] / 2, high + pers_range[1] / 2
        birth_range = (low, high)
    if pixel_size is None:
        pixel_size = max(birth_range[1] - birth_range[0], pers_range[1] - pers_range[0]) / 20
    if sigma is None:
        sigma = pixel_size
    from persim import PersistenceImager  # imported on use: persim loads matplotlib

    imager = PersistenceImager(birth_range=birth_range, pers_range=pers_range,
                               pixel_size=pixel_size, weight="persistence",
                               weight_params={"n": weight_power},
                               kernel_params={"sigma": [[sigma**2, 0.0], [0.0, sigma**2]]})
    images = [imager.transform(p, skew=True) if len(p) else np.zeros(imager.resolution)
              for p in points]
    images = [np.asarray(image, dtype=np.float64) for image in images]
    return images[0] if single else images


def diagram_distance(a: ArrayLike, b: ArrayLike, metric: str = "wasserstein") -> float:
    """Distance between two persistence diagrams (persim), over their finite points.

    Parameters
    ----------
    a, b : array_like, shape (m, 2)
        Diagrams; points with an infinite coordinate are left out (their
        distance would be infinite unless both diagrams had the same number).
        Deaths must not be below births: pass ``-tree.pairs`` for split trees.
    metric : {"wasserstein", "bottleneck"}, default "wasserstein"
        ``"wasserstein"``: persim's 1-Wasserstein distance, the smallest sum of
        Euclidean distances of a matching in which points may also be matched to
        the diagonal (a point's cost there is ``(d - b) / sqrt(2)``).
        ``"bottleneck"``: the smallest largest L-infinity distance of such a
        matching (cost ``(d - b) / 2`` to the diagonal).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a diagram is not an ``(m, 2)`` array without NaN or has a death
        below its birth, or if ``metric`` is unknown.

    Examples
    --------
    >>> diagram_distance([[0.0, 2.0]], np.empty((0, 2)), metric="bottleneck")
    1.0
    """
    metric = check_choice("metric", metric, DIAGRAM_METRICS)
    first = _finite_points(_as_diagram("a", a), "a")
    second = _finite_points(_as_diagram("b", b), "b")
    import persim  # imported on use: persim loads matplotlib

    distance = persim.wasserstein if metric == "wasserstein" else persim.bottleneck
    return float(distance(first, second))


# ------------------------------------------------------------------------- internals


def _as_finite_matrix(name: str, array: Any) -> NDArray[np.float64]:
    try:
        matrix = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a 2-D array of numbers; got {type(array).__name__}") \
            from error
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array; got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} must contain only finite numbers")
    return matrix


def _check_graph(graph: Any) -> int:
    if not sparse.issparse(graph):
        raise ValueError("graph must be a scipy sparse matrix (e.g. from knn_graph); "
                         f"got {type(graph).__name__}")
    if graph.ndim != 2 or graph.shape[0] != graph.shape[1] or graph.shape[0] == 0:
        raise ValueError(f"graph must be a square (n, n) sparse matrix with n >= 1; "
                         f"got shape {graph.shape}")
    return int(graph.shape[0])


def _check_values(values: Any, n: int) -> NDArray[np.float64]:
    try:
        f = np.array(values, dtype=np.float64)  # a copy: callers may mutate theirs
    except (TypeError, ValueError) as error:
        raise ValueError("values must be a 1-D array of numbers") from error
    if f.ndim != 1:
        raise ValueError(f"values must be a 1-D array; got shape {f.shape}")
    if f.size != n:
        raise ValueError(f"values must have one entry per vertex: len(values) = {f.size} "
                         f"but the graph has {n} vertices")
    if not np.all(np.isfinite(f)):
        raise ValueError("values must be finite (no NaN or inf)")
    return f


def _graph_edges(graph: Any, n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Unique undirected edges ``low < high`` of a graph's sparsity structure."""
    coo = graph.tocoo()
    row = np.asarray(coo.row, dtype=np.int64)
    col = np.asarray(coo.col, dtype=np.int64)
    off_diagonal = row != col
    row, col = row[off_diagonal], col[off_diagonal]
    return _unique_pairs(np.minimum(row, col), np.maximum(row, col), n)


def _unique_pairs(low: NDArray[np.int64], high: NDArray[np.int64], n: int
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    # sort + mask: np.unique is ~15x slower on a million int64 keys (numpy 2.4)
    keys = np.sort(low.astype(np.int64) * n + high)
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if keys.size else keys
    return keys // n, keys % n


def _symmetric_csr(low: NDArray[np.int64], high: NDArray[np.int64],
                   data: NDArray[np.float64], n: int) -> sparse.csr_matrix:
    # Pairs are unique, so the COO -> CSR conversion sums nothing and keeps stored zeros.
    graph = sparse.csr_matrix(
        (np.concatenate([data, data]).astype(np.float64),
         (np.concatenate([low, high]), np.concatenate([high, low]))), shape=(n, n))
    graph.sort_indices()
    return graph


def _knn_candidates_by_tree(points: NDArray[np.float64], k: int
                            ) -> tuple[list[tuple[NDArray[np.int64], NDArray[np.int64]]],
                                       NDArray[np.int64]]:
    """Candidate neighbours from a k-d tree, and the rows it cannot settle.

    The tree's distances are within a relative ~d ulps of the exact ones, so every
    point whose exact distance is at most the k-th smallest lies within
    ``limit`` (the tree's k-th distance plus a relative margin). A row is settled
    when the tree returned every point within ``limit``, i.e. its farthest
    returned point is beyond it; rows with many ties at the k-th distance are
    left to the brute-force path.
    """
    from scipy.spatial import cKDTree

    n = points.shape[0]
    m = min(n, 2 * k + 1)
    dist, idx = cKDTree(points).query(points, k=m)
    dist, idx = dist.reshape(n, m), idx.reshape(n, m).astype(np.int64)
    farthest = dist[:, -1].copy()
    dist[idx == np.arange(n)[:, None]] = np.inf  # a vertex is not its own neighbour
    limit = np.sort(dist, axis=1)[:, k - 1] * (1 + 1e-8)
    settled = (farthest > limit) if m < n else np.ones(n, dtype=bool)
    chosen = (dist <= limit[:, None]) & settled[:, None]
    rows, cols = np.nonzero(chosen)
    return [(rows.astype(np.int64), idx[rows, cols])], np.flatnonzero(~settled)


def _knn_candidates_by_blocks(points: NDArray[np.float64] | None,
                              matrix: NDArray[np.float64] | None,
                              rows: NDArray[np.int64], k: int
                              ) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Candidate neighbours of ``rows``, by brute force, block by block.

    For points, candidates come from the fast Gram-matrix formula on centred
    points, ``|x|^2 + |y|^2 - 2 x.y``, whose rounding error is below ``slack``:
    the k-th smallest exact value is then at most ``kth + slack``, so every
    column with an exact value at most that has ``approx <= kth + 2 * slack``.
    """
    if rows.size == 0:
        return []
    if matrix is None:
        n, d = points.shape
        centred = points - points.mean(axis=0)
        norms = np.einsum("ij,ij->i", centred, centred)
        slack_scale = 8 * (d + 2) * np.finfo(np.float64).eps
        largest = np.sqrt(norms.max())
    else:
        n = matrix.shape[0]
    found = []
    block = max(1, _BLOCK_ENTRIES // n)
    for start in range(0, rows.size, block):
        these = rows[start:start + block]
        if matrix is None:
            approx = norms[these, None] + norms[None, :] - 2.0 * (centred[these] @ centred.T)
            slack = slack_scale * (np.sqrt(norms[these]) + largest) ** 2
        else:
            approx = matrix[these].copy()
            slack = np.zeros(these.size)
        approx[np.arange(these.size), these] = np.inf  # a vertex is not its own neighbour
        kth = np.partition(approx, k - 1, axis=1)[:, k - 1]
        local, cols = np.nonzero(approx <= (kth + 2 * slack)[:, None])
        found.append((these[local], cols.astype(np.int64)))
    return found


def _k_nearest(rows: NDArray[np.int64], cols: NDArray[np.int64],
               distance: NDArray[np.float64], k: int
               ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Keep the k candidates of each row with the smallest exact distance.

    Ties go to the lower column, as in a stable sort of the row.
    """
    order = np.lexsort((cols, distance, rows))
    rows, cols = rows[order], cols[order]
    starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
    first = np.repeat(starts, np.diff(np.concatenate([starts, [rows.size]])))
    keep = np.arange(rows.size) - first < k
    return rows[keep], cols[keep]


def _as_diagram(name: str, diagram: Any) -> NDArray[np.float64]:
    try:
        points = np.asarray(diagram, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an (m, 2) array of (birth, death) rows") from error
    if points.size == 0:
        return np.empty((0, 2))
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{name} must be an (m, 2) array of (birth, death) rows; "
                         f"got shape {points.shape}")
    if np.any(np.isnan(points)):
        raise ValueError(f"{name} must not contain NaN")
    return points


def _persistences(points: NDArray[np.float64]) -> NDArray[np.float64]:
    finite = np.all(np.isfinite(points), axis=1)
    return np.abs(points[finite, 1] - points[finite, 0])


def _finite_points(points: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    finite = points[np.all(np.isfinite(points), axis=1)]
    if np.any(finite[:, 1] < finite[:, 0]):
        raise ValueError(f"{name} must have death >= birth in every finite point; "
                         "negate a split-tree diagram (-tree.pairs) first")
    return finite


def _check_range(name: str, value: Any) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (low, high); got {value!r}")
    low = check_float(f"{name}[0]", value[0])
    high = check_float(f"{name}[1]", value[1], minimum=low, strict_minimum=True)
    return (low, high)


def _sorted_diagram(points: NDArray[np.float64]) -> NDArray[np.float64]:
    return points[np.lexsort((points[:, 1], points[:, 0]))]
