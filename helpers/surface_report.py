"""The sentences of Chapter 7 that state a computed result.

A chapter never prints a fixed sentence beside a number that could contradict it: each
sentence here is computed from the results, with one branch per outcome, and every
branch has a unit test (``tests/test_surfaces.py``).

Examples
--------
>>> scale_sentence("paper", 20, "cifar10")
"This run is at the paper's scale (ResNet-20 on CIFAR-10)."
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers.surfaces import DIRECTION_KINDS

#: Below this relative error a deterministic estimate "agrees" with the dense Hessian:
#: float64 rounding is ~1e-16, Lanczos and power iteration stop at tolerance 1e-8.
AGREEMENT = 1e-6
#: A slice's curvature "matches" its eigenvalue within this relative difference.
CURVATURE_MATCH = 0.1

_NOUNS = {"n_saddles": "number of saddles",
          "closed_average_persistence": "average persistence",
          "top_eigenvalue": "top eigenvalue", "trace": "trace"}
_METRIC_WORDS = {"n_saddles": ("more saddles", "fewer saddles"),
                 "closed_average_persistence": ("a higher average persistence",
                                                "a lower average persistence"),
                 "top_eigenvalue": ("a larger top eigenvalue", "a smaller top eigenvalue"),
                 "trace": ("a larger trace", "a smaller trace")}
_DATASETS = {"digits": "digits", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST",
             "cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}


def comparison_sentence(comparison: pd.DataFrame) -> str:
    """Whether 002's finding holds here, from :func:`helpers.surface_study.residual_comparison`.

    Examples
    --------
    >>> c = pd.DataFrame({"metric": ["n_saddles_random", "trace"], "expected": [1, 1],
    ...                   "outcome": ["holds", "equal"], "seeds_higher": [2, 0],
    ...                   "seeds_lower": [0, 0], "seeds": [2, 2], "residual": [0.0, 5.0],
    ...                   "plain": [2.0, 5.0]})
    >>> comparison_sentence(c)  # doctest: +NORMALIZE_WHITESPACE
    "002's finding holds **in part** here: the plain networks have more saddles (random
    surface; higher in 2 of 2 seeds), but the same trace (mean 5 for both)."
    """
    if comparison.empty:
        raise ValueError("comparison must hold at least one metric")
    holding = [_phrase(r) for r in comparison.itertuples() if r.outcome == "holds"]
    failing = [_phrase(r) for r in comparison.itertuples() if r.outcome != "holds"]
    start = "the plain networks have "
    if not failing:
        return "002's finding **holds** here: " + start + _join(holding) + "."
    if not holding:
        return "002's finding **does not hold** here: " + start + _join(failing) + "."
    return ("002's finding holds **in part** here: " + start + _join(holding) + ", but "
            + _join(failing) + ".")


def _phrase(row: Any) -> str:
    name, kind = row.metric, ""
    for suffix in DIRECTION_KINDS:
        if row.metric.endswith(f"_{suffix}"):
            name, kind = row.metric[:-len(suffix) - 1], suffix
    surface = f"{'Hessian' if kind == 'hessian' else kind} surface; " if kind else ""
    if row.outcome == "equal":
        return f"the same {_NOUNS[name]} ({surface}mean {row.plain:.3g} for both)"
    higher = row.plain > row.residual
    words = _METRIC_WORDS[name][0 if higher else 1]
    count = row.seeds_higher if higher else row.seeds_lower
    return (f"{words} ({surface}{'higher' if higher else 'lower'} in {count} of "
            f"{row.seeds} seed{'s' if row.seeds != 1 else ''})")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def dense_check_sentence(check: pd.DataFrame, n_params: int) -> str:
    """What :func:`helpers.hessian_check.dense_comparison` found, in words.

    Examples
    --------
    >>> import numpy as np
    >>> check = pd.DataFrame({"quantity": ["H v", "eigenvalue 1 (Lanczos)",
    ...                                    "trace (Hutchinson, 200 probes)"],
    ...                       "matrix_free": [1.0, 2.0, 10.5], "dense": [1.0, 2.0, 10.0],
    ...                       "relative_error": [1e-16, 1e-12, 0.05],
    ...                       "standard_error": [np.nan, np.nan, 0.4]})
    >>> print(dense_check_sentence(check, 610))  # doctest: +NORMALIZE_WHITESPACE
    On this network (610 parameters) every deterministic estimate **agrees** with the
    dense Hessian: the largest relative error is 1e-12. The Hutchinson trace, a random
    estimate, is 10.5 against 10: 1.2 standard errors off, as a random estimate should be.
    """
    stochastic = check["quantity"].str.contains("Hutchinson")
    deterministic = check[~stochastic]
    worst = float(deterministic["relative_error"].max())
    trace_text = ""
    trace = check[check["quantity"].str.startswith("trace (Hutchinson")]
    if len(trace):
        row = trace.iloc[0]
        away = abs(row.matrix_free - row.dense) / row.standard_error
        verdict = ("as a random estimate should be" if away <= 3 else
                   "more than expected: look at the probes before trusting traces below")
        trace_text = (f" The Hutchinson trace, a random estimate, is {row.matrix_free:.3g} "
                      f"against {row.dense:.3g}: {away:.2g} standard errors off, {verdict}.")
    if worst < AGREEMENT:
        return (f"On this network ({n_params} parameters) every deterministic estimate "
                f"**agrees** with the dense Hessian: the largest relative error is "
                f"{worst:.0e}." + trace_text)
    bad = ", ".join(deterministic.loc[deterministic["relative_error"] >= AGREEMENT,
                                      "quantity"])
    return (f"On this network ({n_params} parameters) some estimates **disagree** with the "
            f"dense Hessian (relative error up to {worst:.1e}): {bad}. Do not trust the "
            "curvature below until this is understood." + trace_text)


def taylor_sentence(curvatures: pd.DataFrame, same_samples: bool) -> str:
    """Whether the Hessian slices bend as their eigenvalues say.

    Parameters
    ----------
    curvatures : pandas.DataFrame
        :func:`helpers.surface_study.slice_curvatures`.
    same_samples : bool
        Whether surfaces and Hessian use the same samples.

    Examples
    --------
    >>> c = pd.DataFrame({"ratio": [0.97, 1.04], "step": [0.05, 0.05]})
    >>> taylor_sentence(c, True)  # doctest: +NORMALIZE_WHITESPACE
    'Near the optimum every Hessian slice bends as its eigenvalue says: its second difference
    over one grid step (0.05) is 0.97 to 1.04 times the eigenvalue.'
    """
    if not same_samples or curvatures.empty:
        return ("The surfaces here are evaluated on other samples than the Hessian, so the "
                "parabolas are a guide, not a check.")
    low, high = float(curvatures["ratio"].min()), float(curvatures["ratio"].max())
    step = float(curvatures["step"].iloc[0])
    span = f"{low:.2f} to {high:.2f} times the eigenvalue"
    if max(abs(low - 1), abs(high - 1)) <= CURVATURE_MATCH:
        return ("Near the optimum every Hessian slice bends as its eigenvalue says: its "
                f"second difference over one grid step ({step:.3g}) is {span}.")
    return (f"Over one grid step ({step:.3g}) the slices' second differences are {span}: "
            "the loss is not quadratic at that scale. A ReLU network's loss has kinks along "
            "any line, which the Hessian (the curvature between kinks) does not see, and "
            "higher-order terms grow with the step.")


def tree_summary(table: pd.DataFrame, architecture: str, kind: str) -> str:
    """The merge trees of one architecture's surfaces over seeds, in a few words.

    The average persistence quoted is the closed one
    (:func:`helpers.surfaces.closed_pairs`), the reading of 002's metric used in the verdict.

    Examples
    --------
    >>> t = pd.DataFrame({"architecture": ["plain", "plain"], "n_minima_random": [1, 3],
    ...                   "n_saddles_random": [0, 2],
    ...                   "closed_average_persistence_random": [9.0, 3.0]})
    >>> tree_summary(t, "plain", "random")
    '1–3 minima, 0–2 saddles, average persistence 6 (random surfaces, 2 seeds)'
    """
    rows = table[table["architecture"] == architecture]
    minima, saddles = rows[f"n_minima_{kind}"], rows[f"n_saddles_{kind}"]
    where = f"({kind} surfaces, {len(rows)} seed{'s' if len(rows) != 1 else ''})"
    if (minima == 1).all() and (saddles == 0).all():
        return f"a single minimum, no saddle, in every seed {where}"

    def span(values: pd.Series) -> str:
        return f"{values.min()}" if values.min() == values.max() else \
            f"{values.min()}–{values.max()}"

    return (f"{span(minima)} minima, {span(saddles)} saddles, average persistence "
            f"{rows[f'closed_average_persistence_{kind}'].mean():.3g} {where}")


def jr_sentence(surface_tree: Any, jr_tree: Any, kind: str) -> str:
    """The surface's merge tree beside the J&R samples' one (Chapter 4), in words.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace as T
    >>> surface = T(values=np.zeros(441), minima=np.zeros(1), n_saddles=0)
    >>> jr = T(values=np.zeros(97), minima=np.zeros(9), n_saddles=8)
    >>> jr_sentence(surface, jr, "random")  # doctest: +NORMALIZE_WHITESPACE
    'The J&R graph (97 samples) has **more** saddles than the random surface (441 grid
    points): 8 against 0, 9 minima against 1. ...'
    """
    n_jr, n_surface = jr_tree.n_saddles, surface_tree.n_saddles
    relation = "more" if n_jr > n_surface else "fewer" if n_jr < n_surface else "as many"
    return (f"The J&R graph ({jr_tree.values.size} samples) has **{relation}** saddles "
            f"{'as' if relation == 'as many' else 'than'} the {kind} surface "
            f"({surface_tree.values.size} grid points): {n_jr} against {n_surface}, "
            f"{jr_tree.minima.size} minima against {surface_tree.minima.size}. The two graphs "
            "see different parts of the landscape: the surface a plane through the optimum, "
            "the J&R samples the paths of retraining from jumps in random directions, which "
            "end in low-loss points of their own; their counts are not two measurements of "
            "one thing.")


def optima_sentence(table: pd.DataFrame, kind: str) -> str:
    """Which of Chapter 1's optima is sharpest, and which surface is roughest.

    ``table`` is indexed by optimum, with ``top_eigenvalue``, ``trace`` and
    ``n_saddles_<kind>``.

    Examples
    --------
    >>> t = pd.DataFrame({"top_eigenvalue": [3.0, 9.0], "trace": [40.0, 20.0],
    ...                   "n_saddles_random": [0, 0]}, index=["good", "bad"])
    >>> print(optima_sentence(t, "random"))  # doctest: +NORMALIZE_WHITESPACE
    The largest top eigenvalue is the bad optimum's (9), the largest trace the good
    optimum's (40); no random surface has a saddle.
    """
    eigen, trace = table["top_eigenvalue"], table["trace"]
    saddles = table[f"n_saddles_{kind}"]
    text = (f"The largest top eigenvalue is the {eigen.idxmax()} optimum's ({eigen.max():.3g}), "
            f"the largest trace the {trace.idxmax()} optimum's ({trace.max():.3g}); ")
    if (saddles == 0).all():
        return text + f"no {kind} surface has a saddle."
    return text + (f"the {kind} surface with the most saddles is the {saddles.idxmax()} "
                   f"optimum's ({saddles.max()}).")


def scale_sentence(preset: str, depth: int, dataset: str) -> str:
    """Whether this run is at the paper's scale, and what that means for the verdict.

    Examples
    --------
    >>> scale_sentence("workshop", 8, "digits")  # doctest: +NORMALIZE_WHITESPACE
    'This run is far smaller than the paper (ResNet-8 on digits against ResNet-20 on
    CIFAR-10): where it differs from the paper, that is no evidence against the paper.'
    """
    name = f"ResNet-{depth} on {_DATASETS.get(dataset, dataset)}"
    if preset == "paper" and depth == 20 and dataset == "cifar10":
        return f"This run is at the paper's scale ({name})."
    return (f"This run is far smaller than the paper ({name} against ResNet-20 on "
            "CIFAR-10): where it differs from the paper, that is no evidence against the paper.")
