"""Two-dimensional views of high-dimensional points, and how far to trust them.

:func:`embed` puts PHATE, t-SNE, UMAP, PCA and a random-plane projection behind one call
with one result type, :class:`Embedding`. Three measures say how well an embedding
keeps the structure of the data:

- :func:`demap`: DEMaP (Moon et al. 2019), the Spearman correlation between geodesic
  distances on a kNN graph of the data and Euclidean distances in the embedding;
- :func:`trajectory_continuity`: the fraction of consecutive points of a trajectory
  (e.g. retraining epochs) that stay neighbours in the embedding;
- :func:`compare_embeddings`: both, for every method and metric, in one table.

Parameter vectors can have millions of entries, so the data are only ever read in
blocks of columns: the one full pass over ``X`` accumulates an ``n × n`` Gram matrix in
float64 (:func:`pairwise_distances`), from which cosine and Euclidean distances and PCA
follow; every non-linear method then runs on the precomputed ``n × n`` distances. A
``numpy.memmap`` of 641 × 1,500,000 float32 values (3.8 GB) is never copied into memory.
The price is ``8 n²`` bytes per ``n × n`` matrix: 3 MB at ``n = 641``, 800 MB at 10,000.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0, 1, 60)
>>> rng = np.random.default_rng(0)
>>> X = np.outer(t, rng.normal(size=40)) + 0.01 * rng.normal(size=(60, 40)) + 5
>>> result = embed(X, "pca")
>>> result.coordinates.shape
(60, 2)
>>> round(demap(X, result.coordinates, knn=10), 2) > 0.9
True
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from helpers._checks import check_bool, check_choice, check_float, check_int

METHODS = ("phate", "tsne", "umap", "pca", "random_plane")
METRICS = ("cosine", "euclidean")
#: How the book names the methods.
METHOD_LABELS = {"phate": "PHATE", "tsne": "t-SNE", "umap": "UMAP", "pca": "PCA",
                 "random_plane": "random plane"}
#: Methods that project linearly: the distance metric does not apply to them.
LINEAR_METHODS = ("pca", "random_plane")

# One float64 block of columns is about this many bytes: large enough for BLAS to run at
# full speed, small enough to stay far below the size of a parameter matrix.
_BLOCK_BYTES = 16 * 2**20

# Up to this many rows, the n × n stage runs single-threaded (see `_threads_for`).
_SINGLE_THREAD_ROWS = 2000

# Settings each method accepts, with their defaults (see the docstring of `embed`).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "phate": {"knn": 15, "decay": 40.0, "t": "auto", "gamma": 1.0, "mds_solver": "smacof",
              "mds_dist": None, "n_landmark": 2000, "n_jobs": 1},
    "tsne": {"perplexity": 30.0, "early_exaggeration": 12.0, "learning_rate": "auto",
             "max_iter": 1000, "init": "pca"},
    "umap": {"n_neighbors": 15, "min_dist": 0.1, "n_epochs": None, "init": "spectral"},
    "pca": {},
    "random_plane": {"origin_index": 0, "directions": None},
}
# Settings every method that uses a distance accepts.
_DISTANCE_DEFAULTS = {"center": False}


@dataclass
class Embedding:
    """The result of :func:`embed`.

    Attributes
    ----------
    coordinates : numpy.ndarray of float64, shape (n, n_components)
        One row per row of the data.
    method : str
        One of ``METHODS``.
    metric : str
        The distance the method used: ``"cosine"`` or ``"euclidean"``. Always
        ``"euclidean"`` for the linear methods (``"pca"``, ``"random_plane"``).
    seconds : float
        Wall time of the whole call, reading the data and computing distances included.
    estimator : object or None
        The fitted ``phate.PHATE``, ``sklearn.manifold.TSNE`` or ``umap.UMAP``; ``None``
        for PCA and the random plane, which are computed here.
    diagnostics : dict
        What the method chose or measured. PHATE: ``t`` (the diffusion time used),
        ``diffusion_potential`` (n × n, or landmarks × landmarks when
        ``n > n_landmark``), ``n_connected_components`` and ``component_labels`` of its
        kNN graph. t-SNE: ``kl_divergence``, ``n_iter``. UMAP: ``n_neighbors``. PCA:
        ``explained_variance_ratio``. Random plane: ``origin_index``,
        ``direction_norms``, ``direction_cosine`` (between the first two directions),
        ``captured_fraction`` (share of the squared displacement from the origin that
        lies in the plane) and ``displacement_norms``.
    settings : dict
        Every setting the method ran with, defaults included, and ``random_state``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(30, 8))
    >>> result = embed(X, "random_plane", random_state=1)
    >>> result.method, result.metric, result.coordinates.shape
    ('random_plane', 'euclidean', (30, 2))
    """

    coordinates: np.ndarray
    method: str
    metric: str
    seconds: float
    estimator: Any = None
    diagnostics: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)


# --- distances ------------------------------------------------------------------------


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
    X = _check_matrix("X", X, min_rows=1)
    chunk = _check_chunk(chunk_columns, X)
    _check_progress(progress)
    grams = _gram_pass(X, raw=metric == "cosine", shifted=metric == "euclidean",
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


def _gram_pass(X: np.ndarray, *, raw: bool, shifted: bool, chunk_columns: int,
               progress: bool | None) -> dict[str, np.ndarray]:
    """Gram matrices of ``X`` (``raw``) and of ``X`` minus its centroid (``shifted``)."""
    n, p = X.shape
    out = {}
    if raw:
        out["raw"] = np.zeros((n, n))
    if shifted:
        out["shifted"] = np.zeros((n, n))
    starts = range(0, p, chunk_columns)
    for start in tqdm(starts, desc="Gram matrix", unit="block", disable=_quiet(progress),
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
        gram = _double_center(gram)
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


def _double_center(gram: np.ndarray) -> np.ndarray:
    """``H G H`` with ``H = I - 11ᵀ/n``: the Gram matrix of the column-centered rows."""
    row_means = gram.mean(axis=1)
    centered = gram - row_means[:, None]
    centered -= row_means[None, :]
    centered += row_means.mean()
    return centered


# --- embeddings -----------------------------------------------------------------------


def embed(X: Any, method: str = "phate", metric: str = "cosine", n_components: int = 2,
          random_state: int = 0, *, chunk_columns: int | None = None,
          progress: bool | None = None, **settings: Any) -> Embedding:
    """Embed the rows of ``X`` in ``n_components`` dimensions with one of ``METHODS``.

    The non-linear methods (PHATE, t-SNE, UMAP) run on the ``n × n`` matrix of cosine
    or Euclidean distances between the rows, computed here in one pass over blocks of
    columns (:func:`pairwise_distances`), so ``X`` may be a ``numpy.memmap`` of millions
    of columns that is never copied whole. PCA and the random plane are linear and are
    computed here, also block by block.

    Parameters
    ----------
    X : array_like of shape (n, p)
        One row per point, e.g. one flattened parameter vector per epoch.
    method : {"phate", "tsne", "umap", "pca", "random_plane"}, default "phate"
    metric : {"cosine", "euclidean"}, default "cosine"
        Distance between rows for PHATE, t-SNE and UMAP. PCA and the random plane are
        linear maps of the rows, to which a metric does not apply: both values are
        accepted (so one loop can run every method) and the result records
        ``metric="euclidean"``.
    n_components : int, default 2
        Dimension of the embedding.
    random_state : int, default 0
        Seed; the same data, settings and seed give the same coordinates.
    chunk_columns : int, optional
        Columns of ``X`` read per block; by default about 16 MiB of float64.
    progress : bool, optional
        Show a progress bar while reading ``X``; by default only on a terminal.
    **settings
        Method settings; an unknown name raises ``ValueError``. Defaults:

        ``phate``
            ``knn=15``: neighbours that set each point's kernel bandwidth. PHATE's own
            default, 5, gave a graph of 17 disconnected pieces on jump-and-retrain data
            (16 trajectories of 40 epochs). On synthetic jump-and-retrain data (3 seeds,
            641 × 10,000) knn=15 kept geodesic distances best (DEMaP 0.51-0.55 cosine,
            0.68-0.70 Euclidean, against 0.26-0.29 and 0.24 at knn=5 and 0.37-0.51 at
            10), with the same trajectory continuity; 15 is still well below the 40
            epochs of a trajectory, and equals UMAP's default ``n_neighbors``.
            ``decay=40.0``: alpha of the kernel (PHATE's default). ``t="auto"``:
            diffusion time from the knee of the von Neumann entropy, or a positive int.
            ``gamma=1.0``: the log potential. ``mds_solver="smacof"``: phate 2.0's
            default ``"sgd"`` warns that it "may not have converged" and is slower on
            a few hundred points. ``mds_dist=None``: the same as ``metric``, so cosine
            PHATE uses cosine distance for both the affinities and the MDS of the
            diffusion potential, as in Horoi et al. ``n_landmark=2000``: above that many
            points PHATE diffuses between landmarks. ``n_jobs=1``.
        ``tsne``
            ``perplexity=30.0`` (must be < n), ``early_exaggeration=12.0``,
            ``learning_rate="auto"``, ``max_iter=1000``, ``init="pca"`` (the PCA of the
            rows, row-normalized first for the cosine metric, scaled as scikit-learn
            does) or ``"random"``.
        ``umap``
            ``n_neighbors=15`` (2 ≤ n_neighbors < n), ``min_dist=0.1``,
            ``n_epochs=None`` (UMAP's choice), ``init="spectral"``, ``"pca"`` or
            ``"random"``.
        ``random_plane``
            ``origin_index=0``: the row the plane goes through (the optimum, in
            jump-and-retrain data). ``directions=None``: ``n_components`` orthonormalized
            Gaussian directions drawn from ``random_state``; or an array of shape
            ``(n_components, p)``, e.g. filter-normalized directions from
            :mod:`helpers.directions`. Coordinates are the least-squares coefficients of
            ``X[i] - X[origin_index]`` in the directions, so ``origin + a d1 + b d2``
            lands at ``(a, b)``.

        PHATE, t-SNE and UMAP also take ``center=False``: cosine only, measure angles
        around the centroid of the rows (see :func:`pairwise_distances`).

    Returns
    -------
    Embedding

    Raises
    ------
    ValueError
        If an argument or setting is not accepted; checked before any data is read.
        Also if ``X`` holds NaN or infinity, or, for the cosine metric, an all-zero row
        (found while reading it).

    Warns
    -----
    UserWarning
        PHATE: when its kNN graph is disconnected; the pieces are then placed relative
        to each other arbitrarily, and a larger ``knn`` usually joins them.

    Notes
    -----
    Cost: one pass over ``X`` doing ``n² p`` multiply-adds in float64 (for 641 × 1.5
    million, about a minute on two cores), then the method on ``n × n`` matrices of
    ``8 n²`` bytes each. Up to 2000 rows the ``n × n`` stage runs on one BLAS/OpenMP
    thread: threads gain little at that size and lose up to 15x when the cores are
    shared with other work.

    PHATE gets exact distances between the full rows. ``phate.PHATE(knn_dist="cosine")``
    on raw data would instead first reduce the rows to 100 centered principal
    components, so its "cosine" is an angle around the centroid of the rows within
    those components (``center=True`` comes close).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.cumsum(rng.normal(size=(80, 30)), axis=0)  # a random walk: one trajectory
    >>> result = embed(X, "phate", metric="euclidean", knn=5)
    >>> result.coordinates.shape, result.diagnostics["n_connected_components"]
    ((80, 2), 1)
    >>> np.array_equal(result.coordinates,
    ...                embed(X, "phate", metric="euclidean", knn=5).coordinates)
    True
    """
    method = check_choice("method", method, METHODS)
    metric = check_choice("metric", metric, METRICS)
    n_components = check_int("n_components", n_components, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    _check_progress(progress)
    X = _check_matrix("X", X, min_rows=3)
    chunk = _check_chunk(chunk_columns, X)
    resolved = _resolve_settings(method, metric, settings, X, n_components)
    started = time.perf_counter()
    if method in LINEAR_METHODS:
        grams = {}
    else:
        grams = _gram_pass(X, raw=metric == "cosine", shifted=metric == "euclidean",
                           chunk_columns=chunk, progress=progress)
    result = _run_method(X, method, metric, n_components, random_state, resolved, grams,
                         chunk, progress)
    result.seconds = time.perf_counter() - started
    return result


def _run_method(X: np.ndarray, method: str, metric: str, n_components: int,
                random_state: int, settings: dict[str, Any], grams: dict[str, np.ndarray],
                chunk_columns: int, progress: bool | None) -> Embedding:
    """Run one method; the Gram matrices it needs are in ``grams`` (PCA may compute its own)."""
    recorded = {**settings, "random_state": random_state}
    if method == "random_plane":
        coordinates, diagnostics = _random_plane(X, n_components, random_state,
                                                 chunk_columns, progress, **settings)
        return Embedding(coordinates, method, "euclidean", 0.0, None, diagnostics,
                         _printable(recorded))
    if method == "pca":
        coordinates, ratio = _pca(X, n_components, grams.get("shifted"), chunk_columns,
                                  progress)
        return Embedding(coordinates, method, "euclidean", 0.0, None,
                         {"explained_variance_ratio": ratio}, recorded)

    distances = _distances_from_grams(grams, metric, settings["center"])
    with _threads_for(distances.shape[0]):
        if method == "phate":
            coordinates, estimator, diagnostics = _phate(distances, metric, n_components,
                                                         random_state, settings)
        elif method == "tsne":
            coordinates, estimator, diagnostics = _tsne(distances, grams, metric,
                                                        n_components, random_state, settings)
        else:
            coordinates, estimator, diagnostics = _umap(distances, n_components,
                                                        random_state, settings)
    coordinates = np.ascontiguousarray(coordinates, dtype=np.float64)
    return Embedding(coordinates, method, metric, 0.0, estimator, diagnostics, recorded)


def _threads_for(n: int) -> contextlib.AbstractContextManager:
    """One BLAS and OpenMP thread for the ``n × n`` stage when ``n <= 2000``.

    At that size threads gain little, but on shared cores they lose a lot: with two
    threads on two busy cores, PHATE's 641 × 641 SVD took 3.4 s instead of 0.23 s, and
    a 160-point Barnes-Hut t-SNE 5-25 s instead of 1 s (each thread waits at every
    barrier for a descheduled sibling). The pass over ``X`` keeps every thread.
    """
    if n > _SINGLE_THREAD_ROWS:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _distances_from_grams(grams: dict[str, np.ndarray], metric: str,
                          center: bool) -> np.ndarray:
    if metric == "cosine":
        return _cosine_from_gram(grams["raw"], center=center)
    return _euclidean_from_gram(grams["shifted"])


def _phate(distances: np.ndarray, metric: str, n_components: int, random_state: int,
           settings: dict[str, Any]) -> tuple[np.ndarray, Any, dict]:
    import phate

    operator = phate.PHATE(
        n_components=n_components, knn=settings["knn"], decay=settings["decay"],
        t=settings["t"], gamma=settings["gamma"], mds_solver=settings["mds_solver"],
        knn_dist="precomputed_distance", mds_dist=settings["mds_dist"] or metric,
        n_landmark=settings["n_landmark"], n_jobs=settings["n_jobs"],
        random_state=random_state, verbose=0,
    )
    with warnings.catch_warnings():
        # phate's own RuntimeWarning is replaced by the UserWarning below, which a user
        # sees by default and which says what to do.
        warnings.filterwarnings("ignore", message="Graph is disconnected",
                                category=RuntimeWarning)
        operator.fit(distances)
    n_pieces = int(operator.graph.n_connected_components)
    if n_pieces > 1:
        warnings.warn(
            f"PHATE's kNN graph (knn={settings['knn']}) has {n_pieces} connected "
            "components: their relative placement in the embedding is arbitrary. Try a "
            f"larger knn (e.g. knn={2 * settings['knn']}) or check whether the data "
            "really fall apart (diagnostics['component_labels']).",
            UserWarning, stacklevel=4)
    coordinates = operator.transform()
    diagnostics = {
        "t": int(operator.optimal_t if settings["t"] == "auto" else settings["t"]),
        "diffusion_potential": np.asarray(operator.diff_potential),
        "n_connected_components": n_pieces,
        "component_labels": np.asarray(operator.graph.component_labels),
    }
    return coordinates, operator, diagnostics


def _tsne(distances: np.ndarray, grams: dict[str, np.ndarray], metric: str,
          n_components: int, random_state: int,
          settings: dict[str, Any]) -> tuple[np.ndarray, Any, dict]:
    from sklearn.manifold import TSNE

    if settings["init"] == "pca":
        # scikit-learn refuses init="pca" with precomputed distances; this is what it
        # would do on the rows (the rows as the metric sees them), scaled the same way.
        if metric == "cosine":
            gram = grams["raw"]
            norms = np.sqrt(np.diag(gram))
            gram = gram / np.outer(norms, norms)
        else:
            gram = grams["shifted"]
        init, _ = _pca_from_gram(gram, n_components)
        spread = np.std(init[:, 0])
        init = init / spread * 1e-4 if spread > 0 else "random"
    else:
        init = "random"
    estimator = TSNE(
        n_components=n_components, perplexity=settings["perplexity"],
        early_exaggeration=settings["early_exaggeration"],
        learning_rate=settings["learning_rate"], max_iter=settings["max_iter"],
        metric="precomputed", init=init, random_state=random_state,
        # Barnes-Hut works up to 3 dimensions only.
        method="barnes_hut" if n_components < 4 else "exact",
    )
    coordinates = estimator.fit_transform(distances)
    diagnostics = {"kl_divergence": float(estimator.kl_divergence_),
                   "n_iter": int(estimator.n_iter_)}
    return coordinates, estimator, diagnostics


def _umap(distances: np.ndarray, n_components: int, random_state: int,
          settings: dict[str, Any]) -> tuple[np.ndarray, Any, dict]:
    with warnings.catch_warnings():
        # numba and umap announce things a user cannot act on here.
        warnings.filterwarnings("ignore", message=".*precomputed metric.*")
        warnings.filterwarnings("ignore", message=".*Tensorflow not installed.*")
        warnings.filterwarnings("ignore", category=FutureWarning)
        import umap

        estimator = umap.UMAP(
            n_components=n_components, n_neighbors=settings["n_neighbors"],
            min_dist=settings["min_dist"], n_epochs=settings["n_epochs"],
            init=settings["init"], metric="precomputed", random_state=random_state,
            n_jobs=1, verbose=False,
        )
        coordinates = estimator.fit_transform(distances)
    return coordinates, estimator, {"n_neighbors": settings["n_neighbors"]}


def _pca(X: np.ndarray, n_components: int, shifted_gram: np.ndarray | None,
         chunk_columns: int, progress: bool | None) -> tuple[np.ndarray, np.ndarray]:
    n, p = X.shape
    if shifted_gram is None and p <= n:
        # Few columns: scikit-learn on the data itself is cheaper than an n × n Gram.
        from sklearn.decomposition import PCA

        model = PCA(n_components=n_components, svd_solver="full")
        coordinates = model.fit_transform(np.asarray(X, dtype=np.float64))
        return _fix_signs(coordinates), model.explained_variance_ratio_.copy()
    if shifted_gram is None:
        shifted_gram = _gram_pass(X, raw=False, shifted=True, chunk_columns=chunk_columns,
                                  progress=progress)["shifted"]
    with _threads_for(n):
        return _pca_from_gram(shifted_gram, n_components)


def _pca_from_gram(gram: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA scores from a Gram matrix of the rows: the top eigenvectors of ``H G H``."""
    from scipy.linalg import eigh

    centered = _double_center(gram)
    n = centered.shape[0]
    k = min(n_components, n)
    values, vectors = eigh(centered, subset_by_index=[n - k, n - 1])
    values, vectors = values[::-1], vectors[:, ::-1]
    values = np.clip(values, 0.0, None)
    coordinates = np.zeros((n, n_components))
    coordinates[:, :k] = vectors * np.sqrt(values)
    total = np.trace(centered)
    ratio = np.zeros(n_components)
    ratio[:k] = values / total if total > 0 else 0.0
    return _fix_signs(coordinates), ratio


def _fix_signs(coordinates: np.ndarray) -> np.ndarray:
    """Flip each column so that its entry largest in magnitude is positive.

    Principal axes have no sign; fixing one makes PCA reproducible across solvers.
    """
    coordinates = np.array(coordinates, dtype=np.float64)
    if coordinates.shape[0]:
        rows = np.argmax(np.abs(coordinates), axis=0)
        signs = np.sign(coordinates[rows, np.arange(coordinates.shape[1])])
        signs[signs == 0] = 1.0
        coordinates *= signs
    return coordinates


def _random_plane(X: np.ndarray, n_components: int, random_state: int, chunk_columns: int,
                  progress: bool | None, *, origin_index: int,
                  directions: np.ndarray | None) -> tuple[np.ndarray, dict]:
    n, p = X.shape
    if directions is None:
        rng = np.random.default_rng(random_state)
        gaussian = rng.standard_normal((p, n_components))
        # Orthonormal directions: the coordinates are then plain dot products and the
        # two axes are on the same scale.
        directions, _ = np.linalg.qr(gaussian)
        directions = directions.T
    origin = np.asarray(X[origin_index], dtype=np.float64)
    projections = np.zeros((n, n_components))
    direction_gram = np.zeros((n_components, n_components))
    squared_norms = np.zeros(n)
    for start in tqdm(range(0, p, chunk_columns), desc="projection", unit="block",
                      disable=_quiet(progress), leave=False):
        stop = start + chunk_columns
        block = np.array(X[:, start:stop], dtype=np.float64)
        if not np.isfinite(block).all():
            raise ValueError("X must contain only finite numbers; found NaN or infinity "
                             f"in columns {start}..{min(stop, p) - 1}")
        block -= origin[start:stop]
        d = np.asarray(directions[:, start:stop], dtype=np.float64)
        projections += block @ d.T
        direction_gram += d @ d.T
        squared_norms += np.einsum("ij,ij->i", block, block)
    try:
        inverse = np.linalg.inv(direction_gram)
    except np.linalg.LinAlgError:
        inverse = None
    if inverse is None or not np.isfinite(inverse).all():
        raise ValueError("directions must be linearly independent; the given rows are not")
    coordinates = projections @ inverse
    # |projection onto the span|² = pᵀ (DDᵀ)⁻¹ p for the dot products p = D Δ.
    in_plane = np.einsum("ij,jk,ik->i", projections, inverse, projections)
    norms = np.sqrt(np.diag(direction_gram))
    total = squared_norms.sum()
    diagnostics = {
        "origin_index": origin_index,
        "direction_norms": norms,
        "direction_cosine": (float(direction_gram[0, 1] / (norms[0] * norms[1]))
                             if n_components >= 2 else float("nan")),
        "captured_fraction": float(in_plane.sum() / total) if total > 0 else float("nan"),
        "displacement_norms": np.sqrt(squared_norms),
    }
    return coordinates, diagnostics


# --- settings --------------------------------------------------------------------------


def _resolve_settings(method: str, metric: str, settings: Mapping[str, Any], X: np.ndarray,
                      n_components: int) -> dict[str, Any]:
    """Defaults filled in and every value checked against the data's shape."""
    defaults = dict(_DEFAULTS[method])
    if method not in LINEAR_METHODS:
        defaults.update(_DISTANCE_DEFAULTS)
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        accepted = ", ".join(repr(k) for k in defaults) or "none"
        raise ValueError(f"settings for method {method!r} must be among {accepted}; got "
                         f"{', '.join(repr(k) for k in unknown)}")
    s = {**defaults, **settings}
    n, p = X.shape
    if "center" in s:
        check_bool("center", s["center"])
        if s["center"] and metric != "cosine":
            raise ValueError("center must be False unless metric='cosine'; got True with "
                             f"metric={metric!r}")
    if method == "phate":
        s["knn"] = check_int("knn", s["knn"], minimum=1, maximum=n - 2)
        s["decay"] = check_float("decay", s["decay"], minimum=0.0, strict_minimum=True)
        if s["t"] != "auto":
            s["t"] = check_int("t", s["t"], minimum=1)
        s["gamma"] = check_float("gamma", s["gamma"], minimum=-1.0, maximum=1.0)
        check_choice("mds_solver", s["mds_solver"], ("smacof", "sgd"))
        if s["mds_dist"] is not None:
            check_choice("mds_dist", s["mds_dist"], METRICS)
        if s["n_landmark"] is not None:
            s["n_landmark"] = check_int("n_landmark", s["n_landmark"], minimum=n_components + 1)
        s["n_jobs"] = check_int("n_jobs", s["n_jobs"])
        _check_below_rows(n_components, n, "phate")
    elif method == "tsne":
        s["perplexity"] = check_float("perplexity", s["perplexity"], minimum=0.0,
                                      strict_minimum=True)
        if s["perplexity"] >= n:
            raise ValueError(f"perplexity must be < the number of rows ({n}); got "
                             f"{s['perplexity']!r}")
        s["early_exaggeration"] = check_float("early_exaggeration", s["early_exaggeration"],
                                              minimum=1.0)
        if s["learning_rate"] != "auto":
            s["learning_rate"] = check_float("learning_rate", s["learning_rate"],
                                             minimum=0.0, strict_minimum=True)
        s["max_iter"] = check_int("max_iter", s["max_iter"], minimum=250)
        check_choice("init", s["init"], ("pca", "random"))
        _check_below_rows(n_components, n, "tsne")
    elif method == "umap":
        s["n_neighbors"] = check_int("n_neighbors", s["n_neighbors"], minimum=2,
                                     maximum=n - 1)
        s["min_dist"] = check_float("min_dist", s["min_dist"], minimum=0.0)
        if s["n_epochs"] is not None:
            s["n_epochs"] = check_int("n_epochs", s["n_epochs"], minimum=1)
        check_choice("init", s["init"], ("spectral", "pca", "random"))
        # UMAP's spectral initialization needs n_components + 1 eigenvectors.
        _check_below_rows(n_components + 1, n, "umap")
    elif method == "pca":
        if n_components > min(n, p):
            raise ValueError(f"n_components must be <= min(n_rows, n_columns) = {min(n, p)} "
                             f"for method 'pca'; got {n_components}")
    else:
        s["origin_index"] = check_int("origin_index", s["origin_index"], minimum=0,
                                      maximum=n - 1)
        if s["directions"] is not None:
            directions = s["directions"]
            if hasattr(directions, "detach"):  # a torch tensor
                directions = directions.detach().cpu().numpy()
            directions = np.asarray(directions)
            if directions.shape != (n_components, p):
                raise ValueError(f"directions must have shape (n_components, n_columns) = "
                                 f"({n_components}, {p}); got {directions.shape}")
            if not np.issubdtype(directions.dtype, np.number) or np.iscomplexobj(directions):
                raise ValueError(f"directions must be real numbers; got dtype "
                                 f"{directions.dtype}")
            if not np.isfinite(directions).all():
                raise ValueError("directions must contain only finite numbers")
            s["directions"] = directions
        elif p < n_components:
            raise ValueError(f"n_components must be <= the number of columns ({p}) for "
                             f"method 'random_plane'; got {n_components}")
    return s


def _check_below_rows(n_components: int, n: int, method: str) -> None:
    if n_components >= n:
        raise ValueError(f"n_components must be < the number of rows ({n}) for method "
                         f"{method!r}; got {n_components}")


def _printable(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings with a directions array replaced by its shape (keeps results light)."""
    out = dict(settings)
    if out.get("directions") is not None:
        out["directions"] = f"array of shape {tuple(out['directions'].shape)}"
    return out


# --- measures ---------------------------------------------------------------------------


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
        Columns of ``X`` per block (see :func:`pairwise_distances`).

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
    X = _check_matrix("X", X, min_rows=2)
    n = X.shape[0]
    coordinates = _check_coordinates(coordinates, n)
    knn = _check_graph_knn("knn", knn, n)
    distances = _check_distances_input(X, metric, chunk_columns)
    geodesic = geodesic_distances(distances, knn=knn, metric="precomputed")
    return _demap_from_geodesic(geodesic, coordinates, knn)


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
        Columns of ``X`` per block (see :func:`pairwise_distances`).

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
    X = _check_matrix("X", X, min_rows=2)
    n = X.shape[0]
    knn = _check_graph_knn("knn", knn, n)
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


def _demap_from_geodesic(geodesic: np.ndarray, coordinates: np.ndarray, knn: int) -> float:
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
    :func:`pairwise_distances`) for the score an ideal embedding could reach: consecutive
    epochs are not always neighbours in parameter space either.

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
    ids, order = _check_trajectories(trajectory_ids, order, n)
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


def compare_embeddings(X: Any, methods: Sequence[str] = METHODS,
                       metrics: Sequence[str] = METRICS, trajectory_ids: Any = None,
                       order: Any = None, *, n_components: int = 2, random_state: int = 0,
                       settings: Mapping[str, Mapping[str, Any]] | None = None,
                       demap_knn: int | None = None, demap_metric: str = "euclidean",
                       demap_reference: Any = None, continuity_k: int = 5,
                       chunk_columns: int | None = None, progress: bool | None = None,
                       return_embeddings: bool = False
                       ) -> pd.DataFrame | tuple[pd.DataFrame, dict[tuple[str, str], Embedding]]:
    """Embed ``X`` with each method and metric, and measure how well each keeps structure.

    ``X`` is read once: the Gram matrices every method needs come from one pass over
    its columns. PCA and the random plane do not use a metric, so they appear once, with
    ``metric="euclidean"``, however many metrics are asked for.

    Parameters
    ----------
    X : array_like of shape (n, p)
    methods : sequence of str, default ``METHODS``
    metrics : sequence of str, default ``METRICS``
    trajectory_ids, order : array_like of shape (n,), optional
        Give both to get the ``continuity`` column (see :func:`trajectory_continuity`).
    n_components : int, default 2
    random_state : int, default 0
    settings : mapping of method name to a mapping of settings, optional
        E.g. ``{"phate": {"knn": 15}}``; see :func:`embed`.
    demap_knn : int, optional
        ``knn`` of :func:`demap`: by default 30 (or ``n - 1``).
    demap_metric : {"euclidean", "cosine"}, default "euclidean"
        The distance whose geodesics every embedding is judged against. One reference
        for all rows keeps them comparable: judging cosine embeddings by cosine geodesics
        and Euclidean ones by Euclidean geodesics would give each its own yardstick.
    demap_reference : array_like of shape (n, q), optional
        Data to compute the geodesics on instead of ``X``, e.g. the noise-free points
        of a simulation (the "denoised" in DEMaP).
    continuity_k : int, default 5
        ``k`` of :func:`trajectory_continuity`.
    chunk_columns : int, optional
        Columns of ``X`` per block (see :func:`pairwise_distances`).
    progress : bool, optional
        Progress bars; by default only on a terminal.
    return_embeddings : bool, default False
        Also return the :class:`Embedding` of each row, keyed by ``(method, metric)``.

    Returns
    -------
    pandas.DataFrame
        One row per (method, metric) with columns ``method``, ``metric``, ``demap``,
        ``continuity`` (only with trajectories) and ``seconds`` (the method's wall time
        given the shared Gram matrices; the time of the pass over ``X`` is in
        ``frame.attrs["gram_seconds"]``). ``frame.attrs["demap_pairs"]`` is the fraction
        of pairs that DEMaP could use: those joined by a path in the data's kNN graph
        (1 when the graph is connected).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(20.0)
    >>> X = np.r_[np.outer(t, rng.normal(size=30)), np.outer(t, rng.normal(size=30))]
    >>> ids, order = np.repeat([0, 1], 20), np.r_[t, t]
    >>> table = compare_embeddings(X, ["pca", "random_plane"], ["euclidean"], ids, order,
    ...                            demap_knn=5)
    >>> table[["method", "metric"]].values.tolist()
    [['pca', 'euclidean'], ['random_plane', 'euclidean']]
    >>> bool(table["continuity"].iloc[0] == 1.0)
    True
    """
    methods = _check_names("methods", methods, METHODS)
    metrics = _check_names("metrics", metrics, METRICS)
    n_components = check_int("n_components", n_components, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    check_choice("demap_metric", demap_metric, METRICS)
    continuity_k = check_int("continuity_k", continuity_k, minimum=1)
    check_bool("return_embeddings", return_embeddings)
    _check_progress(progress)
    X = _check_matrix("X", X, min_rows=3)
    n = X.shape[0]
    demap_knn = _check_graph_knn("demap_knn", demap_knn, n)
    chunk = _check_chunk(chunk_columns, X)
    settings = dict(settings or {})
    for name in settings:
        check_choice("settings (a key)", name, methods)
    if (trajectory_ids is None) != (order is None):
        raise ValueError("trajectory_ids and order must be given together; got only "
                         f"{'trajectory_ids' if order is None else 'order'}")
    if trajectory_ids is not None:
        ids, order_values = _check_trajectories(trajectory_ids, order, n)
        continuity_k = check_int("continuity_k", continuity_k, minimum=1,
                                 maximum=max(1, n - 2))
    if demap_reference is not None:
        demap_reference = _check_matrix("demap_reference", demap_reference, min_rows=3)
        if demap_reference.shape[0] != n:
            raise ValueError(f"demap_reference must have one row per row of X ({n}); got "
                             f"{demap_reference.shape[0]}")

    runs = []
    for method in methods:
        for metric in metrics:
            used = "euclidean" if method in LINEAR_METHODS else metric
            if (method, used) not in [(m, u) for m, u, _ in runs]:
                runs.append((method, used, metric))
    resolved = {(method, used): _resolve_settings(method, used, settings.get(method, {}), X,
                                                  n_components)
                for method, used, _ in runs}

    started = time.perf_counter()
    need_raw = any(used == "cosine" for _, used, _ in runs) or (
        demap_reference is None and demap_metric == "cosine")
    need_shifted = any(used == "euclidean" for _, used, _ in runs) or (
        demap_reference is None and demap_metric == "euclidean")
    grams = _gram_pass(X, raw=need_raw, shifted=need_shifted, chunk_columns=chunk,
                       progress=progress)
    gram_seconds = time.perf_counter() - started
    if demap_reference is None:
        reference = _distances_from_grams(grams, demap_metric, False)
    else:
        reference = pairwise_distances(demap_reference, demap_metric, chunk_columns=None)
    geodesic = geodesic_distances(reference, knn=demap_knn, metric="precomputed")
    del reference

    rows, embeddings = [], {}
    for method, used, _ in tqdm(runs, desc="embeddings", disable=_quiet(progress),
                                leave=False):
        began = time.perf_counter()
        result = _run_method(X, method, used, n_components, random_state,
                             resolved[(method, used)], grams, chunk, progress)
        result.seconds = time.perf_counter() - began
        row = {"method": method, "metric": used,
               "demap": _demap_from_geodesic(geodesic, result.coordinates, demap_knn)}
        if trajectory_ids is not None:
            row["continuity"] = trajectory_continuity(result.coordinates, ids, order_values,
                                                      k=continuity_k)
        row["seconds"] = result.seconds
        rows.append(row)
        embeddings[(method, used)] = result
    frame = pd.DataFrame(rows)
    frame.attrs["gram_seconds"] = gram_seconds
    frame.attrs["demap_pairs"] = float(np.isfinite(geodesic[np.triu_indices(n, k=1)]).mean())
    return (frame, embeddings) if return_embeddings else frame


# --- argument checks ---------------------------------------------------------------------


def _check_matrix(name: str, X: Any, *, min_rows: int) -> np.ndarray:
    """A 2-D real array (a memmap stays a memmap: nothing is read here)."""
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    if not isinstance(X, np.ndarray):
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows × columns); got {X.ndim} "
                         f"dimension(s)")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise ValueError(f"{name} must hold real numbers; got dtype {X.dtype}")
    if X.shape[0] < min_rows or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least {min_rows} rows and 1 column; got "
                         f"shape {X.shape}")
    return X


def _check_square(name: str, D: Any) -> np.ndarray:
    D = _check_matrix(name, D, min_rows=2)
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
    X = _check_matrix("X", X, min_rows=2)
    chunk = _check_chunk(chunk_columns, X)
    return pairwise_distances(X, metric, chunk_columns=chunk)


def _check_coordinates(coordinates: Any, n: int | None) -> np.ndarray:
    coordinates = _check_matrix("coordinates", coordinates, min_rows=2)
    coordinates = np.asarray(coordinates, dtype=np.float64)
    if n is not None and coordinates.shape[0] != n:
        raise ValueError(f"coordinates must have one row per row of X ({n}); got "
                         f"{coordinates.shape[0]}")
    if not np.isfinite(coordinates).all():
        raise ValueError("coordinates must contain only finite numbers")
    return coordinates


def _check_trajectories(trajectory_ids: Any, order: Any, n: int
                        ) -> tuple[np.ndarray, np.ndarray]:
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


def _check_names(name: str, values: Any,
                 choices: Collection[str] | None = None) -> tuple[str, ...]:
    """A non-empty sequence of distinct names, each among ``choices`` when given."""
    among = f" among {', '.join(map(repr, choices))}" if choices is not None else ""
    if isinstance(values, str):
        values = (values,)
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of names{among}; got {values!r}") from None
    if not values:
        raise ValueError(f"{name} must be a non-empty sequence of names{among}")
    for i, value in enumerate(values):
        if choices is not None:
            check_choice(f"{name}[{i}]", value, choices)
        elif not isinstance(value, str):
            raise ValueError(f"{name}[{i}] must be a name (a string); got {value!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must not repeat names; got {values!r}")
    return values


def _check_graph_knn(name: str, knn: int | None, n: int) -> int:
    if knn is None:
        return min(30, n - 1)
    return check_int(name, knn, minimum=1, maximum=n - 1)


def _check_chunk(chunk_columns: int | None, X: np.ndarray) -> int:
    if chunk_columns is None:
        return max(1, _BLOCK_BYTES // (8 * X.shape[0]))
    return check_int("chunk_columns", chunk_columns, minimum=1)


def _check_progress(progress: bool | None) -> None:
    if progress is not None:
        check_bool("progress", progress)


def _quiet(progress: bool | None) -> bool | None:
    # tqdm treats disable=None as "only on a terminal".
    return None if progress is None else not progress


# --- comparing methods: test data, trajectories, the published ordering -----------------

#: DEMaP of each method averaged over simulated trajectories and trees, as reported by
#: Moon et al. (2019), Fig. 3 ("Visualizing structure and transitions in
#: high-dimensional biological data"), with each method's default (Euclidean) distance.
PUBLISHED_DEMAP: dict[str, float] = {"phate": 0.80, "umap": 0.78, "tsne": 0.76, "pca": 0.48}


@dataclass
class ArtificialTree:
    """The result of :func:`artificial_tree`.

    Attributes
    ----------
    data : numpy.ndarray of float64, shape (n_branch · branch_length, n_dim)
        The tree with Gaussian noise, the points to embed.
    clean : numpy.ndarray of float64, same shape
        The same points without the noise: the "denoised" reference of DEMaP.
    table : pandas.DataFrame
        One row per point, row ``i`` for ``data[i]``: ``branch`` (0 is the trunk) and
        ``position`` (the step along its branch, 0 to ``branch_length - 1``).
    """

    data: np.ndarray
    clean: np.ndarray
    table: pd.DataFrame


def artificial_tree(n_dim: int = 100, n_branch: int = 20, branch_length: int = 100, *,
                    noise: float = 4.0, seed: int = 37) -> ArtificialTree:
    """The artificial tree of PHATE's authors (``phate.tree.gen_dla``), and its clean version.

    Diffusion-limited aggregation: the trunk is a random walk of ``branch_length`` steps
    in ``n_dim`` dimensions (each step uniform in ``[-1, 1]`` per coordinate); every
    further branch is a random walk of the same length that starts at a random point of
    the branches before it. Gaussian noise of standard deviation ``noise`` is added to
    every coordinate. Horoi et al. use this data set (their Fig. 1) to show which
    embeddings keep branches connected.

    ``phate.tree.gen_dla`` draws the noise after the tree, from NumPy's global random
    generator, so the same call with ``sigma=0`` gives the noise-free tree exactly. The
    global generator's state is restored afterwards: calling this function does not
    change what ``numpy.random`` draws next.

    Parameters
    ----------
    n_dim : int, default 100
        Dimension of the space (at least 2).
    n_branch : int, default 20
        Number of branches, the trunk included.
    branch_length : int, default 100
        Points per branch (at least 2).
    noise : float, default 4.0
        Standard deviation of the noise (``sigma`` of ``gen_dla``); 0 for none.
    seed : int, default 37
        ``gen_dla``'s seed (37 is its default).

    Returns
    -------
    ArtificialTree

    Raises
    ------
    ValueError
        If an argument is not accepted.

    Examples
    --------
    >>> tree = artificial_tree(n_dim=10, n_branch=3, branch_length=20)
    >>> tree.data.shape, sorted(tree.table["branch"].unique().tolist())
    ((60, 10), [0, 1, 2])
    >>> bool(np.all(artificial_tree(n_dim=10, n_branch=3, branch_length=20, noise=0).data
    ...             == tree.clean))
    True
    """
    n_dim = check_int("n_dim", n_dim, minimum=2)
    n_branch = check_int("n_branch", n_branch, minimum=1)
    branch_length = check_int("branch_length", branch_length, minimum=2)
    noise = check_float("noise", noise, minimum=0.0)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    from phate.tree import gen_dla

    # gen_dla seeds NumPy's global generator; put back what was there.
    state = np.random.get_state()  # noqa: NPY002
    try:
        data, branches = gen_dla(n_dim=n_dim, n_branch=n_branch, branch_length=branch_length,
                                 seed=seed, sigma=noise)
        clean, _ = gen_dla(n_dim=n_dim, n_branch=n_branch, branch_length=branch_length,
                           seed=seed, sigma=0.0)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    table = pd.DataFrame({"branch": np.asarray(branches, dtype=int),
                          "position": np.tile(np.arange(branch_length), n_branch)})
    return ArtificialTree(np.asarray(data, dtype=np.float64),
                          np.asarray(clean, dtype=np.float64), table)


def trajectory_ids(table: pd.DataFrame, by: Sequence[str] = ("seed", "step_size")) -> np.ndarray:
    """One label per row naming its trajectory: the values of the ``by`` columns joined.

    For a jump-and-retrain table (:class:`helpers.sampling.Samples`), the default makes
    every (seed, step size) retrain one trajectory; the optimum is a trajectory of its
    own. Pass the result with ``order=table["epoch"]`` to :func:`trajectory_continuity`
    or :func:`compare_embeddings`.

    Examples
    --------
    >>> table = pd.DataFrame({"seed": [-1, 0, 0], "step_size": [0.0, 0.5, 0.5]})
    >>> trajectory_ids(table).tolist()
    ['-1/0.0', '0/0.5', '0/0.5']
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame; got {type(table).__name__}")
    by = list(_check_names("by", by))
    missing = [c for c in by if c not in table.columns]
    if missing:
        raise ValueError(f"by must name columns of table; {missing} are not among "
                         f"{list(table.columns)}")
    labels = table[by[0]].astype(str)
    for column in by[1:]:
        labels = labels + "/" + table[column].astype(str)
    return labels.to_numpy()


def check_comparison(methods: Sequence[str] = METHODS, metrics: Sequence[str] = METRICS, *,
                     settings: Mapping[str, Mapping[str, Any]] | None = None,
                     demap_knn: int | None = None, continuity_k: int = 5,
                     random_state: int = 0, phate_knns: Sequence[int] = ()) -> dict[str, Any]:
    """Check the arguments of :func:`compare_embeddings` before there are data.

    A chapter calls this right after its parameters, so that a misspelt method or a
    negative ``knn`` fails in seconds rather than after the samples have been computed.
    Settings are checked as far as they can be without the data: names, types and
    lower bounds (bounds that depend on the number of rows, such as ``perplexity < n``,
    are checked by :func:`compare_embeddings`).

    Parameters
    ----------
    methods, metrics, settings, demap_knn, continuity_k, random_state
        As in :func:`compare_embeddings`, except that ``settings`` may name methods that
        ``methods`` leaves out: they are checked and dropped, so that one set of
        settings serves any choice of methods.
    phate_knns : sequence of int, optional
        PHATE neighbourhood sizes for :func:`phate_neighbourhoods`.

    Returns
    -------
    dict
        Keyword arguments for :func:`compare_embeddings`: ``methods``, ``metrics``,
        ``settings`` (of the listed methods only), ``demap_knn``, ``continuity_k`` and
        ``random_state``.

    Raises
    ------
    ValueError
        Naming the argument and the accepted values.

    Examples
    --------
    >>> checked = check_comparison(["phate", "pca"], "cosine",
    ...                            settings={"phate": {"knn": 30}, "tsne": {"perplexity": 5}})
    >>> checked["methods"], checked["metrics"], checked["settings"]
    (('phate', 'pca'), ('cosine',), {'phate': {'knn': 30}})
    >>> check_comparison(["phat"])
    Traceback (most recent call last):
    ...
    ValueError: methods[0] must be one of 'phate', 'tsne', 'umap', 'pca', 'random_plane'; got 'phat'
    """
    methods = _check_names("methods", methods, METHODS)
    metrics = _check_names("metrics", metrics, METRICS)
    if demap_knn is not None:
        demap_knn = check_int("demap_knn", demap_knn, minimum=1)
    continuity_k = check_int("continuity_k", continuity_k, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    from helpers._checks import check_sequence

    check_sequence("phate_knns", phate_knns, item="int", minimum=1, nonempty=False,
                   unique=True)
    if settings is None:
        settings = {}
    if not isinstance(settings, Mapping):
        raise ValueError(f"settings must map method names to settings; got {settings!r}")
    # No data yet: a stand-in with as many rows and columns as any bound allows.
    unbounded = _ShapeOnly((2**62, 2**62))
    for method, chosen in settings.items():
        check_choice("settings (a key)", method, METHODS)
        if not isinstance(chosen, Mapping):
            raise ValueError(f"settings[{method!r}] must be a dict of settings; got {chosen!r}")
        # Directions of a random plane need the number of columns: checked with the data.
        checkable = {k: v for k, v in chosen.items()
                     if not (method == "random_plane" and k == "directions")}
        for metric in metrics:
            _resolve_settings(method, metric, checkable, unbounded, 2)
    kept = {method: dict(chosen) for method, chosen in settings.items() if method in methods}
    return {"methods": methods, "metrics": metrics, "settings": kept, "demap_knn": demap_knn,
            "continuity_k": continuity_k, "random_state": random_state}


@dataclass(frozen=True)
class _ShapeOnly:
    """Only a ``shape``: lets settings be checked before the data exist."""

    shape: tuple[int, int]


def phate_neighbourhoods(X: Any, knns: Sequence[int] = (5, 15, 30),
                         metrics: Sequence[str] = METRICS, trajectory_ids: Any = None,
                         order: Any = None, *, demap_knn: int | None = None,
                         continuity_k: int = 5, random_state: int = 0,
                         progress: bool | None = None) -> pd.DataFrame:
    """How PHATE's ``knn`` changes its graph, its diffusion time and what it keeps.

    PHATE's kernel gives each point an affinity to about ``knn`` neighbours. When
    ``knn`` is smaller than the number of points of a trajectory, each trajectory can
    become a connected component of its own, and PHATE then places the pieces
    arbitrarily relative to each other; ``t="auto"`` also depends on it.

    Parameters
    ----------
    X : array_like of shape (n, p)
    knns : sequence of int, default (5, 15, 30)
        Each must be at most ``n - 2``.
    metrics : sequence of str, default ``METRICS``
    trajectory_ids, order : array_like of shape (n,), optional
        Give both for the ``continuity`` column.
    demap_knn, continuity_k, random_state, progress
        As in :func:`compare_embeddings`.

    Returns
    -------
    pandas.DataFrame
        One row per (knn, metric): ``knn``, ``metric``, ``t`` (diffusion time),
        ``components`` (of PHATE's kNN graph), ``demap``, ``continuity`` (with
        trajectories) and ``seconds``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.cumsum(rng.normal(size=(40, 10)), axis=0)
    >>> table = phate_neighbourhoods(X, [3, 10], ["euclidean"], demap_knn=5)
    >>> table["knn"].tolist(), table["components"].tolist()
    ([3, 10], [1, 1])
    """
    from helpers._checks import check_sequence

    knns = check_sequence("knns", knns, item="int", minimum=1, unique=True)
    metrics = _check_names("metrics", metrics, METRICS)
    rows = []
    with warnings.catch_warnings():
        # A disconnected graph is what this table reports; the warning would repeat it.
        warnings.filterwarnings("ignore", message="PHATE's kNN graph")
        for knn in knns:
            table, embeddings = compare_embeddings(
                X, ["phate"], metrics, trajectory_ids, order, random_state=random_state,
                settings={"phate": {"knn": knn}}, demap_knn=demap_knn,
                continuity_k=continuity_k, progress=progress, return_embeddings=True)
            for row in table.to_dict("records"):
                diagnostics = embeddings[("phate", row["metric"])].diagnostics
                rows.append({"knn": knn, "metric": row["metric"], "t": diagnostics["t"],
                             "components": diagnostics["n_connected_components"],
                             **{k: v for k, v in row.items() if k not in ("method", "metric")}})
    return pd.DataFrame(rows)


def comparison_table(results: Mapping[str, pd.DataFrame],
                     published: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Tables of :func:`compare_embeddings` for several data sets, side by side.

    Parameters
    ----------
    results : mapping of data-set name to a table of :func:`compare_embeddings`
    published : mapping of method to DEMaP, optional
        Added as the column ``("published", "demap")``, on every row of that method
        (whatever its metric); by default :data:`PUBLISHED_DEMAP`. Pass ``{}`` for none.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(method, metric)`` in the order of first appearance, with columns
        ``(data set, measure)`` for the measures ``demap``, ``continuity`` (where
        computed) and ``seconds``; a method missing from one data set has NaN there.

    Examples
    --------
    >>> a = pd.DataFrame({"method": ["pca"], "metric": ["euclidean"], "demap": [0.5],
    ...                   "seconds": [0.1]})
    >>> comparison_table({"A": a}).columns.tolist()
    [('A', 'demap'), ('A', 'seconds'), ('published', 'demap')]
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError("results must map at least one data-set name to a table of "
                         "compare_embeddings")
    published = PUBLISHED_DEMAP if published is None else published
    parts, index = [], []
    for name, table in results.items():
        if not isinstance(table, pd.DataFrame) or not {"method", "metric"} <= set(table.columns):
            raise ValueError(f"results[{name!r}] must be a table of compare_embeddings "
                             "(columns method, metric, demap, ...)")
        measures = [c for c in ("demap", "continuity", "seconds") if c in table.columns]
        part = table.set_index(["method", "metric"])[measures]
        part.columns = pd.MultiIndex.from_product([[str(name)], measures])
        parts.append(part)
        index += [key for key in part.index if key not in index]
    frame = pd.concat(parts, axis=1).reindex(pd.MultiIndex.from_tuples(index,
                                                                       names=["method", "metric"]))
    if published:
        frame[("published", "demap")] = [published.get(method, np.nan)
                                         for method, _ in frame.index]
    return frame


def ordering_agreement(table: pd.DataFrame, metric: str = "euclidean", *,
                       column: str = "demap",
                       reference: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Does a table of :func:`compare_embeddings` order the methods as a reference does?

    The scores are those of ``metric`` for PHATE, t-SNE and UMAP, and the only row of
    each linear method. Every pair of methods that both the table and ``reference``
    score is one comparison: it agrees when both put the same method higher.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`compare_embeddings`.
    metric : {"euclidean", "cosine"}, default "euclidean"
    column : str, default "demap"
    reference : mapping of method to score, optional
        By default :data:`PUBLISHED_DEMAP`.

    Returns
    -------
    dict
        ``scores`` (ours, by method, best first), ``reference_order`` and ``our_order``
        (the common methods, best first), ``pairs`` (a DataFrame: ``higher`` and
        ``lower`` as the reference orders them, ``ours_higher``, ``agree``), ``agree``
        and ``total`` (counts of pairs), ``kendall_tau`` (between the two orderings),
        ``missing`` (reference methods the table lacks or scores NaN) and ``text`` (one
        sentence saying all of it).

    Examples
    --------
    >>> table = pd.DataFrame({"method": ["phate", "tsne", "pca"], "demap": [0.7, 0.8, 0.4],
    ...                       "metric": ["euclidean"] * 3})
    >>> result = ordering_agreement(table)
    >>> result["our_order"], result["agree"], result["total"]
    (['tsne', 'phate', 'pca'], 2, 3)
    """
    check_choice("metric", metric, METRICS)
    reference = PUBLISHED_DEMAP if reference is None else dict(reference)
    needed = {"method", "metric", column}
    if not isinstance(table, pd.DataFrame) or not needed <= set(table.columns):
        raise ValueError(f"table must be a table of compare_embeddings with the columns "
                         f"method, metric and {column!r}")
    rows = table[(table["metric"] == metric) | table["method"].isin(LINEAR_METHODS)]
    scores = rows.groupby("method", sort=False)[column].first().dropna()
    scores = scores.sort_values(ascending=False, kind="stable")
    common = [m for m in sorted(reference, key=lambda m: -reference[m]) if m in scores.index]
    missing = [m for m in reference if m not in common]
    pairs = []
    for i, higher in enumerate(common):
        for lower in common[i + 1:]:
            if reference[higher] == reference[lower]:
                continue
            ours_higher = higher if scores[higher] > scores[lower] else (
                lower if scores[lower] > scores[higher] else "tie")
            pairs.append({"higher": higher, "lower": lower, "ours_higher": ours_higher,
                          "agree": ours_higher == higher})
    pairs = pd.DataFrame(pairs, columns=["higher", "lower", "ours_higher", "agree"])
    our_order = [m for m in scores.index if m in common]
    tau = float("nan")
    if len(common) >= 2:
        from scipy.stats import kendalltau

        tau = float(kendalltau([reference[m] for m in common],
                               [scores[m] for m in common]).statistic)
    agree, total = int(pairs["agree"].sum()), len(pairs)
    text = _agreement_text(scores, reference, common, pairs, agree, total, missing, column)
    return {"scores": scores.to_dict(), "reference_order": common, "our_order": our_order,
            "pairs": pairs, "agree": agree, "total": total, "kendall_tau": tau,
            "missing": missing, "text": text}


def _agreement_text(scores: pd.Series, reference: Mapping[str, float], common: list[str],
                    pairs: pd.DataFrame, agree: int, total: int, missing: list[str],
                    column: str) -> str:
    if not common:
        return "no method is scored both here and in the reference."
    ours = " > ".join(f"{METHOD_LABELS.get(m, m)} {scores[m]:.2f}" for m in scores.index
                      if m in common)
    if agree == total:
        verdict = f"all {total} pairwise comparisons agree with the reference"
    else:
        label = METHOD_LABELS.get
        flipped = [f"{label(p.lower, p.lower)} {'ties' if p.ours_higher == 'tie' else 'beats'}"
                   f" {label(p.higher, p.higher)}" for p in pairs.itertuples() if not p.agree]
        verdict = (f"{agree} of {total} pairwise comparisons agree with the reference; "
                   f"reversed: {', '.join(flipped)}")
    text = f"{column}: {ours}; {verdict}"
    if missing:
        text += f" ({', '.join(METHOD_LABELS.get(m, m) for m in missing)} not compared)"
    return text + "."


__all__ = [
    "LINEAR_METHODS", "METHODS", "METRICS", "PUBLISHED_DEMAP", "ArtificialTree", "Embedding",
    "artificial_tree", "check_comparison", "compare_embeddings", "comparison_table",
    "cosine_distances", "demap", "embed", "geodesic_distances", "ordering_agreement",
    "pairwise_distances", "phate_neighbourhoods", "trajectory_continuity", "trajectory_ids",
]
