"""The sentences and tables of Chapter 5 (the classifier table) that state a computed result.

A chapter never prints a fixed sentence beside a number that could contradict it: each
sentence here is computed from the results of :mod:`helpers.classify` and
:mod:`helpers.zoo_features`, with one branch per outcome, and every branch has a unit
test (``tests/test_classify_report.py``). Whether the feature sets are ordered as in
the paper's Table 1 is :func:`helpers.verdicts.ordering_verdict`.

* :func:`table_beside_paper` — our table beside Table 1, with the permutation p-values;
* :func:`permutation_sentence` — which feature sets beat permuted labels;
* :func:`paired_sentence` — J&R against another sampler, across classifiers and folds;
* :func:`addition_sentence` — do the topological features or sharpness add to the J&R
  samples?
* :func:`ordering_verdicts`, :func:`ordering_summary` — whether the paper's ordering
  holds, task by task, and on how many tasks;
* :func:`dropped_sentence`, :func:`scale_sentence` — which networks and at what scale.

Examples
--------
>>> scale_sentence(48, 48, preset="workshop")  # doctest: +NORMALIZE_WHITESPACE
'This run classifies 48 networks with 48 points per sampler; the paper classified 108
WRNs on CIFAR-10 with 640 points per sampler.'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from helpers.classifiers import CLASSIFIER_LABELS
from helpers.classify import PAPER_TABLE
from helpers.verdicts import ORDERING, format_p, ordering_outcome, ordering_verdict
from helpers.zoo_features import FEATURE_SET_LABELS, TASK_LABELS

__all__ = [
    "addition_sentence",
    "dropped_sentence",
    "no_comparisons",
    "ordering_summary",
    "ordering_verdicts",
    "paired_sentence",
    "permutation_sentence",
    "scale_sentence",
    "table_beside_paper",
]

#: The paper's scale: networks and points per sampler (Horoi et al. 2022, §4.1–4.2).
PAPER_NETWORKS, PAPER_POINTS = 108, 640


def _set(name: str) -> str:
    return FEATURE_SET_LABELS.get(name, name)


def _task(name: str) -> str:
    return TASK_LABELS.get(name, name)


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def table_beside_paper(table: pd.DataFrame, p_values: pd.DataFrame | None = None, *,
                       paper: Mapping[str, Mapping[str, Any]] = PAPER_TABLE,
                       digits: int = 1) -> pd.DataFrame:
    """Our table beside Horoi et al.'s Table 1: per task, the paper's cell, ours, and p.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`helpers.classify.ClassifierTable.table_` (``task``, ``feature_set``,
        ``mean``, ``sem``, ``chance``).
    p_values : pandas.DataFrame, optional
        :meth:`helpers.classify.ClassifierTable.permutation_test`'s frame.
    paper : mapping, default :data:`helpers.classify.PAPER_TABLE`
        ``paper[feature_set][task] = (mean %, s.e. % or None)``.
    digits : int, default 1

    Returns
    -------
    pandas.DataFrame
        Rows: ``chance``, then the feature sets (named by
        :data:`helpers.zoo_features.FEATURE_SET_LABELS`); columns: (task, ``"paper"``),
        (task, ``"this run"``) and, with ``p_values``, (task, ``"permutation p"``).
        "mean ± s.e." in percent; "—" where the paper has no such row.

    Examples
    --------
    >>> table = pd.DataFrame({"task": "augment", "feature_set": ["jr", "topology"],
    ...                       "mean": [0.70, 0.61], "sem": [0.02, 0.03], "chance": 0.5})
    >>> beside = table_beside_paper(table)
    >>> beside.loc["J&R", ("data augmentation", "paper")], beside.loc["J&R"].iloc[1]
    ('72.1 ± 5.4', '70.0 ± 2.0')
    >>> beside.loc["topology", ("data augmentation", "paper")]
    '—'
    """
    needed = {"task", "feature_set", "mean", "sem", "chance"}
    if not isinstance(table, pd.DataFrame) or not needed <= set(table.columns) or table.empty:
        raise ValueError(f"table must be a non-empty DataFrame with the columns "
                         f"{sorted(needed)}")
    tasks = list(dict.fromkeys(table["task"]))
    sets = list(dict.fromkeys(table["feature_set"]))
    p = ({} if p_values is None else
         {(r.task, r.feature_set): r.p_value for r in p_values.itertuples()})

    def cell(mean: float, sem: float | None, scale: float = 1.0) -> str:
        text = f"{scale * mean:.{digits}f}"
        return text if sem is None or pd.isna(sem) else f"{text} ± {scale * sem:.{digits}f}"

    rows: dict[str, dict[tuple[str, str], str]] = {"chance": {}}
    for task in tasks:
        chance = float(table.loc[table["task"] == task, "chance"].iloc[0])
        rows["chance"][(_task(task), "paper")] = (
            cell(*paper["chance"][task]) if task in paper.get("chance", {}) else "—")
        rows["chance"][(_task(task), "this run")] = cell(chance, None, 100)
        if p_values is not None:
            rows["chance"][(_task(task), "permutation p")] = ""
    for name in sets:
        row: dict[tuple[str, str], str] = {}
        for task in tasks:
            found = table[(table["task"] == task) & (table["feature_set"] == name)]
            reference = paper.get(name, {}).get(task)
            row[(_task(task), "paper")] = "—" if reference is None else cell(*reference)
            row[(_task(task), "this run")] = ("—" if found.empty else
                                              cell(found["mean"].iloc[0], found["sem"].iloc[0],
                                                   100))
            if p_values is not None:
                value = p.get((task, name), math.nan)
                row[(_task(task), "permutation p")] = ("—" if pd.isna(value)
                                                       else f"{value:.3f}")
        rows[_set(name)] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    frame.index.name = "features"
    return frame


def permutation_sentence(p_values: pd.DataFrame, *, alpha: float = 0.05,
                         control: str = "randomized") -> str:
    """Which feature sets beat permuted labels, task by task; and the control.

    Parameters
    ----------
    p_values : pandas.DataFrame
        :meth:`helpers.classify.ClassifierTable.permutation_test`'s frame (``task``,
        ``feature_set``, ``score``, ``null_mean``, ``p_value``, ``n_permutations``,
        ``classifiers``); empty when no test was run.
    alpha : float, default 0.05
    control : str, default "randomized"
        The feature set that should *not* beat permuted labels.

    Examples
    --------
    >>> rows = pd.DataFrame({"task": "augment", "feature_set": ["jr", "randomized"],
    ...     "score": [0.7, 0.5], "null_mean": [0.5, 0.5], "p_value": [0.02, 0.6],
    ...     "n_permutations": 49, "classifiers": "knn"})
    >>> print(permutation_sentence(rows))  # doctest: +NORMALIZE_WHITESPACE
    Permutation tests (49 permutations of the labels, each re-running the
    cross-validation of k nearest neighbours; the smallest attainable p is 0.020): every
    feature set but the control beats permuted labels at p < 0.05 on every task. The
    randomized J&R control does not, as it should not (data augmentation p = 0.600).
    """
    if not isinstance(p_values, pd.DataFrame):
        raise ValueError(f"p_values must be a DataFrame; got {type(p_values).__name__}")
    if p_values.empty:
        return ("No permutation test was run (`permutations = 0`): the table's accuracies "
                "are not tested against permuted labels here.")
    n = int(p_values["n_permutations"].iloc[0])
    names = [CLASSIFIER_LABELS.get(c.strip(), c.strip())
             for c in str(p_values["classifiers"].iloc[0]).split(",")]
    head = (f"Permutation tests ({n} permutations of the labels, each re-running the "
            f"cross-validation of {_join(names)}; the smallest attainable p is "
            f"{1 / (n + 1):.3f})")
    rows = p_values[p_values["feature_set"] != control]
    significant = rows["p_value"] < alpha

    def listing(frame: pd.DataFrame) -> str:
        return "; ".join(f"{_set(s)} on {_task(t)} ({format_p(p)})"
                         for t, s, p in zip(frame["task"], frame["feature_set"],
                                            frame["p_value"], strict=True))

    if rows.empty:
        text = head + ": only the control was tested."
    elif significant.all():
        text = (f"{head}: every feature set but the control beats permuted labels at "
                f"p < {alpha:g} on every task.")
    elif not significant.any():
        text = (f"{head}: **no** feature set beats permuted labels at p < {alpha:g}; "
                "at this scale the table's accuracies cannot be told from chance.")
    else:
        text = (f"{head}: {significant.sum()} of {len(rows)} feature set × task pairs beat "
                f"permuted labels at p < {alpha:g}. Not: {listing(rows[~significant])}.")
    checks = p_values[p_values["feature_set"] == control]
    if checks.empty:
        return text
    detail = ", ".join(f"{_task(t)} {format_p(p)}" for t, p in
                       zip(checks["task"], checks["p_value"], strict=True))
    beaten = checks[checks["p_value"] < alpha]
    if beaten.empty:
        return text + (f" The {_set(control)} control does not, as it should not "
                       f"({detail}).")
    return text + (f" The {_set(control)} control **does** beat permuted labels on "
                   f"{_join([_task(t) for t in beaten['task']])} ({detail}): with this many "
                   "tests one such result in twenty is expected by chance.")


def paired_sentence(comparisons: pd.DataFrame, first: str, second: str, *,
                    alpha: float = 0.05) -> str:
    """J&R (``first``) against another feature set, per task, across classifiers and folds.

    Parameters
    ----------
    comparisons : pandas.DataFrame
        :meth:`helpers.classify.ClassifierTable.compare` rows of ``(first, second)`` at the
        ``"classifier"`` level, and optionally the ``"fold"`` level.
    first, second : str
    alpha : float, default 0.05

    Examples
    --------
    >>> rows = pd.DataFrame({"task": "augment", "first": "jr", "second": "grid",
    ...     "level": ["classifier", "fold"], "difference": [0.08, 0.08], "wins": [10, 60],
    ...     "losses": [1, 20], "ties": [0, 30], "n_pairs": [11, 110],
    ...     "p_value": [0.002, 1e-5]})
    >>> print(paired_sentence(rows, "jr", "grid"))  # doctest: +NORMALIZE_WHITESPACE
    J&R against grid, paired by classifier (Wilcoxon signed-rank): data augmentation:
    J&R **more accurate** by 8.0 points, better for 10 of 11 classifiers (p = 0.002).
    Fold by fold (110 pairs; folds share training networks, so these p-values are
    optimistic): data augmentation +8.0 points, p = 1.0e-05.
    """
    if not isinstance(comparisons, pd.DataFrame):
        raise ValueError(f"comparisons must be a DataFrame; got {type(comparisons).__name__}")
    chosen = comparisons[(comparisons["first"] == first) & (comparisons["second"] == second)]
    by_classifier = chosen[chosen["level"] == "classifier"]
    if by_classifier.empty:
        return f"{_set(first)} and {_set(second)} were not both in this table."
    parts = []
    for row in by_classifier.itertuples():
        points = 100 * row.difference
        if not math.isfinite(row.p_value):
            verdict = "untested (no pair of classifiers)"
        elif row.p_value < alpha and points > 0:
            verdict = (f"{_set(first)} **more accurate** by {points:.1f} points, better for "
                       f"{row.wins} of {row.n_pairs} classifiers ({format_p(row.p_value)})")
        elif row.p_value < alpha:
            verdict = (f"{_set(first)} **less accurate** by {-points:.1f} points, worse for "
                       f"{row.losses} of {row.n_pairs} classifiers "
                       f"({format_p(row.p_value)})")
        else:
            verdict = (f"no clear difference ({points:+.1f} points, better for {row.wins} "
                       f"and worse for {row.losses} of {row.n_pairs} classifiers, "
                       f"{format_p(row.p_value)})")
        parts.append(f"{_task(row.task)}: {verdict}")
    text = (f"{_set(first)} against {_set(second)}, paired by classifier (Wilcoxon "
            f"signed-rank): " + "; ".join(parts) + ".")
    by_fold = chosen[chosen["level"] == "fold"]
    if not by_fold.empty:
        folds = "; ".join(f"{_task(r.task)} {100 * r.difference:+.1f} points, "
                          f"{format_p(r.p_value)}" for r in by_fold.itertuples())
        text += (f" Fold by fold ({int(by_fold['n_pairs'].iloc[0])} pairs; folds share "
                 f"training networks, so these p-values are optimistic): {folds}.")
    return text


def addition_sentence(table: pd.DataFrame, comparisons: pd.DataFrame, extra: str, *,
                      base: str = "jr", alpha: float = 0.05) -> str:
    """Does the feature set ``extra`` (topology, sharpness) add to the J&R samples?

    Read from the table (``extra`` alone, and ``base+extra``) and from the paired
    comparisons of ``base+extra`` against ``base`` at the classifier level.

    Examples
    --------
    >>> table = pd.DataFrame({"task": "augment", "feature_set": ["jr", "sharpness",
    ...     "jr+sharpness"], "mean": [0.7, 0.6, 0.71], "sem": 0.02, "chance": 0.5})
    >>> rows = pd.DataFrame({"task": ["augment"], "first": "jr+sharpness", "second": "jr",
    ...     "level": "classifier", "difference": 0.01, "wins": 5, "losses": 4,
    ...     "n_pairs": 11, "p_value": 0.5})
    >>> print(addition_sentence(table, rows, "sharpness"))  # doctest: +NORMALIZE_WHITESPACE
    Sharpness alone reaches 60.0 % on data augmentation (J&R 70.0 %). Added to the J&R
    samples it changes nothing that the classifiers can tell on data augmentation (+1.0
    points, p = 0.500).
    """
    if not isinstance(table, pd.DataFrame) or not isinstance(comparisons, pd.DataFrame):
        raise ValueError("table and comparisons must be DataFrames")
    combined = f"{base}+{extra}"
    means = table.set_index(["task", "feature_set"])["mean"]
    tasks = list(dict.fromkeys(table["task"]))
    alone = [f"{100 * means[(t, extra)]:.1f} % on {_task(t)}"
             + (f" ({_set(base)} {100 * means[(t, base)]:.1f} %)" if (t, base) in means
                else "") for t in tasks if (t, extra) in means]
    name = _set(extra)
    text = (f"{name[0].upper() + name[1:]} alone reaches {'; '.join(alone)}."
            if alone else "")
    rows = comparisons[(comparisons["first"] == combined) & (comparisons["second"] == base)]
    if "level" in rows:
        rows = rows[rows["level"] == "classifier"]
    if rows.empty:
        return (text + f" Its combination with the {_set(base)} samples was not in this "
                "table.").strip()
    outcomes: dict[str, list[str]] = {"adds": [], "takes away": [], "nothing": []}
    for row in rows.itertuples():
        detail = f"{_task(row.task)} ({100 * row.difference:+.1f} points, {format_p(row.p_value)})"
        if math.isfinite(row.p_value) and row.p_value < alpha:
            outcomes["adds" if row.difference > 0 else "takes away"].append(detail)
        else:
            outcomes["nothing"].append(detail)
    said = []
    if outcomes["adds"]:
        said.append(f"it **adds** to them on {_join(outcomes['adds'])}")
    if outcomes["takes away"]:
        said.append(f"it **lowers** the accuracy on {_join(outcomes['takes away'])}")
    if outcomes["nothing"]:
        said.append(f"it changes nothing that the classifiers can tell on "
                    f"{_join(outcomes['nothing'])}")
    return (text + f" Added to the {_set(base)} samples " + "; ".join(said) + ".").strip()


def no_comparisons() -> pd.DataFrame:
    """An empty frame of paired comparisons (no two feature sets to compare).

    Examples
    --------
    >>> list(no_comparisons().columns)[:4]
    ['task', 'first', 'second', 'level']
    """
    return pd.DataFrame(columns=["task", "first", "second", "level", "difference", "wins",
                                 "losses", "ties", "n_pairs", "statistic", "p_value"])


_UNTESTABLE = ("The paper's ordering J&R > naive ≈ grid > randomized cannot be tested here: "
               "fewer than two of its feature sets are in this table.")


def ordering_verdicts(comparisons: pd.DataFrame, tasks: Sequence[str], *,
                      alpha: float = 0.05) -> str:
    """:func:`helpers.verdicts.ordering_verdict` for each task, one paragraph each.

    Examples
    --------
    >>> ordering_verdicts(no_comparisons(), ["augment"]) == _UNTESTABLE
    True
    """
    _check_comparisons(comparisons, tasks)
    if comparisons.empty:
        return _UNTESTABLE
    return "\n\n".join(ordering_verdict(comparisons, t, task_label=_task(t)[0].upper()
                                         + _task(t)[1:], alpha=alpha,
                                         labels=FEATURE_SET_LABELS) for t in tasks)


def _check_comparisons(comparisons: Any, tasks: Any) -> None:
    """Refuse what the ordering sentences cannot read, naming the argument."""
    if isinstance(tasks, str) or not tasks:
        raise ValueError(f"tasks must be a non-empty sequence of task names; got {tasks!r}")
    if not isinstance(comparisons, pd.DataFrame):
        raise ValueError(f"comparisons must be a DataFrame; got {type(comparisons).__name__}")


def ordering_summary(comparisons: pd.DataFrame, tasks: Sequence[str], *,
                     alpha: float = 0.05) -> str:
    """On how many tasks the paper's ordering J&R > naive ≈ grid > randomized holds.

    Examples
    --------
    >>> rows = pd.DataFrame({"task": "wd", "first": ["jr", "jr", "naive", "naive", "grid"],
    ...     "second": ["naive", "grid", "grid", "randomized", "randomized"],
    ...     "difference": [0.05, 0.07, 0.02, 0.15, 0.13],
    ...     "p_value": [0.01, 0.002, 0.5, 0.001, 0.001]})
    >>> ordering_summary(rows, ["wd"])
    "The paper's ordering **holds** on the one task tested (wd)."
    """
    _check_comparisons(comparisons, tasks)
    if comparisons.empty:
        return _UNTESTABLE
    outcomes = {t: ordering_outcome(comparisons, t, alpha=alpha, ordering=ORDERING)
                for t in tasks}
    names = {t: _task(t) for t in tasks}
    if len(tasks) == 1:
        word = {"holds": "**holds**", "partly holds": "holds **in part**",
                "does not hold": "does **not** hold", "untested": "cannot be tested"}
        task = tasks[0]
        return (f"The paper's ordering {word[outcomes[task]]} on the one task tested "
                f"({names[task]}).")
    if all(o == "holds" for o in outcomes.values()):
        return f"The paper's ordering **holds** on all {len(tasks)} tasks."
    if all(o == "untested" for o in outcomes.values()):
        return _UNTESTABLE
    pieces = []
    for outcome, phrase in (("holds", "**holds** on"), ("partly holds", "holds **in part** on"),
                            ("does not hold", "does **not** hold on"),
                            ("untested", "cannot be tested on")):
        chosen = [names[t] for t, o in outcomes.items() if o == outcome]
        if chosen:
            pieces.append(f"{phrase} {_join(chosen)}")
    return "The paper's ordering " + "; it ".join(pieces) + "."


def dropped_sentence(dropped: Mapping[int, str], n_networks: int) -> str:
    """Which networks of the zoo the table leaves out, and why.

    Examples
    --------
    >>> dropped_sentence({}, 48)
    'All 48 networks of the zoo are classified.'
    >>> print(dropped_sentence({3: "training failed", 7: "non-finite jr features"}, 48))
    ... # doctest: +NORMALIZE_WHITESPACE
    2 of the 48 networks are left out of every feature set and task: #3 (training failed),
    #7 (non-finite jr features).
    """
    if not dropped:
        return f"All {n_networks} networks of the zoo are classified."
    listed = ", ".join(f"#{i} ({why})" for i, why in dropped.items())
    verb = "is" if len(dropped) == 1 else "are"
    return (f"{len(dropped)} of the {n_networks} networks {verb} left out of every feature "
            f"set and task: {listed}.")


def scale_sentence(n_networks: int, n_points: int, *, preset: str) -> str:
    """This run's scale beside the paper's (108 WRNs, 640 points per sampler).

    Examples
    --------
    >>> scale_sentence(108, 640, preset="paper")
    "This run is at the paper's scale: 108 networks, 640 points per sampler."
    """
    if preset == "paper" and (n_networks, n_points) == (PAPER_NETWORKS, PAPER_POINTS):
        return (f"This run is at the paper's scale: {n_networks} networks, {n_points} points "
                "per sampler.")
    return (f"This run classifies {n_networks} networks with {n_points} points per sampler; "
            f"the paper classified {PAPER_NETWORKS} WRNs on CIFAR-10 with {PAPER_POINTS} "
            "points per sampler.")
