"""Solutions to the exercises of Chapter 5 (the classifier table).

Each ``exercise_N`` is shown under its exercise in ``book/05-classifier-table.md`` and runs
at a tiny scale in ``tests/test_solutions_ch05.py``. Its defaults are the chapter's
(``zoo_settings`` holds :func:`helpers.zoo.zoo`'s overrides, none by default: the
preset's zoo), and it imports what it uses, so that it runs as shown.
"""

from __future__ import annotations

import pandas as pd


def exercise_1(preset: str = "workshop", zoo_settings: dict | None = None,
               tasks: tuple[str, ...] = ("generalization", "weight_decay", "augment"),
               classifiers: tuple[str, ...] | None = None,
               folds: int = 10, repeats: int = 1, seed: int = 0) -> pd.DataFrame:
    """Per classifier and task, J&R accuracy minus the better of grid and naive (points)."""
    from helpers import classifiers as models
    from helpers import classify, zoo, zoo_features

    result = zoo.chapter_zoo(preset, zoo_settings).run(progress=False)
    features = zoo_features.assemble_features(result, ["jr", "grid", "naive"], tasks,
                                              random_state=seed)
    table = classify.ClassifierTable(classifiers or models.CLASSIFIERS, n_splits=folds,
                                     n_repeats=repeats, random_state=seed, progress=False)
    table.fit(features.matrices, features.labels)
    means = table.per_classifier_.pivot_table(index=["classifier", "task"],
                                              columns="feature_set", values="mean")
    gain = 100 * (means["jr"] - means[["grid", "naive"]].max(axis=1))
    gain = gain.unstack("task")[list(tasks)]
    # The classifiers that gain most first; "mean" is their gain averaged over the tasks.
    return gain.assign(mean=gain.mean(axis=1)).sort_values("mean", ascending=False)


def exercise_2(preset: str = "workshop", zoo_settings: dict | None = None,
               tasks: tuple[str, ...] = ("generalization", "weight_decay", "augment"),
               classifiers: tuple[str, ...] | None = None,
               folds: int = 10, repeats: int = 1, seed: int = 0) -> pd.DataFrame:
    """The paper's ordering per task with losses and accuracies, and with losses alone."""
    from helpers import classifiers as models
    from helpers import classify, verdicts, zoo, zoo_features

    result = zoo.chapter_zoo(preset, zoo_settings).run(progress=False)
    sets = ["jr", "grid", "naive", "randomized"]
    columns = {}
    for variant, metrics in (("loss and accuracy", ("train_loss", "train_accuracy")),
                             ("loss only", ("train_loss",))):
        features = zoo_features.assemble_features(result, sets, tasks, metrics=metrics,
                                                  random_state=seed)
        table = classify.ClassifierTable(classifiers or models.CLASSIFIERS, n_splits=folds,
                                         n_repeats=repeats, random_state=seed, progress=False)
        table.fit(features.matrices, features.labels)
        comparisons = table.compare([(a, b) for a, _, b in verdicts.ORDERING])
        means = table.table_.pivot(index="task", columns="feature_set", values="mean")
        for name in sets:
            columns[(variant, name)] = 100 * means[name]
        columns[(variant, "ordering")] = pd.Series(
            {t: verdicts.ordering_outcome(comparisons, t) for t in tasks})
    return pd.DataFrame(columns).loc[list(tasks)]


def exercise_3(preset: str = "workshop", zoo_settings: dict | None = None,
               tasks: tuple[str, ...] = ("generalization", "weight_decay", "augment"),
               classifiers: tuple[str, ...] | None = None,
               folds: int = 10, seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> pd.DataFrame:
    """J&R minus grid mean accuracy (points) per task, for each seed of the folds."""
    from helpers import classifiers as models
    from helpers import classify, zoo, zoo_features

    result = zoo.chapter_zoo(preset, zoo_settings).run(progress=False)
    features = zoo_features.assemble_features(result, ["jr", "grid"], tasks)
    rows = {}
    for seed in seeds:  # new folds and new classifier seeds; the same networks and features
        table = classify.ClassifierTable(classifiers or models.CLASSIFIERS, n_splits=folds,
                                         random_state=seed, progress=False)
        means = table.fit(features.matrices, features.labels).table_.pivot(
            index="task", columns="feature_set", values="mean")
        rows[seed] = 100 * (means["jr"] - means["grid"])
    differences = pd.DataFrame(rows).T.rename_axis("seed")[list(tasks)]
    # Compare the mean difference with its spread: a gap smaller than the spread is luck.
    return pd.concat([differences, differences.agg(["mean", "std"])])
