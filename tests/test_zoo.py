"""The zoo: its grid and keys, the essential-bar convention, sample order, no recomputation.

A tiny zoo (two networks of 2 epochs on 40 digits; 2 directions × 2 steps × 2 samples,
so 8 points per sampler) runs end to end once per module; its records are checked
against the samplers and the pipeline called directly.
"""

from __future__ import annotations

import itertools
import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import helpers.sampling
import helpers.train
from helpers import pipeline, sampling, topology, train, zoo_statistics
from helpers.cache import ArtifactCache
from helpers.config import TrainConfig
from helpers.zoo import (
    METRICS,
    SAMPLERS,
    Zoo,
    persistence_summary,
    sample_columns,
    zoo,
)

TINY = TrainConfig(epochs=2, train_size=40, batch_size=20)
SETTINGS = dict(seeds=(0, 1), step_sizes=(0.5, 1.0), epochs=2, retrain_lr=0.1, knn=4,
                phate_knn=4)


# ------------------------------------------------------------------ grid and keys


def test_workshop_zoo_spans_the_papers_factors():
    definition = zoo("workshop")
    configs = definition.configs()
    assert definition.n_networks == len(configs) >= 48
    sizes = {(c.depth, c.widen_factor) for c in configs}
    assert len(sizes) >= 2
    assert len({c.batch_size for c in configs}) >= 2
    assert len({c.weight_decay for c in configs}) == 3
    assert {c.augment for c in configs} == {False, True}
    # Every network distinct, and so every cache key.
    keys = {str(sorted(t.to_dict().items())) for t in definition.tasks()}
    assert len(keys) == len(configs)
    # Equal point counts: J&R's retraining samples, the grid's and the naive sampler's.
    task = definition.tasks()[0]
    assert task.n_points == definition.n_points == int(
        np.prod(sampling.grid_shape(definition.n_points)))
    assert definition.n_points % len(definition.step_sizes) == 0
    assert task.to_dict()["n_points"] == definition.n_points
    # Tasks travel to Dask workers by pickle; definitions are hashable and compare by value.
    assert pickle.loads(pickle.dumps(task)) == task
    assert hash(definition) == hash(zoo("workshop")) and definition == zoo("workshop")
    assert definition != zoo("workshop", epochs=10)


def test_paper_zoo_is_the_papers_108_networks():
    definition = zoo("paper")
    configs = definition.configs()
    assert len(configs) == 108
    assert {c.dataset for c in configs} == {"cifar10"}
    assert {c.depth for c in configs} == {10, 16, 22}
    assert (len(definition.seeds), len(definition.step_sizes), definition.epochs) == (4, 4, 40)
    assert definition.n_points == 640


def test_grid_order_is_the_cartesian_product_last_field_fastest():
    definition = Zoo(TINY, {"weight_decay": (0.0, 1e-3), "seed": (0, 1, 2)}, **SETTINGS)
    got = [(c.weight_decay, c.seed) for c in definition.configs()]
    assert got == list(itertools.product((0.0, 1e-3), (0, 1, 2)))
    assert all(t.features.epochs == 2 and t.features.retrain["lr"] == 0.1
               for t in definition.tasks())


@pytest.mark.parametrize(("changes", "message"), [
    # 5 directions · 2 steps · 3 samples = 30 = 2 × 3 × 5: too elongated for a grid.
    ({"seeds": (0, 1, 2, 3, 4), "epochs": 3}, "must factor into a 3D grid"),
    ({"grid": {"colour": (1,)}}, "unknown field"),
    ({"grid": {"seed": ()}}, "non-empty"),
    ({"knn": 0}, "knn"),
    ({"retrain_lr": -1.0}, "retrain_lr"),
])
def test_bad_definitions_are_refused_before_any_work(changes, message, monkeypatch):
    monkeypatch.setattr(helpers.train, "train", _forbidden)
    arguments = {**SETTINGS, "grid": {"seed": (0,)}, **changes}
    grid = arguments.pop("grid")
    with pytest.raises(ValueError, match=message):
        Zoo(TINY, grid, **arguments)


def test_zoo_overrides_are_checked():
    with pytest.raises(ValueError, match="unknown zoo setting"):
        zoo("workshop", colour=1)
    with pytest.raises(ValueError, match="preset"):
        zoo("huge")
    assert zoo("workshop", train={"epochs": 3}).base.epochs == 3


# ----------------------------------------------------------- essential bars


def _graph(n: int, edges: list[tuple[int, int]]) -> sparse.csr_matrix:
    rows, cols = zip(*edges, strict=True)
    return sparse.coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n)).tocsr()


def test_essential_bars_on_a_path():
    # Path 0-1-2-3-4 with values 0 3 1 4 2: minima at 0, 1, 2 merge at 3 and 4.
    graph = _graph(5, [(0, 1), (1, 2), (2, 3), (3, 4)])
    summary, (h0, _) = persistence_summary(graph, [0.0, 3.0, 1.0, 4.0, 2.0])
    assert summary["total_persistence_h0_drop"] == (3 - 1) ** 2 + (4 - 2) ** 2
    # "max": the oldest component (born 0) dies at the largest value, 4.
    assert summary["total_persistence_h0_max"] == 8 + (4 - 0) ** 2
    assert summary["average_persistence_drop"] == 2.0
    assert summary["average_persistence_max"] == pytest.approx((2 + 2 + 4) / 3)
    assert (summary["n_h0_finite"], summary["n_h0_infinite"], summary["n_saddles"]) == (2, 1, 2)
    # the same as closing the essential bar at 4 by hand
    closed = np.where(np.isinf(h0), 4.0, h0)
    assert topology.total_persistence(closed, essential="raise") == 24.0


def test_essential_bars_on_a_disconnected_graph():
    # Two components: {0, 1, 2} (values 0, 5, 2: a finite bar 2 -> 5) and {3, 4} (1, 7).
    graph = _graph(5, [(0, 1), (1, 2), (3, 4)])
    values = [0.0, 5.0, 2.0, 1.0, 7.0]
    summary, (h0, _) = persistence_summary(graph, values)
    assert summary["n_h0_infinite"] == 2 == topology.merge_tree(graph, values).n_components
    assert summary["total_persistence_h0_drop"] == (5 - 2) ** 2
    # Each component's oldest bar dies at the global largest value 7.
    assert summary["total_persistence_h0_max"] == 9 + (7 - 0) ** 2 + (7 - 1) ** 2
    # The same as topology's own total persistence of the diagram closed by hand.
    assert topology.total_persistence(np.where(np.isinf(h0), 7.0, h0), essential="raise") == 94.0


def test_essential_h1_bar_of_an_unfilled_cycle_closes_at_the_top():
    # A 4-cycle without diagonal: an H1 class born at its last edge, never filled.
    graph = _graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
    summary, (_, h1) = persistence_summary(graph, [0.0, 1.0, 2.0, 3.0])
    assert summary["n_h1_infinite"] == 1 and h1[0, 0] == 3.0
    assert summary["total_persistence_h1_drop"] == 0.0 == summary["total_persistence_h1_max"]


# ---------------------------------------------------------------- a tiny zoo


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo-cache")
    before = os.environ.get("LOSS_LANDSCAPE_CACHE")
    os.environ["LOSS_LANDSCAPE_CACHE"] = str(folder)
    try:
        definition = Zoo(TINY, {"weight_decay": (0.0, 1e-3)}, **SETTINGS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # disconnected graphs are fine here
            result = definition.run(cache=ArtifactCache(folder), progress=False)
        yield definition, result, folder
    finally:
        if before is None:
            del os.environ["LOSS_LANDSCAPE_CACHE"]
        else:
            os.environ["LOSS_LANDSCAPE_CACHE"] = before


def _forbidden(*args, **kwargs):
    raise AssertionError("recomputed")


def test_tiny_zoo_end_to_end(tiny_zoo):
    definition, result, _ = tiny_zoo
    assert not result.failures
    assert list(result.table["status"]) == ["computed", "computed"]
    assert list(result.table["weight_decay"]) == [0.0, 1e-3]
    for sampler in SAMPLERS:
        for metric in METRICS:
            values = result.samples(sampler, metric)
            assert values.shape == (2, len(sample_columns(definition, sampler)))
    # Equal point counts, without the optimum.
    widths = {s: result.samples(s).shape[1] for s in ("jump_retrain", "grid", "naive")}
    assert set(widths.values()) == {definition.n_points} == {8}
    assert result.table["test_loss"].notna().all()
    assert result.table["sharpness"].notna().all()
    assert result.diagram(1, "test_loss", 0).shape[1] == 2


def test_no_recomputation_on_a_second_read(tiny_zoo, monkeypatch):
    definition, result, folder = tiny_zoo
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    for module, name in [(helpers.train, "train"), (helpers.sampling, "jump_and_retrain"),
                         (helpers.sampling, "grid_sample"), (helpers.sampling, "naive_sample"),
                         (pipeline, "landscape_features")]:
        monkeypatch.setattr(module, name, _forbidden)
    for _reader in ("chapter 4", "chapter 5"):
        again = definition.run(cache=ArtifactCache(folder), progress=False)
        assert list(again.table["status"]) == ["cached", "cached"]
        np.testing.assert_array_equal(again.samples("grid"), result.samples("grid"))
        np.testing.assert_array_equal(again.table["total_persistence_h0_max_train"],
                                      result.table["total_persistence_h0_max_train"])


def test_sample_vectors_follow_the_documented_order(tiny_zoo, monkeypatch):
    definition, result, folder = tiny_zoo
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    for network, config in enumerate(definition.configs()):
        optimum = train.train(config, progress=False)
        jr = sampling.jump_and_retrain(optimum, (0, 1), (0.5, 1.0), 2, retrain={"lr": 0.1},
                                       progress=False).table
        expected = [jr[(jr.kind == "retrain") & (jr.seed == s) & (jr.step_size == st)
                       ].sort_values("epoch")["train_loss"].to_numpy()[k]
                    for s, st, k in itertools.product((0, 1), (0.5, 1.0), range(2))]
        np.testing.assert_array_equal(result.samples("jump_retrain")[network], expected)
        jumps = [jr[(jr.kind == "jump") & (jr.seed == s) & (jr.step_size == st)
                    ]["test_accuracy"].item() for s, st in itertools.product((0, 1), (0.5, 1.0))]
        np.testing.assert_array_equal(result.samples("jump", "test_accuracy")[network], jumps)

        grid = sampling.grid_sample(optimum, 8, 1.0).table.iloc[1:]
        columns = sample_columns(definition, "grid")
        for (a, b, c), value in zip(columns.itertuples(index=False),
                                    result.samples("grid", "train_accuracy")[network],
                                    strict=True):
            row = grid[(grid.a == a) & (grid.b == b) & (grid.c == c)]
            assert row["train_accuracy"].item() == value
        # Grid and naive points are evaluated on the training set only.
        assert np.isnan(result.samples("grid", "test_loss")[network]).all()
        assert np.isnan(result.samples("naive", "test_accuracy")[network]).all()
        naive = sampling.naive_sample(optimum, 8, (0.5, 1.0)).table.iloc[1:]
        for (d, st), value in zip(sample_columns(definition, "naive").itertuples(index=False),
                                  result.samples("naive")[network], strict=True):
            row = naive[(naive.seed == d) & (naive.step_size == st)]
            assert row["train_loss"].item() == value

        # The sharpness baseline from the jump points of the largest step.
        largest = np.array(jr[(jr.kind == "jump") & (jr.step_size == 1.0)]["train_loss"])
        assert result.table["sharpness"][network] == pytest.approx(
            largest.mean() - optimum.final["train_loss"])
        assert result.table["test_loss"][network] == optimum.final["test_loss"]


def test_train_loss_features_match_the_pipeline(tiny_zoo, monkeypatch):
    definition, result, folder = tiny_zoo
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        features = pipeline.compute_features(definition.tasks()[0].features, progress=False)
    row = result.table.iloc[0]
    assert row["total_persistence_h0_drop_train"] == pytest.approx(
        features.summary["total_persistence_h0"])
    assert row["n_h0_finite_train"] == features.summary["n_h0_finite"]
    assert row["n_saddles_train"] == features.summary["n_saddles"]
    np.testing.assert_allclose(result.diagram(0), features.diagrams[0])
    # The test-loss filtration is the same graph filtered by the samples' test loss.
    summary, _ = persistence_summary(features.graph, features.samples["test_loss"])
    assert row["total_persistence_h0_max_test"] == pytest.approx(
        summary["total_persistence_h0_max"])


def test_a_diverged_network_is_reported_and_reads_as_nan(tmp_path):
    # lr 1e6 makes the loss non-finite at once: the network fails, the other is kept.
    definition = Zoo(TINY.replace(epochs=1), {"lr": (1e6, 0.1)}, **SETTINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = definition.run(cache=ArtifactCache(tmp_path), progress=False)
    assert list(result.table["status"]) == ["failed", "computed"]
    assert "diverged" in str(result.failures[0])
    assert np.isnan(result.samples("naive")[0]).all()
    assert np.isfinite(result.samples("naive")[1]).all()
    assert np.isnan(result.table["total_persistence_h0_drop_train"][0])
    with pytest.raises(ValueError, match="network 0 failed"):
        result.diagram(0)


# ------------------------------------------------------------ what the zoo says


def test_monotone_paths_match_the_pipeline_on_the_stored_vectors(tiny_zoo, monkeypatch):
    definition, result, folder = tiny_zoo
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    for metric in ("train_loss", "test_loss"):
        shares = zoo_statistics.monotone_paths(result, metric)
        for network, config in enumerate(definition.configs()):
            optimum = train.train(config, record_every=config.epochs, progress=False)
            table = sampling.jump_and_retrain(optimum, (0, 1), (0.5, 1.0), 2,
                                              retrain={"lr": 0.1}, progress=False).table
            assert shares[network] == pipeline.monotone_paths(table, metric)
    diagnostics = zoo_statistics.finite_points(result)
    assert list(diagnostics["n_h0_finite_train"]) == list(result.table["n_h0_finite_train"])
    assert len(diagnostics) == definition.n_networks


def test_persistence_correlations_rows(tiny_zoo):
    from scipy import stats

    _, result, _ = tiny_zoo
    table = result.table.copy()
    # Two networks are too few for a statistic; six made-up rows exercise every test.
    rng = np.random.default_rng(0)
    grown = table.loc[np.repeat(table.index, 3)].reset_index(drop=True)
    for column in grown.select_dtypes("number"):
        grown[column] = grown[column] + rng.normal(size=len(grown))
    frame = zoo_statistics.persistence_correlations(grown, n_permutations=99, n_bootstrap=20)
    # 4 conventions of total persistence (plain and given sharpness), 4 of average
    # persistence, 2 filtrations of saddles, the baseline itself.
    assert len(frame) == 4 * 2 + 4 + 2 + 1
    row = frame[(frame["summary"] == "total_persistence_h0") & (frame["given"] == "")
                & (frame["filtration"] == "test_loss") & (frame["essential"] == "max")].iloc[0]
    assert row["column"] == "total_persistence_h0_max_test"
    assert row["statistic"] == pytest.approx(stats.spearmanr(
        grown["total_persistence_h0_max_test"], grown["test_loss"]).statistic)
    assert (frame[frame["given"] == "sharpness"]["covariates"] == 1).all()
    with pytest.raises(ValueError, match="n_permutations"):
        zoo_statistics.persistence_correlations(grown, n_permutations=0)


def test_convention_table_and_essential_share():
    path = sparse.diags([1.0, 1.0], [-1, 1], shape=(5, 5), format="csr")
    samples = pd.DataFrame({"train_loss": [0.0, 3.0, 1.0, 4.0, 2.0],
                            "test_loss": [0.0, 1.0, 2.0, 3.0, 4.0]})
    table = zoo_statistics.convention_table({"path": (path, samples)})
    # Train: finite points (1, 3) and (2, 4) → 8; the essential bar (0, 4) adds 16.
    assert table.loc["path", "TP(H0) train, drop"] == 8.0
    assert table.loc["path", "TP(H0) train, max"] == 24.0
    # Test loss rises along the path: one component, no finite point.
    assert table.loc["path", "TP(H0) test, drop"] == 0.0
    assert table.loc["path", "finite H0 test"] == 0
    zoo_table = pd.DataFrame({"total_persistence_h0_drop_train": [8.0],
                              "total_persistence_h0_max_train": [24.0]})
    assert zoo_statistics.essential_share(zoo_table) == pytest.approx(2 / 3)


def test_one_factor_networks_of_the_workshop_grid():
    definition = zoo("workshop")
    table = pd.DataFrame([dict(zip([n for n, _ in definition.grid_items], values, strict=True))
                          for values in itertools.product(*(v for _, v in
                                                            definition.grid_items))])
    factors = [name for name, _ in definition.grid_items]
    chosen = zoo_statistics.one_factor_networks(table, "weight_decay", factors)
    assert list(table.loc[chosen, "weight_decay"]) == [0.0, 5e-4, 5e-3]
    assert len(table.loc[chosen].drop(columns="weight_decay").drop_duplicates()) == 1
    with pytest.raises(ValueError, match="factor"):
        zoo_statistics.one_factor_networks(table, "lr", factors)


def test_chapter_zoo_names_the_chapter_parameter():
    from helpers.zoo import chapter_zoo

    assert chapter_zoo("workshop", None) == zoo("workshop")
    assert chapter_zoo("workshop", {"train": {"epochs": 3}}).base.epochs == 3
    assert chapter_zoo("workshop", {"epochs": 4}).base.epochs == 20  # the preset's training
    for bad, message in [("abc", "zoo_settings must be a dict"),
                         ({"bogus": 1}, r"zoo_settings: unknown zoo setting\(s\) \['bogus'\]"),
                         ({"train": {"epochs": 0}}, "zoo_settings: train: epochs must be"),
                         ({"train": 3}, "zoo_settings: train must be a dict")]:
        with pytest.raises(ValueError, match=message):
            chapter_zoo("workshop", bad)
