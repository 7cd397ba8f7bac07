"""Tests of helpers.lr_report: each summary against hand-made tables, each sentence branch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import lr_report


def final_table(large: list[float], small: list[float], metric: str = "test_accuracy"
                ) -> pd.DataFrame:
    return pd.DataFrame({"lr": [0.1] * len(large) + [0.01] * len(small),
                         "seed": list(range(len(large))) + list(range(len(small))),
                         metric: large + small})


def history(large: list[float], small: list[float], metric: str = "accuracy") -> pd.DataFrame:
    epochs = list(range(1, len(large) + 1))
    return pd.DataFrame({"lr": [0.1] * len(large) + [0.01] * len(small), "seed": 0,
                         "epoch": epochs * 2, "split": "test", "metric": metric,
                         "value": large + small})


def topology(curves: dict[tuple, list[float]], variant: str = "loss") -> pd.DataFrame:
    """Rows for (tree, set, lr, seed) -> total persistence at epochs 1.."""
    rows = []
    for (tree, which, lr, seed), values in curves.items():
        rows += [{"variant": variant, "tree": tree, "set": which, "lr": lr, "seed": seed,
                  "epoch": e, "total_persistence": v, "wasserstein": float(len(values) - e)}
                 for e, v in enumerate(values, start=1)]
    return pd.DataFrame(rows)


def test_count_phrase():
    assert [lr_report.count_phrase(*a) for a in [(2, 2), (0, 2), (1, 2)]] == \
        ["all 2", "none of the 2", "1 of 2"]


# ------------------------------------------------------------------------------ gap


def test_rate_gap_numbers_match_pandas():
    final = final_table([0.98, 0.97, 0.99], [0.95, 0.96, 0.94])
    gap = lr_report.rate_gap(final)
    assert gap["advantage"] == pytest.approx(0.03)
    assert gap["spread"] == pytest.approx(np.std([0.98, 0.97, 0.99], ddof=1))
    assert gap["clear"] and gap["n_seeds"] == 3
    loss = lr_report.rate_gap(final_table([0.1, 0.12], [0.3, 0.31], "test_loss"), "test_loss")
    assert loss["advantage"] == pytest.approx(0.195)  # small minus large: large is better
    with pytest.raises(ValueError, match="metric must be one of"):
        lr_report.rate_gap(final, "accuracy")


@pytest.mark.parametrize(("large", "small", "expected"), [
    ([0.98, 0.97, 0.99], [0.95, 0.96, 0.94], "ends ahead of the small one (0.01) by 3.0 points"
     " of test accuracy, more than twice the seed spread (1.0 points): a clear gap"),
    ([0.95, 0.96, 0.94], [0.98, 0.97, 0.99], "ends behind the small one (0.01) by 3.0 points"),
    ([0.97, 0.95, 0.99], [0.96, 0.97, 0.95], "within twice the seed spread (2.0 points): at "
     "this scale the two rates cannot be told apart"),
    ([0.97], [0.95], "with one seed per rate there is no seed spread"),
    ([0.97, 0.96], [0.97, 0.96], "end with the same test accuracy"),
])
def test_gap_sentence_branches(large, small, expected):
    assert expected in lr_report.gap_sentence(lr_report.rate_gap(final_table(large, small)))


def test_gap_sentence_in_loss_units():
    text = lr_report.gap_sentence(lr_report.rate_gap(
        final_table([0.1, 0.11], [0.3, 0.31], "test_loss"), "test_loss"))
    assert "by 0.2 of test loss" in text and "clear gap" in text


# ------------------------------------------------------------------------- crossing


def test_crossing_finds_the_last_epoch_behind():
    result = lr_report.crossing(history([0.5, 0.6, 0.8, 0.9, 0.95], [0.6, 0.7, 0.7, 0.92, 0.9]))
    assert result["ends_ahead"] and result["last_behind"] == 4
    assert result["advantage"] == pytest.approx(0.05)
    loss = lr_report.crossing(history([2.0, 1.0, 0.1], [1.0, 0.5, 0.3], "loss"), "loss")
    assert loss["ends_ahead"] and loss["last_behind"] == 2


@pytest.mark.parametrize(("large", "small", "expected"), [
    ([0.5, 0.8, 0.9], [0.6, 0.7, 0.8], "small rate leads until epoch 1; the large rate is "
     "ahead from epoch 2 on, after the first anneal (epoch 1), and ends ahead"),
    ([0.5, 0.6, 0.9], [0.6, 0.7, 0.8], "from epoch 3 on, after the second anneal (epoch 2)"),
    ([0.7, 0.8, 0.9], [0.6, 0.7, 0.8], "the large rate is ahead at every epoch and ends ahead"),
    ([0.7, 0.8, 0.7], [0.6, 0.7, 0.8], "does not end ahead of the small one (at epoch 3: "
     "10.0 points behind)"),
    ([0.7, 0.8, 0.8], [0.6, 0.7, 0.8], "(at epoch 3: 0.0 points apart)"),
])
def test_crossing_sentence_branches(large, small, expected):
    text = lr_report.crossing_sentence(lr_report.crossing(history(large, small)), (1, 2))
    assert expected in text


def test_crossing_before_any_anneal():
    text = lr_report.crossing_sentence(
        lr_report.crossing(history([0.5, 0.8, 0.9], [0.6, 0.7, 0.8])), (2,))
    assert "before the first anneal" in text


# ------------------------------------------------------------------ persistence trends


def test_persistence_trends_directions():
    table = topology({("join", "train", 0.1, 0): [3, 2, 1], ("join", "train", 0.1, 1): [5, 4, 3],
                      ("split", "test", 0.1, 0): [1, 2, 3], ("split", "test", 0.01, 0): [1, 3, 1]})
    trends = lr_report.persistence_trends(table)
    assert trends.loc[("join", "train", 0.1), ["first", "peak", "last"]].tolist() == [4, 4, 2]
    assert trends["direction"].tolist() == ["falls", "rises", "mixed"]
    # a curve that rises for one epoch, then falls for long, falls
    rises_then_falls = topology({("join", "train", 0.1, 0): [1, 5, 4.5, 4, 3.5, 3, 2.5, 2,
                                                                1.8, 1.6, 1.4, 1.2]})
    assert lr_report.persistence_trends(rises_then_falls)["direction"].tolist() == ["falls"]
    text = lr_report.trend_sentence(trends)
    assert "in 1 of 3 curves" in text
    assert "it rises for split/test at 0.1" in text
    assert "it has no clear direction for split/test at 0.01" in text


def test_trend_sentence_when_every_curve_falls():
    trends = lr_report.persistence_trends(topology({("join", "train", 0.1, 0): [3, 2, 1]}))
    assert lr_report.trend_sentence(trends).endswith(
        "in all 1 curves (tree × set × rate), as the thesis found for all four trees and sets.")
    assert "Spearman's ρ with the epoch ≤ -0.5" in lr_report.trend_sentence(trends)


def test_end_comparison_and_its_sentence():
    curves = {("join", "test", 0.1, 0): [5, 1.0], ("join", "test", 0.1, 1): [5, 1.1],
              ("join", "test", 0.01, 0): [5, 2.0], ("join", "test", 0.01, 1): [5, 2.1],
              ("split", "test", 0.1, 0): [5, 3.0], ("split", "test", 0.1, 1): [5, 3.1],
              ("split", "test", 0.01, 0): [5, 1.0], ("split", "test", 0.01, 1): [5, 1.1],
              ("join", "train", 0.1, 0): [5, 1.0], ("join", "train", 0.1, 1): [5, 2.0],
              ("join", "train", 0.01, 0): [5, 1.2], ("join", "train", 0.01, 1): [5, 2.2]}
    ends = lr_report.end_comparison(topology(curves))
    assert ends["lower"].to_dict() == {("join", "test"): "large", ("split", "test"): "small",
                                       ("join", "train"): "neither"}
    assert ends.loc[("join", "test"), "large"] == pytest.approx(1.05)
    assert lr_report.end_sentence(ends) == (
        "At the last epoch the large rate has clearly lower total persistence for join/test, "
        "the small rate for split/test, and neither is clearly lower for join/train.")
    only_large = ends.loc[[("join", "test")]]
    assert lr_report.end_sentence(only_large).endswith("the small rate for none.")
    one_seed = lr_report.end_comparison(topology({("join", "test", 0.1, 0): [5, 1.0],
                                                  ("join", "test", 0.01, 0): [5, 2.0]}))
    assert one_seed["lower"].tolist() == ["neither"]
    assert lr_report.end_sentence(one_seed).startswith("At the last epoch neither rate")


# -------------------------------------------------------------------------- heatmaps


def test_heatmap_summary_and_sentence():
    rows = []
    for tree, last_large, last_small in (("join", [0.1], [1.2, 1.3]), ("split", [4.0], [0.1])):
        for lr, last in ((0.1, last_large), (0.01, last_small)):
            rows += [{"tree": tree, "set": "test", "lr": lr, "seed": 0, "epoch": 1,
                      "birth": 1.0, "persistence": p} for p in (1.0, 2.0)]
            rows += [{"tree": tree, "set": "test", "lr": lr, "seed": 0, "epoch": 5,
                      "birth": 0.2 if tree == "join" else 3.0, "persistence": p} for p in last]
    summary = lr_report.heatmap_summary(pd.DataFrame(rows))
    assert summary["towards_origin"].tolist() == [True, False]
    assert summary.loc[("join", "test"), ["high_large", "high_small"]].tolist() == [0, 1]
    text = lr_report.heatmap_sentence(summary)
    assert "towards the origin (lower median birth and persistence) for 1 of 2 trees and sets " \
        "(join/test)" in text
    assert "than the small one for join/test, more for split/test, as many for none." in text
    same = summary.assign(towards_origin=False, high_large=1.0, high_small=1.0)
    text = lr_report.heatmap_sentence(same)
    assert "for none of the 2 trees and sets;" in text and "as many for join/test, split/test" \
        in text


# ----------------------------------------------------------------------- wasserstein


def test_wasserstein_sync_and_sentence():
    table = topology({("join", "train", 0.1, 0): [3, 2, 1, 0]})  # wasserstein 3, 2, 1, 0
    losses = pd.DataFrame({"lr": 0.1, "seed": 0, "epoch": [1, 2, 3, 4], "split": "train",
                           "metric": "loss", "value": [0.9, 0.5, 0.2, 0.1]})
    sync = lr_report.wasserstein_sync(table, losses)
    assert sync["rho"].tolist() == [1.0]
    assert lr_report.wasserstein_sentence(sync).endswith("as the thesis describes.")
    weak = pd.DataFrame({"rho": [0.9, -0.2, np.nan]})
    assert "in 1 of 3 curves (median ρ 0.35)." in lr_report.wasserstein_sentence(weak)
    undefined = pd.DataFrame({"rho": [np.nan]})
    assert "undefined" in lr_report.wasserstein_sentence(undefined)


# -------------------------------------------------------------------------- controls


def controls(real: list[float], shuffled: list[float], ranked: list[float]) -> pd.DataFrame:
    return pd.concat([topology({("join", "train", 0.1, 0): real}),
                      topology({("join", "train", 0.1, 0): shuffled}, "shuffle"),
                      topology({("join", "train", 0.1, 0): ranked}, "rank")])


@pytest.mark.parametrize(("real", "shuffled", "ranked", "expected"), [
    ([3, 2, 1], [5, 4, 3], [3, 2, 1], ["in all 1 curves: its trend comes from the changing "
                                       "values alone", "lower total persistence than its "
                                       "shuffle at 100 % of the epochs: neighbouring images",
                                       "the arrangement alone"]),
    ([3, 2, 1], [0, 1, 2], [1, 2, 3], ["in none of the 1 curves: the trend depends on where",
                                       "shuffle at 33 % of the epochs: the graph does not",
                                       "the trends come from the "
                                       "scale of the losses", "total persistence rises in 1,"]),
])
def test_controls_sentence_branches(real, shuffled, ranked, expected):
    summary = lr_report.control_summary(controls(real, shuffled, ranked))
    text = lr_report.controls_sentence(summary)
    for part in expected:
        assert part in text


def test_controls_sentence_with_partial_agreement_and_without_controls():
    curves = {("join", "train", 0.1, 0): [3, 2, 1], ("join", "test", 0.1, 0): [3, 2, 1]}
    shuffled = {("join", "train", 0.1, 0): [3, 2, 1], ("join", "test", 0.1, 0): [1, 2, 3]}
    table = pd.concat([topology(curves), topology(shuffled, "shuffle"),
                       topology(shuffled, "rank")])
    text = lr_report.controls_sentence(lr_report.control_summary(table))
    assert "in 1 of 2 curves: part of the trend" in text
    assert "the others owe theirs to the scale of the losses" in text
    assert "total persistence falls in 1, rises in 1, and moves as measured in 1 of 2" in text
    assert text.count("For the join tree") == 1
    assert lr_report.controls_sentence(lr_report.control_summary(topology(curves))) == \
        "No control was computed."
    flat = lr_report.controls_sentence(lr_report.control_summary(controls([3, 2, 1], [3, 2, 1],
                                                                          [1, 3, 1])))
    assert "total persistence has no clear trend in 1, and moves as measured in none" in flat


# -------------------------------------------------------------------- skip connections


def skip_table(without: list[float], with_: list[float]) -> pd.DataFrame:
    rows = []
    for residual, means in ((True, with_), (False, without)):
        for which, mean in zip(("train", "test"), means, strict=True):
            rows.append({"skip connections": residual, "tree": "split", "set": which,
                         "test_accuracy": 0.9 if residual else 0.8, "total_persistence": mean,
                         "n_points": 3, "mean_persistence": mean})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("without", "with_", "expected"), [
    ([2.0, 3.0], [1.0, 1.0], "persist longer on average for train (2 against 1), test (3 "
     "against 1), as the thesis found. Test accuracy: 90.0 % with skips, 80.0 % without."),
    ([1.0, 1.0], [2.0, 3.0], "do not persist longer on average"),
    ([2.0, 1.0], [1.0, 3.0], "persist longer on average for train only"),
])
def test_skip_sentence_branches(without, with_, expected):
    assert expected in lr_report.skip_sentence(skip_table(without, with_))


def test_skip_sentence_without_the_comparison_or_the_split_tree():
    assert lr_report.skip_sentence(pd.DataFrame()) == \
        "The comparison of skip connections was not run."
    join = skip_table([2.0, 3.0], [1.0, 1.0]).assign(tree="join")
    assert "the basins of the loss persist longer" in lr_report.skip_sentence(join)


def test_paper_comparison_rows():
    final = final_table([0.98, 0.97], [0.95, 0.96])
    gap = lr_report.rate_gap(final)
    cross = lr_report.crossing(history([0.5, 0.8], [0.6, 0.7]))
    trends = lr_report.persistence_trends(topology({("join", "test", 0.1, 0): [3, 2, 1]}))
    ends = lr_report.end_comparison(topology({("join", "test", 0.1, 0): [3, 1],
                                              ("join", "test", 0.01, 0): [3, 2]}))
    sync = pd.DataFrame({"rho": [0.5, 0.7]})
    table = lr_report.paper_comparison(gap, cross, trends, ends, sync,
                                       skip_table([2.0, 3.0], [1.0, 1.0]), "WRN-10-1")
    assert table.loc["when the large rate takes the lead", "this run"] == "from epoch 2"
    assert table.loc["total persistence over training", "this run"] == \
        "falls in 1 of 1 tree/set/rate curves"
    assert table.loc["last epoch, test set", "this run"] == "join: neither clearly"
    assert "97.5 ± 0.7 %" in table.loc["final test accuracy", "this run"]
    assert table.loc["skip connections (ResNet)", "this run"] == \
        "mean persistence 2.5 without, 1 with"
