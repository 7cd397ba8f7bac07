"""Eleven scikit-learn classifiers and stratified cross-validation that leaks nothing.

The classifier table of Horoi et al. (2022, Table 1; :mod:`helpers.classify`) scores 11
simple classifiers by 10-fold cross-validation. This module holds the classifiers and
the folds:

* :data:`CLASSIFIERS`, :func:`make_classifier` — each classifier in a
  :class:`~sklearn.pipeline.Pipeline` after a :class:`~sklearn.preprocessing.StandardScaler`,
  so that a fold's scaling is fitted on its training rows only: the test rows' means and
  spreads never reach the model. Fixed, documented hyperparameters, tuned for no
  feature set.
* :func:`fold_count`, :func:`cv_splits` — repeated stratified k-fold, seeded, with a
  stated rule when a class is smaller than the number of folds.
* :func:`fold_scores` — the test accuracy of each fold, the pipeline fitted afresh on
  the training rows.
* :func:`check_features`, :func:`check_labels`, :func:`check_classifiers` — the
  argument checks that :mod:`helpers.classify` shares.

Examples
--------
>>> x = np.r_[np.zeros((6, 2)), np.ones((6, 2))]
>>> y = np.r_[np.zeros(6, int), np.ones(6, int)]
>>> fold_scores(x, y, "knn", cv_splits(y, n_splits=3))
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from helpers.checks import check_choice, check_int

__all__ = [
    "CLASSIFIERS",
    "CLASSIFIER_LABELS",
    "FOLD_RULES",
    "Split",
    "check_classifiers",
    "check_features",
    "check_labels",
    "cv_splits",
    "fold_count",
    "fold_scores",
    "make_classifier",
]

#: The 11 classifiers, by name (the paper names none; these are scikit-learn's usual ones).
CLASSIFIER_LABELS: dict[str, str] = {
    "logistic_regression": "logistic regression",
    "lda": "linear discriminant analysis",
    "knn": "k nearest neighbours",
    "linear_svm": "linear SVM",
    "rbf_svm": "RBF SVM",
    "decision_tree": "decision tree",
    "random_forest": "random forest",
    "extra_trees": "extra trees",
    "gradient_boosting": "gradient boosting",
    "gaussian_nb": "Gaussian naive Bayes",
    "mlp": "multilayer perceptron",
}
#: The names :func:`make_classifier` accepts, in the order of the table's rows.
CLASSIFIERS = tuple(CLASSIFIER_LABELS)
#: What :func:`fold_count` does when a class is smaller than the number of folds.
FOLD_RULES = ("reduce", "error")

#: One split of :func:`cv_splits`: ``(repeat, fold, train_rows, test_rows)``.
Split = tuple[int, int, np.ndarray, np.ndarray]


def make_classifier(classifier: str, random_state: int = 0) -> Pipeline:
    """One of :data:`CLASSIFIERS`, unfitted, after a standard scaler in one pipeline.

    The hyperparameters are scikit-learn's defaults except where a default does not
    suit a few dozen networks with hundreds of features, and are the same for every
    feature set (tuned for none):

    * ``logistic_regression``: L2, ``C=1``, ``max_iter=5000``;
    * ``lda``: the SVD solver (no covariance matrix is formed, so it copes with more
      features than networks; Ledoit–Wolf shrinkage forms a ``p × p`` covariance and
      was ~80 times slower at 1,280 features);
    * ``knn``: 5 neighbours;
    * ``linear_svm``, ``rbf_svm``: :class:`~sklearn.svm.SVC` with ``C=1`` (``gamma="scale"``);
    * ``decision_tree``; ``random_forest`` and ``extra_trees`` with 50 trees, and
      ``gradient_boosting`` with 50 stages of depth-3 trees each splitting among
      ``sqrt(n_features)`` features: half scikit-learn's 100, and a square root of the
      features rather than all, because these three cost more than the other eight
      together (``benchmarks/bench_classify.py``);
    * ``gaussian_nb``;
    * ``mlp``: one hidden layer of 64 units, L-BFGS (scikit-learn's advice for small
      data), at most 500 iterations (it fits a hundred networks long before).

    Parameters
    ----------
    classifier : str
        One of :data:`CLASSIFIERS`.
    random_state : int, default 0
        Seed of the classifiers that draw random numbers.

    Examples
    --------
    >>> make_classifier("rbf_svm")
    Pipeline(steps=[('scale', StandardScaler()), ('classify', SVC())])
    """
    check_choice("classifier", classifier, CLASSIFIERS)
    seed = check_int("random_state", random_state, minimum=0)
    model = {
        "logistic_regression": lambda: LogisticRegression(max_iter=5000),
        "lda": LinearDiscriminantAnalysis,
        "knn": lambda: KNeighborsClassifier(n_neighbors=5),
        "linear_svm": lambda: SVC(kernel="linear"),
        "rbf_svm": lambda: SVC(),
        "decision_tree": lambda: DecisionTreeClassifier(random_state=seed),
        "random_forest": lambda: RandomForestClassifier(n_estimators=50, random_state=seed),
        "extra_trees": lambda: ExtraTreesClassifier(n_estimators=50, random_state=seed),
        "gradient_boosting": lambda: GradientBoostingClassifier(
            n_estimators=50, max_features="sqrt", random_state=seed),
        "gaussian_nb": GaussianNB,
        "mlp": lambda: MLPClassifier(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=500,
                                     random_state=seed),
    }[classifier]()
    return Pipeline([("scale", StandardScaler()), ("classify", model)])


def fold_count(labels: Any, n_splits: int = 10, rule: str = "reduce") -> int:
    """Folds of stratified cross-validation that ``labels`` allow.

    Stratified k-fold needs ``k`` members of every class. With ``rule="reduce"``,
    ``k`` is ``min(n_splits, smallest class size)``; with ``"error"`` a smaller class
    raises. Either way a class of one network raises: it cannot be in a training and
    a test fold at once.

    Examples
    --------
    >>> fold_count([0] * 12 + [1] * 7, n_splits=10)
    7
    >>> fold_count([0] * 12 + [1] * 7, n_splits=10, rule="error")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n_splits must be <= 7, the size of the smallest class (1), ...
    """
    n_splits = check_int("n_splits", n_splits, minimum=2)
    check_choice("fold_rule", rule, FOLD_RULES)
    values, counts = np.unique(check_labels("labels", labels), return_counts=True)
    if values.size < 2:
        raise ValueError(f"labels must hold at least 2 classes; got {values.tolist()}")
    smallest, rarest = int(counts.min()), values[counts.argmin()].item()
    if smallest < 2:
        raise ValueError(f"labels must have at least 2 members in every class; class "
                         f"{rarest!r} has {smallest}")
    if smallest < n_splits and rule == "error":
        raise ValueError(f"n_splits must be <= {smallest}, the size of the smallest class "
                         f"({rarest!r}), for stratified folds; got {n_splits} "
                         f"(rule='reduce' would use {smallest})")
    return min(n_splits, smallest)


def cv_splits(labels: Any, n_splits: int = 10, n_repeats: int = 1, random_state: int = 0,
              rule: str = "reduce") -> list[Split]:
    """Repeated stratified k-fold: ``(repeat, fold, train_rows, test_rows)`` per split.

    ``k`` is :func:`fold_count`; the folds of each repeat partition the rows.

    Examples
    --------
    >>> splits = cv_splits([0, 1] * 6, n_splits=3, n_repeats=2)
    >>> [(r, f, len(test)) for r, f, _, test in splits]
    [(0, 0, 4), (0, 1, 4), (0, 2, 4), (1, 0, 4), (1, 1, 4), (1, 2, 4)]
    """
    k = fold_count(labels, n_splits, rule)
    n_repeats = check_int("n_repeats", n_repeats, minimum=1)
    seed = check_int("random_state", random_state, minimum=0)
    y = check_labels("labels", labels)
    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=n_repeats, random_state=seed)
    return [(i // k, i % k, train, test)
            for i, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y))]


def fold_scores(features: Any, labels: Any, classifier: str, splits: Sequence[Split],
                random_state: int = 0) -> list[float]:
    """Test accuracy of each split, a fresh pipeline fitted on the split's training rows only.

    Parameters
    ----------
    features : array_like, shape (n, n_features)
    labels : array_like, shape (n,)
    classifier : str
        One of :data:`CLASSIFIERS` (:func:`make_classifier`).
    splits : sequence of Split
        From :func:`cv_splits`.
    random_state : int, default 0
        The classifier's seed.

    Returns
    -------
    list of float
        One accuracy per split, in order.

    Notes
    -----
    Convergence warnings of the iterative solvers (small training folds) and LDA's
    "variables are collinear" (more features than networks) are silenced; the scores
    stand as computed.

    Examples
    --------
    >>> y = np.array([0, 1] * 6)
    >>> x = np.c_[y + 0.01 * np.arange(12), np.ones(12)]
    >>> fold_scores(x, y, "gaussian_nb", cv_splits(y, n_splits=2))
    [1.0, 1.0]
    """
    matrix = check_features("features", features)
    y = check_labels("labels", labels, len(matrix))
    template = make_classifier(classifier, random_state)
    if (isinstance(splits, str) or not isinstance(splits, Sequence) or not splits
            or not all(isinstance(s, tuple) and len(s) == 4 for s in splits)):
        raise ValueError("splits must be a non-empty sequence of (repeat, fold, train_rows, "
                         "test_rows), as cv_splits returns")
    accuracy = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Variables are collinear", UserWarning)
        for _, _, train, test in splits:
            model = clone(template).fit(matrix[train], y[train])
            accuracy.append(float(np.mean(model.predict(matrix[test]) == y[test])))
    return accuracy


def check_features(name: str, values: Any) -> np.ndarray:
    """``values`` as a finite float matrix of shape (n_networks, n_features), else ValueError.

    Examples
    --------
    >>> check_features("features", [[1, 2], [3, 4]]).shape
    (2, 2)
    """
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array of shape (n_networks, "
                         "n_features)") from None
    if matrix.ndim != 2 or matrix.shape[0] < 2 or matrix.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n_networks, n_features) with at least 2 "
                         f"networks and 1 feature; got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} must be finite (no NaN or infinity: a diverged sample?)")
    return matrix


def check_labels(name: str, values: Any, n: int | None = None) -> np.ndarray:
    """``values`` as a one-dimensional label array (of length ``n`` if given), else ValueError.

    Examples
    --------
    >>> check_labels("labels", ["a", "b"], n=2).tolist()
    ['a', 'b']
    """
    y = np.asarray(values)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional sequence of labels; "
                         f"got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{name} must not hold NaN")
    if n is not None and y.size != n:
        raise ValueError(f"{name} must have one label per network ({n}); got {y.size}")
    return y


def check_classifiers(classifiers: Any) -> tuple[str, ...]:
    """``classifiers`` as a tuple of distinct names of :data:`CLASSIFIERS`, else ValueError.

    Examples
    --------
    >>> check_classifiers(["knn", "lda"])
    ('knn', 'lda')
    """
    if isinstance(classifiers, str) or not isinstance(classifiers, Sequence) or not classifiers:
        raise ValueError(f"classifiers must be a non-empty sequence of names among "
                         f"{list(CLASSIFIERS)}; got {classifiers!r}")
    for name in classifiers:
        check_choice("classifiers", name, CLASSIFIERS)
    if len(set(classifiers)) != len(classifiers):
        raise ValueError(f"classifiers must not repeat a name; got {list(classifiers)}")
    return tuple(classifiers)
