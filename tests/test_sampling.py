"""Jump-and-retrain, grid and naive sampling: rows and parameters paired, resumable, safe."""

from __future__ import annotations

import dataclasses
import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import helpers.sample_table as sample_table
import helpers.sampling as sampling
from helpers.cache import ArtifactCache
from helpers.config import TrainConfig
from helpers.directions import random_direction
from helpers.flat_parameters import flatten_parameters, load_flat_parameters
from helpers.sample_table import COLUMNS, METRICS
from helpers.sampling import grid_sample, grid_shape, jump_and_retrain, naive_sample, retrain_config
from helpers.train import evaluate, fit, load_training_data, train

CONFIG = TrainConfig(train_size=60, epochs=3, batch_size=32)
SMALL = {"seeds": (0, 1), "step_sizes": (0.5, 1.0), "epochs": 2}
N_ROWS = 1 + 2 * 2 * (2 + 1)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """One torch thread: on a shared 2-core machine two threads that wait on each other
    made these tiny networks 10-30x slower (OpenMP oversubscription)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def optimum(tmp_path_factory):
    return train(CONFIG, progress=False, cache=ArtifactCache(tmp_path_factory.mktemp("train")))


@pytest.fixture(scope="module")
def dataset():
    return load_training_data(CONFIG)


@pytest.fixture(scope="module")
def reference(optimum, tmp_path_factory):
    """An uninterrupted run in a cache of its own."""
    cache = ArtifactCache(tmp_path_factory.mktemp("reference"))
    return jump_and_retrain(optimum, **SMALL, progress=False, cache=cache)


@pytest.fixture
def counted_fit(monkeypatch):
    """Replace the retraining inside helpers.sampling by a counting (optionally failing) one."""
    state = {"calls": 0, "interrupt_at": None}
    real_fit = sampling.fit

    def counting(*args, **kwargs):
        state["calls"] += 1
        if state["calls"] == state["interrupt_at"]:
            raise KeyboardInterrupt
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(sampling, "fit", counting)
    return state


def _train_loss(model, dataset) -> float:
    return evaluate(model, dataset.train_x, dataset.train_y)[0]


# --- jump and retrain ------------------------------------------------------------------

def test_jump_and_retrain_table_layout(reference, optimum):
    table = reference.table
    assert list(table.columns) == list(COLUMNS) and len(reference) == N_ROWS
    assert table["method"].eq("jump_retrain").all()
    assert table.loc[0, "kind"] == "optimum" and table.loc[0, "step_size"] == 0.0
    assert table.loc[0, "train_loss"] == optimum.final["train_loss"]
    runs = table.iloc[1:]
    # seed outer, step inner, epochs 0..E; epoch 0 is the jump point
    expected = [(seed, step, epoch)
                for seed in (0, 1) for step in (0.5, 1.0) for epoch in (0, 1, 2)]
    assert list(zip(runs["seed"], runs["step_size"], runs["epoch"], strict=True)) == expected
    assert (runs["kind"] == np.where(runs["epoch"] == 0, "jump", "retrain")).all()
    assert not table["diverged"].any() and np.isfinite(table[list(METRICS)]).all().all()
    assert reference.runs["diverged_epoch"].tolist() == [-1] * 4
    assert reference.runs["epochs_kept"].tolist() == [3] * 4
    assert reference.seconds > 0


def test_parameter_matrix_is_float32_memmap_one_row_per_table_row(reference):
    matrix = reference.parameters
    assert isinstance(matrix, np.memmap) and matrix.dtype == np.float32
    assert matrix.shape[0] == len(reference.table)
    assert np.isfinite(matrix).all()


def test_parameter_rows_belong_to_their_table_rows(reference, optimum, dataset):
    """The public code's off-by-one: re-evaluate matrix rows and compare with the table."""
    table, matrix = reference.table, reference.parameters
    theta = flatten_parameters(optimum.model(dataset))
    np.testing.assert_array_equal(matrix[0], theta)  # the optimum's row is the optimum
    model = optimum.model(dataset)
    assert _train_loss(load_flat_parameters(model, matrix[0]), dataset) == pytest.approx(
        table.loc[0, "train_loss"], rel=1e-6)

    for seed, step in [(0, 0.5), (0, 1.0), (1, 0.5), (1, 1.0)]:
        rows = table.index[(table["seed"] == seed) & (table["step_size"] == step)]
        jump, last = rows[0], rows[-1]
        # The jump point: θ* + step·d, BatchNorm buffers still the optimum's.
        direction = random_direction(optimum.model(dataset), seed)
        np.testing.assert_array_equal(matrix[jump], theta + np.float32(step) * direction)
        model = load_flat_parameters(optimum.model(dataset), matrix[jump])
        assert _train_loss(model, dataset) == pytest.approx(table.loc[jump, "train_loss"],
                                                            rel=1e-6)
        # Redo the retrain independently; its last buffers with the matrix's last row
        # must give the table's last loss, and every row must be that retrain's.
        replay_model = load_flat_parameters(optimum.model(dataset), matrix[jump])
        replay = fit(replay_model, dataset, retrain_config(optimum, seed, 2),
                     record_parameters=True, progress=False)
        np.testing.assert_array_equal(matrix[rows], replay.parameters)
        np.testing.assert_array_equal(table.loc[rows, "train_loss"], replay.history["train_loss"])
        model = optimum.model(dataset)
        model.load_state_dict(replay.state)
        load_flat_parameters(model, matrix[last])
        assert _train_loss(model, dataset) == pytest.approx(table.loc[last, "train_loss"],
                                                            rel=1e-6)
        # A neighbouring row would not match (the check can fail).
        assert _train_loss(model, dataset) != pytest.approx(
            table.loc[last - 1, "train_loss"], rel=1e-6)


def test_same_seed_gives_identical_results(reference, optimum, tmp_path):
    again = jump_and_retrain(optimum, **SMALL, progress=False, cache=ArtifactCache(tmp_path))
    assert again.table.equals(reference.table)
    np.testing.assert_array_equal(again.parameters, reference.parameters)
    other = jump_and_retrain(optimum, seeds=[2], step_sizes=[0.5], epochs=2, progress=False,
                             cache=ArtifactCache(tmp_path))
    assert not np.array_equal(other.parameters[1], reference.parameters[1])


def test_second_call_is_served_from_cache(optimum, tmp_path, counted_fit):
    cache = ArtifactCache(tmp_path)
    first = jump_and_retrain(optimum, **SMALL, progress=False, cache=cache)
    assert counted_fit["calls"] == 4 and not first.runs["from_cache"].any()
    second = jump_and_retrain(optimum, **SMALL, progress=False, cache=cache)
    assert counted_fit["calls"] == 4 and second.runs["from_cache"].all()
    assert second.table.equals(first.table)
    np.testing.assert_array_equal(second.parameters, first.parameters)
    # Other weights under the same configuration are another optimum: not served stale.
    state = {k: v + 0.01 if v.is_floating_point() else v for k, v in optimum.state.items()}
    jump_and_retrain(dataclasses.replace(optimum, state=state), seeds=[0], step_sizes=[0.5],
                     epochs=2, record_parameters=False, progress=False, cache=cache)
    assert counted_fit["calls"] == 5


def test_interrupted_run_resumes_without_recomputing(reference, optimum, tmp_path, counted_fit):
    cache = ArtifactCache(tmp_path)
    counted_fit["interrupt_at"] = 3
    with pytest.raises(KeyboardInterrupt):
        jump_and_retrain(optimum, **SMALL, progress=False, cache=cache)
    assert counted_fit["calls"] == 3
    assert not list(tmp_path.rglob(".tmp-*"))  # nothing half-written left behind

    counted_fit["calls"], counted_fit["interrupt_at"] = 0, None
    resumed = jump_and_retrain(optimum, **SMALL, progress=False, cache=cache)
    assert counted_fit["calls"] == 2  # only the third and fourth retrain
    assert resumed.runs["from_cache"].tolist() == [True, True, False, False]
    assert resumed.table.equals(reference.table)
    np.testing.assert_array_equal(resumed.parameters, reference.parameters)


def test_diverging_retrain_is_recorded_not_raised(optimum, tmp_path):
    samples = jump_and_retrain(optimum, seeds=[0], step_sizes=[0.5], epochs=3,
                               retrain={"lr": 1e6}, progress=False, cache=ArtifactCache(tmp_path))
    run = samples.runs.iloc[0]
    assert 1 <= run["diverged_epoch"] <= 3
    assert run["epochs_kept"] == run["diverged_epoch"]  # epochs 0 .. diverged_epoch - 1
    kept = samples.table.iloc[1:]
    assert kept["epoch"].tolist() == list(range(run["diverged_epoch"]))
    assert kept["diverged"].all() and not samples.table.loc[0, "diverged"]
    assert np.isfinite(kept[list(METRICS)]).all().all()
    assert samples.parameters.shape[0] == len(samples.table)
    assert np.isfinite(samples.parameters).all()


def test_jump_that_is_already_non_finite_is_recorded(reference, optimum, tmp_path):
    samples = jump_and_retrain(optimum, seeds=[0], step_sizes=[0.5, 1e6], epochs=2,
                               progress=False, cache=ArtifactCache(tmp_path))
    runs = samples.runs.set_index("step_size")
    assert runs.loc[1e6, "diverged_epoch"] == 0 and runs.loc[1e6, "epochs_kept"] == 0
    assert runs.loc[0.5, "diverged_epoch"] == -1
    assert (samples.table["step_size"] != 1e6).all()  # no rows: nothing finite to keep
    assert len(samples.table) == samples.parameters.shape[0] == 1 + 3
    # The healthy retrain is untouched by its diverged neighbour.
    same = reference.table.index[(reference.table["seed"] == 0)
                                 & (reference.table["step_size"] == 0.5)]
    np.testing.assert_array_equal(samples.table.iloc[1:][list(METRICS)].to_numpy(),
                                  reference.table.loc[same, list(METRICS)].to_numpy())
    np.testing.assert_array_equal(samples.parameters[1:], reference.parameters[same])


def test_retraining_keeps_the_optimums_own_optimizer(optimum):
    """Seed 000 §3.1: retrain "with the original optimizer", at a small constant rate."""
    config = retrain_config(optimum, seed=3, epochs=7)
    own = optimum.config
    assert (config.lr, config.milestones) == (0.001, ())
    assert (config.optimizer, config.momentum, config.weight_decay, config.batch_size,
            config.augment) == (own.optimizer, own.momentum, own.weight_decay,
                                own.batch_size, own.augment)
    assert (config.epochs, config.seed) == (7, 3)
    assert (config.optimizer, config.batch_size, config.train_size) == (
        optimum.config.optimizer, optimum.config.batch_size, optimum.config.train_size)
    custom = retrain_config(optimum, 0, 10, {"lr": 0.01, "milestones": (5,)})
    assert (custom.lr, custom.milestones) == (0.01, (5,))


# --- bad arguments ---------------------------------------------------------------------

BAD_JUMP = [
    ({"step_sizes": []}, "step_sizes"),
    ({"step_sizes": [0.5, -0.25]}, r"step_sizes\[1\]"),
    ({"step_sizes": [0.0]}, r"step_sizes\[0\]"),
    ({"epochs": 0}, "epochs"),
    ({"epochs": -3}, "epochs"),
    ({"normalization": "bogus"}, "normalization"),
    ({"ignore": "weights"}, "ignore"),
    ({"seeds": []}, "seeds"),
    ({"seeds": [-1]}, r"seeds\[0\]"),
    ({"seeds": [1, 1]}, "seeds"),
    ({"retrain": {"epochs": 5}}, "retrain"),
    ({"retrain": {"model": "resnet"}}, "retrain"),
    ({"retrain": {"lr": -1.0}}, "retrain: lr"),
    ({"retrain": {"milestones": (9,)}}, "retrain: milestones"),
    ({"retrain": "fast"}, "retrain"),
    ({"record_parameters": "yes"}, "record_parameters"),
]
BAD_STATIC = [
    (grid_sample, {"n_points": 31}, "n_points"),  # prime: no 3D grid
    (grid_sample, {"n_points": 2 * 2 * 11}, "n_points"),  # too elongated
    (grid_sample, {"n_points": 7}, "n_points"),
    (grid_sample, {"n_points": 0}, "n_points"),
    (grid_sample, {"n_points": 27, "extent": 0.0}, "extent"),
    (grid_sample, {"n_points": 27, "normalization": "bogus"}, "normalization"),
    (grid_sample, {"n_points": 27, "evaluation": "gpu"}, "evaluation"),
    (naive_sample, {"n_points": 10}, "n_points"),  # not a multiple of 4 step sizes
    (naive_sample, {"n_points": 0}, "n_points"),
    (naive_sample, {"step_sizes": []}, "step_sizes"),
    (naive_sample, {"step_sizes": [-1.0, 1.0]}, r"step_sizes\[0\]"),
    (naive_sample, {"normalization": "bogus"}, "normalization"),
]


@pytest.fixture
def no_work(monkeypatch):
    """Any data loading or training counts as work started."""
    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    for name in ("fit", "load_training_data"):
        monkeypatch.setattr(sampling, name, forbidden)
    monkeypatch.setattr(sampling.helpers.directions, "evaluate_along", forbidden)


@pytest.mark.parametrize(("kwargs", "name"), BAD_JUMP)
def test_jump_and_retrain_refuses_bad_arguments_before_work(optimum, no_work, kwargs, name):
    arguments = {**SMALL, **kwargs}
    with pytest.raises(ValueError, match=name):
        jump_and_retrain(optimum, **arguments, progress=False)


@pytest.mark.parametrize(("sampler", "kwargs", "name"), BAD_STATIC)
def test_static_samplers_refuse_bad_arguments_before_work(optimum, no_work, sampler, kwargs,
                                                          name):
    with pytest.raises(ValueError, match=name):
        sampler(optimum, **kwargs)


def test_samplers_refuse_a_non_optimum():
    for sampler in (jump_and_retrain, grid_sample, naive_sample):
        with pytest.raises(ValueError, match="optimum"):
            sampler(CONFIG)


# --- grid and naive --------------------------------------------------------------------

def test_grid_shape():
    assert grid_shape(336) == (6, 7, 8)
    assert grid_shape(8) == (2, 2, 2)
    assert grid_shape(27) == (3, 3, 3)
    assert grid_shape(640) == (8, 8, 10)
    for n in (336, 640, 1000, 216):
        a, b, c = grid_shape(n)
        assert a * b * c == n and a <= b <= c


def test_default_point_counts_agree():
    """By default the three samplers produce the same number of points."""
    def defaults(function):
        return {k: p.default for k, p in inspect.signature(function).parameters.items()}

    jr = defaults(jump_and_retrain)
    n = len(jr["seeds"]) * len(jr["step_sizes"]) * (jr["epochs"] + 1)
    assert defaults(grid_sample)["n_points"] == n == defaults(naive_sample)["n_points"]
    grid_shape(n)  # and it is a grid


def test_grid_sample_table_and_cache(optimum, tmp_path, monkeypatch):
    cache = ArtifactCache(tmp_path)
    samples = grid_sample(optimum, n_points=27, cache=cache)
    table = samples.table
    assert list(table.columns) == list(COLUMNS) and len(samples) == 28
    assert samples.parameters is None
    assert table.loc[0, "kind"] == "optimum" and (table["kind"].iloc[1:] == "grid").all()
    grid = table.iloc[1:]
    assert sorted(set(grid["a"])) == [-1.0, 0.0, 1.0]
    assert len(grid[["a", "b", "c"]].drop_duplicates()) == 27
    np.testing.assert_allclose(grid["step_size"], np.linalg.norm(grid[["a", "b", "c"]], axis=1))
    centre = grid[(grid["a"] == 0) & (grid["b"] == 0) & (grid["c"] == 0)].iloc[0]
    assert centre["train_loss"] == pytest.approx(optimum.final["train_loss"], rel=1e-5)
    assert centre["test_accuracy"] == optimum.final["test_accuracy"]
    assert np.isfinite(grid["train_loss"]).all() and not grid["diverged"].any()
    # A second request is read back, not evaluated again.
    monkeypatch.setattr(sampling.helpers.directions, "evaluate_along",
                        lambda *a, **k: pytest.fail("grid evaluated twice"))
    again = grid_sample(optimum, n_points=27, cache=cache)
    assert again.table.equals(table)


def test_train_only_splits_skip_the_test_set(optimum, tmp_path):
    cache = ArtifactCache(tmp_path)
    both = naive_sample(optimum, n_points=8, step_sizes=[0.5, 1.0], cache=cache).table
    train_only = naive_sample(optimum, n_points=8, step_sizes=[0.5, 1.0], splits=["train"],
                              cache=cache).table
    pd.testing.assert_frame_equal(train_only[["train_loss", "train_accuracy"]],
                                  both[["train_loss", "train_accuracy"]])
    assert train_only.iloc[1:][["test_loss", "test_accuracy"]].isna().all().all()
    assert not train_only["diverged"].any()
    for bad in ([], ["train", "train"], ["validation"], "train"):
        with pytest.raises(ValueError, match="splits"):
            grid_sample(optimum, n_points=8, splits=bad, cache=cache)


def test_naive_sample_matches_jump_points(reference, optimum, tmp_path):
    """Naive sampling at the J&R seeds and steps evaluates exactly J&R's jump points."""
    samples = naive_sample(optimum, n_points=4, step_sizes=[0.5, 1.0],
                           cache=ArtifactCache(tmp_path))
    table = samples.table
    assert len(samples) == 5 and (table["kind"].iloc[1:] == "naive").all()
    naive = table.iloc[1:]
    assert list(zip(naive["seed"], naive["step_size"], strict=True)) == [
        (0, 0.5), (0, 1.0), (1, 0.5), (1, 1.0)]
    jumps = reference.table[reference.table["kind"] == "jump"]
    for metric in METRICS:
        np.testing.assert_allclose(naive[metric], jumps[metric], rtol=1e-5)


def test_vmap_and_loop_evaluation_agree(optimum, tmp_path):
    loop = grid_sample(optimum, n_points=8, evaluation="loop", cache=ArtifactCache(tmp_path / "l"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # vmap's "performance drop" notice
        vmap = grid_sample(optimum, n_points=8, evaluation="vmap",
                           cache=ArtifactCache(tmp_path / "v"))
    np.testing.assert_allclose(vmap.table["train_loss"], loop.table["train_loss"], rtol=1e-5)


# --- parameter matrices of the static samplers, and summaries ----------------------------

def test_grid_parameters_are_the_evaluated_points(optimum, dataset, tmp_path) -> None:
    samples = grid_sample(optimum, n_points=27, extent=0.5, record_parameters=True,
                          cache=ArtifactCache(tmp_path))
    assert samples.parameters.shape == (len(samples.table), samples.parameters.shape[1])
    assert samples.parameters.dtype == np.float32
    model = optimum.model(dataset)
    theta = flatten_parameters(model)
    np.testing.assert_array_equal(samples.parameters[0], theta)
    directions = np.stack([random_direction(model, i) for i in range(3)])
    for row in (1, 13, 27):
        a, b, c = samples.table.loc[row, ["a", "b", "c"]]
        np.testing.assert_allclose(samples.parameters[row],
                                   theta + np.float32([a, b, c]) @ directions, atol=1e-6)
        load_flat_parameters(model, samples.parameters[row])
        assert _train_loss(model, dataset) == pytest.approx(samples.table.loc[row, "train_loss"],
                                                            rel=1e-5)


def test_naive_parameters_pair_with_rows(optimum, dataset, tmp_path) -> None:
    samples = naive_sample(optimum, n_points=6, step_sizes=[0.5, 1.0, 1.5],
                           record_parameters=True, cache=ArtifactCache(tmp_path))
    model = optimum.model(dataset)
    for row in range(1, len(samples.table)):
        load_flat_parameters(model, samples.parameters[row])
        assert _train_loss(model, dataset) == pytest.approx(samples.table.loc[row, "train_loss"],
                                                            rel=1e-5)
    without = naive_sample(optimum, n_points=6, step_sizes=[0.5, 1.0, 1.5],
                           cache=ArtifactCache(tmp_path))
    assert without.parameters is None
    assert without.table.equals(samples.table)


def test_retraining_summary_measures_distances_from_the_matrix(reference) -> None:
    summary = sample_table.retraining_summary(reference)
    assert len(summary) == len(SMALL["seeds"]) * len(SMALL["step_sizes"])
    theta = np.asarray(reference.parameters[0], dtype=np.float64)
    for _, row in summary.iterrows():
        run = reference.table[(reference.table["seed"] == row["seed"])
                              & (reference.table["step_size"] == row["step_size"])]
        last = np.asarray(reference.parameters[run.index[-1]], dtype=np.float64)
        expected = np.linalg.norm(last - theta) / np.linalg.norm(theta)
        assert row["final_distance"] == pytest.approx(expected)
        assert row["final_train_loss"] == run["train_loss"].iloc[-1]
    # Filter-normalized jumps of a larger step land farther away.
    by_step = summary.groupby("step_size")["jump_distance"].mean()
    assert by_step.is_monotonic_increasing


def test_star_score_separates_arms_from_mixed_seeds() -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    seeds, steps = np.meshgrid(np.arange(4), [0.25, 0.5, 0.75, 1.0], indexing="ij")
    seeds, steps = np.repeat(seeds.ravel(), 10), np.repeat(steps.ravel(), 10)
    angles = seeds * np.pi / 2
    radius = steps + rng.normal(0, 0.01, len(seeds))  # each retrain a tight blob on its arm
    arms = np.c_[radius * np.cos(angles), radius * np.sin(angles)]
    table = pd.DataFrame({"kind": ["optimum"] + ["retrain"] * len(seeds),
                          "seed": np.r_[-1, seeds], "step_size": np.r_[0.0, steps]})
    coordinates = np.r_[[[0.0, 0.0]], arms]
    assert sample_table.star_score(table, coordinates) == 1.0
    # Blobs placed at random: the nearest other retrain is rarely of the same seed.
    centres = np.repeat(rng.normal(0, 3, (16, 2)), 10, axis=0)
    scattered = np.r_[[[0.0, 0.0]], centres + rng.normal(0, 0.01, centres.shape)]
    assert sample_table.star_score(table, scattered) < 0.5
    with pytest.raises(ValueError, match="coordinates"):
        sample_table.star_score(table, coordinates[:5])


@pytest.mark.parametrize(("n", "expected"), [(337, 336), (27, 27), (641, 640), (9, 8)])
def test_nearest_grid_size(n: int, expected: int) -> None:
    assert sampling.nearest_grid_size(n) == expected
    grid_shape(expected)


def test_check_jump_and_retrain_fails_before_any_work() -> None:
    with pytest.raises(ValueError, match="retrain"):
        sampling.check_jump_and_retrain(retrain={"lr": -1.0})
    with pytest.raises(ValueError, match="epochs"):
        sampling.check_jump_and_retrain(epochs=0)
    assert sampling.check_jump_and_retrain()["step_sizes"] == (0.25, 0.5, 0.75, 1.0)


# --- every stored sample can be re-evaluated -------------------------------------------


def _reevaluated(optimum, samples, rows):
    from helpers.sample_table import sample_model

    data = load_training_data(optimum.config)
    for row in rows:
        model = sample_model(optimum, samples, row)
        train_loss, _, _ = evaluate(model, data.train_x, data.train_y)
        test_loss, _, _ = evaluate(model, data.test_x, data.test_y)
        yield row, train_loss, test_loss


@pytest.mark.parametrize("sampler", ["jump_retrain", "grid", "naive"])
def test_every_stored_sample_reproduces_its_recorded_losses(optimum, sampler):
    if sampler == "jump_retrain":
        samples = jump_and_retrain(optimum, seeds=[0, 1], step_sizes=[0.5], epochs=3,
                                   retrain={"lr": 0.05}, progress=False)
    elif sampler == "grid":
        samples = grid_sample(optimum, n_points=8, extent=0.5, record_parameters=True)
    else:
        samples = naive_sample(optimum, n_points=4, step_sizes=[0.25, 0.5],
                               record_parameters=True)
    assert samples.buffers.shape == (len(samples), samples.buffers.shape[1])
    assert samples.buffers.shape[1] > 0  # the WRN has BatchNorm
    n = len(samples)
    for row, train_loss, test_loss in _reevaluated(optimum, samples, [0, 1, n // 2, n - 1]):
        recorded = samples.table.iloc[row]
        assert train_loss == pytest.approx(recorded["train_loss"], rel=1e-5), row
        assert test_loss == pytest.approx(recorded["test_loss"], rel=1e-5), row


def test_without_the_recorded_running_statistics_the_losses_differ(optimum):
    """The check above is not vacuous: the optimum's statistics give other losses."""
    samples = jump_and_retrain(optimum, seeds=[0], step_sizes=[0.5], epochs=3,
                               retrain={"lr": 0.05}, progress=False)
    model = optimum.model()
    load_flat_parameters(model, samples.parameters[-1])
    data = load_training_data(optimum.config)
    loss, _, _ = evaluate(model, data.train_x, data.train_y)
    assert loss != pytest.approx(samples.table["train_loss"].iloc[-1], rel=1e-5)


def test_steps_per_sample_spaces_samples_by_optimizer_steps(optimum):
    full_batch = optimum.config.replace(batch_size=optimum.config.train_size)
    fake = type(optimum)(full_batch, optimum.history, optimum.state)
    samples = jump_and_retrain(fake, seeds=[0], step_sizes=[0.5], epochs=2,
                               steps_per_sample=3, progress=False)
    run = samples.table[samples.table["kind"] != "optimum"]
    assert run["epoch"].tolist() == [0, 3, 6]  # one step per epoch: 3 epochs per sample
    assert run["steps"].tolist() == [0, 3, 6]
    assert samples.runs[["epochs_per_sample", "steps_per_sample"]].values.tolist() == [[3, 3]]
    plain = jump_and_retrain(optimum, seeds=[0], step_sizes=[0.5], epochs=2, progress=False)
    steps = plain.runs["steps_per_sample"].iloc[0]
    assert plain.table["steps"].tolist()[1:] == [0, steps, 2 * steps]
