"""Chapter 4's charts, checked on their Vega-Lite specs: layers, encodings, the "∞" line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from helpers import topology_charts
from helpers.topology import lower_star_persistence, merge_tree, total_persistence

PATH_VALUES = [0.0, 2.0, 0.5, 3.0, 1.0, 2.5, 1.5]


def path_graph(n):
    return sparse.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")


def layer_data(chart, spec, index):
    """The rows of layer ``index`` (inline data, or the top-level datasets)."""
    layer = spec["layer"][index]
    name = layer.get("data", {}).get("name") or spec.get("data", {}).get("name")
    return spec["datasets"][name]


def test_diagram_frame_puts_infinite_points_on_a_line_above_every_finite_value():
    h0 = np.array([[0.0, np.inf], [1.0, 3.0], [0.5, 2.0]])
    h1 = np.array([[1.5, 4.0], [2.0, np.inf]])
    frame = topology_charts.diagram_frame([h0, h1])
    assert frame["dimension"].tolist() == ["H0", "H0", "H0", "H1", "H1"]
    infinity = frame.attrs["infinity"]
    assert infinity > 4.0  # above the largest finite death
    infinite = frame[frame["infinite"]]
    assert len(infinite) == 2 and (infinite["y"] == infinity).all()
    assert np.isposinf(infinite["death"]).all()  # the death itself is kept infinite
    assert (infinite["death_text"] == "∞").all()
    finite = frame[~frame["infinite"]]
    np.testing.assert_array_equal(finite["y"], finite["death"])
    np.testing.assert_array_equal(finite["persistence"], [2.0, 1.5, 2.5])


def test_persistence_diagram_layers_and_marker():
    h0, h1 = lower_star_persistence(path_graph(7), PATH_VALUES)
    chart = topology_charts.persistence_diagram([h0, h1], "path")
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "rule", "text", "point"]
    infinity = topology_charts.diagram_frame([h0, h1]).attrs["infinity"]
    # the dashed rule and the "∞" label sit on the infinity line
    rule_rows = layer_data(chart, spec, 1)
    assert rule_rows == [{"y": infinity, "label": "∞", "x": 0.0}]
    assert spec["layer"][1]["mark"]["strokeDash"] == [4, 3]
    assert spec["layer"][2]["encoding"]["text"]["field"] == "label"
    # points: colour by dimension, shape marks the infinite ones, tooltips
    encoding = spec["layer"][3]["encoding"]
    assert encoding["color"]["field"] == "dimension"
    assert encoding["shape"]["field"] == "infinite"
    assert encoding["y"]["field"] == "y"
    tips = [t["field"] for t in encoding["tooltip"]]
    assert tips == ["dimension", "birth", "death_text", "persistence"]
    points = layer_data(chart, spec, 3)
    on_line = [p for p in points if p["infinite"]]
    assert len(on_line) == 1 and on_line[0]["y"] == infinity and on_line[0]["birth"] == 0.0
    # the subtitle carries the total persistence
    subtitle = spec["title"]["subtitle"]
    assert subtitle[0] == "total persistence (finite points)"
    finite = int(np.isfinite(h0[:, 1]).sum())
    assert f"H0: {total_persistence(h0, essential='drop'):.3g} ({finite})" in subtitle[1]


def test_persistence_diagram_of_an_empty_h1_still_draws():
    h0 = np.array([[0.0, np.inf]])
    spec = topology_charts.persistence_diagram([h0, np.empty((0, 2))]).to_dict()
    assert len(spec["layer"]) == 4
    with pytest.raises(ValueError, match="NaN"):
        topology_charts.diagram_frame([np.array([[0.0, np.nan]])])


def test_persistence_vs_test_loss_has_points_and_a_regression_line():
    table = pd.DataFrame({"test_loss": [0.1, 0.2, 0.3, 0.15],
                          "total_persistence_h0": [1.0, 2.0, 2.5, 1.2],
                          "weight_decay": [0.0, 5e-4, 5e-3, 0.0],
                          "augment": [True, False, True, False], "seed": [0, 0, 0, 1]})
    spec = topology_charts.persistence_vs_test_loss(table, tooltip=["seed"]).to_dict()
    points, line = spec["layer"]
    assert points["mark"]["type"] == "point" and line["mark"]["type"] == "line"
    assert points["encoding"]["x"]["field"] == "test_loss"
    assert points["encoding"]["y"]["field"] == "total_persistence_h0"
    assert points["encoding"]["color"] == {**points["encoding"]["color"],
                                           "field": "weight_decay", "type": "ordinal"}
    assert points["encoding"]["shape"]["field"] == "augment"
    assert {t["field"] for t in points["encoding"]["tooltip"]} >= {"seed", "test_loss"}
    assert line["transform"] == [{"regression": "total_persistence_h0", "on": "test_loss"}]
    with pytest.raises(ValueError, match="columns"):
        topology_charts.persistence_vs_test_loss(table, y="total_persistence_h2")
    with pytest.raises(ValueError, match="positive"):
        topology_charts.persistence_vs_test_loss(table.assign(total_persistence_h0=0.0), log_y=True)


def test_merge_tree_layout_of_the_path():
    tree = merge_tree(path_graph(7), PATH_VALUES)
    nodes, edges = topology_charts.merge_tree_layout(tree)
    kinds = dict(zip(nodes["vertex"], nodes["kind"], strict=True))
    assert kinds == {0: "minimum", 2: "minimum", 4: "minimum", 6: "minimum",
                     1: "saddle", 5: "saddle", 3: "saddle"}
    x = dict(zip(nodes["vertex"], nodes["x"], strict=True))
    assert sorted(x[v] for v in (0, 2, 4, 6)) == [0.0, 1.0, 2.0, 3.0]  # leaves spread
    assert x[1] == (x[0] + x[2]) / 2 and x[5] == (x[4] + x[6]) / 2
    # each edge goes up, from a child to the vertex it merges into
    assert (edges["value2"] >= edges["value"]).all()
    assert sorted(map(tuple, edges[["child", "parent"]].values.tolist())) == sorted(
        map(tuple, tree.critical_edges().tolist()))


def test_merge_tree_chart_spec():
    tree = merge_tree(path_graph(7), np.asarray(PATH_VALUES) + 1.0)
    spec = topology_charts.merge_tree_chart(tree, log_scale=True).to_dict()
    lines, vertices = spec["layer"]
    assert lines["mark"]["type"] == "rule"
    assert {lines["encoding"][c]["field"] for c in ("x", "x2", "y", "y2")} == {
        "x", "x2", "value", "value2"}
    assert lines["encoding"]["y"]["scale"]["type"] == "log"
    assert vertices["encoding"]["shape"]["field"] == "kind"
    assert vertices["encoding"]["shape"]["scale"]["domain"] == ["minimum", "saddle", "root"]
    assert [t["field"] for t in vertices["encoding"]["tooltip"]] == ["vertex", "value", "kind"]
    with pytest.raises(ValueError, match="positive"):
        topology_charts.merge_tree_chart(merge_tree(path_graph(7), PATH_VALUES), log_scale=True)


def test_a_root_where_nothing_merges_is_drawn_as_root():
    # Values rising along a path: one minimum, no saddle, the top vertex is the root.
    tree = merge_tree(path_graph(4), [0.0, 1.0, 2.0, 3.0])
    nodes, edges = topology_charts.merge_tree_layout(tree)
    assert sorted(zip(nodes["vertex"], nodes["kind"], strict=True)) == [(0, "minimum"),
                                                                       (3, "root")]
    assert edges[["child", "parent"]].values.tolist() == [[0, 3]]


def test_landscape_with_diagram_stacks_the_two():
    points = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "kind": ["optimum",
                           "jump", "retrain"], "seed": [-1, 0, 0], "step_size": [0.0, 1.0, 1.0],
                           "epoch": [-1, 0, 1], "train_loss": [0.1, 2.0, 1.0]})
    diagram = [np.array([[0.1, np.inf]])]
    spec = topology_charts.landscape_with_diagram(points, diagram, "t").to_dict()
    assert len(spec["vconcat"]) == 2
    assert [layer["mark"]["type"] for layer in spec["vconcat"][1]["layer"]] == [
        "line", "rule", "text", "point"]
