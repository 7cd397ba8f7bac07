"""Chapter 5's computed sentences and its table beside the paper's: every branch, and the
table's "mean ± s.e." against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import classify_report as report
from helpers.classify import PAPER_TABLE, summarize


def p_frame(rows, n=49, classifiers="knn"):
    return pd.DataFrame([{"task": t, "feature_set": s, "score": 0.6, "null_mean": 0.5,
                          "null_std": 0.05, "p_value": p, "n_permutations": n,
                          "classifiers": classifiers} for t, s, p in rows])


def comparison(task, first, second, difference, p, level="classifier", wins=None,
               losses=None, n_pairs=11):
    wins = (n_pairs if difference > 0 else 0) if wins is None else wins
    losses = (n_pairs if difference < 0 else 0) if losses is None else losses
    return {"task": task, "first": first, "second": second, "level": level,
            "difference": difference, "wins": wins, "losses": losses,
            "ties": n_pairs - wins - losses, "n_pairs": n_pairs, "statistic": 0.0,
            "p_value": p}


def ordering_rows(task, differences, ps):
    pairs = [("jr", "naive"), ("jr", "grid"), ("naive", "grid"), ("naive", "randomized"),
             ("grid", "randomized")]
    return [comparison(task, a, b, d, p) for (a, b), d, p in
            zip(pairs, differences, ps, strict=True)]


# --------------------------------------------------------------- the table


def test_table_beside_paper_by_hand():
    accuracies = {("augment", "jr", "knn"): [0.6, 0.8], ("augment", "jr", "lda"): [0.7, 0.9],
                  ("augment", "jr", "mlp"): [0.5, 0.5],
                  ("augment", "topology", "knn"): [0.5, 0.6],
                  ("augment", "topology", "lda"): [0.4, 0.4],
                  ("augment", "topology", "mlp"): [0.6, 0.7]}
    scores = pd.DataFrame([{"task": t, "feature_set": s, "classifier": c, "repeat": 0,
                            "fold": f, "accuracy": a}
                           for (t, s, c), values in accuracies.items()
                           for f, a in enumerate(values)])
    _, table = summarize(scores)
    table["chance"] = 0.5
    p_values = p_frame([("augment", "jr", 0.02), ("augment", "topology", 0.4)])
    beside = report.table_beside_paper(table, p_values)
    # J&R: classifier means 0.7, 0.8, 0.5 -> mean 2/3, s.e. = sd(ddof 1) / sqrt(3)
    means = [0.7, 0.8, 0.5]
    mean = sum(means) / 3
    sem = math.sqrt(sum((m - mean) ** 2 for m in means) / 2) / math.sqrt(3)
    task = "data augmentation"
    assert beside.loc["J&R", (task, "this run")] == f"{100 * mean:.1f} ± {100 * sem:.1f}"
    assert beside.loc["J&R", (task, "this run")] == "66.7 ± 8.8"
    assert beside.loc["J&R", (task, "paper")] == "72.1 ± 5.4" == "{:.1f} ± {:.1f}".format(
        *PAPER_TABLE["jr"]["augment"])
    assert beside.loc["J&R", (task, "permutation p")] == "0.020"
    assert beside.loc["topology", (task, "paper")] == "—"
    assert beside.loc["chance", (task, "paper")] == "50.0"
    assert beside.loc["chance", (task, "this run")] == "50.0"
    assert list(beside.index) == ["chance", "J&R", "topology"]
    without = report.table_beside_paper(table)
    assert [c for _, c in without.columns] == ["paper", "this run"]


def test_table_beside_paper_marks_a_missing_cell_and_refuses_a_bad_table():
    table = pd.DataFrame({"task": ["augment", "weight_decay"], "feature_set": ["jr", "grid"],
                          "mean": [0.7, 0.5], "sem": [0.01, np.nan], "chance": [0.5, 1 / 3]})
    beside = report.table_beside_paper(table)
    assert beside.loc["J&R", ("weight decay", "this run")] == "—"
    assert beside.loc["grid", ("weight decay", "this run")] == "50.0"  # one classifier
    assert beside.loc["chance", ("weight decay", "this run")] == "33.3"
    with pytest.raises(ValueError, match="table"):
        report.table_beside_paper(table.drop(columns="chance"))


# --------------------------------------------------------------- permutations


def test_permutation_sentence_without_tests():
    assert "No permutation test was run" in report.permutation_sentence(p_frame([]).iloc[:0])


def test_permutation_sentence_all_significant_and_control_not():
    text = report.permutation_sentence(p_frame([("augment", "jr", 0.02),
                                                ("weight_decay", "grid", 0.04),
                                                ("augment", "randomized", 0.5)],
                                               classifiers="knn, lda"))
    assert "every feature set but the control beats permuted labels" in text
    assert "k nearest neighbours and linear discriminant analysis" in text
    assert "smallest attainable p is 0.020" in text
    assert "does not, as it should not (data augmentation p = 0.500)" in text


def test_permutation_sentence_none_significant():
    text = report.permutation_sentence(p_frame([("augment", "jr", 0.3)]))
    assert "**no** feature set beats permuted labels" in text and "control" not in text


def test_permutation_sentence_mixed_and_a_control_that_beats_chance():
    text = report.permutation_sentence(p_frame([("augment", "jr", 0.02),
                                                ("augment", "grid", 0.3),
                                                ("augment", "randomized", 0.04)]))
    assert "1 of 2 feature set × task pairs beat permuted labels" in text
    assert "Not: grid on data augmentation (p = 0.300)" in text
    assert "control **does** beat permuted labels on data augmentation" in text


def test_permutation_sentence_with_only_the_control():
    text = report.permutation_sentence(p_frame([("augment", "randomized", 0.6)]))
    assert "only the control was tested" in text and "as it should not" in text


# ---------------------------------------------------------- paired comparisons


def test_paired_sentence_branches():
    rows = pd.DataFrame([
        comparison("augment", "jr", "grid", 0.08, 0.002, wins=10, losses=1),
        comparison("weight_decay", "jr", "grid", -0.05, 0.01, wins=1, losses=9),
        comparison("generalization", "jr", "grid", 0.01, 0.6, wins=6, losses=5),
        comparison("augment", "jr", "grid", 0.07, 1e-6, level="fold", n_pairs=110, wins=60,
                   losses=20)])
    text = report.paired_sentence(rows, "jr", "grid")
    assert "data augmentation: J&R **more accurate** by 8.0 points, better for 10 of 11" in text
    assert "weight decay: J&R **less accurate** by 5.0 points, worse for 9 of 11" in text
    assert ("5-class generalization: no clear difference (+1.0 points, better for 6 and worse "
            "for 5 of 11 classifiers, p = 0.600)") in text
    assert "Fold by fold (110 pairs" in text and "+7.0 points, p = 1.0e-06" in text


def test_paired_sentence_untested_and_missing():
    rows = pd.DataFrame([comparison("augment", "jr", "naive", 0.0, np.nan, n_pairs=0)])
    assert "untested (no pair of classifiers)" in report.paired_sentence(rows, "jr", "naive")
    assert "Fold by fold" not in report.paired_sentence(rows, "jr", "naive")
    assert report.paired_sentence(rows, "jr", "grid") == (
        "J&R and grid were not both in this table.")


# ------------------------------------------------------------ beyond the paper


def table_of(means):
    return pd.DataFrame([{"task": t, "feature_set": s, "mean": m, "sem": 0.01, "chance": 0.5}
                         for (t, s), m in means.items()])


def test_addition_sentence_adds_lowers_and_nothing():
    table = table_of({("augment", "jr"): 0.7, ("augment", "topology"): 0.6,
                      ("weight_decay", "jr"): 0.5, ("weight_decay", "topology"): 0.4,
                      ("generalization", "jr"): 0.3, ("generalization", "topology"): 0.2})
    rows = pd.DataFrame([comparison("augment", "jr+topology", "jr", 0.05, 0.01),
                         comparison("weight_decay", "jr+topology", "jr", -0.04, 0.02),
                         comparison("generalization", "jr+topology", "jr", 0.0, 1.0),
                         comparison("augment", "jr+topology", "jr", 0.05, 1e-4, level="fold")])
    text = report.addition_sentence(table, rows, "topology")
    assert text.startswith("Topology alone reaches 60.0 % on data augmentation (J&R 70.0 %)")
    assert "it **adds** to them on data augmentation (+5.0 points, p = 0.010)" in text
    assert "it **lowers** the accuracy on weight decay (-4.0 points, p = 0.020)" in text
    assert "changes nothing that the classifiers can tell on 5-class generalization" in text
    assert "1.0e-04" not in text  # the fold-level row is not a verdict


def test_addition_sentence_without_the_combination_or_the_set_alone():
    table = table_of({("augment", "jr"): 0.7, ("augment", "sharpness"): 0.55})
    text = report.addition_sentence(table, report.no_comparisons(), "sharpness")
    assert text == ("Sharpness alone reaches 55.0 % on data augmentation (J&R 70.0 %). Its "
                    "combination with the J&R samples was not in this table.")
    rows = pd.DataFrame([comparison("augment", "jr+sharpness", "jr", 0.0, 0.9)])
    only_combined = report.addition_sentence(table_of({("augment", "jr"): 0.7}), rows,
                                             "sharpness")
    assert only_combined.startswith("Added to the J&R samples it changes nothing")


# ---------------------------------------------------------------- the ordering


def test_ordering_summary_branches():
    holds = ordering_rows("augment", [0.05, 0.07, 0.02, 0.15, 0.13],
                          [0.01, 0.002, 0.5, 0.001, 0.001])
    partly = ordering_rows("weight_decay", [0.01, 0.07, 0.02, 0.15, 0.13],
                           [0.6, 0.002, 0.5, 0.001, 0.001])
    fails = ordering_rows("generalization", [-0.05, 0.07, 0.02, 0.15, 0.13],
                          [0.01, 0.002, 0.5, 0.001, 0.001])
    frame = pd.DataFrame(holds + partly + fails)
    assert report.ordering_summary(frame, ["augment"]) == (
        "The paper's ordering **holds** on the one task tested (data augmentation).")
    assert report.ordering_summary(frame, ["weight_decay"]).startswith(
        "The paper's ordering holds **in part** on the one task")
    assert report.ordering_summary(pd.DataFrame(holds + holds), ["augment", "augment"]) == (
        "The paper's ordering **holds** on all 2 tasks.")
    mixed = report.ordering_summary(frame, ["augment", "weight_decay", "generalization"])
    assert mixed == ("The paper's ordering **holds** on data augmentation; it holds **in "
                     "part** on weight decay; it does **not** hold on 5-class "
                     "generalization.")
    untested = pd.DataFrame([comparison("augment", "jr", "topology", 0.1, 0.01)])
    assert "cannot be tested" in report.ordering_summary(untested, ["augment"])
    assert "cannot be tested here" in report.ordering_summary(untested, ["augment", "augment"])
    assert "cannot be tested here" in report.ordering_summary(report.no_comparisons(),
                                                              ["augment"])


def test_ordering_verdicts_one_paragraph_per_task():
    frame = pd.DataFrame(ordering_rows("augment", [0.05, 0.07, 0.02, 0.15, 0.13],
                                       [0.01, 0.002, 0.5, 0.001, 0.001])
                         + ordering_rows("weight_decay", [-0.05, 0.07, 0.02, 0.15, 0.13],
                                         [0.01, 0.002, 0.5, 0.001, 0.001]))
    text = report.ordering_verdicts(frame, ["augment", "weight_decay"])
    first, second = text.split("\n\n")
    assert first.startswith("Data augmentation: the paper's ordering J&R > naive ≈ grid > "
                            "randomized J&R **holds** here")
    assert second.startswith("Weight decay:") and "**does not hold**" in second
    assert report.ordering_verdicts(report.no_comparisons(), ["augment"]).startswith(
        "The paper's ordering J&R > naive ≈ grid > randomized cannot be tested")


# ----------------------------------------------------------- networks and scale


def test_dropped_and_scale_sentences():
    assert report.dropped_sentence({}, 12) == "All 12 networks of the zoo are classified."
    assert report.dropped_sentence({4: "training failed"}, 12) == (
        "1 of the 12 networks is left out of every feature set and task: #4 (training "
        "failed).")
    assert report.scale_sentence(108, 640, preset="paper").startswith(
        "This run is at the paper's scale")
    assert report.scale_sentence(108, 48, preset="paper").startswith(
        "This run classifies 108 networks with 48 points")


@pytest.mark.parametrize(("call", "name"), [
    (lambda: report.permutation_sentence([]), "p_values"),
    (lambda: report.paired_sentence([], "jr", "grid"), "comparisons"),
    (lambda: report.addition_sentence([], report.no_comparisons(), "topology"), "table"),
    (lambda: report.ordering_summary(report.no_comparisons(), "augment"), "tasks"),
    (lambda: report.ordering_summary([], ["augment"]), "comparisons"),
    (lambda: report.ordering_verdicts(report.no_comparisons(), []), "tasks"),
    (lambda: report.ordering_verdicts([], ["augment"]), "comparisons"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()
