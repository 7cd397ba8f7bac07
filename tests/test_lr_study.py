"""Tests of helpers.lr_study: the losses it records, the topology it caches, its settings.

Checked against independent computations: per-sample losses against a recomputation
image by image from the model of that epoch, total persistence and Wasserstein
distances against ripser's diagrams and persim, the cached topology against a direct
computation.
"""

from __future__ import annotations

import numpy as np
import persim
import pytest
import torch

from helpers import loss_fields, lr_study, train
from helpers.cache import ArtifactCache
from helpers.config import TrainConfig
from helpers.topology import lower_star_persistence

TINY = dict(rates=[0.1, 0.01], seeds=[0, 1], epochs=3, train_size=40, k=5, resolution=8,
            skip_depth=8, skip_epochs=2)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    cache = ArtifactCache(tmp_path_factory.mktemp("cache"))
    settings = lr_study.study_settings(**TINY)
    return lr_study.run_study(settings, progress=False, cache=cache), cache


def by_image(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Cross-entropy of each image alone, from log-softmax: no batching, no reduction."""
    model.eval()
    with torch.no_grad():
        return np.array([float(-torch.log_softmax(model(x[i:i + 1]).double(), 1)[0, y[i]])
                         for i in range(len(x))])


def finite(diagram: np.ndarray) -> np.ndarray:
    rows = diagram[np.all(np.isfinite(diagram), axis=1)]
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


# ------------------------------------------------------------------ losses per epoch


def test_recorded_losses_equal_a_recomputation_from_the_model_of_that_epoch(tmp_path):
    cache = ArtifactCache(tmp_path)
    config = TrainConfig(train_size=40, epochs=3, batch_size=16, lr=0.05)
    recorded = train.train(config, record_sample_losses=True, progress=False, cache=cache)
    data = train.load_training_data(config)
    assert recorded.train_sample_losses.shape == (4, 40)
    assert recorded.test_sample_losses.shape == (4, data.n_test)
    for epoch in (1, 2, 3):
        # Without milestones, a run of `epoch` epochs is the first `epoch` epochs of the
        # longer run (same seed, batches, schedule): its final state is the model then.
        model = train.train(config.replace(epochs=epoch), progress=False, cache=cache).model(data)
        np.testing.assert_allclose(recorded.train_sample_losses[epoch],
                                   by_image(model, data.train_x, data.train_y),
                                   rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(recorded.test_sample_losses[epoch],
                                   by_image(model, data.test_x, data.test_y),
                                   rtol=1e-4, atol=1e-5)
    # Losses move during training: a row shifted by one image would not match above.
    assert not np.allclose(recorded.train_sample_losses[1], recorded.train_sample_losses[3])

def test_total_persistence_and_wasserstein_against_ripser_and_persim(tiny_study):
    study, _ = tiny_study
    p = 1.5
    for which in ("train", "test"):
        losses = study.runs[0.1, 0].train_sample_losses if which == "train" \
            else study.runs[0.1, 0].test_sample_losses
        graph = study.graphs[which]
        for kind, sign in (("join", 1.0), ("split", -1.0)):
            topo = loss_fields.epoch_topology(graph, losses, kind, p=p)
            (last,) = lower_star_persistence(graph, sign * losses[-1], maxdim=0)
            for epoch in (1, 2):
                (h0,) = lower_star_persistence(graph, sign * losses[epoch], maxdim=0)
                h0 = finite(h0)
                assert topo.total_persistence[epoch] == pytest.approx(
                    float(np.sum((h0[:, 1] - h0[:, 0]) ** p)), rel=1e-5, abs=1e-6)
                assert topo.wasserstein[epoch] == pytest.approx(
                    persim.wasserstein(h0, finite(last)), rel=1e-5, abs=1e-5)
            assert topo.wasserstein[-1] == 0.0


# -------------------------------------------------------------------------- settings


def test_default_settings_scale_the_thesis_schedule():
    paper = lr_study.study_settings("paper")
    assert paper.milestones == (60, 125, 150)
    assert paper.heatmap_epochs == (1, 60, 61, 125, 126, 150, 151, 200)
    assert paper.base.label.startswith("WRN-16") and paper.base.dataset == "cifar10"
    assert paper.skip.label.startswith("ResNet-56") and paper.skip.epochs == 300
    workshop = lr_study.study_settings()
    assert workshop.rates == (0.1, 0.01) and len(workshop.seeds) >= 3 and workshop.k == 20
    assert {c.residual for c in workshop.skip_configs().values()} == {True, False}
    assert lr_study.study_settings(skip_connections=False).skip_configs() == {}
    configs = workshop.configs()
    assert {c.lr for c in configs.values()} == {0.1, 0.01}
    assert len({c.key() for c in configs.values()}) == len(configs)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"preset": "big"}, "preset must be one of"),
    ({"rates": [0.1]}, "rates must list at least two"),
    ({"rates": [0.1, -0.01]}, r"rates\[1\] must be a number > 0"),
    ({"rates": [0.1, 0.1]}, "rates must not repeat"),
    ({"seeds": [0, 0]}, "seeds must not repeat"),
    ({"k": 0}, "k must be an integer >= 1"),
    ({"trees": ["joint"]}, "trees must list values from"),
    ({"sets": []}, "sets must list values from"),
    ({"controls": ["none"]}, "controls must list values from"),
    ({"heatmap_epochs": [1, 99]}, "heatmap_epochs must lie in 0..epochs=30"),
    ({"resolution": 3}, "resolution must be an integer >= 8"),
    ({"p": 0}, "p must be a number > 0"),
    ({"control_seed": -1}, "control_seed must be an integer >= 0"),
    ({"skip_connections": "yes"}, "skip_connections must be True or False"),
    ({"skip_depth": 21}, "skip_depth must be a ResNet depth 6n\\+2"),
    ({"skip_epochs": 0}, "skip_epochs must be an integer >= 1"),
    ({"epochs": 0}, "epochs must be an integer >= 1"),
    ({"milestones": [50]}, "milestones must lie in 1..epochs=30"),
    ({"device": "tpu"}, "device must be one of"),
    ({"depth": 11}, "depth of a Wide-ResNet must be 6n\\+4"),
    ({"lr": 0.1}, "lr is set by the study itself"),
    ({"widen": 2}, r"unknown configuration field\(s\) \['widen'\]"),
])
def test_bad_settings_fail_naming_the_setting(arguments, message):
    with pytest.raises(ValueError, match=message):
        lr_study.study_settings(**arguments)


def test_a_diverging_rate_is_reported_naming_rates(tmp_path):
    settings = lr_study.study_settings(rates=[1e6, 0.1], seeds=[0], epochs=2, train_size=20,
                                       k=3, skip_connections=False, controls=[])
    with pytest.raises(ValueError, match=r"rates: the run \(1000000.0, 0\).*diverged"):
        lr_study.run_study(settings, progress=False, cache=ArtifactCache(tmp_path))


def test_run_study_refuses_anything_but_settings():
    with pytest.raises(ValueError, match="settings must be a StudySettings"):
        lr_study.run_study({"rates": [0.1, 0.01]})


# ------------------------------------------------------------------------ the study


def test_study_topology_is_the_direct_computation_and_is_cached(tiny_study):
    study, cache = tiny_study
    settings = study.settings
    assert set(study.topology) == {(v, lr, seed, tree, which) for v in ("loss", "shuffle", "rank")
                                   for lr in settings.rates for seed in settings.seeds
                                   for tree in ("join", "split") for which in ("train", "test")}
    run = study.runs[0.01, 1]
    for variant in ("loss", "shuffle", "rank"):
        fields = loss_fields.control_values(run.test_sample_losses, variant, settings.control_seed)
        direct = loss_fields.epoch_topology(study.graphs["test"], fields, "split",
                                         distances=variant == "loss")
        stored = study.topology[variant, 0.01, 1, "split", "test"]
        np.testing.assert_array_equal(stored.total_persistence, direct.total_persistence)
        np.testing.assert_array_equal(stored.wasserstein, direct.wasserstein)
        for a, b in zip(stored.diagrams, direct.diagrams, strict=True):
            np.testing.assert_array_equal(a, b)
    again = lr_study.run_study(settings, progress=False, cache=cache)
    assert all(r.from_cache for r in again.runs.values())
    table, table_again = study.topology_table(), again.topology_table()
    np.testing.assert_array_equal(table["total_persistence"], table_again["total_persistence"])
    assert len(table) == 3 * 2 * 2 * 2 * 2 * (settings.base.epochs + 1)


def test_study_tables_have_one_row_per_run_and_epoch(tiny_study):
    study, _ = tiny_study
    final = study.final()
    assert sorted(zip(final["lr"], final["seed"], strict=True)) == sorted(study.runs)
    history = study.history()
    assert set(history["lr"]) == {0.1, 0.01} and history["epoch"].max() == 3
    skip = study.skip_table()
    assert set(skip["skip connections"]) == {True, False} and len(skip) == 8
    assert (skip["total_persistence"] >= 0).all()


def test_heatmaps_share_one_grid_and_average_seeds(tiny_study):
    study, _ = tiny_study
    frame = study.heatmaps("join", "test")
    grids = frame.groupby(["lr", "epoch"])[["birth", "persistence"]].apply(
        lambda g: tuple(np.round(g.to_numpy().ravel(), 12)))
    assert grids.nunique() == 1
    assert set(frame["epoch"]) == set(study.settings.heatmap_epochs)
    skip = study.skip_heatmaps()
    assert set(skip["residual"]) == {True, False}
