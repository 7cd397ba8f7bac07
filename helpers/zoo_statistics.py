"""What a zoo of networks says about topology and generalization (Fig. 3B and beyond).

Horoi et al. (2022, Fig. 3B) plot the total persistence of H0 around each of 108
networks against its test loss. Two choices of the public code change that number
and are not stated in the paper: the **essential bar** (the oldest component never
dies; their code closes it at the largest filtration value, ``"max"``, where the book
drops it, ``"drop"``) and the **filtration** (their code filters by the test loss; the
book by the train loss). This module tests every combination on a computed zoo
(:class:`helpers.zoo.ZooResult`):

* :func:`persistence_correlations` — Spearman's ρ of each landscape summary with the
  test loss, with a permutation p-value and a bootstrap interval
  (:func:`helpers.statistics.correlation_test`), and the partial correlation of total
  persistence with the test loss given the sharpness baseline (Freedman–Lane);
* :func:`finite_points` — why a diagram has few finite points: the graph's components
  and the retraining paths along which the loss only falls (a path that falls
  monotonically from its jump holds no local minimum but its end);
* :func:`generalization_spread` — the test losses of the five generalization classes
  that Chapter 5 predicts.

Examples
--------
>>> [c for c in conventions()]
[('train_loss', 'drop'), ('train_loss', 'max'), ('test_loss', 'drop'), ('test_loss', 'max')]
>>> summary_column("total_persistence_h0", "test_loss", "max")
'total_persistence_h0_max_test'
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from helpers.checks import check_choice, check_int
from helpers.classify import generalization_classes
from helpers.pipeline import FILTRATIONS
from helpers.statistics import correlation_frame
from helpers.zoo import ESSENTIAL, ZooResult

#: The landscape summaries tested against the test loss: those with an essential-bar
#: convention, then those without one.
SUMMARIES = ("total_persistence_h0", "average_persistence", "n_saddles")

#: The sharpness baseline regressed out in the partial correlation (:mod:`helpers.zoo`).
BASELINE = "sharpness"

#: Which conventions the paper's public code used.
PAPER_CODE = ("test_loss", "max")


def conventions() -> list[tuple[str, str]]:
    """Every (filtration, essential-bar convention) pair, the book's first."""
    return list(itertools.product(FILTRATIONS, ESSENTIAL))


def summary_column(summary: str, filtration: str, essential: str | None = None) -> str:
    """The :attr:`helpers.zoo.ZooResult.table` column of a summary under a convention.

    ``n_saddles`` has no essential-bar convention (the merge tree's saddles).
    """
    check_choice("summary", summary, SUMMARIES)
    check_choice("filtration", filtration, FILTRATIONS)
    suffix = filtration.removesuffix("_loss")
    if summary == "n_saddles":
        return f"n_saddles_{suffix}"
    check_choice("essential", essential, ESSENTIAL)
    return f"{summary}_{essential}_{suffix}"


def persistence_correlations(table: pd.DataFrame, *, target: str = "test_loss",
                             n_permutations: int = 9999, n_bootstrap: int = 2000,
                             random_state: int = 0) -> pd.DataFrame:
    """Each summary under each convention against the test loss, and given sharpness.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`helpers.zoo.ZooResult.table`; failed networks (``NaN``) are left out.
    target : str, default "test_loss"
    n_permutations, n_bootstrap, random_state
        As for :func:`helpers.statistics.correlation_test` (one seed for every row).

    Returns
    -------
    pandas.DataFrame
        One row per test: ``summary``, ``filtration``, ``essential`` (``""`` for
        saddles), ``given`` (``""`` or :data:`BASELINE`), ``column``, and the fields of
        :class:`helpers.statistics.CorrelationResult`. The partial correlations given
        the baseline are those of total persistence; the last row is the baseline itself
        (``summary`` :data:`BASELINE`).
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a ZooResult's table; got {type(table).__name__}")
    options = dict(n_permutations=check_int("n_permutations", n_permutations, minimum=1),
                   n_bootstrap=check_int("n_bootstrap", n_bootstrap, minimum=0),
                   random_state=check_int("random_state", random_state, minimum=0))
    rows = []
    for summary in SUMMARIES:
        pairs = ([(f, "") for f in FILTRATIONS] if summary == "n_saddles" else conventions())
        for filtration, essential in pairs:
            column = summary_column(summary, filtration, essential or None)
            covariates: list[list[str]] = [[]]
            if summary == "total_persistence_h0":
                covariates.append([BASELINE])
            for given in covariates:
                used = table[[column, target, *given]].dropna()
                frame = correlation_frame(used, target, [column], given=given or None,
                                          **options)
                rows.append(frame.assign(summary=summary, filtration=filtration,
                                         essential=essential))
    used = table[[BASELINE, target]].dropna()
    rows.append(correlation_frame(used, target, [BASELINE], **options).assign(
        summary=BASELINE, filtration="", essential=""))
    result = pd.concat(rows, ignore_index=True)
    first = ["summary", "filtration", "essential", "given", "column"]
    return result[first + [c for c in result.columns if c not in first]]


def monotone_paths(result: ZooResult, metric: str = "train_loss") -> np.ndarray:
    """Per network, the share of retraining paths along which ``metric`` never rises.

    :func:`helpers.pipeline.monotone_paths` on the zoo's stored vectors. A path is one
    (direction, step size) of jump and retrain: its jump point, then its samples in
    order. When no step raises the loss, the path's vertices have no local minimum but
    the last, so it adds no finite H0 point by itself.

    Returns
    -------
    ndarray of float, shape (n_networks,)
        ``NaN`` for a failed network.
    """
    if not isinstance(result, ZooResult):
        raise ValueError(f"result must be a ZooResult; got {type(result).__name__}")
    check_choice("metric", metric, ("train_loss", "test_loss"))
    definition = result.definition
    paths = len(definition.seeds) * len(definition.step_sizes)
    jumps = result.samples("jump", metric).reshape(-1, paths, 1)
    retrain = result.samples("jump_retrain", metric).reshape(-1, paths, definition.epochs)
    values = np.concatenate([jumps, retrain], axis=2)
    falling = np.all(np.diff(values, axis=2) <= 0, axis=2).mean(axis=1)
    return np.where(np.isnan(values).all(axis=(1, 2)), np.nan, falling)


def finite_points(result: ZooResult) -> pd.DataFrame:
    """Why the diagrams have as many finite H0 points as they do, per network.

    Returns
    -------
    pandas.DataFrame
        One row per network: finite H0 points and merge-tree minima per filtration,
        the graph's components and vertices, and the share of monotone paths
        (:func:`monotone_paths`) per filtration.
    """
    if not isinstance(result, ZooResult):
        raise ValueError(f"result must be a ZooResult; got {type(result).__name__}")
    table = result.table
    frame = pd.DataFrame({"n_samples": table["n_samples"],
                          "n_components": table["n_components"]})
    for filtration in FILTRATIONS:
        suffix = filtration.removesuffix("_loss")
        frame[f"n_h0_finite_{suffix}"] = table[f"n_h0_finite_{suffix}"]
        frame[f"n_minima_{suffix}"] = table[f"n_minima_{suffix}"]
        frame[f"monotone_paths_{suffix}"] = monotone_paths(result, filtration)
    return frame


def generalization_spread(test_loss: Any, n_classes: int = 5) -> pd.DataFrame:
    """The test losses of each generalization class (Chapter 5's first task).

    Examples
    --------
    >>> generalization_spread([0.1, 0.4, 0.2, 0.3], n_classes=2).round(3).to_dict("list")
    {'networks': [2, 2], 'lowest': [0.1, 0.3], 'highest': [0.2, 0.4], 'mean': [0.15, 0.35]}
    """
    loss = pd.Series(np.asarray(test_loss, dtype=np.float64))
    classes = generalization_classes(loss.to_numpy(), n_classes)
    grouped = loss.groupby(pd.Series(classes, name="class"))
    return pd.DataFrame({"networks": grouped.size(), "lowest": grouped.min(),
                         "highest": grouped.max(), "mean": grouped.mean()})


def essential_share(table: pd.DataFrame, filtration: str = "train_loss") -> float:
    """Median share of total persistence (H0, ``"max"``) that is the essential bar alone.

    Closing the oldest component at the largest filtration value adds
    ``(largest - smallest value)²``: the spread of the sampled losses, a sharpness-like
    number rather than a feature of the landscape's shape.

    Examples
    --------
    >>> t = pd.DataFrame({"total_persistence_h0_drop_train": [1.0, 0.0],
    ...                   "total_persistence_h0_max_train": [4.0, 9.0]})
    >>> essential_share(t)
    0.875
    """
    drop = table[summary_column("total_persistence_h0", filtration, "drop")]
    closed = table[summary_column("total_persistence_h0", filtration, "max")]
    return float(((closed - drop) / closed).median())


def medians_by(table: pd.DataFrame, factor: str,
               summary: str = "total_persistence_h0") -> pd.DataFrame:
    """Median of ``summary`` per level of ``factor``, one column per convention.

    Examples
    --------
    >>> t = pd.DataFrame({"wd": [0, 0, 1], **{summary_column("total_persistence_h0", f, e):
    ...                                       [1.0, 3.0, 5.0] for f, e in conventions()}})
    >>> medians_by(t, "wd")["train, drop"].tolist()
    [2.0, 5.0]
    """
    if factor not in table.columns:
        raise ValueError(f"factor must be a column of table; got {factor!r}")
    return pd.DataFrame({f"{f.removesuffix('_loss')}, {e}":
                         table.groupby(factor)[summary_column(summary, f, e)].median()
                         for f, e in conventions()})


def one_factor_networks(table: pd.DataFrame, factor: str, factors: list[str],
                        reference: int = 0) -> list[int]:
    """The networks that differ from network ``reference`` in ``factor`` alone, in order.

    Examples
    --------
    >>> t = pd.DataFrame({"wd": [0, 0, 1, 1], "aug": [0, 1, 0, 1]})
    >>> one_factor_networks(t, "wd", ["wd", "aug"], reference=1)
    [1, 3]
    """
    if factor not in factors:
        raise ValueError(f"factor must be one of the grid's factors {factors}; got {factor!r}")
    others = [f for f in factors if f != factor]
    row = table.iloc[check_int("reference", reference, minimum=0, maximum=len(table) - 1)]
    same = np.ones(len(table), dtype=bool)
    for name in others:
        same &= (table[name] == row[name]).to_numpy()
    return [int(i) for i in np.flatnonzero(same)]


def convention_table(graphs_and_values: dict[str, tuple[Any, pd.DataFrame]]) -> pd.DataFrame:
    """Total persistence (H0) and finite points of a few networks under every convention.

    Parameters
    ----------
    graphs_and_values : dict
        Name → (kNN graph, sample table with ``train_loss`` and ``test_loss``), e.g.
        Fig. 3A's :class:`helpers.pipeline.LandscapeFeatures` as ``(f.graph, f.samples)``.
    """
    from helpers.zoo import persistence_summary

    rows = {}
    for name, (graph, samples) in graphs_and_values.items():
        row = {}
        for filtration, essential in conventions():
            summary, _ = persistence_summary(graph, samples[filtration].to_numpy())
            label = f"{filtration.removesuffix('_loss')}, {essential}"
            row[f"TP(H0) {label}"] = summary[f"total_persistence_h0_{essential}"]
            if essential == "drop":
                row[f"finite H0 {filtration.removesuffix('_loss')}"] = summary["n_h0_finite"]
        rows[name] = row
    return pd.DataFrame(rows).T
