"""The classifier table: no leakage across folds, signal found and lost, the table's
arithmetic by hand, the paired and permutation tests against scipy and scikit-learn, and
argument checks. Small data and few classifiers; the full eleven once."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    cross_val_score,
    permutation_test_score,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from helpers.classifiers import (
    CLASSIFIERS,
    cv_splits,
    fold_count,
    fold_scores,
    make_classifier,
)
from helpers.classify import (
    PAPER_TABLE,
    ClassifierTable,
    format_table,
    generalization_classes,
    paired_comparison,
    permutation_test,
    randomize_features,
    summarize,
)

FAST = ("logistic_regression", "decision_tree", "linear_svm")


def signal_data(n=60, p=20, seed=0):
    """``p`` noise features; the label is whether feature 0 is positive."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    return x, (x[:, 0] > 0).astype(int)


# -- leakage ------------------------------------------------------------------------------

def leaky_case():
    """A split on which scaling with the test rows changes kNN's answer from wrong to right.

    Feature 0 separates the classes everywhere. Feature 1 is tiny in the training rows
    (and tied to the label one way) and huge in the test rows (tied the other way).
    Scaled on the training rows only, the test rows' feature 1 dwarfs everything, and
    their nearest neighbours are the training rows of the other class: accuracy 0. A
    scaler fitted on all rows shrinks feature 1 below feature 0's gaps: accuracy 1.
    """
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 25)
    test = np.r_[np.arange(20, 25), np.arange(45, 50)]
    train = np.setdiff1d(np.arange(50), test)
    f0 = y + 0.05 * rng.normal(size=50)
    f1 = np.where(y == 0, 1.0, -1.0) * 0.1 * np.abs(rng.normal(size=50))
    f1[test] = np.where(y[test] == 1, 100.0, -100.0)
    return np.column_stack([f0, f1]), y, (0, 0, train, test)


def test_scaling_is_fitted_on_the_training_rows_only():
    x, y, split = leaky_case()
    _, _, train, test = split
    ours = fold_scores(x, y, "knn", [split])
    in_fold = StandardScaler().fit(x[train])
    honest = KNeighborsClassifier(5).fit(in_fold.transform(x[train]), y[train])
    everything = StandardScaler().fit(x)
    leaky = KNeighborsClassifier(5).fit(everything.transform(x[train]), y[train])
    assert np.mean(honest.predict(in_fold.transform(x[test])) == y[test]) == 0.0
    assert np.mean(leaky.predict(everything.transform(x[test])) == y[test]) == 1.0
    assert ours == [0.0]  # a scaler fitted on all rows would have scored 1.0


def test_table_scores_equal_pipelines_refitted_by_hand_on_each_training_fold():
    x, y = signal_data(n=40, p=5, seed=1)
    table = ClassifierTable(("knn", "logistic_regression"), n_splits=4, n_repeats=2,
                            random_state=3, progress=False).fit({"x": x}, {"sign": y})
    splitter = RepeatedStratifiedKFold(n_splits=4, n_repeats=2, random_state=3)
    for name in ("knn", "logistic_regression"):
        expected = [clone(make_classifier(name, 3)).fit(x[tr], y[tr]).score(x[te], y[te])
                    for tr, te in splitter.split(x, y)]
        got = table.scores_[table.scores_["classifier"] == name]["accuracy"].tolist()
        assert got == pytest.approx(expected, abs=1e-15)


# -- signal and the randomized control ----------------------------------------------------

def test_a_label_read_off_one_feature_is_found_and_the_randomized_control_is_at_chance():
    x, y = signal_data()
    features = {"raw": x, "randomized": randomize_features(x, random_state=5)}
    table = ClassifierTable(FAST, n_splits=5, n_repeats=2, progress=False).fit(
        features, {"sign": y})
    means = table.table_.set_index("feature_set")["mean"]
    assert means["raw"] > 0.85
    assert abs(means["randomized"] - 0.5) < 0.15
    tests = table.permutation_test(19, classifiers=("decision_tree",))
    p = tests.set_index("feature_set")["p_value"]
    tree = table.per_classifier_.query("classifier == 'decision_tree'")
    assert tests["score"].tolist() == pytest.approx(tree["mean"].tolist(), abs=1e-12)
    assert p["raw"] == pytest.approx(1 / 20)  # no permutation reaches the true labels
    assert p["randomized"] > 0.05


def test_randomize_features_keeps_each_column_and_permutes_them_independently():
    x = np.arange(40.0).reshape(10, 4)
    scrambled = randomize_features(x, random_state=2)
    np.testing.assert_array_equal(np.sort(scrambled, axis=0), x)
    orders = {tuple(np.argsort(scrambled[:, j])) for j in range(4)}
    assert len(orders) > 1  # not one shared row permutation
    np.testing.assert_array_equal(randomize_features(x, random_state=2), scrambled)
    assert not np.array_equal(randomize_features(x, random_state=3), scrambled)


# -- the table's arithmetic ---------------------------------------------------------------

def test_mean_and_standard_error_by_hand():
    folds = {("a", "p"): [0.5, 0.7, 0.6], ("a", "q"): [0.9, 0.8, 1.0],
             ("a", "r"): [0.4, 0.4, 0.7], ("b", "p"): [0.2, 0.3, 0.1],
             ("b", "q"): [0.6, 0.5, 0.4], ("b", "r"): [0.3, 0.3, 0.3]}
    scores = pd.DataFrame([{"task": "t", "feature_set": s, "classifier": c, "repeat": 0,
                            "fold": i, "accuracy": v}
                           for (s, c), values in folds.items() for i, v in enumerate(values)])
    per_classifier, table = summarize(scores)
    for feature_set in ("a", "b"):
        means = [sum(folds[(feature_set, c)]) / 3 for c in "pqr"]
        mean = sum(means) / 3
        sem = math.sqrt(sum((m - mean) ** 2 for m in means) / 2) / math.sqrt(3)
        row = table[table["feature_set"] == feature_set].iloc[0]
        assert row["mean"] == pytest.approx(mean, abs=1e-12)
        assert row["sem"] == pytest.approx(sem, abs=1e-12)
        assert (row["low"], row["high"]) == pytest.approx((min(means), max(means)))
        assert row["n_classifiers"] == 3
    spread = per_classifier.set_index(["feature_set", "classifier"]).loc[("a", "r")]
    assert spread["std"] == pytest.approx(np.std([0.4, 0.4, 0.7], ddof=1))
    assert (spread["min"], spread["max"], spread["n_folds"]) == (0.4, 0.7, 3)
    text = format_table(table, chance={"t": 0.25})
    assert text.loc["chance", "t"] == "25.0"
    assert text.loc["a", "t"] == f"{100 * table['mean'][0]:.1f} ± {100 * table['sem'][0]:.1f}"


def test_all_eleven_classifiers_once_deterministic_with_the_same_folds_for_every_set():
    x, y = signal_data(n=24, p=4, seed=4)
    classes = generalization_classes(x[:, 0] + 0.1 * x[:, 1], n_classes=3)
    features = {"x": x, "shuffled": randomize_features(x, random_state=1)}
    labels = {"sign": y, "class": classes}
    table = ClassifierTable(n_splits=3, progress=False).fit(features, labels)
    assert table.classifiers == CLASSIFIERS and len(CLASSIFIERS) == 11
    assert table.n_splits_ == {"sign": 3, "class": 3}
    assert set(table.table_["n_classifiers"]) == {11}
    assert table.chance_ == {"sign": 0.5, "class": pytest.approx(1 / 3)}
    assert len(table.scores_) == 2 * 2 * 11 * 3
    # every feature set met the same test rows in each fold: the pairing is real
    rows = table.scores_.groupby(["task", "classifier", "repeat", "fold"])["n_test"].nunique()
    assert rows.max() == 1
    again = ClassifierTable(n_splits=3, progress=False).fit({"x": x}, {"sign": y})
    subset = table.scores_.query("task == 'sign' and feature_set == 'x'")
    pd.testing.assert_frame_equal(subset.reset_index(drop=True), again.scores_)
    assert table.formatted().index.tolist() == ["chance", "x", "shuffled"]


def test_parallel_fits_give_the_same_scores():
    x, y = signal_data(n=30, p=4)
    one = ClassifierTable(("knn", "decision_tree"), n_splits=3, progress=False)
    two = ClassifierTable(("knn", "decision_tree"), n_splits=3, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(one.fit({"x": x}, {"y": y}).scores_,
                                  two.fit({"x": x}, {"y": y}).scores_)


def test_generalization_classes_are_almost_equal_quantiles():
    rng = np.random.default_rng(0)
    loss = rng.exponential(size=108)
    classes = generalization_classes(loss)
    counts = np.bincount(classes)[1:]
    assert counts.sum() == 108 and counts.max() - counts.min() <= 1
    # class 1 holds the lowest losses, and classes never overlap in loss
    for c in range(1, 5):
        assert loss[classes == c].max() < loss[classes == c + 1].min()
    assert set(np.argsort(loss)[:counts[0]]) == set(np.flatnonzero(classes == 1))


def test_folds_are_reduced_to_the_smallest_class_or_refused():
    y = np.r_[np.zeros(20, int), np.ones(7, int)]
    assert fold_count(y, 10) == 7
    splits = cv_splits(y, 10, n_repeats=2, random_state=1)
    assert len(splits) == 14
    for repeat in (0, 1):
        tests = [test for r, _, _, test in splits if r == repeat]
        np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(27))
        assert all((y[test] == 1).sum() == 1 for test in tests)  # stratified
    with pytest.raises(ValueError, match="n_splits must be <= 7"):
        fold_count(y, 10, rule="error")
    with pytest.raises(ValueError, match="n_splits must be <= 7"):
        ClassifierTable(("knn",), fold_rule="error").fit({"x": np.ones((27, 1))}, {"t": y})
    with pytest.raises(ValueError, match="labels must have at least 2 members"):
        fold_count(np.r_[y, 2], 5)


# -- significance -------------------------------------------------------------------------

def test_paired_comparison_equals_scipy_wilcoxon_on_classifier_means():
    x, y = signal_data(n=40, p=6)
    table = ClassifierTable(FAST + ("knn", "gaussian_nb", "lda"), n_splits=4, n_repeats=2,
                            progress=False).fit(
        {"x": x, "noise": randomize_features(x, 1)}, {"sign": y})
    result = table.compare([("x", "noise"), ("noise", "x")])
    means = table.per_classifier_.pivot(index="classifier", columns="feature_set",
                                        values="mean")
    d = (means["x"] - means["noise"]).to_numpy()
    expected = stats.wilcoxon(d[d != 0])
    first = result.iloc[0]
    assert first["p_value"] == pytest.approx(expected.pvalue)
    assert first["difference"] == pytest.approx(d.mean())
    assert (first["wins"], first["n_pairs"]) == (int((d > 0).sum()), 6)
    assert result.iloc[1]["difference"] == pytest.approx(-d.mean())
    folds = table.compare([("x", "noise")], level="fold").iloc[0]
    assert folds["n_pairs"] == 6 * 4 * 2
    ties = paired_comparison(table.scores_, "x", "x").iloc[0]
    assert (ties["p_value"], ties["ties"]) == (1.0, 6)


def test_permutation_test_matches_scikit_learn_and_recomputes_each_permutation():
    x, y = signal_data(n=30, p=3)
    x = x + np.random.default_rng(9).normal(scale=2.0, size=x.shape)  # a weaker signal
    result = permutation_test(x, y, classifiers=("logistic_regression",), n_permutations=5,
                              n_splits=5, random_state=2, progress=False)
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=1, random_state=2)
    model = make_classifier("logistic_regression", 2)
    score, *_ = permutation_test_score(model, x, y, cv=cv, n_permutations=5, random_state=0)
    assert result.score == pytest.approx(score, abs=1e-12)
    for order, value in zip(result.permutations, result.permutation_scores, strict=True):
        expected = cross_val_score(model, x, y[order], cv=cv).mean()
        assert value == pytest.approx(expected, abs=1e-12)
    b = int(np.sum(result.permutation_scores >= result.score - 1e-12))
    assert result.p_value == pytest.approx((b + 1) / 6)
    assert sorted(result.permutations[0]) == list(range(30))


def test_paper_table_is_the_papers_table_1():
    # Horoi et al. (2022), Table 1, row by row as printed (mean ± s.e., %).
    printed = {"randomized": "20.7 ± 1.1 38.9 ± 1.5 52.7 ± 1.9",
               "grid": "30.1 ± 2.7 51.1 ± 2.9 62.3 ± 5.1",
               "naive": "31.8 ± 4.0 55.7 ± 3.9 67.6 ± 5.2",
               "jr": "39.2 ± 4.3 58.2 ± 3.6 72.1 ± 5.4"}
    tasks = ("generalization", "weight_decay", "augment")
    for row, text in printed.items():
        numbers = [float(v) for v in text.replace("±", " ").split()]
        assert [PAPER_TABLE[row][t] for t in tasks] == list(zip(numbers[::2], numbers[1::2],
                                                                 strict=True))
    assert [PAPER_TABLE["chance"][t] for t in tasks] == [(20.0, None), (33.3, None),
                                                         (50.0, None)]


def test_paper_table_is_ordered_as_the_paper_says():
    for task, classes in (("generalization", 5), ("weight_decay", 3), ("augment", 2)):
        assert PAPER_TABLE["chance"][task][0] == pytest.approx(100 / classes, abs=0.05)
        means = [PAPER_TABLE[s][task][0] for s in ("jr", "naive", "grid", "randomized")]
        assert means == sorted(means, reverse=True)


# -- arguments ----------------------------------------------------------------------------

X, Y = signal_data(n=20, p=2)


@pytest.mark.parametrize("call,name", [
    (lambda: ClassifierTable(("svm",)).fit({"x": X}, {"y": Y}), "classifiers"),
    (lambda: ClassifierTable(("knn", "knn")).fit({"x": X}, {"y": Y}), "classifiers"),
    (lambda: ClassifierTable("knn").fit({"x": X}, {"y": Y}), "classifiers"),
    (lambda: ClassifierTable(n_splits=1).fit({"x": X}, {"y": Y}), "n_splits"),
    (lambda: ClassifierTable(n_repeats=0).fit({"x": X}, {"y": Y}), "n_repeats"),
    (lambda: ClassifierTable(fold_rule="drop").fit({"x": X}, {"y": Y}), "fold_rule"),
    (lambda: ClassifierTable(random_state=-1).fit({"x": X}, {"y": Y}), "random_state"),
    (lambda: ClassifierTable(n_jobs=0).fit({"x": X}, {"y": Y}), "n_jobs"),
    (lambda: ClassifierTable(progress="yes").fit({"x": X}, {"y": Y}), "progress"),
    (lambda: ClassifierTable().fit({}, {"y": Y}), "features"),
    (lambda: ClassifierTable().fit({"x": X, "z": X[:5]}, {"y": Y}), "features"),
    (lambda: ClassifierTable().fit({"x": np.r_[X[:-1], [[np.nan, 0]]]}, {"y": Y}),
     r"features\['x'\]"),
    (lambda: ClassifierTable().fit({"x": X}, {"y": Y[:5]}), r"labels\['y'\]"),
    (lambda: ClassifierTable().fit({"x": X}, {"y": np.zeros(20)}), "labels"),
    (lambda: ClassifierTable().compare([("x", "y")]), "fitted"),
    (lambda: ClassifierTable(("knn",), n_splits=2).fit({"x": X}, {"y": Y}).compare(
        [("x", "w")]), "second"),
    (lambda: ClassifierTable(("knn",), n_splits=2).fit({"x": X}, {"y": Y}).compare(
        "x"), "pairs"),
    (lambda: ClassifierTable(("knn",), n_splits=2).fit({"x": X}, {"y": Y}).permutation_test(
        5, tasks=["z"]), "tasks"),
    (lambda: permutation_test(X, Y, n_permutations=0), "n_permutations"),
    (lambda: permutation_test(X, Y[:3]), "labels"),
    (lambda: generalization_classes([0.1, 0.2], n_classes=3), "n_classes"),
    (lambda: generalization_classes([0.1, np.nan]), "test_loss"),
    (lambda: randomize_features(np.arange(4.0)), "features"),
    (lambda: make_classifier("forest"), "classifier"),
    (lambda: fold_scores(X, Y, "knn", []), "splits"),
    (lambda: paired_comparison(pd.DataFrame(), "a", "b"), "scores"),
    (lambda: format_table(pd.DataFrame({"mean": [1]})), "table"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()
