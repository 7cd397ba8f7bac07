"""Every branch of the verdict sentences: correlations (Chapter 4) and the ordering of the
classifier table (Chapter 5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from helpers.report import (
    CORRELATION_OUTCOMES,
    ORDERING_OUTCOMES,
    correlation_outcome,
    correlation_verdict,
    format_p,
    ordering_outcome,
    ordering_verdict,
    relation_outcome,
)
from helpers.statistics import CorrelationResult, correlation_test, partial_correlation_test

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
