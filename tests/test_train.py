"""The training loop: reproducible, recorded as documented, divergence caught, cached."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

import helpers.train as train_module
from helpers.cache import ArtifactCache
from helpers.config import TrainConfig
from helpers.flat_parameters import flatten_parameters
from helpers.train import (
    fit,
    histories,
    initial_model,
    learning_rate,
    load_training_data,
    optima_configs,
    summarize,
    train,
)

TINY = TrainConfig(train_size=40, epochs=2, batch_size=16)


def test_same_config_and_seed_give_identical_history_and_weights():
    data = load_training_data(TINY)
    first = fit(initial_model(TINY, data), data, TINY.replace(augment=True), progress=False)
    second = fit(initial_model(TINY, data), data, TINY.replace(augment=True), progress=False)
    assert first.history.equals(second.history)
    for name in first.state:
        assert torch.equal(first.state[name], second.state[name])
    third = fit(initial_model(TINY, data), data, TINY.replace(augment=True, seed=1), progress=False)
    assert not first.history.equals(third.history)


def test_history_rows_and_recordings_line_up():
    data = load_training_data(TINY)
    model = initial_model(TINY, data)
    initial = flatten_parameters(model)
    result = fit(model, data, TINY, record_parameters=True, record_sample_losses=True,
                 progress=False)
    assert result.history["epoch"].tolist() == [0, 1, 2]
    assert result.parameters.shape == (3, initial.size) and result.parameters.dtype == np.float32
    np.testing.assert_array_equal(result.parameters[0], initial)  # row 0: before training
    np.testing.assert_array_equal(result.parameters[-1], flatten_parameters(model))
    assert result.train_sample_losses.shape == (3, data.n_train)
    assert result.test_sample_losses.shape == (3, data.n_test)
    # the mean of the per-sample losses is the recorded loss of that epoch
    np.testing.assert_allclose(result.train_sample_losses.mean(1), result.history["train_loss"],
                               rtol=1e-5)
    np.testing.assert_allclose(result.test_sample_losses.mean(1), result.history["test_loss"],
                               rtol=1e-5)


def test_parameters_exclude_batchnorm_buffers():
    data = load_training_data(TINY)
    model = initial_model(TINY, data)
    n_parameters = sum(p.numel() for p in model.parameters())
    n_buffers = sum(b.numel() for b in model.buffers())
    assert n_buffers > 0 and flatten_parameters(model).size == n_parameters


def test_learning_rate_schedule_is_applied():
    config = TINY.replace(epochs=4, milestones=(1, 3), lr=0.1, lr_factor=0.5)
    data = load_training_data(config)
    result = fit(initial_model(config, data), data, config, progress=False)
    np.testing.assert_allclose(result.history["lr"], [0.1, 0.1, 0.05, 0.05, 0.025])
    assert [learning_rate(config, e) for e in (1, 2, 4)] == [0.1, 0.05, 0.025]


def test_divergence_is_recorded_not_raised():
    config = TINY.replace(lr=1e6, optimizer="sgd", epochs=5)
    data = load_training_data(config)
    result = fit(initial_model(config, data), data, config, record_parameters=True, progress=False)
    assert result.diverged and 1 <= result.diverged_epoch <= 5
    assert len(result.history) == result.diverged_epoch  # epochs before the divergence
    assert len(result.parameters) == len(result.history)
    assert np.isfinite(result.history[["train_loss", "test_loss"]].to_numpy()).all()


def test_random_labels_are_a_permutation_of_the_true_ones():
    true = load_training_data(TINY)
    permuted = load_training_data(TINY.replace(random_labels=True))
    assert sorted(true.train_y.tolist()) == sorted(permuted.train_y.tolist())
    assert (true.train_y != permuted.train_y).float().mean() > 0.5
    assert torch.equal(true.test_y, permuted.test_y)  # the test set keeps its labels


def test_train_is_cached_and_recomputed_when_code_changes(monkeypatch):
    calls = []
    real_fit = train_module.fit

    def counting_fit(*args, **kwargs):
        calls.append(1)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(train_module, "fit", counting_fit)
    first = train(TINY, record_parameters=True, progress=False)
    second = train(TINY, record_parameters=True, progress=False)
    assert len(calls) == 1 and not first.from_cache and second.from_cache
    assert first.history.equals(second.history)
    np.testing.assert_array_equal(first.parameters, second.parameters)
    for name in first.state:
        assert torch.equal(first.state[name], second.state[name])
    assert second.seconds == first.seconds  # the original training time is kept

    train(TINY.replace(seed=5), progress=False)  # another configuration
    assert len(calls) == 2
    monkeypatch.setattr(train_module, "training_code_version", lambda: "edited")
    train(TINY, record_parameters=True, progress=False)  # the code changed
    assert len(calls) == 3


def test_cached_model_reproduces_the_recorded_metrics():
    result = train(TINY, progress=False)
    data = load_training_data(TINY)
    loss, accuracy, _ = train_module.evaluate(result.model(data), data.test_x, data.test_y)
    assert loss == pytest.approx(result.final["test_loss"], rel=1e-6)
    assert accuracy == result.final["test_accuracy"]


def test_explicit_cache_folder(tmp_path):
    cache = ArtifactCache(tmp_path / "elsewhere")
    train(TINY, progress=False, cache=cache)
    assert any((tmp_path / "elsewhere" / "train").iterdir())


def test_sparse_recording_trains_the_same_network(tmp_path):
    config = TrainConfig(epochs=3, train_size=40, batch_size=20, augment=True)
    cache = ArtifactCache(tmp_path)
    every = train(config, progress=False, cache=cache)
    last = train(config, record_every=3, progress=False, cache=cache)
    assert list(last.history["epoch"]) == [0, 3] and not last.from_cache
    pd.testing.assert_series_equal(last.history.iloc[-1], every.history.iloc[-1],
                                   check_names=False)
    for name, value in every.state.items():
        assert torch.equal(last.state[name], value)
    with pytest.raises(ValueError, match="record_every"):
        train(config, record_every=0, cache=cache)


def test_bad_arguments():
    with pytest.raises(ValueError, match="config"):
        train({"epochs": 1})
    with pytest.raises(ValueError, match="record_parameters"):
        fit(None, None, TINY, record_parameters="yes")
    with pytest.raises(ValueError, match="seeds"):
        optima_configs(seeds=[])
    with pytest.raises(ValueError, match="kinds"):
        optima_configs(kinds=["ugly"])
    with pytest.raises(ValueError, match="per_optimum"):
        optima_configs(per_optimum={"great": {}})
    with pytest.raises(ValueError, match="weight_decay"):
        optima_configs(per_optimum={"good": {"weight_decay": -1}})


def test_summary_and_long_histories():
    configs = optima_configs(seeds=[0, 1], overrides={"epochs": 1, "train_size": 40})
    results = {name: train(c, progress=False) for name, c in configs.items()}
    summary = summarize(results)
    assert list(summary.index) == ["good", "bad", "memorization"]
    assert (summary[("seeds", "")] == 2).all()
    good = [results[("good", s)].final["test_accuracy"] for s in (0, 1)]
    assert summary.loc["good", ("test_accuracy", "mean")] == pytest.approx(np.mean(good))
    assert summary.loc["good", ("test_accuracy", "std")] == pytest.approx(np.std(good, ddof=1))
    long = histories(results)
    assert len(long) == 6 * 2 * 4  # runs × epochs (0 and 1) × (train, test) × (loss, accuracy)
    assert set(long["split"]) == {"train", "test"} and set(long["metric"]) == {"loss", "accuracy"}


def test_lone_last_image_joins_the_previous_batch():
    batches = train_module._batches(torch.arange(17), 8)
    assert [len(b) for b in batches] == [8, 9]
    assert sorted(torch.cat(batches).tolist()) == list(range(17))


def test_result_is_a_dataclass_with_documented_fields():
    names = {f.name for f in dataclasses.fields(train_module.TrainResult)}
    assert {"history", "state", "parameters", "diverged_epoch"} <= names
