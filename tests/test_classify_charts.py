"""Charts of the classifier table, checked on their specs and on the rendered width."""

from __future__ import annotations

import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert

from helpers.classifiers import CLASSIFIER_LABELS, CLASSIFIERS
from helpers.classify import PAPER_TABLE, summarize
from helpers.classify_charts import accuracy_heatmap, accuracy_heatmaps, table_chart
from helpers.render import PAGE_WIDTH

TASKS = ("generalization", "weight_decay", "augment")


def fake_scores(feature_sets, folds=4, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"task": t, "feature_set": s, "classifier": c, "repeat": 0, "fold": f,
                          "accuracy": rng.uniform(0.2, 0.9)}
                         for t in TASKS for s in feature_sets for c in CLASSIFIERS
                         for f in range(folds)])


def rendered_width(chart):
    version = "_".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    svg = vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=version)
    return float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))


def layer_rows(spec):
    return spec["datasets"][spec["data"]["name"]]


@pytest.mark.parametrize("n_sets", [4, 6, 12])
def test_heatmaps_fit_the_page_column(n_sets):
    sets = [f"J&R retrain loss and accuracy values, set {i}" for i in range(n_sets)]
    per_classifier, table = summarize(fake_scores(sets))
    assert rendered_width(accuracy_heatmaps(per_classifier)) <= PAGE_WIDTH
    assert rendered_width(table_chart(table.assign(chance=0.2))) <= PAGE_WIDTH


def test_heatmap_rows_columns_and_tooltip():
    sets = ["jr", "grid", "naive", "randomized"]
    per_classifier, _ = summarize(fake_scores(sets))
    chart = accuracy_heatmap(per_classifier, "augment", chance=0.5,
                             feature_set_labels={"jr": "J&R"})
    spec = chart.to_dict()
    rows = layer_rows(spec)
    assert len(rows) == len(sets) * 11 and {r["task"] for r in rows} == {"augment"}
    x, y = spec["layer"][0]["encoding"]["x"], spec["layer"][0]["encoding"]["y"]
    assert x["sort"] == ["J&R", "grid", "naive", "randomized"]
    assert y["sort"] == [CLASSIFIER_LABELS[c] for c in CLASSIFIERS]
    titles = [t.get("title", t["field"]) for t in spec["layer"][0]["encoding"]["tooltip"]]
    assert {"fold std", "lowest fold", "highest fold", "folds"} <= set(titles)
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0.5, 1.0]
    one = next(r for r in rows if r["classifier"] == "knn" and r["feature_set"] == "grid")
    expected = per_classifier.query("task == 'augment' and classifier == 'knn' and "
                                    "feature_set == 'grid'").iloc[0]
    assert one["std"] == pytest.approx(expected["std"]) and one["n_folds"] == 4
    stacked = accuracy_heatmaps(per_classifier, tasks=["augment", "generalization"]).to_dict()
    assert [panel["title"] for panel in stacked["vconcat"]] == ["augment", "generalization"]


def test_table_chart_cells_and_hover():
    _, table = summarize(fake_scores(["jr", "grid"]))
    table = table.assign(chance=table["task"].map({"generalization": 0.2,
                                                   "weight_decay": 1 / 3, "augment": 0.5}))
    p_values = table[["task", "feature_set"]].assign(p_value=0.01)
    spec = table_chart(table, paper=PAPER_TABLE, p_values=p_values).to_dict()
    rows = layer_rows(spec)
    cell = next(r for r in rows if r["task"] == "augment" and r["feature_set"] == "jr")
    source = table.query("task == 'augment' and feature_set == 'jr'").iloc[0]
    assert cell["text"] == f"{100 * source['mean']:.1f} ± {100 * source['sem']:.1f}"
    assert cell["paper"] == "72.1 ± 5.4" and cell["p_value"] == 0.01
    assert cell["gain"] == pytest.approx(100 * (source["mean"] - 0.5))
    assert "permutation p" in [t.get("title") for t in spec["layer"][0]["encoding"]["tooltip"]]


def test_table_chart_hover_shows_the_fold_spread():
    scores = fake_scores(["jr", "grid"])
    per_classifier, table = summarize(scores)
    table = table.assign(chance=0.5)
    spec = table_chart(table, per_classifier=per_classifier).to_dict()
    cell = next(r for r in layer_rows(spec) if r["task"] == "weight_decay"
                and r["feature_set"] == "grid")
    folds = scores.query("task == 'weight_decay' and feature_set == 'grid'")
    by_classifier = folds.groupby("classifier")["accuracy"].std(ddof=1)
    assert cell["fold_std"] == pytest.approx(by_classifier.mean())
    assert cell["fold_range"] == (f"{100 * folds['accuracy'].min():.1f} – "
                                  f"{100 * folds['accuracy'].max():.1f}")
    titles = [t.get("title") for t in spec["layer"][0]["encoding"]["tooltip"]]
    assert {"fold std (mean over classifiers)", "folds, lowest – highest (%)"} <= set(titles)
    assert "fold_std" not in layer_rows(table_chart(table).to_dict())[0]


@pytest.mark.parametrize("call,name", [
    (lambda: accuracy_heatmap(pd.DataFrame(), "augment"), "per_classifier"),
    (lambda: table_chart(summarize(fake_scores(["a"]))[1].assign(chance=0.5),
                         per_classifier=pd.DataFrame({"task": []})), "per_classifier"),
    (lambda: accuracy_heatmap(summarize(fake_scores(["a"]))[0], "depth"), "task"),
    (lambda: accuracy_heatmaps(summarize(fake_scores(["a"]))[0], tasks=["depth"]), "tasks"),
    (lambda: table_chart([1, 2]), "table"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()
