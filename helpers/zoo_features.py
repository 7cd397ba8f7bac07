"""The feature sets and tasks of the classifier table, read off a zoo of trained networks.

Chapter 5 asks Horoi et al.'s (2022, §4.2, Table 1) question of the zoo of
:mod:`helpers.zoo`: can a network's generalization and training procedure be read off
the losses sampled around its optimum? This module turns a :class:`~helpers.zoo.ZooResult`
into what :class:`helpers.classify.ClassifierTable` takes — one matrix per feature set,
one label vector per task, the same networks in the same row order everywhere:

* :func:`sample_features` — the train loss and accuracy of one sampler's points, one
  row per network, one column per (metric, point); the column's meaning is the same in
  every network (:data:`SAMPLE_ORDER`);
* :func:`task_labels` — the three tasks: the generalization class (5 almost equal
  classes by test loss at the optimum), the weight decay, and augmentation;
* :func:`assemble_features` — every feature set of :data:`FEATURE_SETS` and every task
  at once, networks that failed or hold a non-finite value dropped from all of them
  (:class:`ZooFeatures`);
* :func:`check_tasks`, :func:`check_feature_sets`, :func:`table_settings` — the checks
  a chapter runs on its parameters before the zoo is read.

Only the *train* loss and accuracy of the samples are features, as in the paper: the
test split decides the generalization class, so no feature may see it.

Examples
--------
>>> check_feature_sets(["jr", "randomized"])
('jr', 'randomized')
>>> FEATURE_SET_LABELS["jr+topology"]
'J&R + topology'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers.checks import check_choice, check_int, check_names
from helpers.classifiers import CLASSIFIERS
from helpers.classify import generalization_classes, randomize_features

__all__ = [
    "FEATURE_SETS",
    "FEATURE_SET_LABELS",
    "METRICS",
    "SAMPLERS",
    "SAMPLE_ORDER",
    "SHARPNESS_PATTERN",
    "TASKS",
    "TASK_LABELS",
    "TOPOLOGY_PATTERN",
    "ZooFeatures",
    "assemble_features",
    "check_feature_sets",
    "check_tasks",
    "feature_summary",
    "sample_features",
    "table_features",
    "table_settings",
    "task_labels",
]

#: The classification tasks, named as in :data:`helpers.classify.PAPER_TABLE`.
TASKS = ("generalization", "weight_decay", "augment")
#: How a reader reads each task's name.
TASK_LABELS = {"generalization": "5-class generalization", "weight_decay": "weight decay",
               "augment": "data augmentation"}

#: The feature sets: the paper's four rows (J&R, grid and naive samples, and the
#: randomized control) and, beyond the paper, Chapter 4's topological summaries and the
#: zoo's sharpness baseline, alone and beside the J&R samples.
FEATURE_SETS = ("jr", "grid", "naive", "randomized", "topology", "sharpness",
                "jr+topology", "jr+sharpness")
#: Row names of the table.
FEATURE_SET_LABELS = {"jr": "J&R", "grid": "grid", "naive": "naive",
                      "randomized": "randomized J&R", "topology": "topology",
                      "sharpness": "sharpness", "jr+topology": "J&R + topology",
                      "jr+sharpness": "J&R + sharpness"}
#: The zoo sampler behind each sampled feature set (:meth:`helpers.zoo.ZooResult.samples`).
SAMPLERS = {"jr": "jump_retrain", "grid": "grid", "naive": "naive"}
#: The sampled values used as features: train loss and accuracy, as the paper's Table 1.
METRICS = ("train_loss", "train_accuracy")
#: What a column of a sampled feature set is, the same in every network (the order of
#: :meth:`helpers.zoo.ZooResult.samples`): metric (outer), then the sampler's points.
SAMPLE_ORDER = {
    "jr": "metric, then direction seed, step size and retraining sample (the jump itself "
          "excluded)",
    "grid": "metric, then grid position a, b, c (each ascending)",
    "naive": "metric, then direction and step size",
}
#: Chapter 4's topological summaries in the zoo's table, filtration by train loss:
#: total persistence of H0 and H1 and average persistence, with essential bars dropped
#: or closed at the largest value, and the merge tree's saddles.
TOPOLOGY_PATTERN = (r"^(total_persistence_h[01]_(drop|max)|average_persistence_(drop|max)"
                    r"|n_saddles)_train$")
#: The zoo's sharpness baselines (:data:`helpers.zoo.SHARPNESS_NOTE`).
SHARPNESS_PATTERN = r"^sharpness(_\w+)?$"


@dataclass
class ZooFeatures:
    """Feature sets and labels of a zoo, ready for :class:`helpers.classify.ClassifierTable`.

    Attributes
    ----------
    matrices : dict of str to ndarray
        Feature set → ``(n_kept, n_features)``; row ``i`` is network ``networks[i]`` in
        every set.
    columns : dict of str to pandas.DataFrame
        Feature set → one row per column of its matrix, in order: ``source`` (the
        sampler, ``"table"`` for a column of the zoo's table, or ``"scrambled
        jump_retrain"``), ``metric`` (or the table's column), ``position`` (the point's
        index among the sampler's, ``-1`` for table columns) and the point's coordinates
        (:func:`helpers.zoo.sample_columns`; NaN where they do not apply).
    labels : dict of str to ndarray
        Task → one label per kept network.
    networks : ndarray of int
        The kept networks' rows in the zoo's table.
    dropped : dict of int to str
        Networks left out, and why.
    classes : dict of str to list
        Task → its classes in order (for the generalization task, class 1 is the lowest
        test loss).
    """

    matrices: dict[str, np.ndarray]
    columns: dict[str, pd.DataFrame]
    labels: dict[str, np.ndarray]
    networks: np.ndarray
    dropped: dict[int, str] = field(default_factory=dict)
    classes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def n_networks(self) -> int:
        """Networks kept."""
        return len(self.networks)

    def widths(self) -> pd.Series:
        """Features per set.

        Examples
        --------
        >>> ZooFeatures({"jr": np.zeros((3, 4))}, {}, {}, np.arange(3)).widths().to_dict()
        {'jr': 4}
        """
        return pd.Series({name: m.shape[1] for name, m in self.matrices.items()},
                         name="features")


def check_feature_sets(feature_sets: Any) -> tuple[str, ...]:
    """``feature_sets`` as a tuple of distinct names of :data:`FEATURE_SETS`, else ValueError.

    Examples
    --------
    >>> check_feature_sets(["jr", "jr"])
    Traceback (most recent call last):
    ...
    ValueError: feature_sets must not repeat names; got ('jr', 'jr')
    """
    if not isinstance(feature_sets, Sequence) or isinstance(feature_sets, str):
        raise ValueError(f"feature_sets must be a list of names among {list(FEATURE_SETS)}; "
                         f"got {feature_sets!r}")
    return check_names("feature_sets", feature_sets, FEATURE_SETS)


def _factor_values(definition: Any, task: str) -> list[Any]:
    """Each network's weight decay or augmentation, in the zoo's order."""
    attribute = {"weight_decay": "weight_decay", "augment": "augment"}[task]
    return [getattr(config, attribute) for config in definition.configs()]


def check_tasks(definition: Any, tasks: Any, n_classes: Any = 5) -> tuple[str, ...]:
    """Check that a zoo can pose each task, before any network is trained.

    A task needs at least two classes with at least two networks each (a class of one
    cannot be in a training and a test fold at once): the generalization task
    ``2 × n_classes`` networks, the weight-decay and augmentation tasks a zoo whose grid
    varies that factor.

    Parameters
    ----------
    definition : helpers.zoo.Zoo
    tasks : sequence of str
        Among :data:`TASKS`.
    n_classes : int, default 5
        Generalization classes (named ``generalization_classes`` in the error).

    Examples
    --------
    >>> from helpers.zoo import zoo
    >>> check_tasks(zoo("workshop"), ["generalization", "augment"])
    ('generalization', 'augment')
    >>> check_tasks(zoo("workshop", grid={"seed": (0, 1, 2, 3)}), ["weight_decay"])
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: tasks: 'weight_decay' needs at least 2 values of weight_decay in the zoo,
    each on 2 networks or more; the zoo has {0.0: 4}
    """
    if not isinstance(tasks, Sequence) or isinstance(tasks, str):
        raise ValueError(f"tasks must be a list of names among {list(TASKS)}; got {tasks!r}")
    chosen = check_names("tasks", tasks, TASKS)
    n_classes = check_int("generalization_classes", n_classes, minimum=2)
    n = definition.n_networks
    for task in chosen:
        if task == "generalization":
            if n < 2 * n_classes:
                raise ValueError(f"tasks: 'generalization' with {n_classes} classes needs at "
                                 f"least {2 * n_classes} networks (2 per class); the zoo has "
                                 f"{n} (lower generalization_classes or widen the zoo)")
            continue
        counts = pd.Series(_factor_values(definition, task)).value_counts(sort=False)
        if len(counts) < 2 or counts.min() < 2:
            raise ValueError(f"tasks: {task!r} needs at least 2 values of {task} in the zoo, "
                             f"each on 2 networks or more; the zoo has "
                             f"{counts.sort_index().to_dict()}")
    return chosen


def table_settings(*, classifiers: Any = None, folds: Any = 10, repeats: Any = 1,
                   permutations: Any = 0, permutation_classifiers: Any = ("knn",),
                   seed: Any = 0, jobs: Any = 1,
                   generalization_classes: Any = 5) -> dict[str, Any]:
    """Check the classifier table's settings, each error naming the chapter's parameter.

    Returns
    -------
    dict
        ``classifiers`` (a tuple; ``None`` → all of :data:`helpers.classifiers.CLASSIFIERS`),
        ``folds``, ``repeats``, ``permutations``, ``permutation_classifiers``, ``seed``,
        ``jobs`` and ``generalization_classes``, checked.

    Examples
    --------
    >>> table_settings(classifiers=["knn", "lda"], folds=5)["classifiers"]
    ('knn', 'lda')
    >>> table_settings(folds=1)
    Traceback (most recent call last):
    ...
    ValueError: folds must be an integer >= 2; got 1
    """
    if classifiers is None:
        chosen = CLASSIFIERS
    else:
        if not isinstance(classifiers, Sequence) or isinstance(classifiers, str):
            raise ValueError(f"classifiers must be None or a list of names among "
                             f"{list(CLASSIFIERS)}; got {classifiers!r}")
        chosen = check_names("classifiers", classifiers, CLASSIFIERS)
    if (not isinstance(permutation_classifiers, Sequence)
            or isinstance(permutation_classifiers, str)):
        raise ValueError(f"permutation_classifiers must be a list of names among "
                         f"{list(CLASSIFIERS)}; got {permutation_classifiers!r}")
    return {"classifiers": tuple(chosen),
            "folds": check_int("folds", folds, minimum=2),
            "repeats": check_int("repeats", repeats, minimum=1),
            "permutations": check_int("permutations", permutations, minimum=0),
            "permutation_classifiers": check_names("permutation_classifiers",
                                                   permutation_classifiers, CLASSIFIERS),
            "seed": check_int("seed", seed, minimum=0),
            "jobs": check_int("jobs", jobs, minimum=1),
            "generalization_classes": check_int("generalization_classes",
                                                generalization_classes, minimum=2)}


def sample_features(result: Any, sampler: str, metrics: Sequence[str] = METRICS
                    ) -> tuple[np.ndarray, pd.DataFrame]:
    """One sampler's values as features: a row per network, a column per (metric, point).

    Column ``j`` means the same thing in every network: the zoo stores each network's
    points on the full index of its sampler (:meth:`helpers.zoo.ZooResult.samples`), so
    position ``k`` is the same direction seed, step size and retraining sample (J&R), the
    same grid position (grid) or the same direction and step (naive) whatever the network,
    and a missing point is NaN rather than a shift of the later ones. Metrics are
    concatenated in the order given.

    Parameters
    ----------
    result : helpers.zoo.ZooResult
    sampler : {"jump_retrain", "grid", "naive", "jump"}
    metrics : sequence of str, default :data:`METRICS`

    Returns
    -------
    matrix : ndarray, shape (n_networks, len(metrics) * n_points)
    columns : pandas.DataFrame
        One row per column: ``source``, ``metric``, ``position`` and the point's
        coordinates (:meth:`helpers.zoo.ZooResult.sample_columns`).
    """
    metrics = check_names("metrics", metrics)
    points = result.sample_columns(sampler).reset_index(drop=True)
    blocks, described = [], []
    for metric in metrics:
        values = np.asarray(result.samples(sampler, metric), dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(points):
            raise ValueError(f"the zoo's {sampler} {metric} has shape {values.shape}; "
                             f"expected {len(points)} columns, one per point")
        blocks.append(values)
        described.append(points.assign(source=sampler, metric=metric,
                                       position=np.arange(len(points))))
    columns = pd.concat(described, ignore_index=True)
    first = ["source", "metric", "position"]
    return np.hstack(blocks), columns[first + [c for c in columns if c not in first]]


def table_features(table: pd.DataFrame, pattern: str, name: str) -> tuple[np.ndarray,
                                                                           pd.DataFrame]:
    """The columns of the zoo's table whose names match ``pattern``, as features.

    Examples
    --------
    >>> table = pd.DataFrame({"sharpness": [1.0, 2.0], "sharpness_naive": [0.5, 0.7],
    ...                       "test_loss": [0.3, 0.4]})
    >>> matrix, columns = table_features(table, SHARPNESS_PATTERN, "sharpness")
    >>> matrix.tolist(), columns["metric"].tolist()
    ([[1.0, 0.5], [2.0, 0.7]], ['sharpness', 'sharpness_naive'])
    """
    chosen = [c for c in table.columns if re.match(pattern, str(c))]
    if not chosen:
        raise ValueError(f"the zoo's table has no {name} column (pattern {pattern!r}); "
                         f"its columns: {list(table.columns)}")
    columns = pd.DataFrame({"source": "table", "metric": chosen, "position": -1})
    return table[chosen].to_numpy(dtype=np.float64), columns


def task_labels(result: Any, task: str, networks: Any = None, n_classes: int = 5
                ) -> tuple[np.ndarray, list[Any]]:
    """One task's labels for the chosen networks, and its classes in order.

    ``"generalization"``: :func:`helpers.classify.generalization_classes` of the test
    loss at the optimum *among the chosen networks* (class 1: the lowest ~20 %);
    ``"weight_decay"``: the index of the network's weight decay among the zoo's values,
    ascending; ``"augment"``: 1 with augmentation, 0 without.

    Parameters
    ----------
    result : helpers.zoo.ZooResult
    task : str
        One of :data:`TASKS`.
    networks : array_like of int, optional
        Rows of the zoo's table (default: all).
    n_classes : int, default 5
        Generalization classes.
    """
    check_choice("task", task, TASKS)
    rows = (np.arange(len(result.table)) if networks is None
            else np.asarray(networks, dtype=np.int64))
    if task == "generalization":
        loss = result.table["test_loss"].to_numpy(dtype=np.float64)[rows]
        return generalization_classes(loss, n_classes), list(range(1, n_classes + 1))
    values = np.asarray(_factor_values(result.definition, task))[rows]
    classes = sorted(set(values.tolist()))
    return np.array([classes.index(v) for v in values.tolist()], dtype=np.int64), classes


def assemble_features(result: Any, feature_sets: Sequence[str] = FEATURE_SETS,
                      tasks: Sequence[str] = TASKS, *, metrics: Sequence[str] = METRICS,
                      n_classes: int = 5, random_state: int = 0) -> ZooFeatures:
    """Every feature set and task of the classifier table, from a zoo.

    Feature sets (:data:`FEATURE_SETS`):

    * ``"jr"``, ``"grid"``, ``"naive"`` — :func:`sample_features` of the sampler (the
      same number of points in each);
    * ``"randomized"`` — the J&R matrix with each column permuted across networks
      independently (:func:`helpers.classify.randomize_features`, seeded by
      ``random_state``): each feature keeps its distribution over networks, but its
      link to the labels (and to the other features) is gone;
    * ``"topology"`` — the zoo table's columns matching :data:`TOPOLOGY_PATTERN`;
    * ``"sharpness"`` — those matching :data:`SHARPNESS_PATTERN`;
    * ``"jr+topology"``, ``"jr+sharpness"`` — the J&R matrix with those columns appended.

    A network is dropped from every set and task when its training failed or one of its
    chosen features is not finite (a diverged retrain leaves NaN), so that every set
    holds the same networks in the same row order; ``dropped`` says which and why. The
    generalization classes are drawn among the kept networks.

    Parameters
    ----------
    result : helpers.zoo.ZooResult
    feature_sets : sequence of str, default :data:`FEATURE_SETS`
    tasks : sequence of str, default :data:`TASKS`
    metrics : sequence of str, default :data:`METRICS`
        The sampled values used (``("train_loss",)``: losses alone).
    n_classes : int, default 5
        Generalization classes.
    random_state : int, default 0
        Seed of the randomized control.

    Returns
    -------
    ZooFeatures
    """
    sets = check_feature_sets(feature_sets)
    chosen_tasks = check_names("tasks", tasks, TASKS)
    for metric in check_names("metrics", metrics):
        if metric.startswith("test"):
            raise ValueError(f"metrics must be train-split values (the test split sets the "
                             f"generalization class); got {metric!r}")
    n_classes = check_int("n_classes", n_classes, minimum=2)
    seed = check_int("random_state", random_state, minimum=0)
    for name in ("samples", "sample_columns", "table", "definition"):
        if not hasattr(result, name):
            raise ValueError(f"result must be a helpers.zoo.ZooResult; got "
                             f"{type(result).__name__}")
    table = result.table
    parts: dict[str, tuple[np.ndarray, pd.DataFrame]] = {}
    needed = {part for s in sets for part in
              (("jr",) if s == "randomized" else s.split("+"))}
    for part in needed:
        if part in SAMPLERS:
            parts[part] = sample_features(result, SAMPLERS[part], metrics)
        elif part == "topology":
            parts[part] = table_features(table, TOPOLOGY_PATTERN, "topology")
        else:
            parts[part] = table_features(table, SHARPNESS_PATTERN, "sharpness")

    dropped: dict[int, str] = {}
    if "status" in table:
        dropped.update({int(i): "training failed" for i in
                        np.flatnonzero((table["status"] == "failed").to_numpy())})
    for part, (matrix, _) in parts.items():
        for i in np.flatnonzero(~np.isfinite(matrix).all(axis=1)):
            dropped.setdefault(int(i), f"non-finite {part} features")
    kept = np.array([i for i in range(len(table)) if i not in dropped], dtype=np.int64)
    if len(kept) < 2:
        raise ValueError(f"result must hold at least 2 usable networks; {len(dropped)} of "
                         f"{len(table)} were dropped: {dropped}")

    matrices, columns = {}, {}
    for name in sets:
        if name == "randomized":
            jr, jr_columns = parts["jr"]
            matrices[name] = randomize_features(jr[kept], random_state=seed)
            columns[name] = jr_columns.assign(source="scrambled " + SAMPLERS["jr"])
            continue
        pieces = [parts[p] for p in name.split("+")]
        matrices[name] = np.hstack([m[kept] for m, _ in pieces])
        columns[name] = pd.concat([c for _, c in pieces], ignore_index=True)
    labels, classes = {}, {}
    for task in chosen_tasks:
        labels[task], classes[task] = task_labels(result, task, kept, n_classes)
    return ZooFeatures(matrices, columns, labels, kept, dict(sorted(dropped.items())), classes)


def feature_summary(features: ZooFeatures) -> pd.DataFrame:
    """One row per feature set: its features and what a column is.

    Examples
    --------
    >>> columns = pd.DataFrame({"source": "table", "metric": ["sharpness"], "position": -1})
    >>> f = ZooFeatures({"sharpness": np.zeros((4, 1))}, {"sharpness": columns}, {},
    ...                 np.arange(4))
    >>> feature_summary(f).loc["sharpness", "columns"]
    'sharpness'
    """
    rows = {}
    for name, matrix in features.matrices.items():
        described = features.columns[name]
        if "+" in name:
            what = " columns, then the ".join(FEATURE_SET_LABELS.get(part, part)
                                              for part in name.split("+")) + " columns"
        elif name in SAMPLE_ORDER or name == "randomized":
            what = SAMPLE_ORDER["jr" if name == "randomized" else name]
            if name == "randomized":
                what += ", each column shuffled across networks"
        else:
            what = ", ".join(dict.fromkeys(
                m if s == "table" else f"{s} samples" for s, m in
                zip(described["source"], described["metric"], strict=True)))
        rows[name] = {"features": matrix.shape[1], "columns": what}
    return pd.DataFrame.from_dict(rows, orient="index")

