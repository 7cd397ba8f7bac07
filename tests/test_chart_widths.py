"""Every chart of the book fits the page column, measured as vega draws it.

The widths come from :func:`helpers.render.chart_size` (vl-convert runs the vega of the
browser: the widths agree to the pixel with Chromium's, which ``tests/test_site.py``
checks on the built site). The data are small but shaped like the chapters': the same
legends, panel counts and titles.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from helpers import charts, classify_charts, surface_charts, topology_charts
from helpers.classifiers import CLASSIFIERS
from helpers.classify import PAPER_TABLE, summarize
from helpers.config import OPTIMA
from helpers.render import PAGE_WIDTH, chart_size, offline_renderer
from helpers.surfaces import Surface, surface_merge_tree
from helpers.topology import lower_star_persistence, merge_tree
from helpers.zoo_features import FEATURE_SET_LABELS, FEATURE_SETS, TASK_LABELS, TASKS

RNG = np.random.default_rng(0)


def jr_table(optimum: str = "good", seeds: int = 4, epochs: int = 3,
             coordinates: bool = True) -> pd.DataFrame:
    """A jump-and-retrain table: the optimum, then seeds × 4 steps × (jump + epochs)."""
    rows = [{"kind": "optimum", "seed": -1, "step_size": 0.0, "epoch": -1, "train_loss": 0.01}]
    for seed in range(seeds):
        for step in (0.25, 0.5, 0.75, 1.0):
            rows += [{"kind": "jump" if e == 0 else "retrain", "seed": seed, "step_size": step,
                      "epoch": e, "train_loss": 2.0 * step / (e + 1)} for e in range(epochs + 1)]
    table = pd.DataFrame(rows).assign(optimum=optimum, test_accuracy=0.8)
    if coordinates:
        table["x"], table["y"] = RNG.normal(size=(2, len(table)))
    return table


def history() -> pd.DataFrame:
    return pd.DataFrame([{"optimum": o, "seed": s, "epoch": e, "split": split, "metric": metric,
                          "value": 1 / (e + 1) if metric == "loss" else 1 - 1 / (e + 2)}
                         for o in OPTIMA for s in range(2) for e in range(5)
                         for split in ("train", "test") for metric in ("loss", "accuracy")])


def panels(n_points_table: pd.DataFrame) -> pd.DataFrame:
    keys = [(m, d) for m in ("phate", "tsne", "umap") for d in ("euclidean", "cosine")]
    keys += [("pca", "euclidean"), ("random_plane", "euclidean")]
    return charts.embedding_panels({k: RNG.normal(size=(len(n_points_table), 2)) for k in keys},
                                   n_points_table)


def path_diagrams():
    graph = sparse.diags([np.ones(6), np.ones(6)], [-1, 1], format="csr")
    values = [0.0, 2.0, 0.5, 3.0, 1.0, 2.5, 1.5]
    return graph, values, lower_star_persistence(graph, values)


def diagrams():
    births = RNG.uniform(0, 2, 30)
    h0 = np.c_[births, births + RNG.exponential(0.5, 30)]
    h0[0, 1] = np.inf
    births = RNG.uniform(1, 2, 8)
    return [h0, np.c_[births, births + RNG.exponential(0.2, 8)]]


def classifier_table():
    """Chapter 5's fold scores summarized: every task, feature set and classifier."""
    scores = pd.DataFrame([{"task": t, "feature_set": s, "classifier": c, "repeat": 0,
                            "fold": f, "accuracy": RNG.uniform(0.2, 0.9)}
                           for t in TASKS for s in FEATURE_SETS for c in CLASSIFIERS
                           for f in range(3)])
    per_classifier, table = summarize(scores)
    chance = {"generalization": 0.2, "weight_decay": 1 / 3, "augment": 0.5}
    table["chance"] = table["task"].map(chance)
    p_values = table[["task", "feature_set"]].assign(p_value=0.02)
    return per_classifier, table, chance, p_values


def chapter_charts():
    """One builder per chart of Chapters 1–5 and of "Your own model", as they call them."""
    summary = pd.DataFrame({("train_accuracy", "mean"): [1.0, 0.9, 1.0],
                            ("train_accuracy", "std"): [0.0, 0.01, 0.0],
                            ("test_accuracy", "mean"): [0.95, 0.8, 0.1],
                            ("test_accuracy", "std"): [0.01, 0.02, 0.03]}, index=list(OPTIMA))
    surface = pd.DataFrame([(u, v, u * u + 4 * v * v) for u in np.linspace(-1.2, 1.2, 9)
                            for v in np.linspace(-1.2, 1.2, 9)], columns=["u", "v", "loss"])
    toy = pd.DataFrame({"kind": ["optimum", "jump", "retrain"], "seed": [-1, 0, 0],
                        "step_size": [0.0, 1.0, 1.0], "epoch": [-1, 0, 1], "u": [0.0, 1.0, 0.5],
                        "v": [0.0, 0.5, 0.2], "loss": [0.0, 2.0, 1.0]})
    table = jr_table(coordinates=False).assign(optimum=lambda t: t["kind"] == "optimum")
    tree = pd.DataFrame({"branch": np.repeat(np.arange(20), 3), "position": np.tile(range(3), 20)})
    graph, values, (h0, h1) = path_diagrams()
    sweep = pd.DataFrame({"test_loss": RNG.uniform(0.3, 1, 8),
                          "total_persistence_h0": RNG.uniform(0, 5, 8),
                          "weight_decay": np.repeat([0.0, 0.0005, 0.005, 0.001], 2),
                          "augment": np.tile([False, True], 4), "seed": 0, "test_accuracy": 0.8,
                          "total_persistence_h1": 1.0, "n_saddles": 3,
                          "sharpness": RNG.uniform(0, 2, 8), "depth": 10})
    for essential in ("drop", "max"):
        for split in ("train", "test"):
            sweep[f"total_persistence_h0_{essential}_{split}"] = RNG.uniform(0, 50, 8)
    jr = panels(table)
    axis = np.linspace(-1.0, 1.0, 21)
    a, b = np.meshgrid(axis, axis, indexing="ij")
    loss = 1.0 + a**2 + b**2 + 0.2 * np.sin(6 * a) * np.cos(5 * b)
    bumpy = Surface("random", axis, axis.copy(), loss, np.full_like(loss, 0.9))
    per_classifier, classifier_summary, chance, p_values = classifier_table()
    return {
        "01 learning curves": lambda: charts.learning_curves(history(), "loss"),
        "01 accuracy curves": lambda: charts.learning_curves(history(), "accuracy"),
        "01 final accuracy": lambda: charts.final_accuracy(summary),
        "02 toy schematic": lambda: charts.toy_schematic(surface, toy),
        "02 retraining curves": lambda: charts.retraining_curves(
            pd.concat([jr_table(o) for o in OPTIMA]), "test_accuracy"),
        "02 trajectories": lambda: charts.row([charts.trajectories(jr_table(), title=f"{o} optimum")
                                               for o in OPTIMA]),
        "02 samplers": lambda: charts.row([charts.landscape_points(jr_table(), title=name)
                                           for name in ("grid", "naive", "jump & retrain")]),
        "03 J&R grid": lambda: charts.embedding_grid(
            jr, "seed", fade="epoch", path=["seed", "step_size"], order="epoch",
            emphasize="optimum", tooltip=["seed", "step_size", "epoch", "train_loss"],
            title="J&R samples around the memorization optimum"),
        "03 linked views": lambda: charts.linked_embeddings(
            jr, "seed", tooltip=["seed", "step_size", "epoch", "train_loss"],
            title="hover a sample to find it in every embedding"),
        "03 tree grid": lambda: charts.embedding_grid(
            panels(tree), "branch", path=["branch"], order="position",
            tooltip=["branch", "position"], title="an artificial tree of 20 branches"),
        "04 path": lambda: charts.row([
            topology_charts.persistence_diagram([h0, h1], "diagram of the path"),
            topology_charts.merge_tree_chart(merge_tree(graph, values), "its merge tree",
                                             value_title="value", width=260, height=240)]),
        "04 Fig. 3A": lambda: charts.row([topology_charts.landscape_with_diagram(
            jr_table(), diagrams(), title=f"{o} optimum") for o in OPTIMA]),
        "04 Fig. 3A weight decays": lambda: charts.row([topology_charts.persistence_diagram(
            [h0, h1], f"weight decay {w:g}", width=150, height=150) for w in (0, 5e-4, 5e-3)]),
        "04 Fig. 3B": lambda: topology_charts.conventions_chart(
            sweep, title="total persistence (H0) against test loss"),
        "04 sharpness": lambda: topology_charts.persistence_vs_test_loss(
            sweep, y="sharpness", tooltip=["depth"],
            title="the sharpness baseline against test loss"),
        "04 merge tree": lambda: topology_charts.merge_tree_chart(
            merge_tree(graph, values), "merge tree around the good optimum",
            value_title="train loss"),
        "own retraining curves": lambda: charts.retraining_curves(
            jr_table("your model"), "train_loss", width=560),
        "own PHATE and diagram": lambda: charts.row([
            charts.trajectories(jr_table(), "cosine PHATE of the samples"),
            topology_charts.persistence_diagram(diagrams(), "loss filtration")]),
        "own surface and tree": lambda: charts.row([
            surface_charts.surface_heatmap(bumpy, "training loss on a random plane",
                                           tree=surface_merge_tree(bumpy.loss), width=220,
                                           height=220),
            topology_charts.merge_tree_chart(surface_merge_tree(bumpy.loss), "its merge tree",
                                             value_title="loss", width=230, height=220)]),
        "05 table": lambda: classify_charts.table_chart(
            classifier_summary, paper=PAPER_TABLE, p_values=p_values,
            per_classifier=per_classifier, task_labels=TASK_LABELS,
            feature_set_labels=FEATURE_SET_LABELS),
        "05 heatmaps": lambda: classify_charts.accuracy_heatmaps(
            per_classifier, chance=chance, titles=TASK_LABELS,
            feature_set_labels=FEATURE_SET_LABELS),
    }


CHARTS = chapter_charts()
#: Charts per line of the rows and grids: side by side wherever they fit.
PER_LINE = {"02 trajectories": 2, "02 samplers": 3, "03 J&R grid": 3, "03 linked views": 3,
            "03 tree grid": 3, "04 path": 2, "04 Fig. 3A": 3, "04 Fig. 3A weight decays": 3,
            "own PHATE and diagram": 2, "own surface and tree": 2}


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_chart_of_the_chapters_fits_the_page(name):
    chart = CHARTS[name]()
    width, height = chart_size(chart)
    assert 0 < width <= PAGE_WIDTH, f"{name}: {width:.0f} px wide"
    spec = chart.to_dict()
    if name in PER_LINE:
        assert spec["columns"] == PER_LINE[name]
    if name.startswith("03"):  # eight panels of at most 170 px (narrowed to fit), three a line
        assert len(spec["concat"]) == 8
        widths = {view["width"] for view in spec["concat"]}
        assert len(widths) == 1 and 120 <= widths.pop() <= 170


def square(width: int) -> alt.Chart:
    data = pd.DataFrame({"x": [1.0, 2.0]})
    return alt.Chart(data).mark_point().encode(x="x:Q").properties(width=width, height=40)


def test_row_wraps_onto_the_fewest_lines_that_fit():
    one = chart_size(square(150))[0]
    assert charts.row([square(150)] * 3).to_dict()["columns"] == 3  # 3 × ~180 px fit
    wide = charts.row([square(250)] * 3)
    assert wide.to_dict()["columns"] == 2 and chart_size(wide)[0] <= PAGE_WIDTH
    assert charts.row([square(150)] * 3, page_width=int(2 * one + 20)).to_dict()["columns"] == 2
    assert charts.row([square(250)] * 3, columns=3).to_dict()["columns"] == 3  # as asked
    with pytest.raises(ValueError, match=r"charts\[1\] is .* wider than the page"):
        charts.row([square(100), square(700)])
    with pytest.raises(ValueError, match="at least one chart"):
        charts.row([])


def test_fit_width_narrows_the_panels_or_names_columns():
    data = pd.DataFrame({"x": [1.0, 2.0], "panel": ["a", "b"]})

    def build(width):
        return (alt.Chart(data).mark_point().encode(x="x:Q").properties(width=width)
                .facet(column="panel:N"))

    kept = charts.fit_width(build, 200, columns=2)
    assert kept.to_dict()["spec"]["width"] == 200  # fits already: untouched
    narrowed = charts.fit_width(build, 500, columns=2)
    assert narrowed.to_dict()["spec"]["width"] < 500
    assert PAGE_WIDTH - 20 < chart_size(narrowed)[0] <= PAGE_WIDTH  # no narrower than needed
    with pytest.raises(ValueError, match="columns: 2 panels"):
        charts.fit_width(build, 500, columns=2, page_width=100)


def test_a_measured_chart_is_drawn_from_the_same_svg():
    import vl_convert

    chart = square(123)
    width, _ = chart_size(chart)
    calls = []
    real = vl_convert.vegalite_to_svg
    try:
        vl_convert.vegalite_to_svg = lambda *a, **k: calls.append(1) or real(*a, **k)
        with alt.data_transformers.enable(max_rows=None):
            page = offline_renderer(chart.to_dict())["text/html"]
    finally:
        vl_convert.vegalite_to_svg = real
    assert not calls and f'width="{width:g}"' in page
