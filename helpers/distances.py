"""Distances between the rows of a (memory-mapped) matrix, in one streaming pass.

Parameter vectors can have millions of entries, so the data are only ever read in
blocks of columns: the one full pass over ``X`` accumulates ``n × n`` Gram matrices in
float64 (:func:`gram_matrices`), from which cosine and Euclidean distances follow
(:func:`~helpers.distances.distances_from_grams`, :func:`pairwise_distances`). A ``numpy.memmap`` of
641 × 1,500,000 float32 values (3.8 GB) is never copied into memory. The price is
``8 n²`` bytes per ``n × n`` matrix: 3 MB at ``n = 641``, 800 MB at 10,000.

:func:`potential_distances` measures distances between rows of PHATE's diffusion
potential, the space in which Horoi et al. build their kNN graph.

Examples
--------
>>> import numpy as np
>>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
>>> float(pairwise_distances(X, "euclidean")[0, 1]) == float(np.sqrt(5))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.distance import cdist
from tqdm import tqdm

from helpers.checks import (
    check_bool,
    check_choice,
    check_finite_matrix,
    check_int,
    check_matrix,
    check_progress,
    progress_disabled,
)

#: Distances the streaming pass computes.
METRICS = ("cosine", "euclidean")


# One float64 block of columns is about this many bytes: large enough for BLAS to run at
# full speed, small enough to stay far below the size of a parameter matrix.
_BLOCK_BYTES = 16 * 2**20



def pairwise_distances(X: Any, metric: str = "cosine", *, center: bool = False,
                       chunk_columns: int | None = None,
                       progress: bool | None = None) -> np.ndarray:
    """Cosine or Euclidean distances between the rows of a (possibly memory-mapped) matrix.

    ``X`` is read once, in blocks of columns, each converted to float64 and added to an
    ``n × n`` Gram matrix; only one block is in memory at a time, so a ``numpy.memmap``
    far larger than memory works. Euclidean distances come from the Gram matrix of the
    rows minus their centroid: the shift changes no distance, but keeps
    ``|a|² + |b|² - 2 a·b`` from losing the digits of short distances between long
    rows. What remains is an absolute error of about ``1e-16 R² / d`` for a distance
    ``d`` between rows at distance ``R`` from the centroid (1e-10 for ``R = 100``,
    ``d = 0.01``).

    Parameters
    ----------
    X : array_like of shape (n, p)
        Real numbers; a ``numpy.memmap`` is read block by block.
    metric : {"cosine", "euclidean"}, default "cosine"
        Cosine distance is ``1 - a·b / (|a| |b|)``, in ``[0, 2]``.
    center : bool, default False
        Cosine only: subtract the column means first, i.e. measure angles around the
        centroid of the rows instead of around the origin. ``phate.PHATE(knn_dist="cosine")``
        on raw data measures angles between *centered* principal-component scores, which
        this reproduces (without the truncation to 100 components).
    chunk_columns : int, optional
        Columns per block; by default as many as fill about 16 MiB of float64. The result
        does not depend on it beyond rounding.
    progress : bool, optional
        Show a progress bar; by default only on a terminal.

    Returns
    -------
    numpy.ndarray of float64, shape (n, n)
        Symmetric, non-negative, zero on the diagonal.

    Raises
    ------
    ValueError
        If an argument is not accepted, ``X`` holds NaN or infinite values, or (cosine)
        a row of ``X`` is all zeros.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    >>> np.round(pairwise_distances(X, "euclidean"), 3)
    array([[0.   , 2.236, 3.606],
           [2.236, 0.   , 3.162],
           [3.606, 3.162, 0.   ]])
    """
    check_choice("metric", metric, METRICS)
    check_bool("center", center)
    X = check_matrix("X", X, min_rows=1)
    chunk = check_chunk_columns(chunk_columns, X)
    check_progress(progress)
    grams = gram_matrices(X, raw=metric == "cosine", shifted=metric == "euclidean",
                       chunk_columns=chunk, progress=progress)
    if metric == "cosine":
        return _cosine_from_gram(grams["raw"], center=center)
    return _euclidean_from_gram(grams["shifted"])



def cosine_distances(X: Any, *, center: bool = False, chunk_columns: int | None = None,
                     progress: bool | None = None) -> np.ndarray:
    """Cosine distances ``1 - cos(angle)`` between the rows of a (memory-mapped) matrix.

    The same as ``pairwise_distances(X, "cosine", ...)``: one pass over ``X`` in blocks
    of columns with float64 accumulation, so a ``numpy.memmap`` is never copied whole.
    Agrees with ``sklearn.metrics.pairwise.cosine_distances`` on float64 data.

    Parameters
    ----------
    X : array_like of shape (n, p)
        Real numbers, no all-zero row (cosine distance is undefined for it).
    center : bool, default False
        Subtract the column means first (angles around the centroid of the rows).
    chunk_columns : int, optional
        Columns per block; by default about 16 MiB of float64.
    progress : bool, optional
        Show a progress bar; by default only on a terminal.

    Returns
    -------
    numpy.ndarray of float64, shape (n, n)
        Symmetric, in ``[0, 2]``, zero on the diagonal.

    Raises
    ------
    ValueError
        If ``X`` has an all-zero row or non-finite values, or an argument is not accepted.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(cosine_distances(np.array([[1.0, 0.0], [1.0, 1.0], [-2.0, 0.0]])), 4)
    array([[0.    , 0.2929, 2.    ],
           [0.2929, 0.    , 1.7071],
           [2.    , 1.7071, 0.    ]])
    """
    return pairwise_distances(X, "cosine", center=center, chunk_columns=chunk_columns,
                              progress=progress)



def gram_matrices(X: np.ndarray, *, raw: bool, shifted: bool, chunk_columns: int,
               progress: bool | None) -> dict[str, np.ndarray]:
    """Gram matrices of ``X`` (``raw``) and of ``X`` minus its centroid (``shifted``)."""
    n, p = X.shape
    out = {}
    if raw:
        out["raw"] = np.zeros((n, n))
    if shifted:
        out["shifted"] = np.zeros((n, n))
    starts = range(0, p, chunk_columns)
    for start in tqdm(starts, desc="Gram matrix", unit="block", disable=progress_disabled(progress),
                      leave=False):
        # The only copy of X that ever exists: one block of columns, in float64.
        block = np.array(X[:, start:start + chunk_columns], dtype=np.float64)
        if not np.isfinite(block).all():
            raise ValueError("X must contain only finite numbers; found NaN or infinity "
                             f"in columns {start}..{min(start + chunk_columns, p) - 1}")
        if raw:
            out["raw"] += block @ block.T
        if shifted:
            # Centering each block on its column means translates every row by the
            # same vector (the centroid), block by block: no extra pass over X.
            block -= block.mean(axis=0)
            out["shifted"] += block @ block.T
    for gram in out.values():
        # block @ block.T is symmetric up to rounding; make it exactly so.
        gram += gram.T
        gram *= 0.5
    return out



def _cosine_from_gram(gram: np.ndarray, *, center: bool) -> np.ndarray:
    if center:
        gram = double_center(gram)
    norms = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        what = "centered row" if center else "row"
        raise ValueError(f"X must have no all-zero {what} for the cosine metric (cosine "
                         f"distance is undefined for it); {zero.size} found, e.g. row "
                         f"{zero[0]}")
    # One division by the (exactly symmetric) outer product keeps the result symmetric.
    distances = gram / np.multiply.outer(norms, norms)
    np.subtract(1.0, distances, out=distances)
    np.clip(distances, 0.0, 2.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances



def _euclidean_from_gram(gram: np.ndarray) -> np.ndarray:
    squares = np.diag(gram).copy()
    # s_i + s_j first (commutative, so exactly symmetric), then the cross term.
    distances = np.add.outer(squares, squares)
    distances -= 2.0 * gram
    np.clip(distances, 0.0, None, out=distances)
    np.sqrt(distances, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances



def double_center(gram: np.ndarray) -> np.ndarray:
    """``H G H`` with ``H = I - 11ᵀ/n``: the Gram matrix of the column-centered rows."""
    row_means = gram.mean(axis=1)
    centered = gram - row_means[:, None]
    centered -= row_means[None, :]
    centered += row_means.mean()
    return centered



def distances_from_grams(grams: dict[str, np.ndarray], metric: str,
                          center: bool) -> np.ndarray:
    """Cosine or Euclidean distances from the Gram matrices of :func:`gram_matrices`."""
    if metric == "cosine":
        return _cosine_from_gram(grams["raw"], center=center)
    return _euclidean_from_gram(grams["shifted"])



def check_chunk_columns(chunk_columns: int | None, X: np.ndarray) -> int:
    """Columns per block of the pass over ``X``: checked, or about 16 MiB of float64."""
    if chunk_columns is None:
        return max(1, _BLOCK_BYTES // (8 * X.shape[0]))
    return check_int("chunk_columns", chunk_columns, minimum=1)


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
    metric = check_choice("metric", metric, METRICS)
    potential = check_finite_matrix("diffusion_potential", diffusion_potential)
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
