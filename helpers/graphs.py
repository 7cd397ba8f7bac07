"""Neighbourhood graphs of sampled points: the kNN graph the persistence is computed on.

Horoi et al. (2022, §3.3) join every sampled parameter vector to its ``k = 20``
nearest neighbours in PHATE's diffusion-potential distance
(:func:`helpers.distances.potential_distances`). Here a graph is a symmetric
``scipy.sparse.csr_matrix`` whose *sparsity structure* is the set of edges; row and
column ``i`` belong to point ``i``. The public code of the paper took the k
*farthest* points and turned mutual neighbours into duplicate edges: the tests of
this module make both impossible.

Examples
--------
>>> import numpy as np
>>> graph = knn_graph(np.arange(5.0)[:, None], k=1)
>>> connected_components(graph), graph.nnz // 2
(1, 4)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse import csgraph

from helpers.checks import check_finite_matrix, check_int

# Entries of a distance block held in memory at once by knn_graph's brute force.
_BLOCK_ENTRIES = 2**23



# Up to this many coordinates knn_graph asks a k-d tree for candidates first.
_TREE_MAX_DIMENSION = 16



def knn_graph(X: ArrayLike | None = None, *, distances: ArrayLike | None = None,
              k: int = 20) -> sparse.csr_matrix:
    """Undirected k-nearest-neighbour graph, as a symmetric sparse matrix.

    Each vertex is joined to its ``k`` *nearest* other vertices; the graph is
    the union of these directed relations, so a vertex can have more than ``k``
    neighbours, and two vertices that are each other's neighbours share one
    edge (never two).

    For the jump-and-retrain samples of Horoi et al. (§3.3, ``k = 20``) the
    distances are PHATE's potential distances: Euclidean distances between the
    rows of the diffusion potential, from :func:`~helpers.distances.potential_distances`.

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
        points = check_finite_matrix("X", X)
        n = points.shape[0]
        matrix = None
    else:
        matrix = check_finite_matrix("distances", distances)
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
    n = check_graph(graph)
    low, high = graph_edges(graph, n)
    structure = _symmetric_csr(low, high, np.ones(low.size), n)
    count, _ = csgraph.connected_components(structure, directed=False)
    return int(count)



def check_graph(graph: Any) -> int:
    """Check a graph (a square sparse or dense matrix) and return its number of vertices."""
    if not sparse.issparse(graph):
        raise ValueError("graph must be a scipy sparse matrix (e.g. from knn_graph); "
                         f"got {type(graph).__name__}")
    if graph.ndim != 2 or graph.shape[0] != graph.shape[1] or graph.shape[0] == 0:
        raise ValueError(f"graph must be a square (n, n) sparse matrix with n >= 1; "
                         f"got shape {graph.shape}")
    return int(graph.shape[0])



def graph_edges(graph: Any, n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
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
