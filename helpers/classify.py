"""The classifier table of Horoi et al. (2022, §4.2, Table 1).

Can a network's generalization and training procedure be read off the losses sampled
around its optimum? The paper answers with a table: for each task (the generalization
class, the weight decay, data augmentation) and each set of features (the loss and
accuracy values sampled by jump and retrain, by grid or naive sampling, and a
randomized control), the mean ± standard error, across 11 simple classifiers, of their
10-fold cross-validated accuracy.

This module computes that table from plain arrays, with the classifiers and folds of
:mod:`helpers.classifiers`:

* :func:`generalization_classes` — 5 almost equal classes by test loss (class 1: the
  ~20 % lowest);
* :func:`randomize_features` — the randomized control: each feature column permuted
  independently across networks;
* :class:`ClassifierTable` — fits every classifier on every feature set and task with
  the same folds; ``table_`` is Table 1, :meth:`~ClassifierTable.compare` a paired
  Wilcoxon comparison of two feature sets (:func:`paired_comparison`),
  :meth:`~ClassifierTable.permutation_test` the permutation tests
  (:func:`permutation_test`);
* :func:`summarize`, :func:`format_table`, :data:`PAPER_TABLE` — the table from fold
  scores, as "mean ± s.e." strings, and the paper's own figures.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> signal = rng.normal(size=(40, 3))
>>> labels = {"sign": (signal[:, 0] > 0).astype(int)}
>>> features = {"signal": signal, "randomized": randomize_features(signal, random_state=0)}
>>> table = ClassifierTable(classifiers=("logistic_regression", "knn"), n_splits=5,
...                         progress=False).fit(features, labels)
>>> table.table_[["feature_set", "mean"]].round(2).values.tolist()
[['signal', 0.91], ['randomized', 0.54]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from tqdm import tqdm

from helpers.checks import check_bool, check_choice, check_int
from helpers.classifiers import (
    CLASSIFIERS,
    FOLD_RULES,
    check_classifiers,
    check_features,
    check_labels,
    cv_splits,
    fold_scores,
)

__all__ = [
    "COMPARISON_LEVELS",
    "PAPER_TABLE",
    "ClassifierTable",
    "PermutationTest",
    "format_table",
    "generalization_classes",
    "paired_comparison",
    "permutation_test",
    "randomize_features",
    "summarize",
]

#: The pairs :func:`paired_comparison` compares: classifier means, or single folds.
COMPARISON_LEVELS = ("classifier", "fold")

#: Horoi et al. (2022), Table 1: mean and standard error (%) of the 11 classifiers'
#: accuracies, per feature set and task (checked against the paper's text).
PAPER_TABLE: dict[str, dict[str, tuple[float, float | None]]] = {
    "chance": {"generalization": (20.0, None), "weight_decay": (33.3, None),
               "augment": (50.0, None)},
    "randomized": {"generalization": (20.7, 1.1), "weight_decay": (38.9, 1.5),
                   "augment": (52.7, 1.9)},
    "grid": {"generalization": (30.1, 2.7), "weight_decay": (51.1, 2.9),
             "augment": (62.3, 5.1)},
    "naive": {"generalization": (31.8, 4.0), "weight_decay": (55.7, 3.9),
              "augment": (67.6, 5.2)},
    "jr": {"generalization": (39.2, 4.3), "weight_decay": (58.2, 3.6),
           "augment": (72.1, 5.4)},
}


def generalization_classes(test_loss: Any, n_classes: int = 5) -> np.ndarray:
    """Almost equal classes by test loss: class 1 holds the lowest ~``1 / n_classes``.

    The networks are sorted by test loss (ties kept in their given order) and the
    ``i``-th of ``n`` goes to class ``floor(i * n_classes / n) + 1``: class sizes
    differ by at most one.

    Parameters
    ----------
    test_loss : array_like, shape (n,)
        Each network's test loss at its optimum; finite.
    n_classes : int, default 5
        At most ``n``.

    Returns
    -------
    ndarray of int, shape (n,)
        Classes ``1 .. n_classes``.

    Examples
    --------
    >>> generalization_classes([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8], n_classes=3)
    array([3, 1, 2, 1, 2, 1, 3])
    """
    loss = np.asarray(test_loss, dtype=np.float64)
    if loss.ndim != 1 or loss.size == 0 or not np.all(np.isfinite(loss)):
        raise ValueError("test_loss must be a non-empty one-dimensional sequence of finite "
                         f"numbers; got shape {loss.shape}")
    n_classes = check_int("n_classes", n_classes, minimum=1, maximum=loss.size)
    order = np.argsort(loss, kind="stable")
    classes = np.empty(loss.size, dtype=np.int64)
    classes[order] = np.arange(loss.size) * n_classes // loss.size + 1
    return classes


def randomize_features(features: Any, random_state: int = 0) -> np.ndarray:
    """The randomized control: each column permuted across the rows, independently.

    A column keeps its values (its distribution over networks is unchanged), but which
    network holds which value is random, and a different draw for every column: the
    link between features and labels, and among features, is gone. The paper's
    "scrambled versions of the best performing features" (§4.2) leave their scheme
    unstated; this is the one that keeps each feature's distribution.

    Parameters
    ----------
    features : array_like, shape (n_networks, n_features)
    random_state : int, default 0

    Examples
    --------
    >>> x = np.arange(12).reshape(4, 3)
    >>> scrambled = randomize_features(x, random_state=1)
    >>> bool(np.all(np.sort(scrambled, axis=0) == x))  # same values in each column
    True
    """
    matrix = check_features("features", features)
    seed = check_int("random_state", random_state, minimum=0)
    return np.random.default_rng(seed).permuted(matrix, axis=0)


def summarize(scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1 from fold scores: per classifier, then mean ± s.e. across classifiers.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per fold: ``task``, ``feature_set``, ``classifier``, ``accuracy``
        (as :attr:`ClassifierTable.scores_`).

    Returns
    -------
    per_classifier : pandas.DataFrame
        ``task``, ``feature_set``, ``classifier`` and, over its folds and repeats,
        ``mean`` (the classifier's accuracy), ``std`` (the fold spread, ``ddof=1``),
        ``min``, ``max``, ``n_folds``.
    table : pandas.DataFrame
        ``task``, ``feature_set``, ``mean`` (of the classifiers' accuracies), ``sem``
        (their standard deviation, ``ddof=1``, over ``sqrt(n_classifiers)``; NaN for
        one classifier), ``low`` and ``high`` (the lowest and highest classifier),
        ``n_classifiers``. Rows keep the order in which tasks and feature sets first
        appear.

    Examples
    --------
    >>> scores = pd.DataFrame({"task": "t", "feature_set": "a", "classifier": ["p", "p", "q", "q"],
    ...                        "accuracy": [0.5, 0.7, 0.8, 1.0]})
    >>> _, table = summarize(scores)
    >>> table[["mean", "sem"]].round(3).values.tolist()
    [[0.75, 0.15]]
    """
    needed = {"task", "feature_set", "classifier", "accuracy"}
    if not isinstance(scores, pd.DataFrame) or not needed <= set(scores.columns):
        raise ValueError(f"scores must be a DataFrame with the columns {sorted(needed)}")
    keys = ["task", "feature_set", "classifier"]
    per_classifier = (scores.groupby(keys, sort=False)["accuracy"]
                      .agg(mean="mean", std="std", min="min", max="max", n_folds="size")
                      .reset_index())
    table = (per_classifier.groupby(["task", "feature_set"], sort=False)["mean"]
             .agg(mean="mean", sem=lambda v: v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1
                  else np.nan, low="min", high="max", n_classifiers="size")
             .reset_index())
    return per_classifier, table


def format_table(table: pd.DataFrame, *, chance: Mapping[str, float] | None = None,
                 digits: int = 1) -> pd.DataFrame:
    """Table 1's layout: feature sets as rows, tasks as columns, "mean ± s.e." in percent.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`ClassifierTable.table_` (or :func:`summarize`'s second frame).
    chance : mapping of task to float, optional
        Adds a first row ``"chance"`` (e.g. :attr:`ClassifierTable.chance_`).
    digits : int, default 1

    Examples
    --------
    >>> table = pd.DataFrame({"task": ["wd", "wd"], "feature_set": ["jr", "grid"],
    ...                       "mean": [0.582, 0.511], "sem": [0.036, 0.029]})
    >>> format_table(table, chance={"wd": 1 / 3}).to_dict()
    {'wd': {'chance': '33.3', 'jr': '58.2 ± 3.6', 'grid': '51.1 ± 2.9'}}
    """
    if not isinstance(table, pd.DataFrame) or not {"task", "feature_set", "mean",
                                                   "sem"} <= set(table.columns):
        raise ValueError("table must be a DataFrame with task, feature_set, mean and sem")
    digits = check_int("digits", digits, minimum=0)

    def cell(row: pd.Series) -> str:
        text = f"{100 * row['mean']:.{digits}f}"
        return text if pd.isna(row["sem"]) else f"{text} ± {100 * row['sem']:.{digits}f}"

    tasks = list(dict.fromkeys(table["task"]))
    sets = list(dict.fromkeys(table["feature_set"]))
    wide = (table.assign(cell=table.apply(cell, axis=1))
            .pivot(index="feature_set", columns="task", values="cell")
            .reindex(index=sets, columns=tasks))
    if chance is not None:
        top = pd.DataFrame([{t: f"{100 * chance[t]:.{digits}f}" for t in tasks}],
                           index=["chance"])
        wide = pd.concat([top, wide])
    wide.index.name, wide.columns.name = "features", None
    return wide


def paired_comparison(scores: pd.DataFrame, first: str, second: str, *,
                      level: str = "classifier", alternative: str = "two-sided") -> pd.DataFrame:
    """Wilcoxon signed-rank test of two feature sets' accuracies, per task.

    Parameters
    ----------
    scores : pandas.DataFrame
        Fold scores (:attr:`ClassifierTable.scores_`) of both feature sets on the same
        folds.
    first, second : str
        Feature sets.
    level : {"classifier", "fold"}, default "classifier"
        ``"classifier"`` pairs each classifier's mean accuracy (11 pairs: the unit of
        Table 1's mean ± s.e., and the way Demšar (2006) compares two methods over many
        data sets). ``"fold"`` pairs every classifier × repeat × fold; those pairs share
        training data and are not independent, so its p-values are optimistic
        (Dietterich 1998; Nadeau & Bengio 2003).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: ``first`` more accurate.

    Returns
    -------
    pandas.DataFrame
        One row per task: ``task``, ``first``, ``second``, ``level``, ``difference``
        (mean over pairs of first minus second), ``wins``, ``losses``, ``ties``,
        ``n_pairs``, ``statistic`` and ``p_value`` (1.0 when every pair ties; NaN without
        pairs). Zero differences are dropped, as Wilcoxon's test does.

    Examples
    --------
    >>> scores = pd.DataFrame({"task": "t", "classifier": list("abcdef") * 2,
    ...     "feature_set": ["x"] * 6 + ["y"] * 6, "repeat": 0, "fold": 0,
    ...     "accuracy": [0.9, 0.8, 0.85, 0.7, 0.95, 0.9, 0.6, 0.5, 0.55, 0.5, 0.6, 0.65]})
    >>> row = paired_comparison(scores, "x", "y").iloc[0]
    >>> int(row["wins"]), round(float(row["p_value"]), 4)
    (6, 0.0312)
    """
    check_choice("level", level, COMPARISON_LEVELS)
    check_choice("alternative", alternative, ("two-sided", "greater", "less"))
    needed = {"task", "feature_set", "classifier", "repeat", "fold", "accuracy"}
    if not isinstance(scores, pd.DataFrame) or not needed <= set(scores.columns):
        raise ValueError(f"scores must be a DataFrame with the columns {sorted(needed)}")
    known = list(dict.fromkeys(scores["feature_set"]))
    for name, value in (("first", first), ("second", second)):
        check_choice(name, value, known)
    keys = ["classifier"] if level == "classifier" else ["classifier", "repeat", "fold"]
    rows = []
    for task, group in scores.groupby("task", sort=False):
        means = {s: group[group["feature_set"] == s].groupby(keys)["accuracy"].mean()
                 for s in (first, second)}
        paired = pd.concat(means, axis=1, join="inner")
        d = (paired[first] - paired[second]).to_numpy()
        nonzero = d[d != 0]
        if d.size == 0:
            statistic = p = np.nan
        elif nonzero.size == 0:
            statistic, p = 0.0, 1.0
        else:
            test = stats.wilcoxon(nonzero, alternative=alternative)
            statistic, p = float(test.statistic), float(test.pvalue)
        rows.append({"task": task, "first": first, "second": second, "level": level,
                     "difference": float(d.mean()) if d.size else np.nan,
                     "wins": int((d > 0).sum()), "losses": int((d < 0).sum()),
                     "ties": int((d == 0).sum()), "n_pairs": int(d.size),
                     "statistic": statistic, "p_value": p})
    return pd.DataFrame(rows)


@dataclass
class PermutationTest:
    """What :func:`permutation_test` found for one feature set and task.

    Attributes
    ----------
    score : float
        Mean cross-validated accuracy over the classifiers on the true labels.
    permutation_scores : ndarray, shape (n_permutations,)
        The same with the labels permuted.
    p_value : float
        ``(b + 1) / (n_permutations + 1)``, ``b`` the permutations scoring at least
        ``score`` (as ``sklearn.model_selection.permutation_test_score``).
    permutations : ndarray, shape (n_permutations, n)
        Row ``j``: the order of the labels in permutation ``j`` (``y[permutations[j]]``).
    classifiers : tuple of str
    """

    score: float
    permutation_scores: np.ndarray
    p_value: float
    permutations: np.ndarray
    classifiers: tuple[str, ...]


def permutation_test(features: Any, labels: Any, *,
                     classifiers: Sequence[str] = ("logistic_regression",),
                     n_permutations: int = 100, n_splits: int = 10, n_repeats: int = 1,
                     fold_rule: str = "reduce", random_state: int = 0,
                     n_jobs: int | None = None,
                     progress: bool | None = None) -> PermutationTest:
    """Is the accuracy above what permuted labels reach? (Ojala & Garriga 2010.)

    The statistic is the mean, over ``classifiers``, of the cross-validated accuracy
    (the number in Table 1 for these classifiers). Each permutation shuffles the
    labels across networks and repeats the whole cross-validation, stratified folds
    re-drawn on the permuted labels with the same seed — what scikit-learn's
    ``permutation_test_score`` does for one classifier,
    with the same permutation shared by every classifier so their mean is compared
    like for like. Cost: ``(n_permutations + 1) × len(classifiers) × folds × repeats``
    fits; choose fast classifiers.

    Parameters
    ----------
    features : array_like, shape (n, n_features)
    labels : array_like, shape (n,)
    classifiers : sequence of str, default ("logistic_regression",)
    n_permutations : int, default 100
    n_splits, n_repeats, fold_rule, random_state, n_jobs
        As for :class:`ClassifierTable`; ``random_state`` also seeds the permutations.
    progress : bool or None

    Returns
    -------
    PermutationTest

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(30, 2))
    >>> result = permutation_test(x, (x[:, 0] > 0).astype(int), n_permutations=19,
    ...                           n_splits=5, progress=False)
    >>> round(result.score, 2), result.p_value
    (0.97, 0.05)
    """
    matrix = check_features("features", features)
    y = check_labels("labels", labels, len(matrix))
    names = check_classifiers(classifiers)
    n_permutations = check_int("n_permutations", n_permutations, minimum=1)
    seed = check_int("random_state", random_state, minimum=0)
    cv_splits(y, n_splits, n_repeats, seed, fold_rule)  # checks the folds before any fit
    n_jobs = _check_jobs(n_jobs)
    if progress is not None:
        check_bool("progress", progress)
    rng = np.random.default_rng(seed)
    permutations = np.stack([rng.permutation(len(y)) for _ in range(n_permutations)])
    settings = (names, n_splits, n_repeats, seed, fold_rule)
    observed = _mean_score(matrix, y, *settings)
    null = np.array(_run([(_mean_score, matrix, y[order], *settings) for order in permutations],
                         n_jobs, progress, "permutations"))
    p_value = (int(np.count_nonzero(null >= observed - 1e-12)) + 1) / (n_permutations + 1)
    return PermutationTest(observed, null, p_value, permutations, names)


class ClassifierTable:
    """Table 1: cross-validated accuracy of many classifiers on many feature sets and tasks.

    Every feature set of a task is cross-validated on the same folds, and every
    classifier with the same seed, so that differences between feature sets are
    paired (:meth:`compare`).

    Parameters
    ----------
    classifiers : sequence of str, default :data:`helpers.classifiers.CLASSIFIERS`
        Names of :func:`helpers.classifiers.make_classifier`.
    n_splits : int, default 10
        Folds of stratified cross-validation (the paper: 10).
    n_repeats : int, default 1
        Repeats with a fresh shuffle each.
    fold_rule : {"reduce", "error"}, default "reduce"
        When a class has fewer members than ``n_splits``: use that many folds
        (recorded in ``n_splits_``), or raise (:func:`helpers.classifiers.fold_count`).
    random_state : int, default 0
        Seeds the folds and the classifiers.
    n_jobs : int or None, default None
        Processes fitting in parallel (joblib; ``None``: one, in this process; ``-1``:
        one per core). The results do not depend on it.
    progress : bool or None, default None
        A progress bar (``None``: only on a terminal).

    Attributes
    ----------
    scores_ : pandas.DataFrame
        One row per fit: ``task``, ``feature_set``, ``classifier``, ``repeat``, ``fold``,
        ``n_test``, ``accuracy``.
    per_classifier_ : pandas.DataFrame
        Each classifier's mean and fold spread (:func:`summarize`).
    table_ : pandas.DataFrame
        Mean ± s.e. across classifiers per task and feature set, with ``chance``
        (one over the number of classes), ``n_splits`` and ``n_repeats``.
    n_splits_ : dict
        Folds used per task.
    chance_ : dict
        ``1 / n_classes`` per task.
    tasks_, feature_sets_ : list of str
        In the order given.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(30, 4))
    >>> table = ClassifierTable(("knn", "gaussian_nb"), n_splits=3, progress=False)
    >>> table.fit({"x": x}, {"half": (x[:, 1] > 0).astype(int)}).n_splits_
    {'half': 3}
    """

    def __init__(self, classifiers: Sequence[str] = CLASSIFIERS, n_splits: int = 10,
                 n_repeats: int = 1, fold_rule: str = "reduce", random_state: int = 0,
                 n_jobs: int | None = None, progress: bool | None = None) -> None:
        self.classifiers = classifiers
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.fold_rule = fold_rule
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def fit(self, features: Mapping[str, Any], labels: Mapping[str, Any]) -> ClassifierTable:
        """Cross-validate every classifier on every feature set for every task.

        Parameters
        ----------
        features : mapping of str to array_like
            Feature set name → ``(n_networks, n_features)`` array; the same networks,
            in the same row order, in every set.
        labels : mapping of str to array_like
            Task name → one label per network.

        Returns
        -------
        ClassifierTable
            ``self``, fitted.
        """
        names = check_classifiers(self.classifiers)
        n_splits = check_int("n_splits", self.n_splits, minimum=2)
        check_int("n_repeats", self.n_repeats, minimum=1)
        check_choice("fold_rule", self.fold_rule, FOLD_RULES)
        seed = check_int("random_state", self.random_state, minimum=0)
        if self.progress is not None:
            check_bool("progress", self.progress)
        matrices, targets = _inputs(features, labels)
        splits = {task: cv_splits(y, n_splits, self.n_repeats, seed, self.fold_rule)
                  for task, y in targets.items()}
        _check_jobs(self.n_jobs)
        jobs = [(t, s, c) for t in targets for s in matrices for c in names]
        results = _run([(fold_scores, matrices[s], targets[t], c, splits[t], seed)
                        for t, s, c in jobs], self.n_jobs, self.progress, "classifiers")
        rows = []
        for (task, feature_set, name), accuracy in zip(jobs, results, strict=True):
            rows.extend({"task": task, "feature_set": feature_set, "classifier": name,
                         "repeat": repeat, "fold": fold, "n_test": len(test),
                         "accuracy": value}
                        for (repeat, fold, _, test), value in zip(splits[task], accuracy,
                                                                  strict=True))
        self.scores_ = pd.DataFrame(rows)
        self.per_classifier_, table = summarize(self.scores_)
        self.chance_ = {t: 1.0 / np.unique(y).size for t, y in targets.items()}
        self.n_splits_ = {t: max(f for _, f, _, _ in s) + 1 for t, s in splits.items()}
        self.table_ = table.assign(chance=table["task"].map(self.chance_),
                                   n_splits=table["task"].map(self.n_splits_),
                                   n_repeats=self.n_repeats)
        self.tasks_, self.feature_sets_ = list(targets), list(matrices)
        self._data = (matrices, targets)
        return self

    def formatted(self, digits: int = 1) -> pd.DataFrame:
        """:attr:`table_` laid out as Table 1, chance first (:func:`format_table`).

        Examples
        --------
        >>> x = np.r_[np.zeros((6, 1)), np.ones((6, 1))]
        >>> table = ClassifierTable(("knn",), n_splits=3, progress=False)
        >>> table.fit({"x": x}, {"step": x[:, 0] > 0}).formatted().to_dict()
        {'step': {'chance': '50.0', 'x': '100.0'}}
        """
        self._check_fitted()
        return format_table(self.table_, chance=self.chance_, digits=digits)

    def compare(self, pairs: Sequence[tuple[str, str]], *, level: str = "classifier",
                alternative: str = "two-sided") -> pd.DataFrame:
        """:func:`paired_comparison` of each pair of feature sets, all tasks, one frame.

        Examples
        --------
        >>> rng = np.random.default_rng(2)
        >>> x = rng.normal(size=(30, 2))
        >>> table = ClassifierTable(("knn", "gaussian_nb"), n_splits=3, progress=False)
        >>> table = table.fit({"x": x, "noise": rng.normal(size=(30, 2))},
        ...                   {"sign": (x[:, 0] > 0).astype(int)})
        >>> table.compare([("x", "noise")])[["first", "second", "wins"]].values.tolist()
        [['x', 'noise', 2]]
        """
        self._check_fitted()
        if (isinstance(pairs, str) or not isinstance(pairs, Sequence) or not pairs
                or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs)):
            raise ValueError(f"pairs must be a non-empty sequence of (first, second) feature "
                             f"set names; got {pairs!r}")
        return pd.concat([paired_comparison(self.scores_, a, b, level=level,
                                            alternative=alternative) for a, b in pairs],
                         ignore_index=True)

    def permutation_test(self, n_permutations: int = 100, *,
                         classifiers: Sequence[str] | None = None,
                         tasks: Sequence[str] | None = None,
                         feature_sets: Sequence[str] | None = None) -> pd.DataFrame:
        """:func:`permutation_test` for each task × feature set, with this table's folds.

        Parameters
        ----------
        n_permutations : int, default 100
        classifiers, tasks, feature_sets : sequence of str, optional
            Subsets (default: all of this table's). With every classifier, ``score``
            equals the table's ``mean``.

        Returns
        -------
        pandas.DataFrame
            ``task``, ``feature_set``, ``score``, ``null_mean``, ``null_std``,
            ``p_value``, ``n_permutations``, ``classifiers``.
        """
        self._check_fitted()
        matrices, targets = self._data
        names = self.classifiers if classifiers is None else classifiers
        names = check_classifiers(names)
        chosen_tasks = _subset("tasks", tasks, self.tasks_)
        chosen_sets = _subset("feature_sets", feature_sets, self.feature_sets_)
        rows = []
        for task in chosen_tasks:
            for feature_set in chosen_sets:
                result = permutation_test(
                    matrices[feature_set], targets[task], classifiers=names,
                    n_permutations=n_permutations, n_splits=self.n_splits,
                    n_repeats=self.n_repeats, fold_rule=self.fold_rule,
                    random_state=self.random_state, n_jobs=self.n_jobs,
                    progress=self.progress)
                rows.append({"task": task, "feature_set": feature_set, "score": result.score,
                             "null_mean": float(result.permutation_scores.mean()),
                             "null_std": float(result.permutation_scores.std(ddof=1))
                             if n_permutations > 1 else np.nan,
                             "p_value": result.p_value, "n_permutations": n_permutations,
                             "classifiers": ", ".join(names)})
        return pd.DataFrame(rows)

    def _check_fitted(self) -> None:
        if not hasattr(self, "scores_"):
            raise ValueError("this ClassifierTable is not fitted yet: call fit(features, "
                             "labels) first")


# -- helpers ------------------------------------------------------------------------------

def _mean_score(matrix: np.ndarray, y: np.ndarray, names: Sequence[str], n_splits: int,
                n_repeats: int, seed: int, rule: str) -> float:
    """Mean over classifiers of the mean fold accuracy, folds drawn on ``y``."""
    splits = cv_splits(y, n_splits, n_repeats, seed, rule)
    return float(np.mean([np.mean(fold_scores(matrix, y, name, splits, seed))
                          for name in names]))


def _run(calls: list[tuple[Any, ...]], n_jobs: int | None, progress: bool | None,
         description: str) -> list[Any]:
    """``function(*arguments)`` for each call, in order, here or in joblib's processes."""
    bar = {"total": len(calls), "desc": description, "leave": False,
           "disable": _quiet(progress)}
    if n_jobs in (None, 1):
        return [function(*arguments) for function, *arguments in tqdm(calls, **bar)]
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(function)(*arguments) for function, *arguments in calls)
    return list(tqdm(results, **bar))


def _check_jobs(n_jobs: Any) -> int | None:
    if n_jobs is None:
        return None
    n_jobs = check_int("n_jobs", n_jobs)
    if n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be None, -1 or a positive integer; got {n_jobs}")
    return n_jobs


def _inputs(features: Any, labels: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    for name, value in (("features", features), ("labels", labels)):
        if not isinstance(value, Mapping) or not value:
            raise ValueError(f"{name} must be a non-empty mapping of names to arrays; got "
                             f"{type(value).__name__}")
    matrices = {str(k): check_features(f"features[{k!r}]", v) for k, v in features.items()}
    rows = {k: len(v) for k, v in matrices.items()}
    if len(set(rows.values())) != 1:
        raise ValueError(f"features must hold the same networks in every set; rows per set: "
                         f"{rows}")
    n = next(iter(rows.values()))
    targets = {str(k): check_labels(f"labels[{k!r}]", v) for k, v in labels.items()}
    for task, y in targets.items():
        if len(y) != n:
            raise ValueError(f"labels[{task!r}] must have one entry per network ({n}); "
                             f"got {len(y)}")
    return matrices, targets


def _subset(name: str, chosen: Sequence[str] | None, available: list[str]) -> list[str]:
    if chosen is None:
        return available
    if isinstance(chosen, str) or not isinstance(chosen, Sequence) or not chosen:
        raise ValueError(f"{name} must be a non-empty sequence among {available}; "
                         f"got {chosen!r}")
    for value in chosen:
        check_choice(name, value, available)
    return list(chosen)


def _quiet(progress: bool | None) -> bool | None:
    """tqdm's ``disable``: ``None`` hides the bar when not on a terminal."""
    return None if progress is None else not progress
