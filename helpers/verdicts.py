import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from helpers.checks import check_choice, check_float, check_int

#: What :func:`correlation_outcome` may return.
CORRELATION_OUTCOMES = ("reproduces", "does not reproduce", "inconclusive", "too few points",
                        "undefined")



#: The ordering of Table 1 as pairwise relations ``(first, relation, second)``.
ORDERING: tuple[tuple[str, str, str], ...] = (
    ("jr", ">", "naive"), ("jr", ">", "grid"), ("naive", "≈", "grid"),
    ("naive", ">", "randomized"), ("grid", ">", "randomized"))



#: What :func:`relation_outcome` may return.
RELATION_OUTCOMES = ("holds", "not significant", "reversed", "differs", "untested")



#: What :func:`ordering_outcome` may return.
ORDERING_OUTCOMES = ("holds", "partly holds", "does not hold", "untested")



_SET_LABELS = {"jr": "J&R", "grid": "grid", "naive": "naive", "randomized": "randomized"}



def format_p(p: float) -> str:
    """A p-value for a sentence: three decimals, or scientific notation below 0.001.

    Examples
    --------
    >>> format_p(0.04321), format_p(0.0001), format_p(float("nan"))
    ('p = 0.043', 'p = 1.0e-04', 'no p-value')
    """
    if not math.isfinite(p):
        return "no p-value"
    return f"p = {p:.3f}" if p >= 0.001 else f"p = {p:.1e}"



def correlation_outcome(result: Any, *, expected_sign: int = 1, alpha: float = 0.05,
                        smallest_effect: float = 0.3, min_points: int = 5) -> str:
    """Whether a correlation reproduces a trend of the expected sign.

    Parameters
    ----------
    result : helpers.statistics.CorrelationResult
    expected_sign : {1, -1}, default 1
        The sign of the paper's trend.
    alpha : float, default 0.05
        Significance level of the result's p-value (its own ``alternative``).
    smallest_effect : float, default 0.3
        The weakest correlation that would still count as the trend. A bootstrap
        interval lying entirely below it (in the expected direction) rules the trend out.
    min_points : int, default 5
        Fewer observations than this, beyond one per covariate, are too few: with 4
        points no ordering of Spearman's ρ reaches a two-sided p below 0.05
        (the smallest exact p is ``2 / 4! = 0.083``).

    Returns
    -------
    str
        One of :data:`CORRELATION_OUTCOMES`: ``"too few points"``; ``"undefined"`` (a
        variable takes one value); ``"reproduces"`` (p < alpha, expected sign);
        ``"does not reproduce"`` (p < alpha with the opposite sign, or an interval that
        excludes ``smallest_effect``); else ``"inconclusive"``.

    Examples
    --------
    >>> from helpers.statistics import correlation_test
    >>> correlation_outcome(correlation_test([1, 2, 3, 4], [1, 2, 3, 4]))
    'too few points'
    """
    expected_sign = check_choice("expected_sign", expected_sign, (1, -1))
    alpha = check_float("alpha", alpha, minimum=0.0, maximum=1.0, strict_minimum=True)
    smallest_effect = check_float("smallest_effect", smallest_effect, minimum=0.0,
                                  maximum=1.0, strict_minimum=True)
    min_points = check_int("min_points", min_points, minimum=2)
    _check_result(result)
    if result.n - result.covariates < min_points:
        return "too few points"
    if not result.defined:
        return "undefined"
    if result.p_value < alpha:
        return "reproduces" if result.statistic * expected_sign > 0 else "does not reproduce"
    bound = result.high if expected_sign > 0 else -result.low
    if math.isfinite(bound) and bound < smallest_effect:
        return "does not reproduce"
    return "inconclusive"



def correlation_verdict(result: Any, *, x_label: str, y_label: str,
                        given_label: str = "the covariates", claim: str = "the paper's trend",
                        units: str = "networks", expected_sign: int = 1, alpha: float = 0.05,
                        smallest_effect: float = 0.3, min_points: int = 5) -> str:
    """A Markdown sentence stating the correlation and whether it reproduces ``claim``.

    Parameters
    ----------
    result : helpers.statistics.CorrelationResult
    x_label, y_label : str
        What was correlated, e.g. ``"total persistence"`` and ``"test loss"``.
    given_label : str
        What was regressed out, for a partial correlation (e.g. ``"sharpness"``).
    claim : str
        The trend, as the object of "This reproduces …".
    units : str
        What the observations are.
    expected_sign, alpha, smallest_effect, min_points
        As for :func:`correlation_outcome`, which decides the branch.

    Examples
    --------
    >>> from helpers.statistics import correlation_test
    >>> result = correlation_test(range(12), [1, 3, 2, 4, 6, 5, 8, 7, 9, 12, 10, 11])
    >>> print(correlation_verdict(result, x_label="total persistence", y_label="test loss",
    ...                           claim="the paper's positive trend"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Over 12 networks, Spearman's ρ between total persistence and test loss is **0.96**
    (p = 1.0e-04, Monte-Carlo permutation test, 9,999 permutations; 95 % bootstrap
    interval 0.80 to 1.00). This **reproduces** the paper's positive trend.
    """
    outcome = correlation_outcome(result, expected_sign=expected_sign, alpha=alpha,
                                  smallest_effect=smallest_effect, min_points=min_points)
    for name, value in (("x_label", x_label), ("y_label", y_label),
                        ("given_label", given_label), ("claim", claim), ("units", units)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string; got {value!r}")
    given = f" given {given_label}" if result.covariates else ""
    subject = f"{result.label} between {x_label} and {y_label}{given}"
    if outcome == "too few points":
        extra = f" and {result.covariates} covariate(s)" if result.covariates else ""
        return (f"With {result.n} {units}{extra}, {subject} cannot test {claim}: too few "
                f"points (at least {min_points} beyond one per covariate are needed).")
    if outcome == "undefined":
        return (f"Over {result.n} {units}, {subject} is undefined: "
                + ("one of them is constant once the covariates are regressed out"
                   if result.covariates else "one of them takes a single value")
                + f", so it says nothing about {claim}.")
    test = "Freedman–Lane permutation test" if result.covariates else "permutation test"
    if result.p_method == "exact":
        how = f"exact {test} over all {result.n_permutations:,} orderings"
    else:
        how = f"Monte-Carlo {test}, {result.n_permutations:,} permutations"
    if math.isfinite(result.low):
        interval = (f"; {result.confidence:.0%} bootstrap interval {result.low:.2f} to "
                    f"{result.high:.2f}").replace("%", " %")
    else:
        interval = "; no bootstrap interval"
    opening = (f"Over {result.n} {units}, {subject} is **{result.statistic:.2f}** "
               f"({format_p(result.p_value)}, {how}{interval}). ")
    if outcome == "reproduces":
        return opening + f"This **reproduces** {claim}."
    if outcome == "does not reproduce" and result.p_value < alpha:
        return opening + (f"This runs **against** {claim}: the relation is significant "
                          "and of the opposite sign.")
    if outcome == "does not reproduce":
        return opening + (f"This does **not reproduce** {claim}: the interval excludes "
                          f"any correlation of {smallest_effect:.2g} or more in its "
                          "direction.")
    return opening + (f"This is **inconclusive** about {claim}: {result.n} {units} cannot "
                      f"tell it from no relation ({format_p(result.p_value)} ≥ {alpha:g}).")



def relation_outcome(relation: str, difference: float, p_value: float,
                     alpha: float = 0.05) -> str:
    """Whether one pairwise relation of the ordering holds.

    Parameters
    ----------
    relation : {">", "≈"}
        ``first > second`` or ``first ≈ second``.
    difference : float
        Mean accuracy of the first feature set minus the second's.
    p_value : float
        Of a paired comparison of the two (NaN when it could not be tested).
    alpha : float, default 0.05

    Returns
    -------
    str
        One of :data:`RELATION_OUTCOMES`. For ``">"``: ``"holds"`` (significant and
        positive), ``"reversed"`` (significant and negative) or ``"not significant"``.
        For ``"≈"``: ``"holds"`` (no significant difference — absence of evidence, not
        proof of equality) or ``"differs"``. ``"untested"`` without a p-value.

    Examples
    --------
    >>> relation_outcome(">", 0.08, 0.01), relation_outcome("≈", 0.02, 0.4)
    ('holds', 'holds')
    """
    check_choice("relation", relation, (">", "≈"))
    alpha = check_float("alpha", alpha, minimum=0.0, maximum=1.0, strict_minimum=True)
    if not (math.isfinite(difference) and math.isfinite(p_value)):
        return "untested"
    significant = p_value < alpha
    if relation == "≈":
        return "differs" if significant else "holds"
    if not significant:
        return "not significant"
    return "holds" if difference > 0 else "reversed"



def ordering_outcome(comparisons: pd.DataFrame, task: str, *, alpha: float = 0.05,
                     ordering: Sequence[tuple[str, str, str]] = ORDERING) -> str:
    """Whether the feature sets of ``task`` are ordered as ``ordering`` says.

    Parameters
    ----------
    comparisons : pandas.DataFrame
        Paired comparisons, e.g. from :meth:`helpers.classify.ClassifierTable.compare`:
        columns ``task``, ``first``, ``second``, ``difference`` (mean accuracy of first
        minus second) and ``p_value``. A pair listed the other way round is used with
        its difference negated; a missing pair is untested.
    task : str
    alpha : float, default 0.05
    ordering : sequence of (first, relation, second)
        Default :data:`ORDERING`: J&R > naive ≈ grid > randomized.

    Returns
    -------
    str
        One of :data:`ORDERING_OUTCOMES`: ``"holds"`` when every relation holds,
        ``"does not hold"`` when one is reversed (or an "≈" pair differs),
        ``"untested"`` when none could be tested, else ``"partly holds"``.

    Examples
    --------
    >>> rows = pd.DataFrame({"task": "wd", "first": ["jr", "jr", "naive", "naive", "grid"],
    ...     "second": ["naive", "grid", "grid", "randomized", "randomized"],
    ...     "difference": [0.05, 0.07, 0.02, 0.15, 0.13],
    ...     "p_value": [0.01, 0.002, 0.5, 0.001, 0.001]})
    >>> ordering_outcome(rows, "wd")
    'holds'
    """
    outcomes = [outcome for *_, outcome in _relations(comparisons, task, alpha, ordering)]
    if all(o == "untested" for o in outcomes):
        return "untested"
    if any(o in ("reversed", "differs") for o in outcomes):
        return "does not hold"
    if all(o == "holds" for o in outcomes):
        return "holds"
    return "partly holds"



def ordering_verdict(comparisons: pd.DataFrame, task: str, *, task_label: str | None = None,
                     alpha: float = 0.05,
                     ordering: Sequence[tuple[str, str, str]] = ORDERING,
                     labels: Mapping[str, str] | None = None) -> str:
    """A Markdown sentence: does the ordering of Table 1 hold for ``task``, relation by relation?

    Parameters as for :func:`ordering_outcome`, plus ``task_label`` (how the sentence
    names the task; default ``task``) and ``labels`` (names of the feature sets, over
    J&R / grid / naive / randomized).

    Examples
    --------
    >>> rows = pd.DataFrame({"task": "augment", "first": ["jr", "jr", "naive", "naive", "grid"],
    ...     "second": ["naive", "grid", "grid", "randomized", "randomized"],
    ...     "difference": [0.01, 0.07, 0.06, 0.15, 0.09],
    ...     "p_value": [0.6, 0.002, 0.03, 0.001, 0.001]})
    >>> print(ordering_verdict(rows, "augment", task_label="Augmentation"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Augmentation: the paper's ordering J&R > naive ≈ grid > randomized **does not hold**
    here. Contradicted: naive ≈ grid (+6.0 points, p = 0.030). Holding: J&R > grid (+7.0
    points, p = 0.002); naive > randomized (+15.0 points, p = 0.001); grid > randomized
    (+9.0 points, p = 0.001). Not significant: J&R > naive (+1.0 points, p = 0.600).
    """
    outcome = ordering_outcome(comparisons, task, alpha=alpha, ordering=ordering)
    names = {**_SET_LABELS, **dict(labels or {})}
    relations = _relations(comparisons, task, alpha, ordering)
    written = _chain(ordering, names)

    def listing(wanted: tuple[str, ...]) -> str:
        parts = []
        for first, relation, second, difference, p, result in relations:
            if result in wanted:
                numbers = ("untested" if result == "untested" else
                           f"{100 * difference:+.1f} points, {format_p(p)}")
                parts.append(f"{names.get(first, first)} {relation} "
                             f"{names.get(second, second)} ({numbers})")
        return "; ".join(parts)

    head = f"{task_label or task}: the paper's ordering {written}"
    if outcome == "untested":
        return (f"{head} cannot be tested here: no pair of feature sets could be compared "
                "(too few classifiers or folds).")
    held = listing(("holds",))
    if outcome == "holds":
        return f"{head} **holds** here: {held}."
    weak = listing(("not significant", "untested"))
    if outcome == "partly holds":
        count = sum(r[-1] == "holds" for r in relations)
        return (f"{head} **holds in part** here ({count} of {len(relations)} relations). "
                + (f"Holding: {held}. " if held else "")
                + f"Not shown: {weak}.")
    text = f"{head} **does not hold** here. Contradicted: {listing(('reversed', 'differs'))}."
    if held:
        text += f" Holding: {held}."
    if weak:
        text += f" Not significant: {weak}."
    return text



def _relations(comparisons: pd.DataFrame, task: str, alpha: float,
               ordering: Sequence[tuple[str, str, str]]) -> list[tuple[Any, ...]]:
    """``(first, relation, second, difference, p, outcome)`` for each relation of ``ordering``."""
    if not isinstance(comparisons, pd.DataFrame):
        raise ValueError("comparisons must be a pandas DataFrame; got "
                         f"{type(comparisons).__name__}")
    needed = {"task", "first", "second", "difference", "p_value"}
    if not needed <= set(comparisons.columns):
        raise ValueError(f"comparisons must have the columns {sorted(needed)}; missing "
                         f"{sorted(needed - set(comparisons.columns))}")
    if task not in set(comparisons["task"]):
        raise ValueError(f"task must be one of the comparisons' tasks "
                         f"{sorted(set(comparisons['task']), key=str)}; got {task!r}")
    if (isinstance(ordering, str) or not isinstance(ordering, Sequence) or not ordering
            or not all(isinstance(r, tuple) and len(r) == 3 for r in ordering)):
        raise ValueError("ordering must be a non-empty sequence of (first, relation, second)")
    rows = comparisons[comparisons["task"] == task]
    found = []
    for first, relation, second in ordering:
        difference, p = math.nan, math.nan
        for a, b, sign in ((first, second, 1.0), (second, first, -1.0)):
            match = rows[(rows["first"] == a) & (rows["second"] == b)]
            if len(match):
                difference = sign * float(match["difference"].iloc[0])
                p = float(match["p_value"].iloc[0])
                break
        found.append((first, relation, second, difference, p,
                      relation_outcome(relation, difference, p, alpha)))
    return found



def _chain(ordering: Sequence[tuple[str, str, str]], names: Mapping[str, str]) -> str:
    """``J&R > naive ≈ grid > randomized`` for the default ordering (relations as listed
    when they do not form one chain)."""
    if tuple(ordering) == ORDERING:
        return "{jr} > {naive} ≈ {grid} > {randomized}".format(**names)
    return ", ".join(f"{names.get(a, a)} {r} {names.get(b, b)}" for a, r, b in ordering)



def _check_result(result: Any) -> None:
    needed = ("n", "covariates", "statistic", "p_value", "low", "high", "defined", "label")
    if not all(hasattr(result, name) for name in needed):
        raise ValueError("result must be a CorrelationResult from helpers.statistics; got "
                         f"{type(result).__name__}")
