"""Embeddings and the measures of how well they keep structure, on data of known shape.

Shapes: a straight line and a noisy curve (1-D), a circle, a DLA tree from phate, and
sets of trajectories. Faithful embeddings (the true low-dimensional coordinates) must
score above the same points shuffled; exact values are asserted wherever the geometry
fixes them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_distances as sk_cosine_distances

from helpers.comparison import compare_embeddings
from helpers.distances import cosine_distances, pairwise_distances
from helpers.embedding import LINEAR_METHODS, METHODS, Embedding, embed
from helpers.quality import demap, geodesic_distances, trajectory_continuity

# --- data of known shape --------------------------------------------------------------


def random_frame(p: int, d: int, seed: int) -> np.ndarray:
    """``d`` orthonormal rows in ``R^p``: puts low-dimensional shapes into p dimensions."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(p, d)))
    return q.T


def noisy_curve(n: int = 100, p: int = 50, noise: float = 0.02, seed: int = 0):
    """A smooth 1-D curve in p dimensions, plus noise; returns (X, position along it)."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 1, n))
    frame = random_frame(p, 3, seed)
    curve = np.c_[t, 0.3 * np.sin(np.pi * t), 0.2 * t**2] @ frame
    return curve + noise * rng.normal(size=(n, p)) + 1.0, t


def circle(n: int = 120, p: int = 30, noise: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    angle = np.sort(rng.uniform(0, 2 * np.pi, n))
    flat = np.c_[np.cos(angle), np.sin(angle)]
    return flat @ random_frame(p, 2, seed) + noise * rng.normal(size=(n, p)), flat


def trajectories(n_traj: int = 4, length: int = 25, p: int = 50, seed: int = 0):
    """A tiny jump and retrain: from an optimum, jump away, decay back with some
    wandering; returns X, trajectory ids, epochs."""
    rng = np.random.default_rng(seed)
    optimum = rng.normal(size=p) * 5
    decay = np.exp(-np.arange(length) / 6.0)[:, None]
    rows, ids, order = [], [], []
    for j in range(n_traj):
        jump = 2.0 * rng.normal(size=p)
        wander = np.cumsum(0.05 * rng.normal(size=(length, p)), axis=0)
        rows.append(optimum + jump * decay + wander)
        ids += [j] * length
        order += list(range(length))
    return np.vstack(rows), np.array(ids), np.array(order)


def shuffled(coordinates: np.ndarray, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).permutation(coordinates)


def rotate_scale(coordinates: np.ndarray, seed: int = 0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(2, 2)))
    return 7.5 * coordinates @ q + np.array([3.0, -2.0])


@pytest.fixture(scope="module")
def small_matrix() -> np.ndarray:
    X, _, _ = trajectories(n_traj=4, length=25, p=50, seed=1)  # 100 × 50
    return X


# --- distances ------------------------------------------------------------------------


def test_cosine_distances_on_a_memmap_match_sklearn_for_any_chunk(tmp_path):
    rng = np.random.default_rng(0)
    data = (rng.normal(size=(40, 237)) + 3.0).astype(np.float32)
    X = np.memmap(tmp_path / "x.f32", dtype=np.float32, mode="w+", shape=data.shape)
    X[:] = data
    X.flush()
    X = np.memmap(tmp_path / "x.f32", dtype=np.float32, mode="r", shape=data.shape)
    expected = sk_cosine_distances(data.astype(np.float64))
    results = [cosine_distances(X, chunk_columns=c) for c in (None, 1, 7, 100, 10_000)]
    for result in results:
        assert result.dtype == np.float64 and result.shape == (40, 40)
        np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10)
        np.testing.assert_array_equal(result, result.T)
        assert np.all(np.diag(result) == 0)
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], rtol=0, atol=1e-12)


def test_euclidean_distances_keep_digits_for_long_close_rows():
    # Rows of norm ~1e4 that differ by ~1e-2: |a|² + |b|² - 2a·b alone loses the
    # difference; the shift to the centroid keeps it.
    rng = np.random.default_rng(1)
    base = 1e3 * rng.normal(size=100)
    X = base + 1e-3 * rng.normal(size=(30, 100))
    np.testing.assert_allclose(pairwise_distances(X, "euclidean", chunk_columns=9),
                               cdist(X, X), rtol=1e-7, atol=0)


def test_centered_cosine_is_cosine_around_the_column_means():
    X = np.random.default_rng(2).normal(size=(25, 60)) + 2.0
    np.testing.assert_allclose(cosine_distances(X, center=True),
                               sk_cosine_distances(X - X.mean(axis=0)), atol=1e-10)
    assert np.abs(cosine_distances(X, center=True) - cosine_distances(X)).max() > 0.1


def test_zero_or_non_finite_rows_are_refused_naming_x():
    X = np.random.default_rng(0).normal(size=(10, 5))
    X[3] = 0.0
    with pytest.raises(ValueError, match=r"X must have no all-zero row.*row 3"):
        cosine_distances(X)
    assert np.isfinite(pairwise_distances(X, "euclidean")).all()  # fine for Euclidean
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="X must contain only finite"):
        pairwise_distances(X, "euclidean")


# --- embed: every method ----------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_each_method_gives_finite_coordinates_and_repeats_itself(method, small_matrix):
    first = embed(small_matrix, method, "cosine", random_state=3)
    again = embed(small_matrix, method, "cosine", random_state=3)
    assert isinstance(first, Embedding)
    assert first.coordinates.shape == (100, 2) and first.coordinates.dtype == np.float64
    assert np.isfinite(first.coordinates).all()
    assert np.ptp(first.coordinates, axis=0).min() > 0  # not collapsed
    np.testing.assert_array_equal(first.coordinates, again.coordinates)
    assert first.method == method and first.seconds > 0
    assert first.metric == ("euclidean" if method in LINEAR_METHODS else "cosine")
    assert first.settings["random_state"] == 3


@pytest.mark.parametrize("method", ["phate", "tsne"])
def test_euclidean_runs_and_differs_from_cosine(method, small_matrix):
    cosine = embed(small_matrix, method, "cosine")
    euclidean = embed(small_matrix, method, "euclidean")
    assert euclidean.metric == "euclidean" and np.isfinite(euclidean.coordinates).all()
    assert not np.allclose(cosine.coordinates, euclidean.coordinates)


def test_phate_uses_cosine_for_affinities_and_mds_and_reports_its_diagnostics(small_matrix):
    result = embed(small_matrix, "phate", "cosine")
    operator = result.estimator
    assert operator.knn_dist == "precomputed_distance" and operator.mds_dist == "cosine"
    assert operator.mds_solver == "smacof" and operator.knn == 15
    # PHATE was given exactly the cosine distances of the rows.
    np.testing.assert_allclose(operator.X, sk_cosine_distances(small_matrix), atol=1e-10)
    d = result.diagnostics
    assert d["diffusion_potential"].shape == (100, 100)
    assert isinstance(d["t"], int) and d["t"] == operator.optimal_t >= 1
    assert d["n_connected_components"] == 1
    fixed = embed(small_matrix, "phate", "cosine", t=7, mds_dist="euclidean")
    assert fixed.diagnostics["t"] == 7 and fixed.estimator.mds_dist == "euclidean"


def test_a_disconnected_phate_graph_warns_with_the_number_of_components():
    rng = np.random.default_rng(0)
    blobs = [rng.normal(size=(20, 10)) + 1000 * rng.normal(size=10) for _ in range(3)]
    X = np.vstack(blobs)
    with pytest.warns(UserWarning, match=r"3 connected components.*larger knn") as caught:
        result = embed(X, "phate", "euclidean", knn=5)
    assert [w.category for w in caught].count(UserWarning) >= 1
    assert result.diagnostics["n_connected_components"] == 3
    labels = result.diagnostics["component_labels"]
    assert len(set(labels[:20])) == 1 and len(set(labels)) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        embed(X[:20], "phate", "euclidean", knn=5)  # one blob: connected, no warning


def test_pca_matches_sklearn_up_to_sign_on_both_paths():
    rng = np.random.default_rng(4)
    for shape in ((30, 200), (200, 12)):  # p > n: from the Gram matrix; p <= n: sklearn
        X = rng.normal(size=shape) @ np.diag(np.linspace(3, 1, shape[1])) + 5
        result = embed(X, "pca", "cosine", n_components=3)
        reference = PCA(3).fit(X)
        expected = reference.transform(X)
        signs = np.sign(np.sum(result.coordinates * expected, axis=0))
        np.testing.assert_allclose(result.coordinates, expected * signs, atol=1e-8)
        np.testing.assert_allclose(result.diagnostics["explained_variance_ratio"],
                                   reference.explained_variance_ratio_, atol=1e-10)
        assert result.metric == "euclidean"


def test_random_plane_coordinates_are_coefficients_in_the_given_directions():
    rng = np.random.default_rng(5)
    p = 40
    d = rng.normal(size=(2, p))  # not orthogonal, not unit length
    origin = rng.normal(size=p)
    ab = rng.normal(size=(15, 2))
    X = np.vstack([origin, origin + ab @ d])
    result = embed(X, "random_plane", "cosine", directions=d, chunk_columns=7)
    np.testing.assert_allclose(result.coordinates, np.vstack([[0, 0], ab]), atol=1e-10)
    diag = result.diagnostics
    np.testing.assert_allclose(diag["direction_norms"], np.linalg.norm(d, axis=1))
    assert diag["captured_fraction"] == pytest.approx(1.0)
    assert result.metric == "euclidean" and diag["origin_index"] == 0
    # Off the plane, only the in-plane part is kept; it is a small part in 40-D.
    noisy = X + rng.normal(size=X.shape)
    assert embed(noisy, "random_plane", directions=d).diagnostics["captured_fraction"] < 0.5


def test_random_plane_default_directions_are_orthonormal_projections():
    X = np.random.default_rng(6).normal(size=(12, 30))
    result = embed(X, "random_plane", random_state=9, origin_index=4)
    rng = np.random.default_rng(9)
    q, _ = np.linalg.qr(rng.standard_normal((30, 2)))
    np.testing.assert_allclose(result.coordinates, (X - X[4]) @ q, atol=1e-12)
    np.testing.assert_allclose(result.diagnostics["direction_norms"], [1.0, 1.0])
    assert abs(result.diagnostics["direction_cosine"]) < 1e-12
    assert not np.allclose(embed(X, "random_plane", random_state=10).coordinates,
                           embed(X, "random_plane", random_state=9).coordinates)


class _Unreadable(np.ndarray):
    """An array that fails if its data are read: checks must come before any reading."""

    def __getitem__(self, key):
        raise AssertionError("data read before the arguments were checked")

    def __array__(self, *args, **kwargs):
        raise AssertionError("data read before the arguments were checked")


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"method": "isomap"}, "method"),
    ({"metric": "manhattan"}, "metric"),
    ({"n_components": 0}, "n_components"),
    ({"n_components": 2.0}, "n_components"),
    ({"random_state": -1}, "random_state"),
    ({"method": "phate", "knn": 0}, "knn"),
    ({"method": "phate", "knn": 99}, "knn"),
    ({"method": "phate", "t": "fast"}, "t"),
    ({"method": "phate", "mds_solver": "lbfgs"}, "mds_solver"),
    ({"method": "phate", "perplexity": 5}, "settings for method 'phate'"),
    ({"method": "tsne", "perplexity": 100}, "perplexity"),
    ({"method": "tsne", "init": "spectral"}, "init"),
    ({"method": "umap", "n_neighbors": 1}, "n_neighbors"),
    ({"method": "umap", "center": True, "metric": "euclidean"}, "center"),
    ({"method": "random_plane", "origin_index": 100}, "origin_index"),
    ({"method": "random_plane", "directions": np.ones((2, 7))}, "directions"),
    ({"method": "pca", "n_components": 51}, "n_components"),
    ({"chunk_columns": 0}, "chunk_columns"),
])
def test_bad_arguments_are_refused_by_name_before_reading_x(kwargs, name):
    X = np.zeros((100, 50)).view(_Unreadable)
    with pytest.raises(ValueError, match=name):
        embed(X, **kwargs)


def test_bad_x_is_refused():
    with pytest.raises(ValueError, match="X must be a 2-D"):
        embed(np.ones(10), "pca")
    with pytest.raises(ValueError, match="X must hold real numbers"):
        embed(np.array([["a", "b"]] * 5), "pca")


# --- DEMaP ---------------------------------------------------------------------------


def test_demap_is_exactly_one_on_a_straight_line_and_near_zero_shuffled():
    t = np.sort(np.random.default_rng(0).uniform(size=80))
    X = np.outer(t, random_frame(40, 1, 0)[0]) + 2.0
    assert demap(X, t[:, None], knn=6) == pytest.approx(1.0, abs=1e-12)
    assert abs(demap(X, shuffled(t[:, None]), knn=6)) < 0.15


def test_demap_ranks_the_true_curve_above_shuffled_and_pca_does_well():
    X, t = noisy_curve()
    true = np.c_[t, np.zeros_like(t)]
    faithful = demap(X, true, knn=10)
    assert faithful > 0.95
    assert abs(demap(X, shuffled(true), knn=10)) < 0.15
    assert demap(X, embed(X, "pca").coordinates, knn=10) > 0.9


def test_demap_on_a_circle_prefers_the_true_circle_to_a_shuffled_one():
    X, flat = circle(noise=0.0)
    assert demap(X, flat, knn=4) > 0.999
    noisy, flat = circle(noise=0.03)
    assert demap(noisy, flat, knn=8) > 0.95
    assert abs(demap(noisy, shuffled(flat), knn=8)) < 0.15


def test_demap_is_invariant_to_rotation_and_scale_and_accepts_distances():
    X, t = noisy_curve(seed=3)
    coordinates = np.c_[t, 0.1 * np.sin(7 * t)]
    value = demap(X, coordinates, knn=10)
    assert demap(X, rotate_scale(coordinates), knn=10) == pytest.approx(value, abs=1e-12)
    from sklearn.metrics import pairwise_distances as sk_distances

    assert demap(sk_distances(X), coordinates, knn=10, metric="precomputed") == \
        pytest.approx(value, abs=1e-10)
    assert demap(X, coordinates, knn=10, metric="cosine") == pytest.approx(
        demap(sk_cosine_distances(X), coordinates, knn=10, metric="precomputed"), abs=1e-10)


def test_demap_on_a_disconnected_graph_uses_pairs_within_components_and_says_so():
    rng = np.random.default_rng(1)
    a = np.outer(np.sort(rng.uniform(size=30)), np.ones(5))
    b = np.outer(np.sort(rng.uniform(size=30)), np.ones(5)) + 50.0
    X = np.vstack([a, b])
    coordinates = rng.normal(size=(60, 2))
    with pytest.warns(UserWarning, match=r"2 connected components.*870 of 1770 pairs"):
        value = demap(X, coordinates, knn=8)
    # Independent computation on the within-component pairs only.
    geodesic, embedded = [], []
    for block in (slice(0, 30), slice(30, 60)):
        g = cdist(X[block], X[block])  # a line: geodesic = Euclidean
        e = cdist(coordinates[block], coordinates[block])
        iu = np.triu_indices(30, 1)
        geodesic.append(g[iu])
        embedded.append(e[iu])
    # Pair order differs from pdist's, which Spearman's correlation ignores.
    expected = spearmanr(np.concatenate(geodesic), np.concatenate(embedded)).statistic
    assert value == pytest.approx(expected, abs=1e-12)


def test_geodesic_distances_follow_the_graph_and_keep_duplicates_connected():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    geodesic = geodesic_distances(square, knn=2)
    assert geodesic[0, 2] == pytest.approx(2.0)  # around the edge, not the diagonal
    duplicated = np.vstack([square, square[:1]])
    g = geodesic_distances(duplicated, knn=2)
    assert g[0, 4] == pytest.approx(0.0, abs=1e-300) and np.isfinite(g).all()


def test_demap_argument_checks():
    X, t = noisy_curve(n=20)
    with pytest.raises(ValueError, match="coordinates must have one row per row"):
        demap(X, np.zeros((19, 2)))
    with pytest.raises(ValueError, match="knn"):
        demap(X, np.zeros((20, 2)), knn=20)
    with pytest.raises(ValueError, match="metric"):
        demap(X, np.zeros((20, 2)), metric="geodesic")
    with pytest.raises(ValueError, match="coordinates must contain only finite"):
        demap(X, np.full((20, 2), np.nan))


# --- the DLA tree --------------------------------------------------------------------


def test_tree_phate_keeps_geodesics_and_branches_far_better_than_shuffled():
    phate = pytest.importorskip("phate")
    kwargs = {"n_dim": 20, "n_branch": 4, "branch_length": 40, "seed": 3}
    noisy, branch = phate.tree.gen_dla(sigma=0.5, **kwargs)
    clean, _ = phate.tree.gen_dla(sigma=0.0, **kwargs)  # the same tree without noise
    order = np.tile(np.arange(40), 4)
    coordinates = embed(noisy, "phate", "euclidean").coordinates
    faithful, mixed = demap(clean, coordinates, knn=10), demap(clean, shuffled(coordinates),
                                                                knn=10)
    assert faithful > 0.9 and abs(mixed) < 0.15
    kept = trajectory_continuity(coordinates, branch, order)
    assert kept > 0.6 > 0.15 > trajectory_continuity(shuffled(coordinates), branch, order)


# --- trajectory continuity ------------------------------------------------------------


def parallel_lines(n_lines: int = 3, length: int = 10) -> tuple[np.ndarray, ...]:
    t = np.arange(length, dtype=float)
    coordinates = np.vstack([np.c_[t, np.full(length, 100.0 * j)] for j in range(n_lines)])
    return coordinates, np.repeat(np.arange(n_lines), length), np.tile(t, n_lines)


def test_continuity_is_one_on_unbroken_trajectories_and_low_when_shuffled():
    coordinates, ids, order = parallel_lines()
    assert trajectory_continuity(coordinates, ids, order, k=2) == 1.0
    low = trajectory_continuity(shuffled(coordinates), ids, order, k=2)
    assert low < 0.3
    # The rows may come in any order: only ids and order say what is consecutive.
    perm = np.random.default_rng(1).permutation(len(ids))
    assert trajectory_continuity(coordinates[perm], ids[perm], order[perm], k=2) == 1.0


def test_continuity_counts_exactly_the_broken_pairs():
    coordinates, ids, order = parallel_lines(n_lines=2)
    coordinates[5:10, 1] = -1000.0  # trajectory 0 breaks between its points 4 and 5
    # 2 trajectories × 9 pairs × 2 directions = 36 checks; the break fails 2 of them.
    assert trajectory_continuity(coordinates, ids, order, k=2) == pytest.approx(34 / 36)
    per = trajectory_continuity(coordinates, ids, order, k=2, per_trajectory=True)
    assert isinstance(per, pd.Series)
    assert per.to_dict() == pytest.approx({0: 16 / 18, 1: 1.0})


def test_continuity_is_invariant_to_similarity_transforms_and_zero_when_collapsed():
    X, ids, order = trajectories(seed=2)
    coordinates = embed(X, "pca").coordinates
    value = trajectory_continuity(coordinates, ids, order)
    assert trajectory_continuity(rotate_scale(coordinates), ids, order) == value
    assert trajectory_continuity(np.zeros_like(coordinates), ids, order) == 0.0
    # On distances of the data themselves (the ceiling an embedding could reach).
    from sklearn.metrics import pairwise_distances as sk_distances

    data_value = trajectory_continuity(sk_distances(X), ids, order, metric="precomputed")
    assert trajectory_continuity(sk_distances(coordinates), ids, order,
                                 metric="precomputed") == value
    assert 0 <= value <= 1 and 0 <= data_value <= 1


def test_continuity_single_point_trajectories_and_errors():
    coordinates, ids, order = parallel_lines(n_lines=2)
    ids_with_optimum = ids.copy()
    ids_with_optimum[0] = -1  # a trajectory of one point: no pair, no effect
    assert trajectory_continuity(coordinates, ids_with_optimum, order, k=2) == 1.0
    with pytest.raises(ValueError, match="order must not repeat"):
        trajectory_continuity(coordinates, ids, np.zeros_like(order))
    with pytest.raises(ValueError, match="trajectory_ids must define"):
        trajectory_continuity(coordinates, np.arange(len(ids)), order)
    with pytest.raises(ValueError, match="trajectory_ids must be 1-D"):
        trajectory_continuity(coordinates, ids[:-1], order)
    with pytest.raises(ValueError, match="k must be"):
        trajectory_continuity(coordinates, ids, order, k=0)


# --- compare_embeddings -----------------------------------------------------------------


def test_compare_embeddings_agrees_with_the_separate_calls():
    X, ids, order = trajectories(n_traj=3, length=20, p=40, seed=4)
    table, embeddings = compare_embeddings(
        X, ["phate", "pca", "random_plane"], ["cosine", "euclidean"], ids, order,
        return_embeddings=True)
    assert list(table.columns) == ["method", "metric", "demap", "continuity", "seconds"]
    assert table[["method", "metric"]].values.tolist() == [
        ["phate", "cosine"], ["phate", "euclidean"], ["pca", "euclidean"],
        ["random_plane", "euclidean"]]
    for row in table.itertuples():
        result = embeddings[(row.method, row.metric)]
        again = embed(X, row.method, row.metric)
        np.testing.assert_allclose(result.coordinates, again.coordinates, atol=1e-9)
        assert row.demap == pytest.approx(demap(X, again.coordinates), abs=1e-9)
        assert row.continuity == pytest.approx(
            trajectory_continuity(again.coordinates, ids, order), abs=1e-12)
        assert row.seconds > 0
    assert table.attrs["gram_seconds"] > 0
    no_trajectories = compare_embeddings(X, ["pca"], ["cosine"],
                                         demap_metric="cosine")
    assert list(no_trajectories.columns) == ["method", "metric", "demap", "seconds"]


def test_compare_embeddings_argument_checks():
    X, ids, order = trajectories(n_traj=2, length=10, p=20)
    with pytest.raises(ValueError, match=r"methods\[1\]"):
        compare_embeddings(X, ["pca", "lle"])
    with pytest.raises(ValueError, match="metrics"):
        compare_embeddings(X, ["pca"], [])
    with pytest.raises(ValueError, match="trajectory_ids and order must be given together"):
        compare_embeddings(X, ["pca"], trajectory_ids=ids)
    with pytest.raises(ValueError, match="settings"):
        compare_embeddings(X, ["pca"], settings={"phate": {"knn": 5}})
    with pytest.raises(ValueError, match="demap_metric"):
        compare_embeddings(X, ["pca"], demap_metric="geodesic")
