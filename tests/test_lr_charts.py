"""Tests of helpers.lr_charts: what each chart draws, and that it fits the page column."""

from __future__ import annotations

import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert
from scipy import sparse

from helpers import lr_charts
from helpers.loss_fields import heatmap_frame

RATES = (0.1, 0.01)


def rendered_width(chart: alt.TopLevelMixin) -> float:
    with alt.data_transformers.disable_max_rows():
        spec = chart.to_dict()
    svg = vl_convert.vegalite_to_svg(spec, vl_version="_".join(
        alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]))
    return float(re.search(r'<svg[^>]*width="([\d.]+)"', svg).group(1))


def history() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [{"lr": lr, "seed": seed, "epoch": e, "split": split, "metric": metric,
             "value": float(rng.random()) + 0.01}
            for lr in RATES for seed in range(3) for e in range(31)
            for split in ("train", "test") for metric in ("loss", "accuracy")]
    return pd.DataFrame(rows)


def topology_table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = [{"variant": v, "lr": lr, "seed": seed, "tree": t, "set": s, "epoch": e,
             "total_persistence": float(rng.random()), "wasserstein": float(rng.random())}
            for v in ("loss", "shuffle", "rank") for lr in RATES for seed in range(3)
            for t in ("join", "split") for s in ("train", "test") for e in range(31)]
    return pd.DataFrame(rows)


def test_band_panel_draws_mean_and_seed_range():
    table = pd.DataFrame({"lr": [0.1] * 3 + [0.01] * 3, "seed": [0, 1, 2] * 2, "epoch": 1,
                          "value": [1.0, 2.0, 6.0, 3.0, 3.0, 3.0]})
    chart = lr_charts.band_panel(table, "value", milestones=(4, 8))
    band, line, rules = chart.layer
    data = band.data.set_index("lr")
    assert data.loc[0.1, ["mean", "min", "max"]].tolist() == [3.0, 1.0, 6.0]
    assert rules.data["epoch"].tolist() == [4, 8]
    with pytest.raises(ValueError, match="columns"):
        lr_charts.band_panel(table.drop(columns="seed"), "value")
    with pytest.raises(ValueError, match="log needs positive"):
        lr_charts.band_panel(table.assign(value=0.0), "value", log=True)


def test_rates_keep_one_colour_order():
    assert lr_charts.rate_color([0.01, 0.1, 0.5]).to_dict()["scale"]["domain"] == \
        ["0.5", "0.1", "0.01"]


def test_every_chart_fits_the_page_column():
    table = topology_table()
    measured = table[table["variant"] == "loss"]
    points = {(lr, e): [np.array([[0.5, 1.0], [1.0, 0.2]]) * (1 + e / 10)]
              for lr in RATES for e in (1, 9, 10, 19, 20, 22, 23, 30)}
    images = heatmap_frame(points, ("lr", "epoch"), resolution=20)
    skip = pd.concat([heatmap_frame({(r,): [np.array([[0.2 * i, 0.5]])] for r in (True, False)},
                                    ("residual",)).assign(panel=f"panel {i}")
                      for i in range(1, 5)])
    path = sparse.diags([1.0, 1.0], [-1, 1], shape=(30, 30), format="csr")
    charts = {
        "learning curves": lr_charts.learning_curves(history(), (9, 19, 22)),
        "total persistence": lr_charts.tree_set_curves(measured, "total_persistence", (9,)),
        "wasserstein": lr_charts.tree_set_curves(measured, "wasserstein", (9,)),
        "controls": lr_charts.control_curves(table, (9,)),
        "heatmaps": lr_charts.heatmaps(images, "lr", "epoch", title="t"),
        "skip heatmaps": lr_charts.heatmap_groups(skip, "panel", "residual"),
        "degrees": lr_charts.degree_histogram({"train": path, "test": path}),
    }
    for name, chart in charts.items():
        assert rendered_width(chart) <= lr_charts.PAGE_WIDTH, name


def test_grids_have_one_panel_per_tree_and_set():
    table = topology_table()
    measured = table[table["variant"] == "loss"]
    assert len(lr_charts.tree_set_curves(measured, "wasserstein").concat) == 4
    assert len(lr_charts.control_curves(table).concat) == 12
    assert len(lr_charts.learning_curves(history()).concat) == 4
    first = lr_charts.tree_set_curves(measured, "total_persistence", first_epoch=5)
    assert first.concat[0].layer[0].data["epoch"].min() == 5
    with pytest.raises(ValueError, match="value must be one of"):
        lr_charts.tree_set_curves(measured, "loss")


def test_heatmaps_label_rows_and_columns():
    frame = heatmap_frame({(True,): [np.array([[0.0, 1.0]])], (False,): [np.empty((0, 2))]},
                          ("residual",))
    chart = lr_charts.heatmaps(frame, None, "residual")
    assert set(chart.data["residual"]) == {"with skips", "without skips"}
    assert "row" not in chart.to_dict()["facet"]
    with pytest.raises(ValueError, match="columns"):
        lr_charts.heatmaps(frame.drop(columns="intensity"), None, "residual")
    with pytest.raises(ValueError, match="column 'panel'"):
        lr_charts.heatmap_groups(frame, "panel", "residual")
