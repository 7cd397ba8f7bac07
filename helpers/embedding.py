"""Two-dimensional views of high-dimensional points: one call, five methods.

:func:`embed` puts PHATE, t-SNE, UMAP, PCA and a random-plane projection behind one call
with one result type, :class:`Embedding`. The non-linear methods run on ``n × n``
distances computed in one streaming pass over the data (:mod:`helpers.distances`), so a
memory-mapped matrix of parameter vectors is never copied into memory; PCA follows from
the same Gram matrix. How far to trust the picture is measured in :mod:`helpers.quality`.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0, 1, 60)
>>> rng = np.random.default_rng(0)
>>> X = np.outer(t, rng.normal(size=40)) + 0.01 * rng.normal(size=(60, 40)) + 5
>>> result = embed(X, "pca")
>>> result.coordinates.shape, result.method, result.metric
((60, 2), 'pca', 'euclidean')
"""
from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from helpers.checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_matrix,
    check_progress,
    progress_disabled,
)
from helpers.distances import (
    METRICS,
    check_chunk_columns,
    distances_from_grams,
    double_center,
    gram_matrices,
)

METHODS = ("phate", "tsne", "umap", "pca", "random_plane")
#: How the book names the methods.
METHOD_LABELS = {"phate": "PHATE", "tsne": "t-SNE", "umap": "UMAP", "pca": "PCA",
                 "random_plane": "random plane"}
#: Methods that project linearly: the distance metric does not apply to them.
LINEAR_METHODS = ("pca", "random_plane")


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


# --- embeddings -----------------------------------------------------------------------


def embed(X: Any, method: str = "phate", metric: str = "cosine", n_components: int = 2,
          random_state: int = 0, *, chunk_columns: int | None = None,
          progress: bool | None = None, **settings: Any) -> Embedding:
    """Embed the rows of ``X`` in ``n_components`` dimensions with one of ``METHODS``.

    The non-linear methods (PHATE, t-SNE, UMAP) run on the ``n × n`` matrix of cosine
    or Euclidean distances between the rows, computed here in one pass over blocks of
    columns (:func:`~helpers.distances.pairwise_distances`), so ``X`` may be a ``numpy.memmap``
    of millions of columns that is never copied whole. PCA and the random plane are linear and are
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
        around the centroid of the rows (see :func:`~helpers.distances.pairwise_distances`).

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
    check_progress(progress)
    X = check_matrix("X", X, min_rows=3)
    chunk = check_chunk_columns(chunk_columns, X)
    resolved = resolve_settings(method, metric, settings, X, n_components)
    started = time.perf_counter()
    if method in LINEAR_METHODS:
        grams = {}
    else:
        grams = gram_matrices(X, raw=metric == "cosine", shifted=metric == "euclidean",
                           chunk_columns=chunk, progress=progress)
    result = embed_from_grams(X, method, metric, n_components, random_state, resolved, grams,
                         chunk, progress)
    result.seconds = time.perf_counter() - started
    return result


def embed_from_grams(X: np.ndarray, method: str, metric: str, n_components: int,
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

    distances = distances_from_grams(grams, metric, settings["center"])
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
        shifted_gram = gram_matrices(X, raw=False, shifted=True, chunk_columns=chunk_columns,
                                  progress=progress)["shifted"]
    with _threads_for(n):
        return _pca_from_gram(shifted_gram, n_components)


def _pca_from_gram(gram: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA scores from a Gram matrix of the rows: the top eigenvectors of ``H G H``."""
    from scipy.linalg import eigh

    centered = double_center(gram)
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
                      disable=progress_disabled(progress), leave=False):
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


def resolve_settings(method: str, metric: str, settings: Mapping[str, Any], X: np.ndarray,
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


# --- argument checks ---------------------------------------------------------------------


# --- comparing methods: test data, trajectories, the published ordering -----------------


