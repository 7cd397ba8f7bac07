"""A reader's own model through the public helpers, with and without BatchNorm, and the page.

The model is a small MLP defined here, trained with plain PyTorch on scikit-learn's two
moons: nothing of the book's configurations. Each result is checked against something
computed another way: every stored J&R row re-evaluated from its stored parameters and
BatchNorm statistics, H0 against a union-find with the elder rule, the surface's centre
against a plain evaluation, the top Hessian eigenvalue against the dense Hessian.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import jupytext
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_moons
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import __main__ as command
from helpers import chapters, own_model_report, pipeline, sample_table, surfaces, topology
from helpers.directions import random_directions
from helpers.embedding import embed
from helpers.flat_parameters import flatten_buffers, load_flat_parameters
from helpers.hessian import HessianOperator, hutchinson_trace, top_eigenvalues
from helpers.hessian_check import dense_hessian
from helpers.render import PAGE_WIDTH, chart_size
from helpers.sampling import jump_and_retrain_model
from helpers.train import evaluate, fit_model

PAGE = chapters.book_dir() / "your-own-model.md"
WIDTH = 6
JR = {"seeds": [0, 1], "step_sizes": [0.5, 1.0], "epochs": 3, "batch_size": 16}
N_ROWS = 1 + 2 * 2 * (3 + 1)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def mlp(batchnorm: bool, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Linear(2, WIDTH)] + ([nn.BatchNorm1d(WIDTH)] if batchnorm else [])
    return nn.Sequential(*layers, nn.ReLU(), nn.Linear(WIDTH, 2))


def moons(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = make_moons(n_samples=n, noise=0.2, random_state=seed)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "batchnorm"])
def own(request):
    """An MLP trained in plain PyTorch, then J&R around it; the model's state before J&R."""
    train_data, test_data = moons(64, 0), moons(64, 1)
    model = mlp(request.param)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(15):
        model.train()
        for batch in torch.randperm(64, generator=torch.Generator().manual_seed(0)).split(16):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(train_data[0][batch]),
                                        train_data[1][batch]).backward()
            optimizer.step()
    model.eval()
    before = copy.deepcopy(model.state_dict())
    samples = jump_and_retrain_model(
        model, train_data, test_data,
        optimizer=lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), **JR)
    return {"model": model, "train": train_data, "test": test_data, "samples": samples,
            "before": before, "batchnorm": request.param}


def test_rows_parameters_and_buffers_are_paired(own):
    samples, model = own["samples"], own["model"]
    table = samples.table
    assert len(table) == N_ROWS and list(table.columns) == list(sample_table.COLUMNS)
    assert table["kind"].tolist()[:6] == ["optimum", "jump", "retrain", "retrain", "retrain",
                                          "jump"]
    n_params = sum(p.numel() for p in model.parameters())
    n_buffers = 2 * WIDTH if own["batchnorm"] else 0  # running mean and variance
    assert samples.parameters.shape == (N_ROWS, n_params)
    assert samples.buffers.shape == (N_ROWS, n_buffers)
    assert samples.runs["epochs_kept"].tolist() == [4] * 4
    assert (samples.runs["steps_per_sample"] == 4).all()  # 64 points, batches of 16
    assert samples.settings["model"] == "Sequential" and samples.settings["n_train"] == 64


def test_the_callers_model_is_not_changed(own):
    after = own["model"].state_dict()
    assert all(torch.equal(after[name], value) for name, value in own["before"].items())
    assert not own["model"].training


def test_every_stored_row_re_evaluates_to_its_losses(own):
    samples, table = own["samples"], own["samples"].table
    for row in range(len(table)):
        model = sample_table.sample_model(own["model"], samples, row)
        for split in ("train", "test"):
            loss, accuracy, _ = evaluate(model, *own[split])
            assert loss == pytest.approx(table[f"{split}_loss"].iloc[row], rel=1e-5, abs=1e-7)
            assert accuracy == table[f"{split}_accuracy"].iloc[row]
    optimum = evaluate(own["model"], *own["train"])
    assert table["train_loss"].iloc[0] == pytest.approx(optimum[0], rel=1e-6)


def test_batchnorm_statistics_are_stored_per_sample_and_needed(own):
    if not own["batchnorm"]:
        pytest.skip("no BatchNorm: no buffers")
    samples, table = own["samples"], own["samples"].table
    retrained = np.flatnonzero(table["kind"] == "retrain")
    assert not np.allclose(samples.buffers[retrained], samples.buffers[0])
    # With the optimum's statistics instead of its own, a retrained row evaluates otherwise.
    row = retrained[-1]
    stale = load_flat_parameters(copy.deepcopy(own["model"]), samples.parameters[row]).eval()
    np.testing.assert_array_equal(flatten_buffers(stale), samples.buffers[0])
    loss = evaluate(stale, *own["train"])[0]
    assert abs(loss - table["train_loss"].iloc[row]) > 1e-6


def test_data_loaders_and_a_per_sample_loss_give_the_same_samples(own):
    x, y = own["train"]
    small = {"seeds": [0], "step_sizes": [0.5], "epochs": 2, "batch_size": 16}
    reference = jump_and_retrain_model(own["model"], (x, y), **small)
    loader = DataLoader(TensorDataset(x, y), batch_size=10, shuffle=False)  # read once, in order
    other = jump_and_retrain_model(own["model"], loader, loss=nn.CrossEntropyLoss(
        reduction="none"), **small)
    pd.testing.assert_frame_equal(reference.table, other.table, rtol=1e-6)
    np.testing.assert_allclose(reference.parameters, other.parameters, rtol=1e-5, atol=1e-7)
    assert np.isnan(reference.table["test_loss"]).all()  # no test data: no test metrics


def test_fit_model_records_like_the_samples(own):
    model = copy.deepcopy(own["model"])
    result = fit_model(model, torch.optim.SGD(model.parameters(), lr=0.05), own["train"],
                       own["test"], epochs=2, batch_size=16,
                       loss=nn.CrossEntropyLoss(reduction="none"), record_parameters=True,
                       record_sample_losses=True, progress=False)
    assert result.config is None and result.history["steps"].tolist() == [0, 4, 8]
    assert result.train_sample_losses.shape == (3, 64)
    np.testing.assert_allclose(result.train_sample_losses.mean(1),
                               result.history["train_loss"], rtol=1e-5)
    with pytest.raises(ValueError, match="record_sample_losses"):
        fit_model(model, torch.optim.SGD(model.parameters(), lr=0.05), own["train"], epochs=1,
                  batch_size=16, loss=nn.CrossEntropyLoss(), record_sample_losses=True,
                  progress=False)
    with pytest.raises(ValueError, match="fit_model"):
        result.model()


def test_embedding_has_one_point_per_sample(own):
    embedded = embed(own["samples"].parameters, "phate", metric="cosine", knn=5)
    assert embedded.coordinates.shape == (N_ROWS, 2)
    assert np.isfinite(embedded.coordinates).all()


def union_find_h0(graph, values) -> tuple[np.ndarray, int]:
    """Finite H0 pairs of a vertex-filtered graph by the elder rule, and the components."""
    n = len(values)
    upper = graph.tocoo()
    pairs_ij = zip(upper.row.tolist(), upper.col.tolist(), strict=True)
    edges = sorted({(min(i, j), max(i, j)) for i, j in pairs_ij if i != j},
                   key=lambda e: max(values[e[0]], values[e[1]]))
    parent = list(range(n))

    def root(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    pairs = []
    for i, j in edges:
        a, b = root(i), root(j)
        if a == b:
            continue
        young, old = (a, b) if (values[a], a) > (values[b], b) else (b, a)
        death = max(values[i], values[j])
        if death > values[young]:
            pairs.append((values[young], death))
        parent[young] = old  # each root is its component's minimum
    components = len({root(v) for v in range(n)})
    return np.array(sorted(pairs)).reshape(-1, 2), components


@pytest.mark.parametrize("which", ["loss", "random"])
def test_persistence_matches_a_union_find(own, which):
    features = pipeline.sample_features(own["samples"], knn=2, phate_knn=5)
    h0 = features.diagrams[0]
    values = features.values
    if which == "random":  # the same graph under values with many basins
        values = np.random.default_rng(0).uniform(0, 1, len(values))
        h0 = topology.lower_star_persistence(features.graph, values)[0]
    expected, components = union_find_h0(features.graph, values)
    finite = h0[np.isfinite(h0[:, 1])]
    np.testing.assert_allclose(finite, expected, rtol=1e-6)
    assert int((~np.isfinite(h0[:, 1])).sum()) == components
    if which == "loss":
        assert features.summary["n_components"] == components
        assert features.summary["total_persistence_h0"] == pytest.approx(
            float(np.sum((expected[:, 1] - expected[:, 0]) ** 2)), rel=1e-5)
        tree_pairs = features.tree.pairs[np.isfinite(features.tree.pairs[:, 1])]
        tree_pairs = tree_pairs[tree_pairs[:, 1] > tree_pairs[:, 0]]
        tree_pairs = tree_pairs[np.lexsort((tree_pairs[:, 1], tree_pairs[:, 0]))]
        np.testing.assert_allclose(tree_pairs, expected.reshape(-1, 2))
    else:
        assert len(expected) >= 1  # a comparison with something in it


def test_surface_is_centred_on_the_model(own):
    model, (x, y) = own["model"], own["train"]
    plane = random_directions(model, [0, 1])
    surface = surfaces.loss_surface(model, x, y, plane, resolution=5, extent=0.5)
    assert surface.loss.shape == surface.accuracy.shape == (5, 5)
    assert surface.center_loss == pytest.approx(evaluate(model, x, y)[0], rel=1e-5)
    per_sample = surfaces.loss_surface(model, x, y, plane, resolution=5, extent=0.5,
                                       loss=nn.CrossEntropyLoss(reduction="none"))
    np.testing.assert_allclose(per_sample.loss, surface.loss, rtol=1e-5)
    np.testing.assert_array_equal(per_sample.accuracy, surface.accuracy)


def test_hessian_of_the_model_against_the_dense_one(own):
    model = copy.deepcopy(own["model"]).double()
    x, y = own["train"]
    operator = HessianOperator(model, x.double(), y, loss=nn.CrossEntropyLoss())
    dense = dense_hessian(operator)
    eigenvalues = np.linalg.eigvalsh(dense)
    top, vectors = top_eigenvalues(operator, k=1, tol=1e-8)
    assert top[0] == pytest.approx(eigenvalues[-1], rel=1e-5)
    np.testing.assert_allclose(np.abs(dense @ vectors[0]), np.abs(top[0] * vectors[0]),
                               atol=1e-4 * abs(top[0]))
    probes = hutchinson_trace(operator, 400)
    assert abs(probes.mean() - np.trace(dense)) < 5 * probes.std() / np.sqrt(len(probes))


def squared_error(outputs, targets):
    return ((outputs - targets) ** 2).sum(1)


def test_a_regression_loss_has_no_accuracy():
    x, y = moons(32, 0)
    targets = nn.functional.one_hot(y, 2).float()
    samples = jump_and_retrain_model(mlp(False), (x, targets), loss=squared_error,
                                     seeds=[0], step_sizes=[0.5], epochs=1, batch_size=8)
    assert np.isfinite(samples.table["train_loss"]).all()
    assert np.isnan(samples.table["train_accuracy"]).all()
    surface = surfaces.loss_surface(mlp(False), x, targets, random_directions(mlp(False), [0, 1]),
                                    resolution=3, loss=squared_error)
    assert np.isnan(surface.accuracy).all() and np.isfinite(surface.loss).all()


def wrong_shape(outputs, targets):
    return outputs


@pytest.mark.parametrize(("change", "name"), [
    ({"model": "net"}, "model"),
    ({"train_data": "points"}, "train_data"),
    ({"train_data": (torch.zeros(5, 2), torch.zeros(4, dtype=torch.long))}, "train_data"),
    ({"test_data": [1, 2, 3]}, "test_data"),
    ({"loss": "mse"}, "loss"),
    ({"loss": wrong_shape}, "loss"),
    ({"optimizer": "sgd"}, "optimizer"),
    ({"optimizer": lambda parameters: None}, "optimizer"),
    ({"batch_size": 0}, "batch_size"),
    ({"seeds": [-1]}, "seeds"),
    ({"step_sizes": [0.0]}, "step_sizes"),
    ({"epochs": 0}, "epochs"),
    ({"normalization": "unit"}, "normalization"),
    ({"record_parameters": "yes"}, "record_parameters"),
    ({"device": "gpu"}, "device"),
])
def test_bad_arguments_are_refused_naming_them(change, name):
    x, y = moons(16, 0)
    arguments = {"model": mlp(True), "train_data": (x, y), **change}
    model, data = arguments.pop("model"), arguments.pop("train_data")
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        jump_and_retrain_model(model, data, **arguments)


def test_sample_features_refuses_bad_samples(own):
    with pytest.raises(ValueError, match="samples"):
        pipeline.sample_features(sample_table.Samples(own["samples"].table))
    with pytest.raises(ValueError, match="^knn"):
        pipeline.sample_features(own["samples"], knn=N_ROWS)
    with pytest.raises(ValueError, match="^phate_knn"):
        pipeline.sample_features(own["samples"], knn=3, phate_knn=N_ROWS - 1)
    with pytest.raises(ValueError, match="^filtration 'test_loss' must be finite"):
        no_test = dataclasses.replace(own["samples"], table=own["samples"].table.assign(
            test_loss=np.nan))
        pipeline.sample_features(no_test, knn=3, phate_knn=3, filtration="test_loss")


# --- the page's sentences ------------------------------------------------------------------

def retrains(jump, final, diverged=None):
    return pd.DataFrame({"jump_train_loss": jump, "final_train_loss": final,
                         "diverged": diverged or [False] * len(jump)})


@pytest.mark.parametrize(("summary", "expected"), [
    (retrains([2.0, 1.0], [0.5, 0.2]), "lowered the training loss in all 2 retrains"),
    (retrains([2.0, 1.0], [2.5, 1.2]), "did not lower the training loss in any of the 2"),
    (retrains([2.0, 1.0, 3.0], [0.5, 1.2, 1.0]), "lowered the training loss in 2 of the 3"),
    (retrains([2.0], [2.5]), "did not lower the training loss in the one retrain"),
])
def test_retraining_sentence(summary, expected):
    text = own_model_report.retraining_sentence(summary, 0.1)
    assert expected in text and text.endswith("none diverged.")


def test_retraining_sentence_counts_divergence_and_refuses_a_bad_table():
    text = own_model_report.retraining_sentence(retrains([2.0, 1.0], [0.5, 3.0], [True, True]),
                                                0.1)
    assert "2 retrains diverged" in text and "median of 1.5 at the jump to 1.75" in text
    with pytest.raises(ValueError, match="summary"):
        own_model_report.retraining_sentence(pd.DataFrame({"x": [1]}), 0.1)
    with pytest.raises(ValueError, match="optimum_loss"):
        own_model_report.retraining_sentence(retrains([1.0], [0.5]), -1.0)


def persistence_summary(**changes):
    return {"n_samples": 17, "knn_used": 4, "n_components": 1, "n_h0_finite": 0,
            "total_persistence_h0": 0.0, "n_h1_finite": 0, "total_persistence_h1": 0.0,
            **changes}


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, ["is connected.", "every sample but the lowest has", "H1 has no finite point."]),
    ({"n_components": 3}, ["falls into 3 pieces", "but the lowest of its piece"]),
    ({"n_h0_finite": 1, "total_persistence_h0": 0.25},
     ["has 1 finite point: 1 basin", "merges into a deeper one", "persistence 0.25."]),
    ({"n_h0_finite": 3, "total_persistence_h0": 2.0, "n_h1_finite": 2,
      "total_persistence_h1": 0.5},
     ["3 finite points: 3 basins", "merge into", "H1 has 2 finite points (total persistence 0.5)"]),
])
def test_persistence_sentence(changes, expected):
    text = own_model_report.persistence_sentence(persistence_summary(**changes))
    assert all(part in text for part in expected), text


def test_persistence_sentence_refuses_a_bad_summary():
    with pytest.raises(ValueError, match="summary"):
        own_model_report.persistence_sentence({"n_samples": 3})


@pytest.mark.parametrize(("metrics", "center", "trace", "expected"), [
    ({"n_minima": 1, "n_saddles": 0}, 0.1, (20.0, 1.0),
     ["a single basin", "no saddle", "is its lowest point", "positive, the loss curves"]),
    ({"n_minima": 1, "n_saddles": 2}, 0.1, (20.0, 1.0), ["one minimum and 2 saddles"]),
    ({"n_minima": 3, "n_saddles": 2}, 0.3, (-5.0, 1.0),
     ["3 basins", "joined at 2 saddles", "(loss 0.3) is not its lowest point (0.1)",
      "negative: on average"]),
    ({"n_minima": 2, "n_saddles": 1}, 0.1, (1.0, 2.0),
     ["joined at 1 saddle", "within two standard errors of 0"]),
])
def test_surface_sentence(metrics, center, trace, expected):
    text = own_model_report.surface_sentence(metrics, center, 0.1, 4.0, *trace)
    assert all(part in text for part in expected), text


def test_surface_sentence_refuses_bad_numbers():
    with pytest.raises(ValueError, match="metrics"):
        own_model_report.surface_sentence({}, 0.1, 0.1, 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="trace_stderr"):
        own_model_report.surface_sentence({"n_minima": 1, "n_saddles": 0}, 0.1, 0.1, 1.0,
                                          1.0, -0.1)


# --- the page --------------------------------------------------------------------------------

def bad_values(default):
    """A value of the wrong type and one of the right type but out of range, as typed."""
    if isinstance(default, bool):
        return ["abc", "2"]
    if isinstance(default, list):
        return ["abc", "[-1]"]
    return ["abc", "-1"]


PARAMETERS = chapters.chapter_parameters(jupytext.read(PAGE))
CASES = [(name, value) for name, default in PARAMETERS.items() for value in bad_values(default)]
CASES += [("knn", "500"), ("phate_knn", "500"), ("resolution", "20"), ("batch_size", "1"),
          ("batch_size", "1000")]


@pytest.fixture
def _never_execute(monkeypatch):
    import papermill

    def accepted(*args, **kwargs):
        raise AssertionError(f"the value was accepted: {kwargs.get('parameters')}")

    monkeypatch.setattr(papermill, "execute_notebook", accepted)


def test_every_page_parameter_is_fuzzed():
    assert {name for name, _ in CASES} == set(PARAMETERS) and len(PARAMETERS) >= 15


@pytest.mark.usefixtures("_never_execute")
@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}-{v}" for n, v in CASES])
def test_a_bad_page_parameter_is_refused_naming_it(name, value, capsys, tmp_path):
    status = command.main(["run-chapter", str(PAGE), "-p", name, value, "--no-html",
                           "--output-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert status == 2, error
    assert name in error, error
    assert not list(tmp_path.iterdir())


TINY = {"n_samples": 60, "hidden": 8, "train_epochs": 5, "batch_size": 16,
        "directions": [0, 1], "step_sizes": [1.0], "retrain_epochs": 3, "knn": 4,
        "phate_knn": 4, "resolution": 5, "trace_probes": 3}


@pytest.mark.slow
def test_the_page_executes_with_tiny_parameters(tmp_path):
    import nbformat

    executed = chapters.run_chapter(str(PAGE), TINY, output_dir=tmp_path, html=False)
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    specs = [o["data"]["application/vnd.vegalite.v6+json"] for o in outputs
             if "application/vnd.vegalite.v6+json" in o.get("data", {})]
    assert len(specs) == 3  # retraining curves; PHATE and diagram; surface and merge tree
    assert all(0 < chart_size(spec)[0] <= PAGE_WIDTH for spec in specs)
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in outputs])
    assert "Retraining" in text and "The graph joining each of the 9 samples" in text
    assert "On this plane the surface is" in text
    glued = {o.get("metadata", {}).get("scrapbook", {}).get("name") for o in outputs}
    assert {"own_seconds", "own_reevaluation_error", "own_test_accuracy"} <= glued, glued
