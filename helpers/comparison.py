import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from helpers.checks import (
    check_bool,
    check_choice,
    check_int,
    check_matrix,
    check_names,
    check_progress,
    progress_disabled,
)
from helpers.distances import (
    METRICS,
    check_chunk_columns,
    distances_from_grams,
    gram_matrices,
    pairwise_distances,
)
from helpers.embedding import LINEAR_METHODS, METHODS, Embedding, embed_from_grams, resolve_settings
from helpers.quality import (
    check_graph_knn,
    check_trajectories,
    demap_from_geodesic,
    geodesic_distances,
    trajectory_continuity,
)
from helpers.report import ordering_sentence


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
        Give both to get the ``continuity`` column (see
        :func:`~helpers.quality.trajectory_continuity`).
    n_components : int, default 2
    random_state : int, default 0
    settings : mapping of method name to a mapping of settings, optional
        E.g. ``{"phate": {"knn": 15}}``; see :func:`~helpers.embedding.embed`.
    demap_knn : int, optional
        ``knn`` of :func:`~helpers.quality.demap`: by default 30 (or ``n - 1``).
    demap_metric : {"euclidean", "cosine"}, default "euclidean"
        The distance whose geodesics every embedding is judged against. One reference
        for all rows keeps them comparable: judging cosine embeddings by cosine geodesics
        and Euclidean ones by Euclidean geodesics would give each its own yardstick.
    demap_reference : array_like of shape (n, q), optional
        Data to compute the geodesics on instead of ``X``, e.g. the noise-free points
        of a simulation (the "denoised" in DEMaP).
    continuity_k : int, default 5
        ``k`` of :func:`~helpers.quality.trajectory_continuity`.
    chunk_columns : int, optional
        Columns of ``X`` per block (see :func:`~helpers.distances.pairwise_distances`).
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
    methods = check_names("methods", methods, METHODS)
    metrics = check_names("metrics", metrics, METRICS)
    n_components = check_int("n_components", n_components, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    check_choice("demap_metric", demap_metric, METRICS)
    continuity_k = check_int("continuity_k", continuity_k, minimum=1)
    check_bool("return_embeddings", return_embeddings)
    check_progress(progress)
    X = check_matrix("X", X, min_rows=3)
    n = X.shape[0]
    demap_knn = check_graph_knn("demap_knn", demap_knn, n)
    chunk = check_chunk_columns(chunk_columns, X)
    settings = dict(settings or {})
    for name in settings:
        check_choice("settings (a key)", name, methods)
    if (trajectory_ids is None) != (order is None):
        raise ValueError("trajectory_ids and order must be given together; got only "
                         f"{'trajectory_ids' if order is None else 'order'}")
    if trajectory_ids is not None:
        ids, order_values = check_trajectories(trajectory_ids, order, n)
        continuity_k = check_int("continuity_k", continuity_k, minimum=1,
                                 maximum=max(1, n - 2))
    if demap_reference is not None:
        demap_reference = check_matrix("demap_reference", demap_reference, min_rows=3)
        if demap_reference.shape[0] != n:
            raise ValueError(f"demap_reference must have one row per row of X ({n}); got "
                             f"{demap_reference.shape[0]}")

    runs = []
    for method in methods:
        for metric in metrics:
            used = "euclidean" if method in LINEAR_METHODS else metric
            if (method, used) not in [(m, u) for m, u, _ in runs]:
                runs.append((method, used, metric))
    resolved = {(method, used): resolve_settings(method, used, settings.get(method, {}), X,
                                                  n_components)
                for method, used, _ in runs}

    started = time.perf_counter()
    need_raw = any(used == "cosine" for _, used, _ in runs) or (
        demap_reference is None and demap_metric == "cosine")
    need_shifted = any(used == "euclidean" for _, used, _ in runs) or (
        demap_reference is None and demap_metric == "euclidean")
    grams = gram_matrices(X, raw=need_raw, shifted=need_shifted, chunk_columns=chunk,
                       progress=progress)
    gram_seconds = time.perf_counter() - started
    if demap_reference is None:
        reference = distances_from_grams(grams, demap_metric, False)
    else:
        reference = pairwise_distances(demap_reference, demap_metric, chunk_columns=None)
    geodesic = geodesic_distances(reference, knn=demap_knn, metric="precomputed")
    del reference

    rows, embeddings = [], {}
    for method, used, _ in tqdm(runs, desc="embeddings", disable=progress_disabled(progress),
                                leave=False):
        began = time.perf_counter()
        result = embed_from_grams(X, method, used, n_components, random_state,
                             resolved[(method, used)], grams, chunk, progress)
        result.seconds = time.perf_counter() - began
        row = {"method": method, "metric": used,
               "demap": demap_from_geodesic(geodesic, result.coordinates, demap_knn)}
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



#: DEMaP of each method averaged over simulated trajectories and trees, as reported by
#: Moon et al. (2019), Fig. 3 ("Visualizing structure and transitions in
#: high-dimensional biological data"), with each method's default (Euclidean) distance.
PUBLISHED_DEMAP: dict[str, float] = {"phate": 0.80, "umap": 0.78, "tsne": 0.76, "pca": 0.48}



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
    methods = check_names("methods", methods, METHODS)
    metrics = check_names("metrics", metrics, METRICS)
    if demap_knn is not None:
        demap_knn = check_int("demap_knn", demap_knn, minimum=1)
    continuity_k = check_int("continuity_k", continuity_k, minimum=1)
    random_state = check_int("random_state", random_state, minimum=0)
    from helpers.checks import check_sequence

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
            resolve_settings(method, metric, checkable, unbounded, 2)
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
    from helpers.checks import check_sequence

    knns = check_sequence("knns", knns, item="int", minimum=1, unique=True)
    metrics = check_names("metrics", metrics, METRICS)
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



def library_defaults(n_points: int) -> dict[str, dict[str, Any]]:
    """The settings PHATE, t-SNE and UMAP use by default in their libraries.

    PHATE ``knn=5``, t-SNE ``perplexity=30``, UMAP ``n_neighbors=15``, as in the
    comparisons of the PHATE paper. On fewer points than a default needs, the setting
    is lowered to the largest the data allow (t-SNE needs ``perplexity < n``).

    Examples
    --------
    >>> library_defaults(1000)
    {'phate': {'knn': 5}, 'tsne': {'perplexity': 30.0}, 'umap': {'n_neighbors': 15}}
    >>> library_defaults(20)["tsne"]
    {'perplexity': 19.0}
    """
    n = check_int("n_points", n_points, minimum=4)
    return {"phate": {"knn": min(5, n - 2)}, "tsne": {"perplexity": float(min(30, n - 1))},
            "umap": {"n_neighbors": min(15, n - 2)}}



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
    text = ordering_sentence(scores, reference, common, pairs, agree, total, missing, column)
    return {"scores": scores.to_dict(), "reference_order": common, "our_order": our_order,
            "pairs": pairs, "agree": agree, "total": total, "kendall_tau": tau,
            "missing": missing, "text": text}
