"""The feature pipeline of Chapter 4: the same numbers as the steps run by hand, cached.

One tiny network (2 epochs on 40 digits) and a tiny J&R (2 directions × 2 steps × 3
epochs: 13 samples) keep this fast; the pipeline is checked against each helper called
directly, so a step skipped, reordered or fed the wrong rows shows up as a difference.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import distances, embedding, graphs, sampling, topology, train
from helpers.cache import ArtifactCache, helper_modules
from helpers.config import TrainConfig
from helpers.pipeline import (
    FeatureTask,
    compute_features,
    feature_sweep,
    features_from_artifact,
    grid_tasks,
    landscape_features,
    monotone_paths,
)
from helpers.presets import feature_settings

TINY = TrainConfig(epochs=2, train_size=40, batch_size=20)
SETTINGS = dict(seeds=(0, 1), step_sizes=(0.5, 1.0), epochs=2, knn=4, phate_knn=4,
                retrain={"lr": 0.1})


@pytest.fixture(scope="module")
def tiny_features(tmp_path_factory):
    # One computation shared by the tests of this module, in its own cache.
    import os

    folder = tmp_path_factory.mktemp("features-cache")
    before = os.environ.get("LOSS_LANDSCAPE_CACHE")
    os.environ["LOSS_LANDSCAPE_CACHE"] = str(folder)
    try:
        task = FeatureTask(TINY, **SETTINGS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # disconnected graphs are fine here
            features = compute_features(task, progress=False)
        yield task, features, folder
    finally:
        if before is None:
            del os.environ["LOSS_LANDSCAPE_CACHE"]
        else:
            os.environ["LOSS_LANDSCAPE_CACHE"] = before


def test_pipeline_equals_the_steps_run_by_hand(tiny_features, monkeypatch):
    task, features, folder = tiny_features
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    optimum = train.train(TINY, progress=False)
    samples = sampling.jump_and_retrain(optimum, (0, 1), (0.5, 1.0), 2,
                                        retrain={"lr": 0.1}, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        embedded = embedding.embed(np.asarray(samples.parameters), "phate", metric="cosine",
                                   knn=4, n_landmark=None)
        potential = distances.potential_distances(embedded.diagnostics["diffusion_potential"])
        graph = graphs.knn_graph(distances=potential, k=4)
    losses = samples.table["train_loss"].to_numpy()
    h0, h1 = topology.lower_star_persistence(graph, losses)

    assert len(features.samples) == task.n_samples == 13
    pd.testing.assert_frame_equal(features.samples[samples.table.columns], samples.table)
    np.testing.assert_array_equal(features.values, losses)  # one loss per vertex, in order
    np.testing.assert_array_equal(features.samples[["x", "y"]].to_numpy(), embedded.coordinates)
    assert (features.graph != graph).nnz == 0
    np.testing.assert_array_equal(features.diagrams[0], h0)
    np.testing.assert_array_equal(features.diagrams[1], h1)
    tree = topology.merge_tree(graph, losses)
    np.testing.assert_array_equal(features.tree.pairs, tree.pairs)
    summary = features.summary
    assert summary["total_persistence_h0"] == topology.total_persistence(h0, essential="drop")
    assert summary["total_persistence_h1"] == topology.total_persistence(h1, essential="drop")
    assert summary["average_persistence"] == tree.average_persistence
    assert summary["n_saddles"] == tree.n_saddles
    assert summary["test_loss"] == float(optimum.final["test_loss"])
    assert summary["n_components"] == graphs.connected_components(graph)
    # infinite H0 bars are counted, one per component, not dropped
    assert summary["n_h0_infinite"] == summary["n_components"]


def test_the_filtration_is_the_named_column_on_the_same_vertices(tiny_features, monkeypatch):
    task, features, folder = tiny_features
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        on_test = compute_features(task.replace(filtration="test_loss"), progress=False)
    np.testing.assert_array_equal(on_test.values, features.samples["test_loss"].to_numpy())
    assert (on_test.graph != features.graph).nnz == 0  # same graph, other values
    h0, _ = topology.lower_star_persistence(features.graph, features.samples["test_loss"])
    np.testing.assert_array_equal(on_test.diagrams[0], h0)
    assert not np.array_equal(on_test.values, features.values)


def test_sweep_task_round_trips_and_is_cached(tiny_features, tmp_path, monkeypatch):
    task, features, folder = tiny_features
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    cache = ArtifactCache(tmp_path / "sweep")
    tasks = [task, task.replace(knn=6)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        first = feature_sweep(tasks, cache=cache, progress=False)
        again = feature_sweep(tasks, cache=cache, progress=False)
    assert first.table["status"].tolist() == ["computed", "computed"]
    assert again.table["status"].tolist() == ["cached", "cached"]
    back = features_from_artifact(again.results[0])
    pd.testing.assert_frame_equal(back.samples, features.samples, check_dtype=False)
    assert (back.graph != features.graph).nnz == 0
    for got, want in zip(back.diagrams, features.diagrams, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(back.tree.pairs, features.tree.pairs)
    np.testing.assert_array_equal(back.tree.parent, features.tree.parent)
    assert back.summary["total_persistence_h0"] == features.summary["total_persistence_h0"]
    # the table carries the configuration, the J&R settings and the summary
    row = again.table.iloc[1]
    assert row["knn"] == 6 and row["jr_epochs"] == 2 and row["jr_retrain_lr"] == 0.1
    assert row["weight_decay"] == TINY.weight_decay and "total_persistence_h0" in row
    assert first.table.loc[1, "n_edges"] > first.table.loc[0, "n_edges"]  # k = 6 > 4


def test_task_output_is_what_run_sweep_stores(tiny_features, monkeypatch):
    task, features, folder = tiny_features
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        arrays, meta = landscape_features(task)
    edges = arrays["edges"]
    assert edges.shape == (features.graph.nnz // 2, 2)
    assert np.all(edges[:, 0] < edges[:, 1])  # each edge once
    assert len({tuple(e) for e in edges.tolist()}) == len(edges)
    assert meta["frames"]["samples"] == list(features.samples.columns)
    assert all(v.dtype != object for v in arrays.values())


def test_the_sweep_key_covers_every_stage_and_no_chart():
    import helpers.pipeline

    covered = helper_modules(helpers.pipeline)
    assert {"helpers.train", "helpers.sampling", "helpers.embedding", "helpers.distances",
            "helpers.graphs", "helpers.topology", "helpers.directions"} <= covered
    assert not covered & {"helpers.charts", "helpers.topology_charts", "helpers.render",
                          "helpers.report", "helpers.statistics"}


def test_settings_are_checked_when_the_task_is_made():
    with pytest.raises(ValueError, match="filtration must be one of"):
        FeatureTask(TINY, filtration="loss")
    with pytest.raises(ValueError, match=r"knn must be an integer in 1\.\.12"):
        FeatureTask(TINY, **{**SETTINGS, "knn": 13})
    with pytest.raises(ValueError, match="phate_knn"):
        FeatureTask(TINY, **{**SETTINGS, "phate_knn": 12})
    with pytest.raises(ValueError, match="retrain has field"):
        FeatureTask(TINY, retrain={"epochs": 3})
    with pytest.raises(ValueError, match="retrain: lr"):
        FeatureTask(TINY, retrain={"lr": -1.0})
    with pytest.raises(ValueError, match="config must be a TrainConfig"):
        FeatureTask({"epochs": 2})
    with pytest.raises(ValueError, match="potential_metric"):
        FeatureTask(TINY, potential_metric="manhattan")
    with pytest.raises(ValueError, match="tasks must be a non-empty"):
        feature_sweep([])


def test_equal_settings_make_equal_tasks_and_keys():
    a = FeatureTask(TINY, retrain={"lr": 0.001})
    b = FeatureTask(TINY, retrain={"lr": 0.001, "momentum": TINY.momentum})  # the optimum's own
    assert a == b and hash(a) == hash(b) and a.to_dict() == b.to_dict()
    assert FeatureTask(TINY, retrain={"lr": 0.01}) != a
    assert FeatureTask(TINY, retrain={"momentum": 0.5}) != a  # an override is a new task
    assert a.replace(knn=5).to_dict()["knn"] == 5


def test_grid_tasks_and_preset_settings():
    tasks = grid_tasks(TINY, {"weight_decay": [0.0, 5e-3], "augment": [False, True]},
                       **SETTINGS)
    assert [(t.config.weight_decay, t.config.augment) for t in tasks] == [
        (0.0, False), (0.0, True), (5e-3, False), (5e-3, True)]
    assert all(t.knn == 4 for t in tasks)
    paper = feature_settings("paper")
    assert paper["task"]["epochs"] == 40 and paper["task"]["retrain"] == {"lr": 0.001}
    assert len(grid_tasks(TrainConfig(), paper["grid"])) == 108
    assert feature_settings("workshop", knn=7)["task"]["knn"] == 7
    with pytest.raises(ValueError, match="unknown setting"):
        feature_settings("workshop", k=7)


def test_monotone_paths_by_hand():
    table = pd.DataFrame({"kind": ["optimum", "jump", "retrain", "jump", "retrain"],
                          "seed": [-1, 0, 0, 1, 1], "step_size": [0.0, 1.0, 1.0, 1.0, 1.0],
                          "epoch": [-1, 0, 1, 0, 1], "train_loss": [0.0, 2.0, 1.0, 1.0, 2.0]})
    assert monotone_paths(table) == 0.5
    assert monotone_paths(table.assign(train_loss=[0.0, 2.0, 1.0, 2.0, 1.0])) == 1.0
