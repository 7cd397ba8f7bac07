"""Chapter 3's helpers: the artificial tree, method orderings, and the linked small multiples.

Charts are checked on their Vega-Lite spec (no rendering): one panel per embedding, the
hover selection shared by every panel, the right fields in the tooltips.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from helpers import charts
from helpers.artificial_tree import artificial_tree
from helpers.comparison import (
    PUBLISHED_DEMAP,
    check_comparison,
    compare_embeddings,
    comparison_table,
    ordering_agreement,
    phate_neighbourhoods,
)
from helpers.quality import trajectory_continuity, trajectory_ids

# --- the artificial tree ---------------------------------------------------------------


def test_tree_is_gen_dla_and_its_clean_version_is_the_noise_removed():
    from phate.tree import gen_dla

    tree = artificial_tree(n_dim=12, n_branch=4, branch_length=30, noise=2.0, seed=5)
    expected, labels = gen_dla(n_dim=12, n_branch=4, branch_length=30, sigma=2.0, seed=5)
    np.testing.assert_array_equal(tree.data, expected)
    np.testing.assert_array_equal(tree.table["branch"], labels)
    # The trunk is a random walk of steps uniform in [-1, 1]: no noise in the clean tree.
    steps = np.diff(tree.clean[:30], axis=0)
    assert np.abs(steps).max() <= 1.0
    noise = tree.data - tree.clean
    assert abs(noise.std() - 2.0) < 0.1 and abs(noise.mean()) < 0.1
    assert tree.table["position"].tolist() == list(range(30)) * 4
    assert tree.table.columns.tolist() == ["branch", "position"] and len(tree.table) == 120


def test_tree_leaves_the_global_numpy_generator_alone():
    # gen_dla reseeds NumPy's legacy global generator: that is what must be restored.
    np.random.seed(123)  # noqa: NPY002
    expected = np.random.rand(3)  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    artificial_tree(n_dim=5, n_branch=2, branch_length=10)
    np.testing.assert_array_equal(np.random.rand(3), expected)  # noqa: NPY002


def test_tree_without_noise_equals_its_clean_version_and_branches_start_on_the_tree():
    tree = artificial_tree(n_dim=6, n_branch=5, branch_length=15, noise=0.0)
    np.testing.assert_array_equal(tree.data, tree.clean)
    trunk = tree.clean[:15]
    for branch in range(1, 5):
        first = tree.clean[branch * 15]
        # A branch starts one step away from a point of an earlier branch.
        earlier = tree.clean[:branch * 15]
        assert np.abs(earlier - first).max(axis=1).min() <= 1.0
    assert trunk.shape == (15, 6)


@pytest.mark.parametrize("kwargs, name", [
    ({"n_dim": 1}, "n_dim"), ({"n_branch": 0}, "n_branch"), ({"branch_length": 1},
                                                                "branch_length"),
    ({"noise": -1.0}, "noise"), ({"seed": -3}, "seed"), ({"n_dim": 2.5}, "n_dim"),
])
def test_tree_arguments_are_checked_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        artificial_tree(**kwargs)


# --- trajectories and argument checks ----------------------------------------------------


def test_trajectory_ids_split_jump_and_retrain_rows_by_seed_and_step():
    table = pd.DataFrame({"seed": [-1, 0, 0, 0, 0, 1], "step_size": [0.0, 0.5, 0.5, 1.0, 1.0, 0.5],
                          "epoch": [-1, 0, 1, 0, 1, 0]})
    ids = trajectory_ids(table)
    assert ids.tolist() == ["-1/0.0", "0/0.5", "0/0.5", "0/1.0", "0/1.0", "1/0.5"]
    # Two consecutive pairs, each kept in both directions on a line where they are adjacent.
    coordinates = np.c_[[10.0, 0.0, 1.0, 5.0, 6.0, 20.0], np.zeros(6)]
    assert trajectory_continuity(coordinates, ids, table["epoch"], k=1) == 1.0
    with pytest.raises(ValueError, match="by must name columns"):
        trajectory_ids(table, by=["seed", "lr"])
    with pytest.raises(ValueError, match="by must be"):
        trajectory_ids(table, by=[])


@pytest.mark.parametrize("kwargs, name", [
    ({"methods": ["phat"]}, r"methods\[0\]"), ({"methods": []}, "methods"),
    ({"metrics": ["manhattan"]}, r"metrics\[0\]"), ({"demap_knn": 0}, "demap_knn"),
    ({"continuity_k": 0}, "continuity_k"), ({"random_state": -1}, "random_state"),
    ({"methods": ["pca", "pca"]}, "methods"), ({"phate_knns": [5, 0]}, r"phate_knns\[1\]"),
    ({"phate_knns": 5}, "phate_knns"), ({"settings": {"phate": {"knn": 0}}}, "knn"),
    ({"settings": {"phate": {"k": 5}}}, "settings for method 'phate'"),
    ({"settings": {"tsne": {"perplexity": -1.0}}}, "perplexity"),
    ({"settings": {"umap": {"n_neighbors": 1}}}, "n_neighbors"),
    ({"settings": {"isomap": {}}}, r"settings \(a key\)"),
    ({"settings": {"tsne": {"center": True}}, "metrics": ["euclidean"]}, "center"),
])
def test_check_comparison_names_the_bad_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        check_comparison(**kwargs)


def test_check_comparison_returns_arguments_for_compare_embeddings():
    checked = check_comparison(["umap", "pca"], "euclidean", demap_knn=7,
                               settings={"umap": {"n_neighbors": 4},
                                         "tsne": {"perplexity": 3.0}})
    assert checked == {"methods": ("umap", "pca"), "metrics": ("euclidean",),
                       "settings": {"umap": {"n_neighbors": 4}}, "demap_knn": 7,
                       "continuity_k": 5, "random_state": 0}
    X = np.cumsum(np.random.default_rng(0).normal(size=(12, 5)), axis=0)
    table = compare_embeddings(X, **checked)
    assert table["method"].tolist() == ["umap", "pca"]


def test_phate_neighbourhoods_find_trajectories_cut_apart_by_a_small_knn():
    rng = np.random.default_rng(1)
    # Four trajectories of 12 points, far apart from each other: with knn < 12 each one
    # is a graph component of its own; with knn >= 12 they join.
    X, ids, order = [], [], []
    for j in range(4):
        X.append(np.cumsum(0.1 * rng.normal(size=(12, 30)), axis=0) + 20 * rng.normal(size=30))
        ids += [j] * 12
        order += list(range(12))
    table = phate_neighbourhoods(np.vstack(X), [5, 20], ["euclidean"], np.array(ids),
                                 np.array(order), demap_knn=15)
    assert table["components"].tolist() == [4, 1]
    assert table.columns.tolist() == ["knn", "metric", "t", "components", "demap",
                                      "continuity", "seconds"]
    with pytest.raises(ValueError, match=r"knns\[0\]"):
        phate_neighbourhoods(np.vstack(X), [0])


# --- the table and the ordering ----------------------------------------------------------


def scores_table(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame([{"method": m, "metric": k, "demap": v, "continuity": v / 2,
                          "seconds": 1.0} for (m, k), v in values.items()])


def test_ordering_agrees_fully_when_ours_follows_the_reference():
    table = scores_table({("phate", "euclidean"): 0.9, ("umap", "euclidean"): 0.7,
                          ("tsne", "euclidean"): 0.6, ("pca", "euclidean"): 0.1,
                          ("random_plane", "euclidean"): 0.05,
                          ("umap", "cosine"): 0.95})  # other metric: ignored
    result = ordering_agreement(table, "euclidean")
    assert result["our_order"] == ["phate", "umap", "tsne", "pca"]
    assert result["reference_order"] == ["phate", "umap", "tsne", "pca"]
    assert (result["agree"], result["total"]) == (6, 6)
    assert result["kendall_tau"] == pytest.approx(1.0)
    assert result["missing"] == [] and "all 6" in result["text"]


def test_ordering_counts_reversed_pairs_and_uses_the_chosen_metric():
    table = scores_table({("phate", "cosine"): 0.5, ("umap", "cosine"): 0.8,
                          ("tsne", "cosine"): 0.6, ("pca", "euclidean"): 0.7,
                          ("phate", "euclidean"): 0.99})
    result = ordering_agreement(table, "cosine")
    # Published: phate > umap > tsne > pca. Ours: umap 0.8 > pca 0.7 > tsne 0.6 > phate 0.5.
    assert result["our_order"] == ["umap", "pca", "tsne", "phate"]
    flipped = result["pairs"].loc[~result["pairs"]["agree"], ["higher", "lower"]]
    assert sorted(map(tuple, flipped.values)) == [("phate", "pca"), ("phate", "tsne"),
                                                  ("phate", "umap"), ("tsne", "pca")]
    assert (result["agree"], result["total"]) == (2, 6)
    ours = [0.5, 0.8, 0.6, 0.7]
    assert result["kendall_tau"] == pytest.approx(
        kendalltau([PUBLISHED_DEMAP[m] for m in ("phate", "umap", "tsne", "pca")],
                   ours).statistic)
    assert "2 of 6" in result["text"] and "PCA beats t-SNE" in result["text"]


def test_ordering_reports_missing_methods_and_ties():
    table = scores_table({("phate", "euclidean"): 0.5, ("tsne", "euclidean"): 0.5,
                          ("umap", "euclidean"): float("nan")})
    result = ordering_agreement(table)
    assert result["missing"] == ["umap", "pca"]
    assert result["pairs"]["ours_higher"].tolist() == ["tie"]
    assert (result["agree"], result["total"]) == (0, 1)
    with pytest.raises(ValueError, match="metric"):
        ordering_agreement(table, "manhattan")
    with pytest.raises(ValueError, match="table"):
        ordering_agreement(table.drop(columns="demap"))


def test_comparison_table_puts_data_sets_side_by_side_with_the_published_values():
    a = scores_table({("phate", "cosine"): 0.9, ("pca", "euclidean"): 0.4})
    b = scores_table({("pca", "euclidean"): 0.3, ("umap", "cosine"): 0.6})
    frame = comparison_table({"J&R": a, "tree": b})
    assert frame.index.tolist() == [("phate", "cosine"), ("pca", "euclidean"),
                                    ("umap", "cosine")]
    assert frame[("J&R", "demap")].tolist()[:2] == [0.9, 0.4]
    assert np.isnan(frame.loc[("umap", "cosine"), ("J&R", "demap")])
    assert frame[("tree", "continuity")].tolist()[1:] == [0.15, 0.3]
    assert frame[("published", "demap")].tolist() == [0.80, 0.48, 0.78]
    assert ("published", "demap") not in comparison_table({"A": a}, published={}).columns
    with pytest.raises(ValueError, match="results"):
        comparison_table({})


def test_comparison_reports_the_share_of_pairs_demap_could_use():
    t = np.arange(15.0)
    line = np.outer(t, np.ones(8))
    X = np.r_[line, line + 1000.0]  # two far-apart lines: with knn=5, two graph pieces
    with pytest.warns(UserWarning, match="2 connected components"):
        table = compare_embeddings(X, ["pca"], ["euclidean"], demap_knn=5)
    assert table.attrs["demap_pairs"] == pytest.approx(2 * 105 / 435)
    table = compare_embeddings(X, ["pca"], ["euclidean"], demap_knn=20)
    assert table.attrs["demap_pairs"] == 1.0


def test_comparison_on_a_real_run_keeps_its_rows():
    rng = np.random.default_rng(0)
    t = np.arange(15.0)
    X = np.r_[np.outer(t, rng.normal(size=20)), np.outer(t, rng.normal(size=20)) + 3]
    ids, order = np.repeat([0, 1], 15), np.r_[t, t]
    result = compare_embeddings(X, ["pca", "random_plane"], ["euclidean", "cosine"], ids,
                                order, demap_knn=5)
    frame = comparison_table({"lines": result})
    assert len(frame) == 2 and frame[("lines", "continuity")].iloc[0] == 1.0
    assert frame[("published", "demap")].iloc[0] == 0.48
    assert np.isnan(frame[("published", "demap")].iloc[1])  # no published random plane


# --- charts ------------------------------------------------------------------------------


@pytest.fixture
def points() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"kind": ["optimum"] + ["retrain"] * 5, "seed": [-1, 0, 0, 0, 1, 1],
                          "step_size": [0.0, 0.5, 0.5, 0.5, 1.0, 1.0],
                          "epoch": [-1, 0, 1, 2, 0, 1],
                          "train_loss": rng.uniform(size=6)})
    embeddings = {("phate", "cosine"): rng.normal(size=(6, 2)),
                  ("tsne", "euclidean"): rng.normal(size=(6, 2)),
                  ("pca", "euclidean"): rng.normal(size=(6, 2))}
    return charts.embedding_panels(embeddings, table.assign(optimum=table["kind"] == "optimum"))


def test_embedding_panels_keep_every_point_in_every_panel(points):
    assert points.attrs["panels"] == ["PHATE · cosine", "t-SNE · euclidean", "PCA"]
    assert len(points) == 18
    for _, panel in points.groupby("panel"):
        assert panel["sample"].tolist() == list(range(6))
        assert panel["epoch"].tolist() == [-1, 0, 1, 2, 0, 1]
    with pytest.raises(ValueError, match=r"embeddings\[.*shape"):
        charts.embedding_panels({"A": np.zeros((5, 2))}, pd.DataFrame({"seed": range(6)}))
    with pytest.raises(ValueError, match="must not have the columns"):
        charts.embedding_panels({"A": np.zeros((2, 2))}, pd.DataFrame({"x": [1, 2]}))


def subcharts(spec: dict) -> list[dict]:
    return spec["concat"]


def encodings(view: dict) -> list[dict]:
    layers = view.get("layer", [view])
    return [layer.get("encoding", {}) for layer in layers]


def condition(channel: dict) -> dict:
    """The one condition of an encoding channel (Altair writes a list of one or a dict)."""
    found = channel["condition"]
    if isinstance(found, list):
        assert len(found) == 1
        found = found[0]
    return found


def tooltip_fields(encoding: dict) -> list[str]:
    return [t["field"] for t in encoding.get("tooltip", [])]


def test_embedding_grid_has_one_panel_per_embedding_with_its_title_and_tooltips(points):
    spec = charts.embedding_grid(points, "seed:N", fade="epoch", path=["seed", "step_size"],
                                 order="epoch", emphasize="optimum",
                                 tooltip=["seed", "epoch", "train_loss"]).to_dict()
    views = subcharts(spec)
    assert [v["title"] for v in views] == points.attrs["panels"]
    for view, name in zip(views, points.attrs["panels"], strict=True):
        line, dots, cross = encodings(view)
        assert line["order"]["field"] == "epoch" and dots["opacity"]["field"] == "epoch"
        assert dots["color"]["field"] == "seed" and dots["color"]["type"] == "nominal"
        assert tooltip_fields(dots) == ["panel", "seed", "epoch", "train_loss"]
        panel_filter = {"filter": f"(datum.panel === '{name}')"}
        assert [layer["transform"][0] for layer in view["layer"]] == [panel_filter] * 3
        assert "x" in cross and view["layer"][2]["transform"][1:] == [
            {"filter": "datum['optimum']"}]
    assert spec["resolve"]["scale"] == {"x": "independent", "y": "independent",
                                        "color": "shared"}
    # Only the columns drawn are inlined into the page, once for all panels.
    (data,) = spec["datasets"].values()
    assert set(data[0]) == {"panel", "sample", "x", "y", "seed", "epoch", "step_size",
                            "optimum", "train_loss"}
    assert len(data) == len(points)
    assert views[0]["layer"][1]["encoding"]["color"]["scale"]["scheme"] == "tableau10"


def test_embedding_grid_refuses_unknown_columns(points):
    with pytest.raises(ValueError, match="color must name columns"):
        charts.embedding_grid(points, "branch")
    with pytest.raises(ValueError, match="tooltip must name columns"):
        charts.embedding_grid(points, "seed", tooltip=["lr"])
    with pytest.raises(ValueError, match="path and order"):
        charts.embedding_grid(points, "seed", path=["seed"])
    with pytest.raises(ValueError, match="columns"):
        charts.embedding_grid(points, "seed", columns=0)


def test_linked_embeddings_share_one_hover_selection_across_all_panels(points):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning reaches the reader
        spec = charts.linked_embeddings(points, "seed", tooltip=["epoch", "train_loss"]
                                        ).to_dict()
    views = subcharts(spec)
    assert len(views) == 3
    assert len(spec["params"]) == 1
    param = spec["params"][0]
    assert param["select"]["type"] == "point" and param["select"]["on"] == "pointerover"
    assert param["select"]["fields"] == ["sample"]
    assert sorted(param["views"]) == sorted(v["name"] for v in views)
    for view in views:
        assert "params" not in view  # defined once, at the top
        encoding = encodings(view)[0]
        for channel in ("size", "opacity", "strokeWidth"):
            assert condition(encoding[channel])["param"] == param["name"]
        # Nothing hovered: every point normal size, none dimmed.
        assert condition(encoding["size"])["empty"] is False
        assert condition(encoding["opacity"]).get("empty", True) is True
        assert tooltip_fields(encoding) == ["panel", "sample", "epoch", "train_loss"]


def test_linked_embeddings_need_the_sample_column(points):
    with pytest.raises(ValueError, match="sample"):
        charts.linked_embeddings(points.drop(columns="sample"), "seed")
