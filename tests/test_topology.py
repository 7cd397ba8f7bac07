"""Tests of helpers.topology: kNN graphs, lower-star persistence, merge trees.

Several tests exist to make the three mistakes of the paper's public code
impossible: a kNN graph of the *farthest* points, loss values assigned to
vertices off by one, and mutual neighbours turned into duplicate edges.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from ripser import ripser
from scipy import sparse
from scipy.sparse.csgraph import connected_components as scipy_components
from scipy.spatial.distance import cdist

from helpers.distances import potential_distances
from helpers.graphs import connected_components, knn_graph
from helpers.topology import (
    DIAGRAM_METRICS,
    EssentialPointsWarning,
    MergeTree,
    average_persistence,
    diagram_distance,
    lower_star_persistence,
    merge_tree,
    persistence_image,
    total_persistence,
)

PATH_VALUES = [0.0, 3.0, 1.0, 4.0, 2.0]


def graph_from_edges(edges: list[tuple[int, int]], n: int) -> sparse.csr_matrix:
    """A simple undirected graph built without the module under test."""
    rows = [a for a, b in edges] + [b for a, b in edges]
    cols = [b for a, b in edges] + [a for a, b in edges]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def path_graph(n: int) -> sparse.csr_matrix:
    return graph_from_edges([(i, i + 1) for i in range(n - 1)], n)


def random_graph(rng: np.random.Generator, n: int, p: float) -> sparse.csr_matrix:
    upper = np.triu(rng.random((n, n)) < p, k=1)
    return sparse.csr_matrix((upper | upper.T).astype(np.float64))


def finite(diagram: np.ndarray) -> np.ndarray:
    rows = diagram[np.all(np.isfinite(diagram), axis=1)]
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


def structure(graph: sparse.spmatrix) -> set[tuple[int, int]]:
    coo = graph.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


def brute_force_knn_pairs(D: np.ndarray, k: int) -> set[tuple[int, int]]:
    """Unordered pairs of the directed kNN relation, by stably sorting each row."""
    D = D.astype(np.float64).copy()
    np.fill_diagonal(D, np.inf)
    neighbours = np.argsort(D, axis=1, kind="stable")[:, :k]
    return {(min(i, j), max(i, j)) for i in range(len(D)) for j in neighbours[i].tolist()}


def quiet_knn(*args, **kwargs) -> sparse.csr_matrix:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return knn_graph(*args, **kwargs)


# ----------------------------------------------------------------- hand examples


def test_path_diagram_matches_hand_computation():
    # Sub-level sets of 0-3-1-4-2 on a path: minima at 0, 1, 2 (vertices 0, 2, 4);
    # vertex 1 (value 3) merges {0} and {2}: the younger (birth 1) dies at 3;
    # vertex 3 (value 4) merges the rest with {4}: birth 2 dies at 4.
    h0, h1 = lower_star_persistence(path_graph(5), PATH_VALUES)
    np.testing.assert_array_equal(h0, [[0.0, np.inf], [1.0, 3.0], [2.0, 4.0]])
    assert h1.shape == (0, 2)
    assert h0.dtype == np.float64


def test_join_tree_of_path_by_hand():
    tree = merge_tree(path_graph(5), PATH_VALUES)
    assert isinstance(tree, MergeTree) and tree.kind == "join"
    np.testing.assert_array_equal(tree.pairs, [[0.0, np.inf], [1.0, 3.0], [2.0, 4.0]])
    assert tree.minima.tolist() == [0, 2, 4]
    assert tree.saddles.tolist() == [1, 3]
    assert tree.n_saddles == 2
    assert tree.average_persistence == 2.0
    # Augmented tree: 0 and 2 hang below 1, 1 and 4 below 3, 3 is the root.
    assert tree.parent.tolist() == [1, 3, 1, -1, 3]
    assert sorted(map(tuple, tree.edges.tolist())) == [(0, 1), (1, 3), (2, 1), (4, 3)]
    assert tree.n_components == 1


def test_split_tree_of_path_by_hand():
    # Super-level sets: maxima 4 (vertex 3) and 3 (vertex 1); vertex 2 (value 1)
    # joins them and the younger (born at 3) dies at 1.
    tree = merge_tree(path_graph(5), PATH_VALUES, kind="split")
    np.testing.assert_array_equal(tree.pairs, [[4.0, -np.inf], [3.0, 1.0]])
    assert tree.minima.tolist() == [3, 1]
    assert tree.saddles.tolist() == [2]
    assert tree.average_persistence == 2.0


def test_saddle_counted_with_multiplicity():
    # A star: three leaves (1, 2, 3) meet at the centre (10), then a tail vertex.
    graph = graph_from_edges([(0, 1), (0, 2), (0, 3), (0, 4)], 5)
    tree = merge_tree(graph, [10.0, 1.0, 2.0, 3.0, 11.0])
    assert tree.saddles.tolist() == [0, 0]
    assert tree.n_saddles == 2
    assert sorted(tree.minima.tolist()) == [1, 2, 3]
    np.testing.assert_array_equal(tree.pairs, [[1.0, np.inf], [2.0, 10.0], [3.0, 10.0]])
    assert tree.average_persistence == 7.5
    assert sorted(map(tuple, tree.critical_edges().tolist())) == [(0, 4), (1, 0), (2, 0), (3, 0)]


def test_h1_is_of_the_clique_complex_not_of_graph_cycles():
    cycle = [(0, 1), (1, 2), (2, 3), (3, 0)]
    values = [0.0, 1.0, 2.0, 3.0]
    # A bare 4-cycle closes at 3 and is never filled: an infinite H1 bar, kept.
    h1 = lower_star_persistence(graph_from_edges(cycle, 4), values)[1]
    np.testing.assert_array_equal(h1, [[3.0, np.inf]])
    # With the diagonal 0-2 both triangles enter by 3: no class at all.
    h1 = lower_star_persistence(graph_from_edges(cycle + [(0, 2)], 4), values)[1]
    assert h1.shape == (0, 2)
    # A cone vertex (value 5) fills the cycle when it enters: the class dies at 5,
    # although the graph has more cycles than before.
    wheel = cycle + [(i, 4) for i in range(4)]
    h1 = lower_star_persistence(graph_from_edges(wheel, 5), values + [5.0])[1]
    np.testing.assert_array_equal(h1, [[3.0, 5.0]])


def test_infinite_bars_are_kept_one_per_component():
    # Components {0, 1, 2}, {3, 4}, {5}: three infinite H0 bars born at their minima.
    graph = graph_from_edges([(0, 1), (1, 2), (3, 4)], 6)
    values = [2.0, 1.0, 3.0, 7.0, 4.0, 9.0]
    h0 = lower_star_persistence(graph, values, maxdim=0)[0]
    infinite = h0[~np.isfinite(h0[:, 1])]
    assert np.all(np.isposinf(infinite[:, 1]))  # inf, not NaN, not dropped
    assert sorted(infinite[:, 0].tolist()) == [1.0, 4.0, 9.0]
    tree = merge_tree(graph, values)
    assert tree.n_components == 3 == connected_components(graph)
    assert sorted(tree.pairs[np.isinf(tree.pairs[:, 1]), 0].tolist()) == [1.0, 4.0, 9.0]


def test_edges_whose_filtration_value_is_zero_still_join():
    # A sparse matrix drops zero entries easily; an edge entering at 0 must stay.
    h0 = lower_star_persistence(path_graph(3), [0.0, 0.0, -1.0], maxdim=0)[0]
    np.testing.assert_array_equal(h0, [[-1.0, np.inf]])
    h0 = lower_star_persistence(path_graph(3), [0.0, 0.0, 0.0], maxdim=0)[0]
    np.testing.assert_array_equal(h0, [[0.0, np.inf]])


def test_merge_tree_is_exact_where_ripser_rounds_to_float32():
    # Two minima 0 and 1 separated by a barrier 1e-12 above 1: the pair
    # (1, 1 + 1e-12) is real but vanishes in ripser's float32 arithmetic.
    values = [0.0, 1.0 + 1e-12, 1.0]
    tree = merge_tree(path_graph(3), values)
    np.testing.assert_array_equal(finite(tree.pairs), [[1.0, 1.0 + 1e-12]])
    assert finite(lower_star_persistence(path_graph(3), values)[0]).shape == (0, 2)


# -------------------------------------------- merge trees against ripser, at random


def test_merge_tree_h0_equals_ripser_on_random_graphs():
    rng = np.random.default_rng(0)
    for trial in range(30):
        n = int(rng.integers(2, 70))
        graph = random_graph(rng, n, p=float(rng.uniform(0.02, 0.3)))
        if trial % 3 == 0:
            values = rng.integers(-3, 4, size=n).astype(np.float64)  # many ties
        else:
            # float32-representable, so ripser's rounding changes nothing
            values = (rng.normal(size=n) * 10).astype(np.float32).astype(np.float64)
        h0 = lower_star_persistence(graph, values, maxdim=0)[0]
        tree = merge_tree(graph, values)
        np.testing.assert_array_equal(finite(tree.pairs), finite(h0))

        n_components, labels = scipy_components(graph, directed=False)
        minima_of_components = sorted(values[labels == c].min() for c in range(n_components))
        assert np.count_nonzero(np.isinf(h0[:, 1])) == n_components
        assert sorted(h0[np.isinf(h0[:, 1]), 0].tolist()) == minima_of_components
        assert sorted(tree.pairs[np.isinf(tree.pairs[:, 1]), 0].tolist()) == minima_of_components
        assert tree.n_components == n_components

        # Leaves: no neighbour earlier in the sweep (value, then index).
        dense = graph.toarray() > 0
        earlier = (values[None, :] < values[:, None]) | (
            (values[None, :] == values[:, None])
            & (np.arange(n)[None, :] < np.arange(n)[:, None]))
        leaves = np.flatnonzero(~np.any(dense & earlier, axis=1))
        assert sorted(tree.minima.tolist()) == leaves.tolist()
        assert len(tree.minima) == tree.n_saddles + n_components


def test_merge_tree_parent_array_is_a_tree_consistent_with_critical_points():
    rng = np.random.default_rng(1)
    for _ in range(10):
        n = int(rng.integers(3, 60))
        graph = random_graph(rng, n, p=0.1)
        values = rng.random(n)
        tree = merge_tree(graph, values)
        _, labels = scipy_components(graph, directed=False)
        child = np.flatnonzero(tree.parent >= 0)
        # Parents come later in the sweep and lie in the same component.
        assert np.all(values[tree.parent[child]] > values[child])
        assert np.all(labels[tree.parent[child]] == labels[child])
        assert tree.edges.shape == (n - tree.n_components, 2)
        # Leaves have no children; a vertex with c >= 2 children is a saddle c - 1 times.
        children = np.bincount(tree.parent[child], minlength=n)
        assert sorted(tree.minima.tolist()) == np.flatnonzero(children == 0).tolist()
        expected = np.repeat(np.arange(n), np.maximum(children - 1, 0))
        assert sorted(tree.saddles.tolist()) == expected.tolist()


def test_split_tree_is_the_join_tree_of_negated_values():
    rng = np.random.default_rng(2)
    for trial in range(10):
        n = int(rng.integers(2, 60))
        graph = random_graph(rng, n, p=0.15)
        values = (rng.integers(0, 5, size=n).astype(np.float64) if trial % 2
                  else rng.random(n).astype(np.float32).astype(np.float64))
        split = merge_tree(graph, values, kind="split")
        join = merge_tree(graph, -values, kind="join")
        assert split.kind == "split"
        np.testing.assert_array_equal(split.pairs, -join.pairs)
        np.testing.assert_array_equal(split.minima, join.minima)
        np.testing.assert_array_equal(split.saddles, join.saddles)
        np.testing.assert_array_equal(split.parent, join.parent)
        # and, independently, ripser's H0 of the negated values, negated back
        h0 = lower_star_persistence(graph, -values, maxdim=0)[0]
        np.testing.assert_array_equal(finite(-split.pairs), finite(h0))
        assert np.all(split.pairs[np.isfinite(split.pairs[:, 1]), 0]
                      > split.pairs[np.isfinite(split.pairs[:, 1]), 1])
        assert np.all(np.isneginf(split.pairs[~np.isfinite(split.pairs[:, 1]), 1]))


# ---------------------------------------------------- values belong to their vertex


def test_relabelling_vertices_with_their_values_changes_nothing():
    rng = np.random.default_rng(3)
    graph = quiet_knn(rng.normal(size=(60, 3)), k=5)
    values = rng.random(60).astype(np.float32).astype(np.float64)
    perm = rng.permutation(60)  # new vertex i is old vertex perm[i]
    relabelled = graph[perm][:, perm]
    before = lower_star_persistence(graph, values)
    after = lower_star_persistence(relabelled, values[perm])
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(before[1]) > 0  # H1 was compared, not two empty arrays
    tree, tree_relabelled = merge_tree(graph, values), merge_tree(relabelled, values[perm])
    np.testing.assert_array_equal(tree.pairs, tree_relabelled.pairs)
    np.testing.assert_array_equal(perm[tree_relabelled.minima], tree.minima)


def test_values_shifted_by_one_vertex_change_the_diagram():
    # The public code's off-by-one: every vertex got its neighbour's loss.
    right = lower_star_persistence(path_graph(5), PATH_VALUES, maxdim=0)[0]
    shifted = lower_star_persistence(path_graph(5), np.roll(PATH_VALUES, 1), maxdim=0)[0]
    np.testing.assert_array_equal(shifted, [[0.0, np.inf], [1.0, 3.0]])
    assert right.shape != shifted.shape


# ------------------------------------------------------------------- kNN graphs


@pytest.mark.parametrize(("n", "d", "k"), [(150, 3, 1), (150, 3, 8), (120, 40, 6), (90, 2, 20)])
def test_knn_graph_is_the_brute_force_nearest_neighbour_graph(n, d, k):
    rng = np.random.default_rng(n + d + k)
    X = rng.normal(size=(n, d))
    D = cdist(X, X)
    expected = brute_force_knn_pairs(D, k)
    for graph in (quiet_knn(X, k=k), quiet_knn(distances=D, k=k)):
        coo = sparse.triu(graph, k=1).tocoo()
        assert set(zip(coo.row.tolist(), coo.col.tolist(), strict=True)) == expected
        np.testing.assert_allclose(graph.toarray()[graph.toarray() > 0],
                                   D[graph.toarray() > 0], rtol=1e-12)
        # every vertex keeps at least its own k neighbours
        assert np.all(np.diff(graph.indptr) >= k)


def test_knn_graph_takes_the_nearest_points_not_the_farthest():
    # Points 0, 1, 2, 10, 11 on a line with k = 1: nearest neighbours give
    # 0-1, 1-2 (1 is as close to 0 as to 2: the lower index wins) and 3-4;
    # the farthest ones would join each of 0, 1, 2 to 4 and 3, 4 to 0.
    X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    farthest = {(min(i, j), max(i, j)) for i, j in enumerate(np.argmax(cdist(X, X), axis=1))}
    for kwargs in ({"X": X}, {"distances": cdist(X, X)}):
        with pytest.warns(UserWarning, match="2 connected components"):
            graph = knn_graph(**kwargs, k=1)
        upper = {(a, b) for a, b in structure(graph) if a < b}
        assert upper == {(0, 1), (1, 2), (3, 4)}
        assert upper != farthest
        assert connected_components(graph) == 2


def test_knn_graph_ties_go_to_the_lower_index():
    # 0 is at distance 1 from both 1 and 2, and 3 at 0.5 from both; 1 and 2 pick
    # 3, so with k = 1 the edges 0-1 and 3-1 exist only because the lower index
    # wins the ties (0-2 and 3-2 otherwise).
    D = np.array([[0.0, 1.0, 1.0, 1.5],
                  [1.0, 0.0, 1.0, 0.5],
                  [1.0, 1.0, 0.0, 0.5],
                  [1.5, 0.5, 0.5, 0.0]])
    graph = knn_graph(distances=D, k=1)
    assert {(a, b) for a, b in structure(graph) if a < b} == {(0, 1), (1, 3), (2, 3)}
    assert brute_force_knn_pairs(D, 1) == {(0, 1), (1, 3), (2, 3)}
    # The same shape with points, mirror-symmetric so that the ties are exact.
    X = np.array([[0.0, -0.9], [-0.5, 0.0], [0.5, 0.0], [0.0, 0.3]])
    for graph in (knn_graph(X, k=1), knn_graph(distances=cdist(X, X), k=1)):
        assert {(a, b) for a, b in structure(graph) if a < b} == {(0, 1), (1, 3), (2, 3)}
    # Duplicated points tie many candidates at once (more than a k-d tree query
    # returns), which the brute-force path settles; both must match a stable sort.
    X = np.array([[0.0]] + [[1.0]] * 10 + [[3.0]] * 3 + [[1.0]] * 2)
    for k in (2, 5, 9):
        expected = brute_force_knn_pairs(cdist(X, X), k)
        for graph in (quiet_knn(X, k=k), quiet_knn(distances=cdist(X, X), k=k)):
            assert {(a, b) for a, b in structure(graph) if a < b} == expected


def test_knn_graph_is_symmetric_simple_and_has_no_duplicate_edges():
    rng = np.random.default_rng(4)
    X = rng.random((200, 5))
    k = 7
    graph = knn_graph(X, k=k)
    directed = {(i, j) for i, row in enumerate(np.argsort(cdist(X, X), axis=1)[:, 1:k + 1])
                for j in row.tolist()}
    mutual = {(i, j) for i, j in directed if i < j and (j, i) in directed}
    assert mutual  # the data do have mutual neighbours, the case that went wrong
    unordered = {(min(i, j), max(i, j)) for i, j in directed}
    assert graph.nnz == 2 * len(unordered)
    assert graph.has_canonical_format  # sorted and no entry stored twice
    assert graph.diagonal().tolist() == [0.0] * 200 and all(a != b for a, b in structure(graph))
    assert structure(graph) == {(b, a) for a, b in structure(graph)}
    assert (graph != graph.T).nnz == 0  # equal lengths both ways


def test_duplicate_edges_would_change_the_diagram_and_are_ignored_here():
    # Mutual neighbours entered twice: summing duplicates, as sparse matrices do,
    # doubles an edge's filtration value and moves a death.
    values = np.array([0.0, 3.0, 1.0, 4.0, 2.0])
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (1, 2)]  # 1-2 twice
    rows = [a for a, b in edges] + list(range(5))
    cols = [b for a, b in edges] + list(range(5))
    data = [max(values[a], values[b]) for a, b in edges] + values.tolist()
    naive = sparse.csr_matrix((data, (rows, cols)), shape=(5, 5))  # sums the duplicate
    naive_h0 = ripser(naive, distance_matrix=True, maxdim=0)["dgms"][0]
    assert [1.0, 3.0] not in naive_h0.tolist()  # the (1, 3) pair moved to (1, 4)

    # Our functions read each unordered pair once, however often it is stored.
    # Row 1 stores 2 twice, row 2 stores 1 twice, 2-3 and 3-4 are stored one way
    # only (3-4 twice), and 3 has a self loop.
    duplicated = sparse.csr_matrix(
        (np.ones(10), np.array([1, 0, 2, 2, 1, 1, 3, 4, 4, 3]), np.array([0, 1, 4, 7, 10, 10])),
        shape=(5, 5))
    assert not duplicated.has_canonical_format
    for got, want in zip(lower_star_persistence(duplicated, values),
                         lower_star_persistence(path_graph(5), values), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(merge_tree(duplicated, values).pairs,
                                  merge_tree(path_graph(5), values).pairs)


def test_zero_length_edges_are_kept():
    # Two pairs of identical points: the edges inside each pair have length 0.
    X = np.array([[0.0], [0.0], [5.0], [5.0]])
    with pytest.warns(UserWarning, match="2 connected components"):
        graph = knn_graph(X, k=1)
    assert graph.nnz == 4 and np.all(graph.data == 0.0)
    assert connected_components(graph) == 2
    h0 = lower_star_persistence(graph, [0.0, 1.0, 2.0, 3.0], maxdim=0)[0]
    np.testing.assert_array_equal(h0, [[0.0, np.inf], [2.0, np.inf]])  # not 4 bars


def test_potential_distances_are_euclidean_distances_between_rows():
    rng = np.random.default_rng(5)
    potential = rng.normal(size=(12, 7))
    D = potential_distances(potential)
    expected = np.array([[np.linalg.norm(a - b) for b in potential] for a in potential])
    np.testing.assert_allclose(D, expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(D, D.T) and np.all(np.diag(D) == 0.0)
    cosine = potential_distances(potential, metric="cosine")
    unit = potential / np.linalg.norm(potential, axis=1, keepdims=True)
    np.testing.assert_allclose(cosine, 1 - unit @ unit.T, atol=1e-12)


# ------------------------------------------------------------- diagram summaries


def test_total_and_average_persistence_by_hand():
    diagram = np.array([[0.0, 1.0], [1.0, 4.0], [2.0, 2.5], [0.0, np.inf]])
    assert total_persistence(diagram, essential="drop") == 1.0 + 9.0 + 0.25
    assert total_persistence(diagram, p=1, essential="drop") == 4.5
    assert average_persistence(diagram, essential="drop") == 1.5
    assert total_persistence(np.empty((0, 2))) == 0.0 == average_persistence([])
    assert total_persistence([[0.0, np.inf]], essential="drop") == 0.0
    assert total_persistence([[4.0, 1.0], [4.0, -np.inf]], essential="drop") == 9.0  # split tree


def test_each_treatment_of_infinite_points_by_hand():
    # Finite lifetimes 1, 3, 0.5; infinite points born at 0 and 2 (two components).
    diagram = np.array([[0.0, 1.0], [1.0, 4.0], [2.0, 2.5], [0.0, np.inf], [2.0, np.inf]])
    # "cap" at 6: the infinite points live 6 and 4.
    assert total_persistence(diagram, essential="cap", cap=6.0) == 1 + 9 + 0.25 + 36 + 16
    assert total_persistence(diagram, p=1, essential="cap", cap=6.0) == 4.5 + 10
    assert average_persistence(diagram, essential="cap", cap=6.0) == 14.5 / 5
    # Capping at the largest birth of an infinite point is allowed; below it is not.
    assert total_persistence(diagram, p=1, essential="cap", cap=2.0) == 4.5 + 2
    with pytest.raises(ValueError, match="cap must not be below"):
        total_persistence(diagram, essential="cap", cap=1.0)
    # Split-tree orientation: a point dying at -inf is capped from below.
    split = np.array([[4.0, 1.0], [4.0, -np.inf]])
    assert total_persistence(split, p=1, essential="cap", cap=0.0) == 3.0 + 4.0
    with pytest.raises(ValueError, match="cap must not be"):
        total_persistence(split, essential="cap", cap=5.0)
    # "raise" refuses infinite points and only them.
    for summary in (total_persistence, average_persistence):
        with pytest.raises(ValueError, match="no infinite points"):
            summary(diagram, essential="raise")
        assert summary(diagram[:3], essential="raise") == summary(diagram, essential="drop")


def test_unchosen_treatment_warns_only_when_infinite_points_are_dropped():
    diagram = np.array([[0.0, 1.0], [0.0, np.inf]])
    with pytest.warns(EssentialPointsWarning, match="1 infinite point"):
        assert total_persistence(diagram) == 1.0  # the default keeps dropping them
    with pytest.warns(EssentialPointsWarning, match="average_persistence"):
        assert average_persistence(diagram) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert total_persistence(diagram, essential="drop") == 1.0
        assert total_persistence(diagram[:1]) == 1.0  # nothing to drop, nothing to say
        assert merge_tree(graph_from_edges([(0, 1)], 2), [0.0, 1.0]).average_persistence == 0.0


@pytest.mark.parametrize("kwargs, message", [
    ({"essential": "keep"}, "essential must be one of"),
    ({"essential": "cap"}, "cap must be given"),
    ({"essential": "drop", "cap": 3.0}, "cap is only used"),
    ({"essential": "cap", "cap": "high"}, "cap"),
])
def test_bad_treatment_arguments_are_named(kwargs, message):
    for summary in (total_persistence, average_persistence):
        with pytest.raises(ValueError, match=message):
            summary([[0.0, 1.0]], **kwargs)
    with pytest.raises(ValueError, match="finite births"):
        total_persistence([[-np.inf, 1.0]], essential="drop")


def test_persistence_image_puts_the_weighted_mass_of_each_point():
    point = np.array([[1.0, 3.0]])  # birth 1, persistence 2
    image = persistence_image(point, pixel_size=0.05, birth_range=(0.0, 2.0),
                              pers_range=(1.0, 3.0), sigma=0.1)
    assert image.shape == (40, 40)
    assert image.sum() == pytest.approx(2.0, rel=1e-3)  # weight = persistence
    b, p = np.unravel_index(np.argmax(image), image.shape)
    assert 0.0 + 0.05 * b <= 1.0 <= 0.0 + 0.05 * (b + 1)
    assert 1.0 + 0.05 * p <= 2.0 <= 1.0 + 0.05 * (p + 1)
    with_infinite = persistence_image(np.array([[1.0, 3.0], [0.0, np.inf]]), pixel_size=0.05,
                                      birth_range=(0.0, 2.0), pers_range=(1.0, 3.0), sigma=0.1)
    np.testing.assert_array_equal(image, with_infinite)
    images = persistence_image([point, np.empty((0, 2))], pixel_size=0.1)
    assert isinstance(images, list) and images[0].shape == images[1].shape
    assert images[1].sum() == 0.0 and images[0].sum() > 0.0


def test_diagram_distances_by_hand():
    point = np.array([[0.0, 2.0]])
    empty = np.empty((0, 2))
    assert diagram_distance(point, empty, "bottleneck") == pytest.approx(1.0)
    assert diagram_distance(point, empty) == pytest.approx(np.sqrt(2.0))
    with_infinite = np.array([[0.0, 2.0], [0.0, np.inf]])
    assert diagram_distance(with_infinite, point, essential="drop") == 0.0
    other = np.array([[0.0, 2.5]])
    assert diagram_distance(point, other, "bottleneck") == pytest.approx(0.5)
    assert diagram_distance(point, other) == pytest.approx(diagram_distance(other, point))


def test_diagram_distance_treats_infinite_points_as_asked():
    one, two = [[0.0, np.inf]], [[5.0, np.inf], [7.0, np.inf]]
    # Different numbers of classes that never die: never "equal" unless asked to drop them.
    for metric in DIAGRAM_METRICS:
        assert diagram_distance(one, two, metric) == np.inf
        assert diagram_distance(one, two, metric, essential="drop") == 0.0
        with pytest.raises(ValueError, match="no infinite points"):
            diagram_distance(one, two, metric, essential="raise")
    # Equal numbers are matched by birth, cost |b - b'|, beside the finite matching.
    a = np.array([[0.0, np.inf], [4.0, np.inf], [1.0, 3.0]])
    b = np.array([[5.0, np.inf], [1.0, np.inf], [1.0, 3.5]])
    finite_w = diagram_distance(a[2:], b[2:])
    assert diagram_distance(a, b) == pytest.approx(finite_w + 1.0 + 1.0)  # 0↔1, 4↔5
    assert diagram_distance(a, b, "bottleneck") == pytest.approx(1.0)  # max(0.5, 1, 1)
    assert diagram_distance(a, b, essential="drop") == finite_w
    # The order of birth is the optimal matching: brute force over both pairings.
    births_a, births_b = [0.0, 4.0], [5.0, 1.0]
    brute = min(abs(births_a[0] - x) + abs(births_a[1] - y)
                for x, y in (births_b, births_b[::-1]))
    assert diagram_distance(a[:2], b[:2]) == pytest.approx(brute)
    # +inf and -inf points are matched separately.
    assert diagram_distance([[0.0, np.inf]], [[0.0, -np.inf]]) == np.inf
    with pytest.raises(ValueError, match="essential must be one of"):
        diagram_distance(one, one, essential="cap")


# ------------------------------------------------------------------- bad arguments


def test_bad_arguments_raise_value_errors_naming_them():
    graph = path_graph(5)
    with pytest.raises(ValueError, match=r"values.*4.*5 vertices"):
        lower_star_persistence(graph, [0.0, 1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"values.*4.*5 vertices"):
        merge_tree(graph, [0.0, 1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="values must be finite"):
        merge_tree(graph, [0.0, np.nan, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="graph"):
        lower_star_persistence(graph.toarray(), PATH_VALUES)
    with pytest.raises(ValueError, match="kind"):
        merge_tree(graph, PATH_VALUES, kind="contour")
    with pytest.raises(ValueError, match="maxdim"):
        lower_star_persistence(graph, PATH_VALUES, maxdim=-1)
    X = np.random.default_rng(6).random((6, 2))
    with pytest.raises(ValueError, match="exactly one of X"):
        knn_graph(X, distances=cdist(X, X))
    with pytest.raises(ValueError, match="exactly one of X"):
        knn_graph()
    for k in (0, 6, 2.5, True):
        with pytest.raises(ValueError, match="k must be"):
            knn_graph(X, k=k)
    asymmetric = cdist(X, X)
    asymmetric[0, 1] += 1.0
    with pytest.raises(ValueError, match="distances must be a symmetric"):
        knn_graph(distances=asymmetric, k=2)
    with pytest.raises(ValueError, match="distances must be a square"):
        knn_graph(distances=np.ones((3, 4)), k=1)
    with pytest.raises(ValueError, match="distances must be non-negative"):
        knn_graph(distances=-cdist(X, X), k=1)
    with pytest.raises(ValueError, match="X must contain only finite"):
        knn_graph(np.array([[0.0], [np.inf], [1.0]]), k=1)
    for bad in (np.zeros((3, 3)), np.zeros(4), [[0.0, np.nan]]):
        with pytest.raises(ValueError, match="diagram"):
            total_persistence(bad)
    for p in (0, -1.0):
        with pytest.raises(ValueError, match="p must be"):
            total_persistence([[0.0, 1.0]], p=p)
    with pytest.raises(ValueError, match="metric"):
        diagram_distance([[0.0, 1.0]], [[0.0, 1.0]], metric="sliced")
    with pytest.raises(ValueError, match="death >= birth"):
        diagram_distance([[3.0, 1.0]], [[0.0, 1.0]])
    with pytest.raises(ValueError, match="death >= birth"):
        persistence_image(np.array([[3.0, 1.0]]))
    with pytest.raises(ValueError, match="diagrams must not be an empty"):
        persistence_image([])
    with pytest.raises(ValueError, match="birth_range"):
        persistence_image(np.array([[0.0, 1.0]]), birth_range=(1.0, 1.0))
    with pytest.raises(ValueError, match="diffusion_potential"):
        potential_distances(np.zeros(3))


def test_inputs_are_not_modified_and_results_are_deterministic():
    rng = np.random.default_rng(7)
    X = rng.random((80, 4))
    X_copy = X.copy()
    values = rng.random(80)
    values_copy = values.copy()
    first = quiet_knn(X, k=5)
    second = quiet_knn(X, k=5)
    assert (first != second).nnz == 0 and np.array_equal(first.indices, second.indices)
    tree = merge_tree(first, values)
    values[:] = 0.0
    assert tree.values.tolist() == values_copy.tolist()  # the tree kept its own copy
    assert np.array_equal(X, X_copy)
    for a, b in itertools.pairwise(merge_tree(first, values_copy).pairs.tolist()):
        assert a[0] <= b[0]  # births in sweep order
