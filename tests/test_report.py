"""Every branch of every computed verdict: the sentence follows the numbers."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers import report
from helpers.statistics import CorrelationResult, correlation_test, partial_correlation_test
from helpers.verdicts import (
    CORRELATION_OUTCOMES,
    ORDERING_OUTCOMES,
    correlation_outcome,
    correlation_verdict,
    format_p,
    ordering_outcome,
    ordering_verdict,
    relation_outcome,
)

BASE = CorrelationResult(method="spearman", statistic=0.5, n=48, p_value=0.001,
                         p_method="monte-carlo", n_permutations=9999, alternative="two-sided",
                         low=0.25, high=0.7, confidence=0.95, n_bootstrap=2000)
LABELS = dict(x_label="total persistence", y_label="test loss", claim="the paper's trend")


def result(**changes):
    return dataclasses.replace(BASE, **changes)


@pytest.mark.parametrize("changes,outcome,phrase", [
    ({}, "reproduces", "This **reproduces** the paper's trend."),
    ({"statistic": -0.5, "low": -0.7, "high": -0.25}, "does not reproduce", "runs **against**"),
    ({"statistic": 0.02, "p_value": 0.9, "low": -0.2, "high": 0.25}, "does not reproduce",
     "excludes any correlation of 0.3 or more"),
    ({"statistic": 0.2, "p_value": 0.2, "low": -0.1, "high": 0.5}, "inconclusive",
     "cannot tell it from no relation (p = 0.200 ≥ 0.05)"),
    ({"n": 4}, "too few points", "too few points (at least 5"),
    ({"statistic": float("nan"), "p_value": float("nan")}, "undefined",
     "one of them takes a single value"),
])
def test_each_correlation_branch(changes, outcome, phrase):
    chosen = result(**changes)
    assert correlation_outcome(chosen) == outcome
    assert outcome in CORRELATION_OUTCOMES
    text = correlation_verdict(chosen, **LABELS)
    assert phrase in text
    if outcome not in ("too few points", "undefined"):
        assert f"**{chosen.statistic:.2f}**" in text and "Monte-Carlo permutation test" in text
        assert f"{chosen.low:.2f} to {chosen.high:.2f}" in text


def test_expected_sign_flips_the_verdict():
    negative = result(statistic=-0.5, low=-0.7, high=-0.25)
    assert correlation_outcome(negative, expected_sign=-1) == "reproduces"
    # an interval excluding strong negative correlations rules out a negative trend
    weak = result(statistic=0.0, p_value=0.9, low=-0.2, high=0.2)
    assert correlation_outcome(weak, expected_sign=-1) == "does not reproduce"
    assert correlation_outcome(weak, expected_sign=-1, smallest_effect=0.1) == "inconclusive"


def test_min_points_counts_covariates():
    partial = result(n=6, covariates=2)
    assert correlation_outcome(partial) == "too few points"
    assert correlation_outcome(partial, min_points=4) == "reproduces"
    assert "and 2 covariate(s)" in correlation_verdict(partial, **LABELS)


def test_verdicts_from_real_results():
    x = np.arange(7.0)
    exact = correlation_test(x, x ** 3)
    text = correlation_verdict(exact, **LABELS)
    assert "exact permutation test over all 5,040 orderings" in text
    assert "p = 4.0e-04" in text and "**reproduces**" in text
    z = np.r_[0, 1, 0, 1, 0, 1, 0, 1, 0, 1.0]
    partial = partial_correlation_test(np.arange(10.0), np.arange(10.0) + z, z,
                                       n_bootstrap=0, n_permutations=99)
    text = correlation_verdict(partial, **LABELS, given_label="sharpness")
    assert "partial Spearman's ρ between total persistence and test loss given sharpness" in text
    assert "Freedman–Lane" in text and "no bootstrap interval" in text
    constant = correlation_verdict(partial_correlation_test(2 * z, x[:1].repeat(10) + z, z,
                                                            n_bootstrap=0), **LABELS)
    assert "is undefined" in constant and "once the covariates are regressed out" in constant


def test_format_p():
    assert format_p(0.5) == "p = 0.500"
    assert format_p(0.00012) == "p = 1.2e-04"
    assert format_p(float("nan")) == "no p-value"


def comparisons(jr_naive=(0.05, 0.01), jr_grid=(0.07, 0.002), naive_grid=(0.02, 0.5),
                naive_random=(0.15, 0.001), grid_random=(0.13, 0.001), task="wd"):
    pairs = {("jr", "naive"): jr_naive, ("jr", "grid"): jr_grid, ("naive", "grid"): naive_grid,
             ("naive", "randomized"): naive_random, ("grid", "randomized"): grid_random}
    return pd.DataFrame([{"task": task, "first": a, "second": b, "difference": d, "p_value": p}
                         for (a, b), (d, p) in pairs.items() if d is not None])


@pytest.mark.parametrize("relation,difference,p,expected", [
    (">", 0.1, 0.01, "holds"), (">", -0.1, 0.01, "reversed"), (">", 0.1, 0.2, "not significant"),
    ("≈", 0.01, 0.4, "holds"), ("≈", 0.1, 0.01, "differs"), (">", 0.1, float("nan"), "untested"),
])
def test_each_relation_branch(relation, difference, p, expected):
    assert relation_outcome(relation, difference, p) == expected


@pytest.mark.parametrize("frame,outcome,phrases", [
    (comparisons(), "holds", ["**holds** here: J&R > naive (+5.0 points, p = 0.010)",
                              "naive ≈ grid (+2.0 points, p = 0.500)"]),
    (comparisons(jr_naive=(0.01, 0.6)), "partly holds",
     ["**holds in part** here (4 of 5 relations)",
      "Not shown: J&R > naive (+1.0 points, p = 0.600)"]),
    (comparisons(jr_grid=(None, None)), "partly holds",
     ["(4 of 5 relations)", "Not shown: J&R > grid (untested)"]),
    (comparisons(jr_naive=(-0.06, 0.01)), "does not hold",
     ["**does not hold** here. Contradicted: J&R > naive (-6.0 points, p = 0.010)"]),
    (comparisons(naive_grid=(0.08, 0.01), grid_random=(0.02, 0.4)), "does not hold",
     ["Contradicted: naive ≈ grid (+8.0 points, p = 0.010)",
      "Not significant: grid > randomized (+2.0 points, p = 0.400)"]),
    (comparisons(*[(float("nan"), float("nan"))] * 5), "untested", ["cannot be tested here"]),
])
def test_each_ordering_branch(frame, outcome, phrases):
    assert ordering_outcome(frame, "wd") == outcome and outcome in ORDERING_OUTCOMES
    text = ordering_verdict(frame, "wd", task_label="Weight decay")
    assert text.startswith("Weight decay: the paper's ordering J&R > naive ≈ grid > randomized")
    for phrase in phrases:
        assert phrase in text


def test_pairs_listed_the_other_way_round_are_negated():
    frame = comparisons()
    flipped = frame.assign(first=frame["second"], second=frame["first"],
                           difference=-frame["difference"])
    assert ordering_verdict(flipped, "wd") == ordering_verdict(frame, "wd")
    labelled = ordering_verdict(frame, "wd", labels={"jr": "jump & retrain"})
    assert "jump & retrain > naive ≈ grid > randomized" in labelled


def test_a_custom_ordering():
    frame = pd.DataFrame({"task": "t", "first": ["topology"], "second": ["jr"],
                          "difference": [0.04], "p_value": [0.03]})
    text = ordering_verdict(frame, "t", ordering=[("topology", ">", "jr")])
    assert "ordering topology > J&R **holds**" in text


@pytest.mark.parametrize("call,name", [
    (lambda: correlation_outcome(BASE, expected_sign=0), "expected_sign"),
    (lambda: correlation_outcome(BASE, alpha=0.0), "alpha"),
    (lambda: correlation_outcome(BASE, smallest_effect=1.5), "smallest_effect"),
    (lambda: correlation_outcome(BASE, min_points=1), "min_points"),
    (lambda: correlation_outcome({"n": 3}), "result"),
    (lambda: correlation_verdict(BASE, x_label="", y_label="y"), "x_label"),
    (lambda: relation_outcome("<", 0.1, 0.01), "relation"),
    (lambda: ordering_outcome(comparisons(), "other"), "task"),
    (lambda: ordering_outcome(comparisons().drop(columns="p_value"), "wd"), "comparisons"),
    (lambda: ordering_outcome([], "wd"), "comparisons"),
    (lambda: ordering_outcome(comparisons(), "wd", ordering=[("jr", ">")]), "ordering"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize(("gap", "expected", "absent"), [
    (3.2, "beats the bad one by **3.2 points**", "does **not**"),
    (0.0, "does **not** beat the bad one", "beats the bad one by"),
    (-2.5, "(-2.5 points of test accuracy", "beats the bad one by"),
])
def test_good_vs_bad(gap, expected, absent):
    text = report.good_vs_bad(gap, "WRN-10-1", 0.999, 0.085, 0.1)
    assert expected in text and absent not in text
    assert "99.9 % training" in text and "8.5 % on the test set" in text and "(10 %)" in text


@pytest.mark.parametrize(("falls", "size"), [
    ({"good": 500.0, "bad": 120.0}, "falls by orders of magnitude"),
    ({"good": 500.0, "bad": 12.0}, "falls by a factor of more than ten"),
    ({"good": 50.0, "bad": 2.0}, "falls but less than tenfold for some"),
    ({"good": 5.0, "bad": 2.0}, "falls less than tenfold"),
])
def test_return_distance_states_both_distance_and_loss(falls, size):
    text = report.return_distance({"good": 0.9971, "bad": 0.5}, falls)
    assert "**99.7 %** (good), **50.0 %** (bad)" in text
    assert size in text
    assert f"**{falls['bad']:.3g}×** (bad)" in text


def test_sample_counts():
    text = report.sample_counts(4, 4, 40)
    assert text.startswith("**657 rows per optimum**: the optimum itself, 16 jump points")
    assert "640 retraining samples" in text
    assert report.sample_counts(2, 3, 5).startswith("**37 rows per optimum**")


@pytest.mark.parametrize(("star", "expected"), [
    ({"good": 1.0, "bad": 0.9}, "one arm per direction around the optima"),
    ({"good": 1.0, "bad": 0.3}, "around the good optimum"),
    ({"good": 0.2, "bad": 0.3}, "do not keep to arms: no star score"),
])
def test_jump_and_retrain_summary_arms(star, expected):
    text = report.jump_and_retrain_summary({"good": 0.99, "bad": 0.98}, {"good": 50.0, "bad": 3.0},
                                           star, 0.2, {"jump & retrain": 0.1, "grid": 2.0})
    assert expected in text
    assert "median factor 3 to 50" in text and "99 %, 98 %" in text
    assert "grid and naive sampling mostly see higher loss" in text


def test_jump_and_retrain_summary_when_grid_is_lower():
    text = report.jump_and_retrain_summary({"good": 0.99}, {"good": 50.0}, {"good": 1.0}, 0.2,
                                           {"jump & retrain": 2.0, "grid": 0.1})
    assert "is grid's, not J&R's, unlike in the paper" in text


@pytest.mark.parametrize(("components", "disconnected"), [({"a": 1, "b": 1}, False),
                                                          ({"a": 1, "b": 4}, True)])
def test_star_scores(components, disconnected):
    text = report.star_scores({"a": 1.0, "b": 0.25}, 0.2, components)
    assert "**1.00** (a), **0.25** (b)" in text and "about 0.20" in text
    assert ("**The kNN graph is disconnected** for b:" in text) == disconnected


@pytest.mark.parametrize(("median", "agrees"), [
    ({"jump & retrain": 0.07, "grid": 23.0, "naive": 1.6}, True),
    ({"jump & retrain": 2.0, "grid": 0.5, "naive": 1.6}, False),
])
def test_lowest_loss_sampler(median, agrees):
    text = report.lowest_loss_sampler(median)
    assert ("as the paper argues" in text) == agrees
    assert ("**not** what the paper reports" in text) != agrees
    assert f"The lowest is {min(median, key=median.get)}'s" in text


def test_demap_coverage():
    text = report.demap_coverage({"J&R samples": 0.5, "tree": 1.0}, 7)
    assert "(7 neighbours)" in text
    assert "**50 %** of the pairs of the J&R samples and **100 %** of the pairs of the tree" in text


@pytest.mark.parametrize(("pieces", "expected"), [
    ({5: 13, 15: 2, 30: 1}, "With knn = 5, 15, PHATE's graph falls into as many as 13 pieces"),
    ({5: 1, 30: 1}, "At every knn tried, PHATE's graph stays connected."),
])
def test_phate_pieces(pieces, expected):
    text = report.phate_pieces(pieces, 30)
    assert text.startswith(expected) and text.endswith("knn = 30.")


@pytest.mark.parametrize("pca_variance", [None, 0.634])
def test_embedding_comparison(pca_variance):
    frame = pd.DataFrame({"method": ["pca", "tsne"], "metric": ["euclidean", "cosine"],
                          "continuity": [0.5, 0.9]})
    text = report.embedding_comparison({("tree", "cosine"): "demap: agree."}, {"tree": frame},
                                       label=lambda key: "/".join(key), pca_variance=pca_variance,
                                       n_parameters=77562)
    assert "- **tree, cosine distance** — demap: agree." in text
    assert "- **tree** — tsne/cosine 0.90, pca/euclidean 0.50." in text  # best first
    assert ("hold **63 %** of the variance of the 77,562-dimensional" in text) == (
        pca_variance is not None)


def test_path_persistence_sums_the_finite_points():
    h0 = np.array([[0.0, 3.0], [1.0, 2.0], [-1.0, np.inf]])
    text = report.path_persistence(np.array([0, 4, 2]), np.array([1, 3, 3]), h0, 10.0)
    assert "**3 local minima** (vertices 0, 2, 4)" in text
    assert "2 of them die at the **saddles** (vertices 1, 3)" in text
    assert "(3 − 0)² + (2 − 1)² = **10**" in text


LR_INDEX = ["paths whose loss only falls", "graph components", "finite H0 points",
            "total persistence H0"]


@pytest.mark.parametrize(("slow_points", "components", "empty"), [(0, 8, True), (3, 1, False)])
def test_retraining_rate(slow_points, components, empty):
    table = pd.DataFrame({"paper": [1.0, components, slow_points, 0.01],
                          "here": [0.25, 1, 4, 0.3]}, index=LR_INDEX)
    text = report.retraining_rate(table, paper_lr=0.001, lr=0.1, trajectories=8,
                                  optima_with_points=2, n_optima=3)
    assert ("nothing merges" in text) == empty
    assert f"**{slow_points} finite points**" in text
    assert (f"{components} components for 8 paths" if components > 1
            else "1 component for 8 paths") in text
    assert "100 % of the 8 retraining paths" in text and "where 25 % of the paths" in text
    assert "2 of the 3 optima above have any" in text


def _correlations(rows):
    """A persistence_correlations-like table from (summary, filtration, essential, given,
    result) tuples."""
    return pd.DataFrame([{"summary": s, "filtration": f, "essential": e, "given": g,
                          "column": s, **r.to_dict()} for s, f, e, g, r in rows])


CONVENTIONS = [("train_loss", "drop"), ("train_loss", "max"), ("test_loss", "drop"),
               ("test_loss", "max")]


def test_zoo_persistence_verdicts_when_conventions_agree():
    table = _correlations([("total_persistence_h0", f, e, "", result()) for f, e in CONVENTIONS])
    text = report.zoo_persistence_verdicts(table)
    assert text.count("This **reproduces** the paper's positive trend.") == 4
    assert "(the book's)" in text and "(the paper's code)" in text
    assert text.endswith("The conventions agree: every one reproduces the trend.")


def test_zoo_persistence_verdicts_when_conventions_disagree():
    weak = result(statistic=0.1, p_value=0.5, low=-0.2, high=0.4)
    table = _correlations([("total_persistence_h0", f, e, "", weak if e == "drop" else result())
                           for f, e in CONVENTIONS])
    text = report.zoo_persistence_verdicts(table)
    assert "The conventions **disagree**" in text and "decides what this figure shows" in text
    assert "essential bar dropped (the book's): inconclusive" in text


def test_zoo_verdicts_refuse_a_table_without_total_persistence():
    with pytest.raises(ValueError, match="persistence_correlations"):
        report.zoo_persistence_verdicts(_correlations([("n_saddles", "train_loss", "", "",
                                                        result())]))


@pytest.mark.parametrize(("share", "phrase"), [(0.8, "mostly plots the spread"),
                                               (0.2, "carry most of it")])
def test_essential_share(share, phrase):
    text = report.essential_share(share)
    assert phrase in text and f"**{share:.0%}**".replace("%", " %") in text


def test_sharpness_verdicts():
    partial = result(covariates=1, statistic=0.05, p_value=0.7, low=-0.3, high=0.35)
    table = _correlations([("sharpness", "", "", "", result())]
                          + [("total_persistence_h0", f, e, "sharpness", partial)
                             for f, e in CONVENTIONS])
    text = report.sharpness_verdicts(table)
    lines = text.splitlines()
    assert len(lines) == 5 and "the sharpness baseline itself" in lines[0]
    assert "**reproduces** a link between sharpness and generalization" in lines[0]
    assert all("partial Spearman's ρ between total persistence (H0) and test loss given "
               "sharpness" in line for line in lines[1:])
    assert "Freedman–Lane" in lines[1] and "**inconclusive**" in lines[1]


def _diagnostics(finite_train, finite_test, components=1.0, minima=3.0, monotone=0.75):
    return pd.DataFrame({"n_samples": [57.0], "n_components": [components],
                         "n_h0_finite_train": [finite_train], "n_minima_train": [minima],
                         "monotone_paths_train": [monotone], "n_h0_finite_test": [finite_test],
                         "n_minima_test": [9.0], "monotone_paths_test": [0.25]})


@pytest.mark.parametrize(("diagnostics", "phrases", "absent"), [
    (_diagnostics(6, 8), ["Both filtrations reach it."], ["minima − components"]),
    (_diagnostics(2, 8), ["finite points = minima − components",
                          "Filtered by train loss the median graph of 57 vertices has 3 local "
                          "minima in 1 component: too few minima.",
                          "75 % of the retraining paths (median) never rise in train loss",
                          "(5 optimizer steps apart), so they hold no minimum"],
     ["Filtered by test loss", "Only"]),
    (_diagnostics(1, 3, components=2, minima=3), [
        "3 local minima in 2 components: the graph's pieces take many of the minima",
        "Filtered by test loss the median graph", "9 local minima in 2 components: too few",
        "Only 25 % of the retraining paths (median) never rise in test loss",
        "one of its k = 10 nearest samples, on this or another path, is lower"], []),
])
def test_finite_points_reading(diagnostics, phrases, absent):
    text = report.finite_points_reading(diagnostics, knn=10, steps_per_sample=5)
    assert f"**{diagnostics['n_h0_finite_train'][0]:.3g}** finite points" in text
    for phrase in phrases:
        assert phrase in text
    for phrase in absent:
        assert phrase not in text


@pytest.mark.parametrize(("components", "expected"), [(1, "(1 component)"), (3, "(3 components)")])
def test_merge_tree_summary(components, expected):
    tree = SimpleNamespace(values=np.zeros(17), minima=np.arange(4), n_saddles=3,
                           n_components=components, average_persistence=0.125)
    table = _correlations([("n_saddles", "train_loss", "", "", result(statistic=0.4)),
                           ("average_persistence", "train_loss", "drop", "",
                            result(statistic=-0.1, p_value=0.5))])
    text = report.merge_tree_summary(tree, "bad", table)
    assert "bad optimum the graph's 17 samples have **4 local minima** and **3 saddles**" in text
    assert expected in text and "**0.125**" in text
    assert "saddles with ρ = 0.40 (p = 0.001, 48 networks)" in text
    assert "average persistence with ρ = -0.10 (p = 0.500, 48 networks)" in text


def test_persistence_beside_paper():
    panel = SimpleNamespace(summary={"total_persistence_h0": 0.5, "test_loss": 0.25})
    table = report.persistence_beside_paper(
        networks="48 nets", sampling="8 paths", panels={"good": panel},
        correlations=_correlations([("total_persistence_h0", f, e, "", result())
                                    for f, e in CONVENTIONS]),
        by_decay=pd.DataFrame({"train, drop": {0.0: 1.0, 0.005: 2.0}}))
    assert table.loc["Fig. 3B, filtered by test loss, essential bar closed at the largest "
                     "value (the paper's code)", "this run"] == "ρ = 0.50 [0.25, 0.70], p = 0.001"
    assert table.loc["Fig. 3A", "this run"] == "good: TP(H0) 0.5, test loss 0.25"
    assert table.loc["weight decay (median TP per decay)", "this run"] == (
        "train, drop: 0 → 1, 0.005 → 2")
    assert list(table.columns) == ["paper (Horoi et al. 2022)", "this run"]


def _summary(train_loss, test_loss, train_acc=(1.0, 1.0, 1.0), test_acc=(0.97, 0.95, 0.1)):
    return pd.DataFrame({("train_loss", "mean"): train_loss, ("test_loss", "mean"): test_loss,
                         ("train_accuracy", "mean"): train_acc,
                         ("test_accuracy", "mean"): test_acc},
                        index=["good", "bad", "memorization"])


@pytest.mark.parametrize(("test_loss", "expected"), [
    ((0.1, 0.3, 5.0), "settles higher than the good optimum's"),
    ((0.3, 0.1, 5.0), "settles **no higher** than the good optimum's"),
])
def test_learning_curves_reading(test_loss, expected):
    text = report.learning_curves_reading(_summary((0.01, 0.001, 0.002), test_loss))
    assert expected in text and "lookup table" in text


def test_learning_curves_reading_without_memorizing():
    text = report.learning_curves_reading(_summary((0.01, 0.001, 2.0), (0.1, 0.3, 2.1)))
    assert "lookup table" not in text


@pytest.mark.parametrize(("train_acc", "test_acc", "expected"), [
    ((1.0, 1.0, 1.0), (0.97, 0.95, 0.1), "All of them fit their training sets"),
    ((1.0, 0.9, 1.0), (0.97, 0.95, 0.1), "- good, memorization fit their training sets"),
    ((1.0, 1.0, 1.0), (0.93, 0.95, 0.1), "the bad one generalizes best (95.0 %"),
    ((1.0, 1.0, 1.0), (0.97, 0.95, 0.5), "the good one generalizes best (97.0 % test accuracy)."),
])
def test_training_summary(train_acc, test_acc, expected):
    text = report.training_summary(_summary((0, 0, 0), (0, 0, 0), train_acc, test_acc), 0.1)
    assert expected in text
    assert ("memorization one is near chance" in text) == (test_acc[2] < 0.15)


def test_settings_orderings():
    same = {"our_order": ["tsne", "phate", "pca"], "agree": 2, "total": 3}
    other = {"our_order": ["phate", "tsne", "pca"], "agree": 3, "total": 3}
    text = report.settings_orderings({"defaults": same, "tuned": other})
    assert "- **defaults**: t-SNE > PHATE > PCA (2 of 3" in text
    assert "**depends on the settings**" in text
    assert "is the same under every setting" in report.settings_orderings(
        {"defaults": same, "tuned": same})


@pytest.mark.parametrize(("star", "discriminates"), [({"a": 1.0, "b": 0.98}, False),
                                                    ({"a": 1.0, "b": 0.6}, True)])
def test_star_scores_say_when_they_do_not_discriminate(star, discriminates):
    text = report.star_scores(star, 0.2, {"a": 1, "b": 1})
    assert ("does **not** tell the optima apart" in text) != discriminates
