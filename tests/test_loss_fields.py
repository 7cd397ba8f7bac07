"""Tests of helpers.loss_fields: graphs of the inputs, diagrams of fields, controls, images.

Checked against independent computations: diagrams against ripser, graphs against
scikit-learn, images against their linearity in the point sets.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.neighbors import kneighbors_graph

from helpers import loss_fields
from helpers.cache import ArtifactCache
from helpers.data import load_dataset
from helpers.graphs import knn_graph
from helpers.topology import lower_star_persistence, merge_tree


def random_graph(seed: int, n: int = 60, k: int = 4) -> sparse.csr_matrix:
    points = np.random.default_rng(seed).normal(size=(n, 3))
    return knn_graph(points, k=k)


def finite(diagram: np.ndarray) -> np.ndarray:
    rows = diagram[np.all(np.isfinite(diagram), axis=1)]
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


# -------------------------------------------------------------------------- diagrams


@pytest.mark.parametrize("seed", range(5))
def test_join_of_f_is_split_of_minus_f(seed):
    graph = random_graph(seed)
    f = np.random.default_rng(100 + seed).normal(size=graph.shape[0])
    np.testing.assert_array_equal(merge_tree(graph, f, "join").pairs,
                                  -merge_tree(graph, -f, "split").pairs)
    np.testing.assert_array_equal(loss_fields.tree_diagram(graph, f, "join"),
                                  loss_fields.tree_diagram(graph, -f, "split"))
    np.testing.assert_array_equal(loss_fields.tree_diagram(graph, f, "split"),
                                  loss_fields.tree_diagram(graph, -f, "join"))
    for kind in ("join", "split"):
        diagram = loss_fields.tree_diagram(graph, f, kind)
        assert len(diagram) and np.all(diagram[:, 1] > diagram[:, 0])


@pytest.mark.parametrize("seed", range(3))
def test_tree_diagrams_equal_ripsers_h0(seed):
    graph = random_graph(seed, n=80, k=5)
    f = np.random.default_rng(seed).random(graph.shape[0])
    (join_h0,) = lower_star_persistence(graph, f, maxdim=0)
    (split_h0,) = lower_star_persistence(graph, -f, maxdim=0)
    np.testing.assert_allclose(finite(loss_fields.tree_diagram(graph, f, "join")), finite(join_h0),
                               atol=1e-6)
    np.testing.assert_allclose(finite(loss_fields.tree_diagram(graph, f, "split")),
                               finite(split_h0), atol=1e-6)


def test_birth_persistence_is_in_loss_units():
    graph = random_graph(0)
    f = np.random.default_rng(1).random(graph.shape[0])
    split = loss_fields.birth_persistence(loss_fields.tree_diagram(graph, f, "split"), "split")
    tree = merge_tree(graph, f, "split")
    maxima_values = {float(v) for v in f[tree.minima]}  # a split tree's leaves are maxima
    assert {float(b) for b in split[:, 0]} <= maxima_values
    assert np.all(split[:, 1] > 0)
    with pytest.raises(ValueError, match="kind"):
        loss_fields.birth_persistence(split, "contour")



def test_epoch_topology_checks_its_arguments():
    graph = random_graph(0)
    with pytest.raises(ValueError, match="p must be"):
        loss_fields.epoch_topology(graph, np.zeros((2, 60)), p=0)
    with pytest.raises(ValueError, match="kind"):
        loss_fields.epoch_topology(graph, np.zeros((2, 60)), "contour")
    with pytest.raises(ValueError, match="fields must be a 2-D"):
        loss_fields.epoch_topology(graph, np.zeros(60))
    with pytest.raises(ValueError, match="one entry per vertex"):
        loss_fields.epoch_topology(graph, np.zeros((2, 59)))
    assert np.isnan(loss_fields.epoch_topology(graph, np.zeros((2, 60)), distances=False)
                    .wasserstein).all()


# -------------------------------------------------------------------------- controls


def test_shuffle_control_preserves_each_epochs_loss_multiset():
    losses = np.random.default_rng(0).gamma(1.0, size=(6, 200)).astype(np.float32)
    shuffled = loss_fields.control_values(losses, "shuffle", seed=3)
    np.testing.assert_array_equal(np.sort(shuffled, axis=1), np.sort(losses, axis=1))
    assert not np.array_equal(shuffled, losses)
    # each epoch gets its own permutation
    orders = [tuple(np.argsort(np.argsort(losses[e]))[np.argsort(shuffled[e])]) for e in (0, 1)]
    assert orders[0] != orders[1]
    np.testing.assert_array_equal(shuffled, loss_fields.control_values(losses, "shuffle", seed=3))
    assert not np.array_equal(shuffled, loss_fields.control_values(losses, "shuffle", seed=4))


def test_rank_control_keeps_the_order_and_drops_the_scale():
    losses = np.random.default_rng(1).gamma(1.0, size=(4, 50)) * np.array([[10], [1], [0.1],
                                                                            [0.01]])
    ranks = loss_fields.control_values(losses, "rank")
    expected = np.arange(1, 51) / 50
    for e in range(4):
        np.testing.assert_allclose(np.sort(ranks[e]), expected)  # same values every epoch
        np.testing.assert_array_equal(np.argsort(ranks[e]), np.argsort(losses[e]))
    tied = loss_fields.control_values(np.array([[1.0, 1.0, 2.0]]), "rank")
    np.testing.assert_allclose(tied, [[0.5, 0.5, 1.0]])


def test_control_values_checks_its_arguments():
    with pytest.raises(ValueError, match="variant must be one of"):
        loss_fields.control_values(np.zeros((2, 3)), "none")
    with pytest.raises(ValueError, match="losses must be a 2-D"):
        loss_fields.control_values(np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        loss_fields.control_values(np.array([[np.nan, 1.0]]))
    np.testing.assert_array_equal(loss_fields.control_values(np.ones((2, 3))), np.ones((2, 3)))


# ---------------------------------------------------------------------------- graphs


def test_input_graph_equals_scikit_learns_symmetrized_knn_graph(tmp_path):
    data = load_dataset("digits", train_size=80)
    # Digits have integer pixels and tied distances; jitter them so that the k nearest
    # are unique and both implementations must find the same ones.
    noise = torch.from_numpy(np.random.default_rng(0).normal(0, 1e-3, data.train_x.shape))
    jittered = dataclasses.replace(data, train_x=data.train_x + noise.float())
    graph = loss_fields.input_graph(jittered, "train", k=6, cache=ArtifactCache(tmp_path))
    reference = kneighbors_graph(jittered.train_x.reshape(80, -1).numpy(), 6)
    reference = ((reference + reference.T) > 0).astype(float)
    assert (graph.astype(bool) != reference.astype(bool)).nnz == 0
    degree = np.diff(graph.indptr)
    assert degree.min() >= 6


def test_input_graph_is_cached_and_checked(tmp_path):
    cache = ArtifactCache(tmp_path)
    data = load_dataset("digits", train_size=30)
    first = loss_fields.input_graph(data, "test", k=3, cache=cache)
    assert first.shape == (data.n_test, data.n_test)
    assert (tmp_path / "lr-graph").is_dir()
    again = loss_fields.input_graph(data, "test", k=3, cache=cache)
    assert (first != again).nnz == 0
    with pytest.raises(ValueError, match="which must be one of"):
        loss_fields.input_graph(data, "validation", k=3, cache=cache)
    with pytest.raises(ValueError, match="k must be an integer <= 29"):
        loss_fields.input_graph(data, "train", k=30, cache=cache)


def test_graph_summary_counts_components_and_degrees():
    two_paths = sparse.block_diag([sparse.diags([1.0, 1.0], [-1, 1], shape=(3, 3))] * 2).tocsr()
    row = loss_fields.graph_summary({"train": two_paths}, k=1).loc["train"]
    assert (row["vertices"], row["edges"], row["components"]) == (6, 4, 2)
    assert (row["min degree"], row["max degree"]) == (1, 2)



def test_heatmap_frame_is_linear_in_the_point_sets():
    a, b = np.array([[0.2, 0.5]]), np.array([[0.6, 0.3], [0.1, 0.1]])
    frame = loss_fields.heatmap_frame({("a",): [a], ("b",): [b], ("ab",): [a, b]}, ["group"],
                                   resolution=12)
    image = {g: rows["intensity"].to_numpy() for g, rows in frame.groupby("group")}
    np.testing.assert_allclose(image["ab"], (image["a"] + image["b"]) / 2, atol=1e-12)
    peak = frame[frame["group"] == "a"].sort_values("intensity").iloc[-1]
    assert peak["birth"] <= 0.2 <= peak["birth_end"]
    assert peak["persistence"] <= 0.5 <= peak["persistence_end"]
    with pytest.raises(ValueError, match=r"groups must map tuples of 1 labels \(\['group'\]\)"):
        loss_fields.heatmap_frame({("a", 1): [a]}, ["group"])
    with pytest.raises(ValueError, match="non-empty lists"):
        loss_fields.heatmap_frame({("a",): []}, ["group"])
    with pytest.raises(ValueError, match="resolution must be an integer >= 8"):
        loss_fields.heatmap_frame({("a",): [a]}, ["group"], resolution=4)
