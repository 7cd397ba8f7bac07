"""Permutation p-values, partial correlations and bootstrap intervals, each against an
independent computation: brute-force enumeration with scipy, least-squares residuals from
``numpy.linalg.lstsq``, the one-covariate closed form, the inverse correlation matrix and
scipy's own bootstrap."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.statistics import (
    CorrelationResult,
    correlation_frame,
    correlation_test,
    partial_correlation,
    partial_correlation_test,
)

# Six points with ties in both variables: average ranks matter.
X6 = np.array([0.3, 1.2, 1.2, 2.5, 0.9, 3.1])
Y6 = np.array([1.0, 0.4, 2.2, 2.2, 1.5, 3.0])


def brute_force_p(x, y, statistic, alternative):
    """Enumerate every ordering of y with scipy's statistic: the exact p-value by definition."""
    observed = statistic(x, y)
    values = np.array([statistic(x, y[list(p)]) for p in itertools.permutations(range(len(y)))])
    if alternative == "greater":
        hits = values >= observed - 1e-12
    elif alternative == "less":
        hits = values <= observed + 1e-12
    else:
        hits = np.abs(values) >= abs(observed) - 1e-12
    return observed, hits.mean()


def spearman(a, b):
    return stats.spearmanr(a, b).statistic


def pearson(a, b):
    return stats.pearsonr(a, b).statistic


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("method,statistic", [("spearman", spearman), ("pearson", pearson)])
def test_exact_p_value_equals_brute_force_enumeration(method, statistic, alternative):
    observed, p = brute_force_p(X6, Y6, statistic, alternative)
    result = correlation_test(X6, Y6, method, alternative=alternative, n_bootstrap=0)
    assert result.p_method == "exact" and result.n_permutations == math.factorial(6)
    assert result.statistic == pytest.approx(observed, abs=1e-12)
    assert result.p_value == pytest.approx(p, abs=1e-12)


def test_monte_carlo_p_value_has_the_correction_and_approaches_the_exact_one():
    rng = np.random.default_rng(3)
    x = rng.normal(size=9)
    y = x + rng.normal(scale=1.5, size=9)
    exact = correlation_test(x, y, exact_max_n=9, n_bootstrap=0)
    m = 4000
    sampled = correlation_test(x, y, exact_max_n=8, n_permutations=m, n_bootstrap=0)
    assert exact.p_method == "exact" and exact.n_permutations == 362_880
    assert sampled.p_method == "monte-carlo" and sampled.n_permutations == m
    b = sampled.p_value * (m + 1) - 1  # (b + 1) / (m + 1): b must be a whole count
    assert b == pytest.approx(round(b), abs=1e-9) and b >= 0
    spread = math.sqrt(exact.p_value * (1 - exact.p_value) / m)
    assert abs(sampled.p_value - exact.p_value) < 4 * spread + 1 / (m + 1)


def test_monte_carlo_p_value_is_never_zero():
    x = np.arange(30.0)
    result = correlation_test(x, x, n_permutations=99, n_bootstrap=0)
    assert result.statistic == 1.0 and result.p_value == pytest.approx(1 / 100)


def test_same_seed_same_numbers_and_independent_streams():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=25), rng.normal(size=25)
    first = correlation_test(x, y, n_permutations=500, n_bootstrap=300, random_state=7)
    again = correlation_test(x, y, n_permutations=500, n_bootstrap=300, random_state=7)
    assert first == again
    other = correlation_test(x, y, n_permutations=500, n_bootstrap=300, random_state=8)
    assert other.p_value != first.p_value or other.low != first.low
    # more permutations leave the bootstrap's draws untouched
    more = correlation_test(x, y, n_permutations=900, n_bootstrap=300, random_state=7)
    assert (more.low, more.high) == (first.low, first.high)


def residuals_lstsq(v, z):
    design = np.column_stack([np.ones(len(v)), z])
    coefficients, *_ = np.linalg.lstsq(design, v, rcond=None)
    return v - design @ coefficients


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_partial_correlation_equals_correlation_of_lstsq_residuals(method, k):
    rng = np.random.default_rng(k)
    z = rng.normal(size=(20, k))
    x = z @ rng.normal(size=k) + rng.normal(size=20)
    y = z @ rng.normal(size=k) + 0.5 * x + rng.normal(size=20)
    if method == "spearman":
        xr, yr = stats.rankdata(x), stats.rankdata(y)
        zr = np.column_stack([stats.rankdata(column) for column in z.T])
    else:
        xr, yr, zr = x, y, z
    expected = np.corrcoef(residuals_lstsq(xr, zr), residuals_lstsq(yr, zr))[0, 1]
    assert partial_correlation(x, y, z, method) == pytest.approx(expected, abs=1e-12)


def test_partial_correlation_equals_the_one_covariate_closed_form_and_the_precision_matrix():
    rng = np.random.default_rng(5)
    z = rng.normal(size=15)
    x, y = z + rng.normal(size=15), 2 * z + rng.normal(size=15)
    r = np.corrcoef([x, y, z])
    closed = (r[0, 1] - r[0, 2] * r[1, 2]) / math.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))
    precision = np.linalg.inv(r)
    from_precision = -precision[0, 1] / math.sqrt(precision[0, 0] * precision[1, 1])
    value = partial_correlation(x, y, z, "pearson")
    assert value == pytest.approx(closed, abs=1e-12)
    assert value == pytest.approx(from_precision, abs=1e-12)
    # Spearman: the same closed form on Spearman's coefficients
    s = stats.spearmanr(np.column_stack([x, y, z])).statistic
    closed = (s[0, 1] - s[0, 2] * s[1, 2]) / math.sqrt((1 - s[0, 2] ** 2) * (1 - s[1, 2] ** 2))
    assert partial_correlation(x, y, z) == pytest.approx(closed, abs=1e-12)


def test_freedman_lane_exact_p_value_equals_brute_force():
    rng = np.random.default_rng(11)
    z = rng.normal(size=(7, 1))
    x = z[:, 0] + rng.normal(size=7)
    y = z[:, 0] - 0.8 * x + rng.normal(size=7)
    fitted = x - residuals_lstsq(x, z)
    residual = residuals_lstsq(x, z)
    ey = residuals_lstsq(y, z)

    def partial(a):
        return np.corrcoef(residuals_lstsq(a, z), ey)[0, 1]

    observed = partial(x)
    values = np.array([partial(fitted + residual[list(p)])
                       for p in itertools.permutations(range(7))])
    expected = np.mean(np.abs(values) >= abs(observed) - 1e-12)
    result = partial_correlation_test(x, y, z, "pearson", n_bootstrap=0)
    assert result.p_method == "exact" and result.covariates == 1
    assert result.statistic == pytest.approx(observed, abs=1e-12)
    assert result.p_value == pytest.approx(expected, abs=1e-12)


def test_a_constant_covariate_leaves_the_plain_test():
    x, y = X6 * 2 + 1, Y6
    plain = correlation_test(x, y, n_bootstrap=50)
    partial = partial_correlation_test(x, y, np.full(6, 3.0), n_bootstrap=50)
    assert partial.statistic == pytest.approx(plain.statistic, abs=1e-12)
    assert partial.p_value == pytest.approx(plain.p_value, abs=1e-12)
    assert (partial.low, partial.high) == pytest.approx((plain.low, plain.high), abs=1e-12)
    assert partial.label == "partial Spearman's ρ" and plain.label == "Spearman's ρ"


def test_monte_carlo_partial_test_finds_an_effect_and_not_a_confound():
    rng = np.random.default_rng(2)
    z = rng.normal(size=40)
    x = z + 0.3 * rng.normal(size=40)
    confounded = z + 0.3 * rng.normal(size=40)  # related to x only through z
    related = confounded + x  # related to x beyond z
    assert partial_correlation_test(x, confounded, z, n_permutations=999,
                                    n_bootstrap=0).p_value > 0.05
    assert partial_correlation_test(x, related, z, n_permutations=999,
                                    n_bootstrap=0).p_value <= 0.002


def test_bootstrap_interval_agrees_with_scipy_percentile_bootstrap():
    rng = np.random.default_rng(4)
    x = rng.normal(size=40)
    y = 0.5 * x + rng.normal(size=40)
    ours = correlation_test(x, y, n_bootstrap=4000, n_permutations=99)
    def spearman_along(a, b, axis):  # vectorized for scipy: ranks, then Pearson, per resample
        return stats.pearsonr(stats.rankdata(a, axis=axis), stats.rankdata(b, axis=axis),
                              axis=axis).statistic

    theirs = stats.bootstrap((x, y), spearman_along, paired=True, vectorized=True,
                             n_resamples=4000, method="percentile",
                             rng=np.random.default_rng(0)).confidence_interval
    assert ours.low < ours.statistic < ours.high
    assert ours.low == pytest.approx(theirs.low, abs=0.05)
    assert ours.high == pytest.approx(theirs.high, abs=0.05)
    assert ours.n_bootstrap == 4000


def test_bootstrap_of_a_monotone_relation_is_one_and_skips_constant_resamples():
    result = correlation_test([1, 2, 3, 4], [10, 20, 30, 40], n_bootstrap=500)
    assert (result.low, result.high) == pytest.approx((1.0, 1.0), abs=1e-12)
    # with 4 points, some resamples repeat one point four times: those are left out
    assert 0 < result.n_bootstrap < 500


def test_undefined_statistics_are_nan_not_errors():
    constant = correlation_test([1.0, 1.0, 1.0, 1.0, 1.0], [1, 2, 3, 4, 5])
    assert not constant.defined and np.isnan(constant.p_value) and np.isnan(constant.low)
    assert constant.n_bootstrap == 0
    z = np.arange(6.0)
    explained = partial_correlation_test(2 * z + 1, [3, 1, 2, 6, 5, 4], z, "pearson")
    assert not explained.defined and np.isnan(explained.p_value)


def test_correlation_frame_rows_equal_single_tests():
    rng = np.random.default_rng(9)
    table = pd.DataFrame(rng.normal(size=(12, 4)), columns=["loss", "a", "b", "sharp"])
    rows = correlation_frame(table, "loss", ["a", "b"], given="sharp", n_permutations=199,
                             n_bootstrap=100)
    single = partial_correlation_test(table["b"], table["loss"], table[["sharp"]].to_numpy(),
                                      n_permutations=199, n_bootstrap=100)
    assert rows["column"].tolist() == ["a", "b"] and set(rows["given"]) == {"sharp"}
    assert rows.iloc[1]["statistic"] == single.statistic
    assert rows.iloc[1]["p_value"] == single.p_value
    assert rows.iloc[1]["label"] == single.label
    assert set(CorrelationResult.__dataclass_fields__) <= set(rows.columns)


@pytest.mark.parametrize("call,name", [
    (lambda: correlation_test([1, 2, 3], [1, 2]), "x and y"),
    (lambda: correlation_test([], []), "x"),
    (lambda: correlation_test([1, np.nan, 3], [1, 2, 3]), "x"),
    (lambda: correlation_test([1, 2, 3], [[1, 2, 3]]), "y"),
    (lambda: correlation_test([1, 2, 3], [1, 2, 3], "kendall"), "method"),
    (lambda: correlation_test([1, 2, 3], [1, 2, 3], alternative="up"), "alternative"),
    (lambda: correlation_test([1, 2, 3], [1, 2, 3], n_permutations=0), "n_permutations"),
    (lambda: correlation_test([1, 2, 3], [1, 2, 3], exact_max_n=10), "exact_max_n"),
    (lambda: correlation_test([1, 2, 3], [1, 2, 3], n_bootstrap=-1), "n_bootstrap"),
    (lambda: correlation_test([1, 2, 3], [1, 2, 3], confidence=1.0), "confidence"),
    (lambda: correlation_test([1, 2, 3], [1, 2, 3], random_state=-1), "random_state"),
    (lambda: partial_correlation([1, 2, 3], [1, 2, 3], [1, 2]), "z"),
    (lambda: partial_correlation([1, 2, 3], [1, 2, 3], [1, np.inf, 2]), "z"),
    (lambda: partial_correlation_test([1, 2, 3], [1, 2, 3], None), "z"),
    (lambda: correlation_frame(pd.DataFrame({"a": [1]}), "b", ["a"]), "target"),
    (lambda: correlation_frame(pd.DataFrame({"a": [1]}), "a", ["a"], given="c"), "given"),
    (lambda: correlation_frame(pd.DataFrame({"a": [1]}), "a", "a"), "columns"),
    (lambda: correlation_frame(pd.DataFrame({"a": [1]}), "a", ["a"], seed=1), "option"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()
