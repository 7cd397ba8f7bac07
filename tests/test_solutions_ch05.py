"""The solutions of Chapter 5's exercises, at a tiny scale, against computations by hand.

One tiny zoo (12 networks, 8 points per sampler) is computed once for the module; each
solution reads it from the same cache and is checked against classifier tables fitted
here on matrices built straight from :meth:`helpers.zoo.ZooResult.samples`.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.classify import ClassifierTable, generalization_classes
from helpers.verdicts import ORDERING_OUTCOMES
from helpers.zoo import zoo

SOLUTIONS = Path(__file__).resolve().parents[1] / "book" / "solutions" / "ch05.py"
ZOO_SETTINGS = {"train": {"epochs": 2, "train_size": 100},
                "grid": {"weight_decay": (0.0, 5e-3), "augment": (False, True),
                         "seed": (0, 1, 2)},
                "seeds": (0, 1), "step_sizes": (0.5, 1.0), "epochs": 2, "knn": 4,
                "phate_knn": 4}
SCALE = {"zoo_settings": ZOO_SETTINGS, "classifiers": ("knn", "lda", "decision_tree",
                                                        "gaussian_nb"), "folds": 3}
TASKS = ("generalization", "weight_decay", "augment")


def load_solutions():
    spec = importlib.util.spec_from_file_location("ch05_solutions", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ch05-zoo")
    before = os.environ.get("LOSS_LANDSCAPE_CACHE")
    os.environ["LOSS_LANDSCAPE_CACHE"] = str(folder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = zoo("workshop", **ZOO_SETTINGS).run(progress=False)
        yield folder, result
    finally:
        if before is None:
            del os.environ["LOSS_LANDSCAPE_CACHE"]
        else:
            os.environ["LOSS_LANDSCAPE_CACHE"] = before


def by_hand(result, metrics=("train_loss", "train_accuracy"), seed=0):
    """Feature matrices and labels built without helpers.zoo_features, and their table."""
    samplers = {"jr": "jump_retrain", "grid": "grid", "naive": "naive"}
    matrices = {name: np.hstack([result.samples(s, m) for m in metrics])
                for name, s in samplers.items()}
    configs = result.definition.configs()
    decays = sorted({c.weight_decay for c in configs})
    labels = {"generalization": generalization_classes(result.table["test_loss"]),
              "weight_decay": [decays.index(c.weight_decay) for c in configs],
              "augment": [int(c.augment) for c in configs]}
    table = ClassifierTable(SCALE["classifiers"], n_splits=SCALE["folds"], random_state=seed,
                            progress=False).fit(matrices, labels)
    return table


@pytest.mark.slow
def test_ch05_exercise_1(tiny, monkeypatch):
    folder, result = tiny
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    gain = load_solutions().exercise_1(**SCALE)
    means = by_hand(result).per_classifier_.pivot_table(
        index=["classifier", "task"], columns="feature_set", values="mean")
    expected = 100 * (means["jr"] - means[["grid", "naive"]].max(axis=1))
    assert sorted(gain.index) == sorted(SCALE["classifiers"])
    assert list(gain.columns) == [*TASKS, "mean"]
    for classifier in SCALE["classifiers"]:
        for task in TASKS:
            assert gain.loc[classifier, task] == pytest.approx(expected[(classifier, task)])
    assert gain["mean"].tolist() == sorted(gain["mean"], reverse=True)  # most gain first
    assert gain["mean"].to_numpy() == pytest.approx(gain[list(TASKS)].mean(axis=1).to_numpy())


@pytest.mark.slow
def test_ch05_exercise_2(tiny, monkeypatch):
    folder, result = tiny
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    answer = load_solutions().exercise_2(**SCALE)
    assert list(answer.index) == list(TASKS)
    assert set(answer.columns.get_level_values(0)) == {"loss and accuracy", "loss only"}
    for variant, metrics in (("loss and accuracy", ("train_loss", "train_accuracy")),
                             ("loss only", ("train_loss",))):
        means = by_hand(result, metrics).table_.pivot(index="task", columns="feature_set",
                                                      values="mean")
        for name in ("jr", "grid", "naive"):
            np.testing.assert_allclose(answer[(variant, name)].loc[list(TASKS)],
                                       100 * means[name].loc[list(TASKS)])
        assert set(answer[(variant, "ordering")]) <= set(ORDERING_OUTCOMES)
        assert answer[(variant, "randomized")].between(0, 100).all()


@pytest.mark.slow
def test_ch05_exercise_3(tiny, monkeypatch):
    folder, result = tiny
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    scale = {k: v for k, v in SCALE.items()}
    answer = load_solutions().exercise_3(**scale, seeds=(0, 3))
    assert list(answer.index) == [0, 3, "mean", "std"] and list(answer.columns) == list(TASKS)
    for seed in (0, 3):
        means = by_hand(result, seed=seed).table_.pivot(index="task", columns="feature_set",
                                                        values="mean")
        np.testing.assert_allclose(answer.loc[seed].to_numpy(dtype=float),
                                   100 * (means["jr"] - means["grid"]).loc[list(TASKS)])
    seeds = answer.loc[[0, 3]].astype(float)
    pd.testing.assert_series_equal(answer.loc["mean"].astype(float), seeds.mean(),
                                   check_names=False)
    pd.testing.assert_series_equal(answer.loc["std"].astype(float), seeds.std(),
                                   check_names=False)
