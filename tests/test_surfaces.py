"""Loss surfaces, their grid graphs and merge trees, Chapter 7's study and its sentences.

Merge trees of grids are checked against merge_tree on graphs built here by explicit
loops, against ripser's H0 on a lower-star matrix built here, and against a brute-force
count of local minima.
"""

from __future__ import annotations

import copy
import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from ripser import ripser
from scipy import sparse
from torch import nn

from helpers import surface_charts, surface_report, surface_study
from helpers.cache import ArtifactCache
from helpers.directions import random_directions
from helpers.flat_parameters import flatten_parameters, load_flat_parameters
from helpers.hessian import HessianOperator, top_eigenvalues
from helpers.surface_charts import contour_segments, surface_heatmap, surface_panels
from helpers.surfaces import (
    Surface,
    closed_pairs,
    grid_coordinates,
    grid_graph,
    loss_surface,
    surface_merge_tree,
    tree_metrics,
)
from helpers.topology import merge_tree
from helpers.train import load_training_data

# --- grid graphs and merge trees -------------------------------------------------------------


def explicit_grid(rows: int, cols: int, connectivity: int) -> sparse.csr_matrix:
    steps = [(1, 0), (0, 1)] + ([(1, 1), (1, -1)] if connectivity == 8 else [])
    edges = []
    for i, j in itertools.product(range(rows), range(cols)):
        for di, dj in steps:
            k, m = i + di, j + dj
            if 0 <= k < rows and 0 <= m < cols:
                edges.append((i * cols + j, k * cols + m))
    n = rows * cols
    a = [e[0] for e in edges] + [e[1] for e in edges]
    b = [e[1] for e in edges] + [e[0] for e in edges]
    return sparse.csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))


def structure(graph: sparse.spmatrix) -> set[tuple[int, int]]:
    coo = graph.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (4, 3), (7, 7)])
def test_grid_graph_is_the_explicit_grid(shape, connectivity):
    graph = grid_graph(shape, connectivity)
    assert structure(graph) == structure(explicit_grid(*shape, connectivity))
    assert (graph != graph.T).nnz == 0


@pytest.mark.parametrize("connectivity", [4, 8])
def test_merge_tree_matches_explicit_graph_and_ripser(connectivity):
    rng = np.random.default_rng(connectivity)
    for _ in range(5):
        loss = rng.random((9, 11))
        tree = surface_merge_tree(loss, connectivity)
        reference = merge_tree(explicit_grid(9, 11, connectivity), loss.ravel())
        np.testing.assert_array_equal(tree.pairs, reference.pairs)
        np.testing.assert_array_equal(tree.minima, reference.minima)
        np.testing.assert_array_equal(tree.saddles, reference.saddles)
        # ripser's H0 of the lower-star filtration, matrix built here.
        graph = explicit_grid(9, 11, connectivity).tocoo()
        upper = graph.row < graph.col
        f = loss.ravel()
        rows = np.r_[graph.row[upper], np.arange(f.size)]
        cols = np.r_[graph.col[upper], np.arange(f.size)]
        values = np.r_[np.maximum(f[graph.row[upper]], f[graph.col[upper]]), f]
        h0 = ripser(sparse.coo_matrix((values, (rows, cols)), shape=(f.size, f.size)),
                    distance_matrix=True, maxdim=0)["dgms"][0]
        ours = tree.pairs[np.isfinite(tree.pairs[:, 1])]
        theirs = h0[np.isfinite(h0[:, 1])]
        ours, theirs = (p[np.lexsort((p[:, 1], p[:, 0]))] for p in (ours, theirs))
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_minima_are_the_strict_local_minima():
    rng = np.random.default_rng(7)
    loss = rng.random((12, 10))
    padded = np.pad(loss, 1, constant_values=np.inf)
    lower = np.ones_like(loss, dtype=bool)
    for di, dj in [(-1, 0), (1, 0), (0, -1), (0, 1)]:
        lower &= loss < padded[1 + di:13 + di, 1 + dj:11 + dj]
    tree = surface_merge_tree(loss, 4)
    assert set(tree.minima.tolist()) == set(np.flatnonzero(lower.ravel()).tolist())
    assert tree.n_saddles == tree.minima.size - 1  # one component


def test_more_neighbours_never_add_minima_or_saddles():
    rng = np.random.default_rng(3)
    for _ in range(10):
        loss = rng.random((8, 8))
        four, eight = surface_merge_tree(loss, 4), surface_merge_tree(loss, 8)
        assert set(eight.minima.tolist()) <= set(four.minima.tolist())
        assert eight.n_saddles <= four.n_saddles


def test_tree_metrics_of_a_known_grid():
    loss = np.array([[0.0, 3.0, 1.0], [4.0, 5.0, 4.0], [2.0, 4.0, 0.5]])
    metrics = tree_metrics(surface_merge_tree(loss))
    # Minima 0, 0.5, 1 and 2; they merge at 3 (1 into 0), 4 (2 into 0) and 4 (0.5 into 0).
    # Closed: the global minimum's pair ends at the maximum, 5.
    assert metrics == {"n_minima": 4, "n_saddles": 3,
                       "average_persistence": pytest.approx((2 + 2 + 3.5) / 3),
                       "closed_average_persistence": pytest.approx((2 + 2 + 3.5 + 5) / 4),
                       "max_persistence": 3.5, "loss_range": 5.0}


def test_closed_pairs_close_every_component_at_its_maximum():
    # Two components (no edge between the halves): each minimum pairs with its own maximum.
    graph = sparse.csr_matrix(([1.0] * 4, ([0, 1, 2, 3], [1, 0, 3, 2])), shape=(4, 4))
    tree = merge_tree(graph, [0.0, 2.0, 5.0, 1.0])
    np.testing.assert_array_equal(closed_pairs(tree), [[0.0, 2.0], [1.0, 5.0]])


# --- surfaces --------------------------------------------------------------------------------


def small_net() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.Flatten(), nn.Linear(4 * 36, 3))
    x, y = torch.randn(50, 1, 6, 6), torch.randint(0, 3, (50,))
    with torch.no_grad():
        net(x * 3 + 1)  # running statistics that differ from the batch's
    return net.eval(), x, y


def test_surface_centre_is_the_optimum_and_points_are_where_they_say():
    net, x, y = small_net()
    directions = random_directions(net, [3, 4])
    surface = loss_surface(net, x, y, directions, resolution=7, extent=0.6)
    with torch.no_grad():
        assert surface.center_loss == pytest.approx(nn.functional.cross_entropy(net(x), y).item(),
                                                    rel=1e-6)
    np.testing.assert_array_equal(surface.a, grid_coordinates(7, 0.6))
    theta = flatten_parameters(net)
    for i, j in [(0, 0), (6, 2), (1, 5)]:
        probe = copy.deepcopy(net)
        load_flat_parameters(probe, theta + surface.a[i] * directions[0]
                             + surface.b[j] * directions[1])
        with torch.no_grad():
            expected = nn.functional.cross_entropy(probe.eval()(x), y).item()
        assert surface.loss[i, j] == pytest.approx(expected, rel=1e-5)
    frame = surface.frame()
    assert len(frame) == 49 and frame.loss.iloc[8] == surface.loss[1, 1]
    slices = surface.slices()
    np.testing.assert_array_equal(slices[slices.direction == 1].loss, surface.loss[:, 3])


def test_loss_surface_refuses_bad_arguments():
    net, x, y = small_net()
    directions = random_directions(net, [0, 1])
    with pytest.raises(ValueError, match="resolution must be an odd"):
        loss_surface(net, x, y, directions, resolution=6)
    with pytest.raises(ValueError, match="directions must have shape"):
        loss_surface(net, x, y, directions[:1])
    with pytest.raises(ValueError, match="connectivity"):
        grid_graph((3, 3), connectivity=6)
    with pytest.raises(ValueError, match="loss must be a 2-D"):
        surface_merge_tree(np.zeros(4))


# --- the study: cached, filter-normalized, Hessian directions ---------------------------------

TINY = {"resolution": 5, "extent": 0.5, "hessian_extent": 0.2, "eval_samples": 30,
        "hessian_samples": 30, "top_k": 2, "eigen_iter": 30, "trace_probes": 3,
        "density_probes": 2, "density_steps": 6}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    cache = ArtifactCache(tmp_path_factory.mktemp("cache"))
    settings = surface_study.SurfaceSettings(**TINY)
    configs = surface_study.residual_configs(depth=8, seeds=[0], epochs=2, train_size=40)
    analyses, table = surface_study.analyze(configs, settings, progress=False, cache=cache)
    return cache, settings, configs, analyses, table


def test_study_surfaces_are_centred_filter_normalized_and_cached(study):
    cache, settings, configs, analyses, table = study
    analysis = analyses[("residual", 0)]
    optimum = analysis.optimum
    model = optimum.model()
    data = load_training_data(optimum.config)
    x, y = data.train_x[:30], data.train_y[:30]
    with torch.no_grad():
        centre = nn.functional.cross_entropy(model.eval()(x), y).item()
    for surface in analysis.surfaces.values():
        assert surface.center_loss == pytest.approx(centre, rel=1e-5)
    # The random directions are filter-normalized: each filter as long as the weights'.
    directions = random_directions(model, [0, 1])
    offset = 0
    for name, p in model.named_parameters():
        block = directions[0][offset:offset + p.numel()].reshape(p.shape)
        if p.ndim > 1:
            np.testing.assert_allclose(np.linalg.norm(block.reshape(len(block), -1), axis=1),
                                       p.detach().reshape(len(p), -1).norm(dim=1).numpy(),
                                       rtol=1e-5)
        else:
            assert not block.any(), name
        offset += p.numel()
    # ... and they are the ones the surface used.
    corner = loss_surface(model, x, y, directions, resolution=5, extent=0.5).loss
    np.testing.assert_allclose(analysis.surfaces["random"].loss, corner, rtol=1e-6)
    # The Hessian directions are unit eigenvectors.
    vectors = analysis.spectrum.eigenvectors_
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # Everything comes back from the cache, identical.
    again = surface_study.analyze_optimum(configs[("residual", 0)], settings, progress=False,
                                          cache=cache)
    np.testing.assert_array_equal(again.surfaces["hessian"].loss,
                                  analysis.surfaces["hessian"].loss)
    np.testing.assert_array_equal(again.spectrum.trace_samples_,
                                  analysis.spectrum.trace_samples_)
    assert list(table["key_0"]) == ["residual", "plain"]
    assert {"n_saddles_random", "top_eigenvalue", "trace"} <= set(table.columns)


def test_hessian_slices_touch_their_parabola(study):
    _, settings, _, analyses, _ = study
    slices = surface_charts.slices_frame(analyses)
    centre = slices[(slices.kind == "hessian") & (slices.t == 0)]
    np.testing.assert_allclose(centre.model, centre.loss, rtol=1e-5)
    assert slices[slices.kind == "random"].model.isna().all()
    curvatures = surface_study.slice_curvatures(slices)
    assert len(curvatures) == 4  # two networks × two directions
    expected = np.concatenate([analyses[key].spectrum.eigenvalues_[:2] for key in analyses])
    np.testing.assert_allclose(curvatures.eigenvalue, expected, rtol=1e-6)


def test_smooth_surface_bends_as_the_eigenvalues_say():
    # A smooth (tanh) network: the second difference along a unit eigenvector over a small
    # step is the eigenvalue. (ReLU networks have kinks that a Hessian does not see.)
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
    x, y = torch.randn(60, 5), torch.randint(0, 3, (60,))
    values, vectors = top_eigenvalues(HessianOperator(net, x, y), k=2, tol=1e-8,
                                      max_iter=57)
    surface = loss_surface(net, x, y, vectors, resolution=5, extent=0.1, kind="hessian")
    step = surface.a[1] - surface.a[0]
    for k, line in enumerate([surface.loss[:, 2], surface.loss[2, :]]):
        second = (line[3] - 2 * line[2] + line[1]) / step ** 2
        assert second == pytest.approx(values[k], rel=0.02)


def test_study_frames(study):
    _, _, _, analyses, _ = study
    estimates = surface_charts.estimates_frame(analyses)
    assert set(estimates.quantity) == {"trace (Hutchinson probe)", "top eigenvalue (SLQ probe)"}
    assert len(estimates) == 2 * (3 + 2)
    densities = surface_charts.densities_frame(analyses, n_points=1000)
    for _, group in densities.groupby(["network", "probe"]):
        assert np.trapezoid(group.density, group.eigenvalue) == pytest.approx(1.0, abs=1e-3)


def test_settings_name_the_chapter_parameter():
    for changes, name in [({"resolution": 4}, "resolution"), ({"extent": 0}, "extent"),
                          ({"connectivity": 6}, "connectivity"),
                          ({"directions": ["random", "pca"]}, "directions"),
                          ({"top_k": 1}, "top_k"), ({"trace_probes": 0}, "trace_probes"),
                          ({"eigen_method": "qr"}, "eigen_method"),
                          ({"hessian_samples": 0}, "hessian_samples")]:
        with pytest.raises(ValueError, match=name):
            surface_study.SurfaceSettings(**changes)
    assert surface_study.SurfaceSettings(directions=["random"], top_k=1).top_k == 1
    with pytest.raises(ValueError, match="unknown setting"):
        surface_study.preset_settings("workshop", resolutions=3)
    with pytest.raises(ValueError, match="train_epochs"):
        surface_study.preset_settings("workshop", train_epochs=0)
    with pytest.raises(ValueError, match="preset"):
        surface_study.preset_settings("huge")


# --- residual against plain, and every sentence ----------------------------------------------


def comparison_table(saddles_plain: list[int], eigen_plain: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"key_0": ["residual", "plain"] * 2, "seed": [0, 0, 1, 1],
                         "n_saddles_random": [0, saddles_plain[0], 0, saddles_plain[1]],
                         "closed_average_persistence_random": [0.2, 0.1, 0.2, 0.1],
                         "top_eigenvalue": [5.0, eigen_plain[0], 5.0, eigen_plain[1]],
                         "trace": [10.0, 20.0, 10.0, 30.0]})


def test_comparison_holds_in_part_or_not():
    holds = surface_study.residual_comparison(comparison_table([2, 1], [9.0, 8.0]))
    assert list(holds.outcome) == ["holds"] * 4
    assert surface_report.comparison_sentence(holds).startswith("002's finding **holds** here")
    mixed = surface_study.residual_comparison(comparison_table([0, 0], [4.0, 3.0]))
    assert list(mixed.outcome) == ["equal", "holds", "reversed", "holds"]
    text = surface_report.comparison_sentence(mixed)
    assert "holds **in part**" in text
    assert "a smaller top eigenvalue (lower in 2 of 2 seeds)" in text
    assert "the same number of saddles (random surface; mean 0 for both)" in text
    reversed_ = mixed[mixed.outcome != "holds"]
    assert "**does not hold**" in surface_report.comparison_sentence(reversed_)
    with pytest.raises(ValueError, match="both architectures"):
        surface_study.residual_comparison(comparison_table([0, 0], [1, 1]).iloc[:1])


def test_dense_check_sentence_branches():
    rows = {"quantity": ["H v", "eigenvalue 1 (Lanczos)", "trace (Hutchinson, 9 probes)"],
            "matrix_free": [1.0, 2.0, 12.0], "dense": [1.0, 2.0, 10.0],
            "standard_error": [np.nan, np.nan, 1.0]}
    good = surface_report.dense_check_sentence(
        pd.DataFrame({**rows, "relative_error": [1e-15, 1e-9, 0.2]}), 100)
    assert "**agrees**" in good and "2 standard errors off, as a random" in good
    bad = surface_report.dense_check_sentence(
        pd.DataFrame({**rows, "relative_error": [1e-15, 1e-3, 0.2],
                      "matrix_free": [1.0, 2.0, 20.0]}), 100)
    assert "**disagree**" in bad and "eigenvalue 1 (Lanczos)" in bad and "more than expected" in bad


def test_taylor_sentence_branches():
    off = pd.DataFrame({"ratio": [0.5, 1.0], "step": [0.1, 0.1]})
    assert "not quadratic" in surface_report.taylor_sentence(off, True)
    assert "a guide, not a check" in surface_report.taylor_sentence(off, False)


def test_tree_summary_branches():
    table = pd.DataFrame({"architecture": ["residual"] * 2 + ["plain"] * 2,
                          "n_minima_random": [1, 1, 2, 2], "n_saddles_random": [0, 0, 1, 1],
                          "closed_average_persistence_random": [9.0, 9.0, 0.5, 0.3]})
    assert surface_report.tree_summary(table, "residual", "random").startswith(
        "a single minimum, no saddle, in every seed")
    assert surface_report.tree_summary(table, "plain", "random") == (
        "2 minima, 1 saddles, average persistence 0.4 (random surfaces, 2 seeds)")


def test_jr_sentence_branches():
    T = SimpleNamespace
    surface = T(values=np.zeros(25), minima=np.zeros(1), n_saddles=0)
    for saddles, word in [(3, "**more** saddles than"), (0, "**as many** saddles as")]:
        jr = T(values=np.zeros(17), minima=np.zeros(saddles + 1), n_saddles=saddles)
        assert word in surface_report.jr_sentence(surface, jr, "random")
    rough = T(values=np.zeros(25), minima=np.zeros(4), n_saddles=3)
    assert "**fewer** saddles than" in surface_report.jr_sentence(rough, surface, "hessian")


def test_optima_and_scale_sentences():
    table = pd.DataFrame({"top_eigenvalue": [3.0, 9.0], "trace": [40.0, 20.0],
                          "n_saddles_random": [2, 0]}, index=["good", "bad"])
    assert "most saddles is the good optimum's (2)" in surface_report.optima_sentence(
        table, "random")
    assert surface_report.scale_sentence("paper", 20, "cifar10").startswith(
        "This run is at the paper's scale")
    assert "far smaller" in surface_report.scale_sentence("paper", 8, "cifar10")


# --- charts ----------------------------------------------------------------------------------


def test_contours_lie_on_their_level():
    x, y = np.linspace(-1, 1, 9), np.linspace(-2, 2, 11)
    values = np.add.outer(x ** 2, 0.5 * y ** 2)
    segments = contour_segments(values, x, y, [0.3, 1.0])
    assert len(segments) > 0

    def bilinear(px: float, py: float) -> float:
        i = min(np.searchsorted(x, px, side="right") - 1, len(x) - 2)
        j = min(np.searchsorted(y, py, side="right") - 1, len(y) - 2)
        tx, ty = (px - x[i]) / (x[i + 1] - x[i]), (py - y[j]) / (y[j + 1] - y[j])
        return ((1 - tx) * (1 - ty) * values[i, j] + tx * (1 - ty) * values[i + 1, j]
                + (1 - tx) * ty * values[i, j + 1] + tx * ty * values[i + 1, j + 1])

    for row in segments.itertuples():
        assert bilinear(row.x, row.y) == pytest.approx(row.level, abs=1e-9)
        assert bilinear(row.x2, row.y2) == pytest.approx(row.level, abs=1e-9)
    # A saddle cell: corners alternate, the mean decides the pairing (two segments).
    saddle = contour_segments(np.array([[1.0, 0.0], [0.0, 1.0]]), [0, 1], [0, 1], [0.5])
    assert len(saddle) == 2


def test_charts_fit_the_page():
    t = grid_coordinates(5, 1.0)
    loss = 0.1 + np.add.outer(t ** 2, t ** 2)
    surface = Surface("random", t, t, loss, np.ones_like(loss))
    tree = surface_merge_tree(loss)
    chart = surface_heatmap(surface, "bowl", tree=tree).to_dict()
    assert chart["width"] <= 680
    panels = surface_panels({"a": (surface, tree), "b": (surface, None)}, columns=2,
                            size=220).to_dict()
    assert len(panels["vconcat"]) == 1 and len(panels["vconcat"][0]["hconcat"]) == 2
