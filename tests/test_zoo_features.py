"""Feature sets of the classifier table from a zoo: column meaning, row order, dropped
networks, labels, a label read off one sampled value, the randomized control, and the
chapter's setting checks.

Most tests read a stand-in for :class:`helpers.zoo.ZooResult` whose sampled values encode
where they come from (network, metric, point), so that every cell of every feature matrix
can be traced back; one slow test reads a tiny real zoo and checks the columns against the
samplers called directly.
"""

from __future__ import annotations

import itertools
import os
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import sampling, train
from helpers.cache import ArtifactCache
from helpers.classify import ClassifierTable
from helpers.config import TrainConfig
from helpers.zoo import Zoo, sample_columns, zoo
from helpers.zoo_features import (
    FEATURE_SETS,
    SAMPLERS,
    ZooFeatures,
    assemble_features,
    check_feature_sets,
    check_tasks,
    feature_summary,
    sample_features,
    table_features,
    table_settings,
    task_labels,
)

TINY = TrainConfig(epochs=2, train_size=40, batch_size=20)
SETTINGS = dict(seeds=(0, 1), step_sizes=(0.5, 1.0), epochs=2, retrain_lr=0.1, knn=4,
                phate_knn=4)
GRID = {"weight_decay": (0.0, 1e-3), "augment": (False, True), "seed": (0, 1, 2)}
TOPOLOGY = ["total_persistence_h0_drop_train", "total_persistence_h0_max_train",
            "total_persistence_h1_drop_train", "total_persistence_h1_max_train",
            "average_persistence_drop_train", "average_persistence_max_train",
            "n_saddles_train"]
METRIC_CODE = {"train_loss": 0.0, "train_accuracy": 0.5, "test_loss": 0.25,
               "test_accuracy": 0.75}


class EncodedZoo:
    """A stand-in ZooResult: sample ``k`` of network ``i`` for ``metric`` is
    ``1000 i + k + METRIC_CODE[metric]`` (plus ``signal`` where given)."""

    def __init__(self, definition: Zoo, test_loss=None, signal=None):
        self.definition = definition
        n = definition.n_networks
        rng = np.random.default_rng(0)
        self.table = pd.DataFrame({name: rng.exponential(size=n) for name in TOPOLOGY})
        for name in ("total_persistence_h0_drop_test", "n_saddles_test"):  # never features
            self.table[name] = rng.exponential(size=n)
        self.table["sharpness"] = rng.exponential(size=n)
        self.table["sharpness_naive"] = rng.exponential(size=n)
        self.table["test_loss"] = (rng.permutation(n) / n if test_loss is None
                                   else np.asarray(test_loss, dtype=float))
        self.table["status"] = "computed"
        self.overrides: dict[tuple[str, str], np.ndarray] = {}
        self.signal = signal

    def sample_columns(self, sampler):
        return sample_columns(self.definition, sampler)

    def samples(self, sampler, metric="train_loss"):
        if (sampler, metric) in self.overrides:
            return self.overrides[(sampler, metric)]
        n, width = self.definition.n_networks, len(self.sample_columns(sampler))
        values = (1000.0 * np.arange(n)[:, None] + np.arange(width)[None, :]
                  + METRIC_CODE[metric])
        return values


def tiny_definition(grid=GRID) -> Zoo:
    return Zoo(TINY, grid, **SETTINGS)


# ----------------------------------------------------------- what a column means


def test_every_cell_traces_back_to_its_network_metric_and_point():
    definition = tiny_definition()
    fake = EncodedZoo(definition)
    features = assemble_features(fake, ["jr", "grid", "naive"], ["augment"])
    n_points = definition.n_points
    for name in ("jr", "grid", "naive"):
        matrix, columns = features.matrices[name], features.columns[name]
        assert matrix.shape == (definition.n_networks, 2 * n_points)
        # losses first, then accuracies, each over the sampler's points in order
        assert columns["metric"].tolist() == ["train_loss"] * n_points + [
            "train_accuracy"] * n_points
        assert columns["position"].tolist() == list(range(n_points)) * 2
        points = sample_columns(definition, SAMPLERS[name])
        coordinates = columns[list(points.columns)].iloc[:n_points].reset_index(drop=True)
        pd.testing.assert_frame_equal(coordinates, points, check_dtype=False)
        expected = (1000.0 * features.networks[:, None] + columns["position"].to_numpy()
                    + columns["metric"].map(METRIC_CODE).to_numpy())
        np.testing.assert_array_equal(matrix, expected)


def test_jr_columns_follow_direction_step_and_sample():
    definition = Zoo(TINY, {"seed": (0, 1)}, seeds=(3, 5), step_sizes=(0.25, 1.0), epochs=3,
                     knn=4, phate_knn=4)  # 2 × 2 × 3 = 12 points (a 2 × 2 × 3 grid)
    _, columns = sample_features(EncodedZoo(definition), "jump_retrain", ["train_loss"])
    assert list(zip(columns["seed"], columns["step_size"], columns["sample"],
                    strict=True)) == list(itertools.product((3, 5), (0.25, 1.0), range(3)))
    _, naive = sample_features(EncodedZoo(definition), "naive", ["train_loss"])
    assert list(zip(naive["direction"], naive["step_size"], strict=True)) == list(
        itertools.product(range(6), (0.25, 1.0)))


def test_a_network_moved_in_the_zoo_moves_its_row_not_its_columns():
    definition = tiny_definition()
    fake = EncodedZoo(definition)
    order = np.random.default_rng(1).permutation(definition.n_networks)
    moved = EncodedZoo(definition)
    moved.overrides = {(s, m): fake.samples(s, m)[order] for s in SAMPLERS.values()
                       for m in ("train_loss", "train_accuracy")}
    before = assemble_features(fake, ["jr", "grid", "naive"], ["augment"])
    after = assemble_features(moved, ["jr", "grid", "naive"], ["augment"])
    for name in ("jr", "grid", "naive"):
        np.testing.assert_array_equal(after.matrices[name], before.matrices[name][order])
        pd.testing.assert_frame_equal(after.columns[name], before.columns[name])


def test_table_features_take_the_train_filtration_and_both_sharpness_baselines():
    definition = tiny_definition()
    fake = EncodedZoo(definition)
    features = assemble_features(fake, ["topology", "sharpness", "jr+topology",
                                        "jr+sharpness"], ["augment"])
    assert features.columns["topology"]["metric"].tolist() == TOPOLOGY
    assert features.columns["sharpness"]["metric"].tolist() == ["sharpness", "sharpness_naive"]
    np.testing.assert_array_equal(features.matrices["topology"], fake.table[TOPOLOGY])
    jr, _ = sample_features(fake, "jump_retrain")
    np.testing.assert_array_equal(features.matrices["jr+topology"],
                                  np.hstack([jr, fake.table[TOPOLOGY].to_numpy()]))
    assert features.widths()["jr+sharpness"] == jr.shape[1] + 2
    with pytest.raises(ValueError, match="no topology column"):
        table_features(fake.table.drop(columns=TOPOLOGY), r"^total_persistence_.*_train$",
                       "topology")
    summary = feature_summary(features)
    assert summary.loc["sharpness", "columns"] == "sharpness, sharpness_naive"
    assert summary.loc["topology", "features"] == len(TOPOLOGY)


def test_losses_alone_halve_the_sampled_sets_and_test_values_are_refused():
    fake = EncodedZoo(tiny_definition())
    both = assemble_features(fake, ["jr", "naive"], ["augment"])
    losses = assemble_features(fake, ["jr", "naive"], ["augment"], metrics=("train_loss",))
    np.testing.assert_array_equal(losses.matrices["jr"],
                                  both.matrices["jr"][:, :fake.definition.n_points])
    with pytest.raises(ValueError, match="train-split"):
        assemble_features(fake, ["jr"], ["augment"], metrics=("train_loss", "test_loss"))


# ---------------------------------------------------------------- the control


def test_randomized_control_keeps_each_columns_values_and_breaks_the_rows():
    fake = EncodedZoo(tiny_definition())
    features = assemble_features(fake, ["jr", "randomized"], ["augment"], random_state=4)
    jr, scrambled = features.matrices["jr"], features.matrices["randomized"]
    np.testing.assert_array_equal(np.sort(scrambled, axis=0), np.sort(jr, axis=0))
    # each column drew its own permutation: the network in row i differs across columns
    owners = scrambled // 1000
    assert len({tuple(owners[:, j]) for j in range(owners.shape[1])}) > 1
    assert (owners != np.arange(len(owners))[:, None]).any()
    assert features.columns["randomized"]["source"].unique().tolist() == [
        "scrambled jump_retrain"]
    again = assemble_features(fake, ["randomized"], ["augment"], random_state=4)
    np.testing.assert_array_equal(again.matrices["randomized"], scrambled)


def test_a_label_read_off_one_sampled_value_is_found_and_the_control_falls_to_chance():
    definition = Zoo(TINY, {"augment": (False, True), "seed": tuple(range(30))}, **SETTINGS)
    fake = EncodedZoo(definition)
    rng = np.random.default_rng(3)
    augment = np.array([c.augment for c in definition.configs()], dtype=float)
    n, width = definition.n_networks, definition.n_points
    for metric in ("train_loss", "train_accuracy"):
        fake.overrides[("jump_retrain", metric)] = rng.normal(size=(n, width))
    # the 6th retraining sample's loss is higher with augmentation: the label is in one value
    fake.overrides[("jump_retrain", "train_loss")][:, 5] = augment + 0.1 * rng.normal(size=n)
    features = assemble_features(fake, ["jr", "randomized"], ["augment"], random_state=0)
    table = ClassifierTable(("logistic_regression", "decision_tree", "lda"), n_splits=5,
                            n_repeats=2, progress=False).fit(features.matrices,
                                                             features.labels)
    means = table.table_.set_index("feature_set")["mean"]
    assert means["jr"] > 0.85
    assert abs(means["randomized"] - 0.5) < 0.15
    tests = table.permutation_test(19, classifiers=("decision_tree",))
    p = tests.set_index("feature_set")["p_value"]
    assert p["jr"] == pytest.approx(1 / 20) and p["randomized"] > 0.05


# ------------------------------------------------------- dropped networks, labels


def test_failed_and_non_finite_networks_leave_every_set_and_task():
    definition = tiny_definition()
    fake = EncodedZoo(definition)
    fake.table.loc[2, "status"] = "failed"
    loss = fake.samples("jump_retrain", "train_loss").copy()
    loss[5, 3] = np.nan  # a retrain that diverged
    fake.overrides[("jump_retrain", "train_loss")] = loss
    features = assemble_features(fake, ["jr", "grid", "topology"], ["generalization",
                                                                   "augment"], n_classes=2)
    assert features.dropped == {2: "training failed", 5: "non-finite jr features"}
    kept = [i for i in range(definition.n_networks) if i not in (2, 5)]
    np.testing.assert_array_equal(features.networks, kept)
    assert {m.shape[0] for m in features.matrices.values()} == {len(kept)}
    np.testing.assert_array_equal(features.matrices["grid"][:, 0] // 1000, kept)
    # classes are drawn among the kept networks: halves of their test losses
    loss_kept = fake.table["test_loss"].to_numpy()[kept]
    low = features.labels["generalization"] == 1
    assert loss_kept[low].max() < loss_kept[~low].min() and low.sum() == len(kept) // 2
    augment = [definition.configs()[i].augment for i in kept]
    np.testing.assert_array_equal(features.labels["augment"], np.array(augment, dtype=int))
    # a non-finite grid value only matters when the grid is a chosen feature set
    grid = fake.samples("grid", "train_accuracy").copy()
    grid[7, 0] = np.inf
    fake.overrides[("grid", "train_accuracy")] = grid
    assert 7 in assemble_features(fake, ["grid"], ["augment"]).dropped
    assert 7 not in assemble_features(fake, ["naive"], ["augment"]).dropped


def test_task_labels():
    definition = Zoo(TINY, {"weight_decay": (5e-3, 0.0, 5e-4), "augment": (False, True)},
                     **SETTINGS)
    fake = EncodedZoo(definition, test_loss=[0.9, 0.1, 0.5, 0.3, 0.7, 0.2])
    decay, classes = task_labels(fake, "weight_decay")
    assert classes == [0.0, 5e-4, 5e-3]
    assert decay.tolist() == [2, 2, 0, 0, 1, 1]
    augment, classes = task_labels(fake, "augment")
    assert augment.tolist() == [0, 1] * 3 and classes == [False, True]
    general, classes = task_labels(fake, "generalization", n_classes=3)
    assert general.tolist() == [3, 1, 2, 2, 3, 1] and classes == [1, 2, 3]
    subset, _ = task_labels(fake, "generalization", networks=[0, 1, 2], n_classes=3)
    assert subset.tolist() == [3, 1, 2]


# ------------------------------------------------------------------ the checks


def test_tasks_are_checked_against_the_zoo_before_any_work():
    assert check_tasks(tiny_definition(), ["generalization", "weight_decay", "augment"]) == (
        "generalization", "weight_decay", "augment")
    small = Zoo(TINY, {"weight_decay": (0.0, 1e-3), "seed": (0, 1)}, **SETTINGS)
    with pytest.raises(ValueError, match="'generalization' with 5 classes needs at least 10"):
        check_tasks(small, ["generalization"])
    assert check_tasks(small, ["generalization"], n_classes=2) == ("generalization",)
    with pytest.raises(ValueError, match=r"'augment' needs at least 2 values of augment"):
        check_tasks(small, ["augment"])
    lonely = zoo("workshop", grid={"weight_decay": (0.0, 1e-3), "seed": (0,)})
    with pytest.raises(ValueError, match=r"each on 2 networks or more.*\{0.0: 1, 0.001: 1\}"):
        check_tasks(lonely, ["weight_decay"])


@pytest.mark.parametrize(("call", "name"), [
    (lambda: check_tasks(tiny_definition(), "augment"), "tasks"),
    (lambda: check_tasks(tiny_definition(), ["speed"]), "tasks"),
    (lambda: check_tasks(tiny_definition(), ["augment"], n_classes=1), "generalization_classes"),
    (lambda: check_feature_sets("jr"), "feature_sets"),
    (lambda: check_feature_sets(["jr", "hessian"]), "feature_sets"),
    (lambda: table_settings(classifiers="knn"), "classifiers"),
    (lambda: table_settings(classifiers=["knn", "svm"]), "classifiers"),
    (lambda: table_settings(folds=1), "folds"),
    (lambda: table_settings(repeats=0), "repeats"),
    (lambda: table_settings(permutations=-1), "permutations"),
    (lambda: table_settings(permutation_classifiers="knn"), "permutation_classifiers"),
    (lambda: table_settings(permutation_classifiers=[]), "permutation_classifiers"),
    (lambda: table_settings(seed=-1), "seed"),
    (lambda: table_settings(jobs=0), "jobs"),
    (lambda: table_settings(generalization_classes=True), "generalization_classes"),
    (lambda: assemble_features(object(), ["jr"], ["augment"]), "result"),
    (lambda: assemble_features(EncodedZoo(tiny_definition()), ["jr"], ["augment"],
                               random_state=-1), "random_state"),
])
def test_bad_settings_raise_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_table_settings_defaults():
    settings = table_settings()
    assert len(settings["classifiers"]) == 11 and settings["folds"] == 10
    assert settings["permutation_classifiers"] == ("knn",)


def test_zoo_features_reports_its_widths():
    features = ZooFeatures({"a": np.zeros((2, 3)), "b": np.zeros((2, 1))}, {}, {},
                           np.arange(2))
    assert features.widths().to_dict() == {"a": 3, "b": 1} and features.n_networks == 2
    assert set(FEATURE_SETS) >= {"jr", "grid", "naive", "randomized", "topology", "sharpness"}


# ------------------------------------------------------------- a tiny real zoo


@pytest.mark.slow
def test_feature_columns_of_a_tiny_zoo_match_the_samplers(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(tmp_path))
    definition = Zoo(TINY, {"weight_decay": (0.0, 1e-3)}, **SETTINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # disconnected graphs are fine here
        result = definition.run(cache=ArtifactCache(tmp_path), progress=False)
    features = assemble_features(result, ["jr", "grid", "naive", "topology"], ["weight_decay"])
    assert not features.dropped and os.listdir(tmp_path)
    for network, config in enumerate(definition.configs()):
        optimum = train.train(config, progress=False)  # read back from the cache
        jr = sampling.jump_and_retrain(optimum, (0, 1), (0.5, 1.0), 2, retrain={"lr": 0.1},
                                       progress=False).table
        retrain = jr[jr["kind"] == "retrain"]
        for j, column in features.columns["jr"].iterrows():
            path = retrain[(retrain["seed"] == column["seed"])
                           & (retrain["step_size"] == column["step_size"])]
            expected = path.sort_values("epoch")[column["metric"]].to_numpy()[
                int(column["sample"])]
            assert features.matrices["jr"][network, j] == expected
        grid = sampling.grid_sample(optimum, 8, 1.0).table.iloc[1:]
        for j, column in features.columns["grid"].iterrows():
            row = grid[(grid["a"] == column["a"]) & (grid["b"] == column["b"])
                       & (grid["c"] == column["c"])]
            assert features.matrices["grid"][network, j] == row[column["metric"]].item()
        naive = sampling.naive_sample(optimum, 8, (0.5, 1.0)).table.iloc[1:]
        for j, column in features.columns["naive"].iterrows():
            row = naive[(naive["seed"] == column["direction"])
                        & (naive["step_size"] == column["step_size"])]
            assert features.matrices["naive"][network, j] == row[column["metric"]].item()
    chosen = features.columns["topology"]["metric"].tolist()
    assert sorted(chosen) == sorted(TOPOLOGY)  # the train filtration's summaries, no more
    np.testing.assert_array_equal(features.matrices["topology"],
                                  result.table[chosen].to_numpy())
    assert features.labels["weight_decay"].tolist() == [0, 1]
