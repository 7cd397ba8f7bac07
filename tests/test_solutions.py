"""Every exercise's solution runs at a tiny scale and gives what its exercise asks.

A chapter's exercises are ``{exercise}`` directives, each followed by a ``{solution}``
that shows (``literalinclude``, ``:pyobject:``) a function ``exercise_N`` of
``book/solutions/chNN.py``. Here each function is imported from its file and called with
tiny parameters (a few seconds), and its result is checked against what the exercise
asks: a hand-computed tree, a quantity computed another way, a property that could fail.
The last tests check, for every chapter page, that each solution shows an existing
function and that each function is shown on its page and tested here.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from helpers import (
    artificial_tree,
    embedding,
    loss_fields,
    lr_study,
    presets,
    quality,
    sampling,
    surface_study,
    train,
)
from helpers.surfaces import grid_graph
from helpers.toy_landscape import ToyValley

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
SOLUTIONS = BOOK / "solutions"
PAGES = sorted(BOOK.glob("[0-9][0-9]-*.md"))

#: Tiny optima (2 epochs on 40 digits) and jump and retrain around them.
TINY_TRAIN = {"epochs": 2, "train_size": 40}
TINY_JR = {**TINY_TRAIN, "directions": (0, 1), "step_sizes": (0.5, 1.0), "retrain_epochs": 3}


@pytest.fixture(scope="module")
def _shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("solutions-cache")


@pytest.fixture(autouse=True)
def _isolated_cache(_shared_cache, monkeypatch):
    """Overrides conftest's: the tests of this module share one temporary cache, so that
    an optimum trained for one exercise is read by the next (never the project's cache)."""
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(_shared_cache))
    return _shared_cache


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def solutions(chapter: str) -> ModuleType:
    """``book/solutions/ch{chapter}.py``, imported from its path."""
    path = SOLUTIONS / f"ch{chapter}.py"
    spec = importlib.util.spec_from_file_location(f"book_solutions_ch{chapter}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_samples(kind: str):
    """The J&R samples the tiny exercises draw around ``kind`` (read from the cache)."""
    optimum = train.train(presets.optimum_config(kind, **TINY_TRAIN))
    return sampling.jump_and_retrain(optimum, seeds=TINY_JR["directions"],
                                     step_sizes=TINY_JR["step_sizes"],
                                     epochs=TINY_JR["retrain_epochs"],
                                     steps_per_sample=presets.JUMP_AND_RETRAIN["workshop"][
                                         "steps_per_sample"])


def edges(graph) -> set[tuple[int, int]]:
    """The graph's edges from its sparsity structure (explicit zeros are edges too)."""
    coo = graph.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


def local_minima(graph, values: np.ndarray) -> set[int]:
    """Vertices below all their neighbours (ties: the lower index is lower), by brute force."""
    graph = graph.tocsr()
    return {i for i in range(len(values))
            if all((values[j], j) > (values[i], i)
                   for j in graph.indices[graph.indptr[i]:graph.indptr[i + 1]])}


# ----------------------------------------------------------------------------- Chapter 1


def test_ch01_exercise_1():
    ch01 = solutions("01")
    steps = ch01.exercise_1()  # the workshop preset: 300 digits
    assert steps["steps per epoch"].to_dict() == {"good": 5, "bad": 1, "memorization": 5}
    assert steps["steps in all"].to_dict() == {"good": 750, "bad": 150, "memorization": 750}
    # 129 images in batches of 64: 64 + 65, the lone last image joins the batch before it.
    steps = ch01.exercise_1(train_size=129, epochs=3)
    assert steps["steps per epoch"].to_dict() == {"good": 2, "bad": 1, "memorization": 2}
    assert steps["steps in all"].to_dict() == {"good": 6, "bad": 3, "memorization": 6}


def test_ch01_exercise_2():
    curves = solutions("01").exercise_2(seeds=(0, 1), **TINY_TRAIN)
    assert curves.index.tolist() == [0, 1, 2] and curves.columns.tolist() == [0, 1]
    for seed in (0, 1):
        config = presets.optimum_config("memorization", seed=seed, **TINY_TRAIN)
        data = train.load_training_data(config)  # the permuted labels it memorizes
        _, accuracy, _ = train.evaluate(train.train(config).model(data), data.train_x,
                                        data.train_y)
        assert curves[seed].iloc[-1] == pytest.approx(accuracy)


def test_ch01_exercise_3():
    result = solutions("01").exercise_3(batch_size=8, seeds=(0,), **TINY_TRAIN)
    good, bad = (presets.optimum_config(kind, **TINY_TRAIN) for kind in ("good", "bad"))
    accuracy = {name: train.train(c).final["test_accuracy"]
                for name, c in {"good": good, "bad": bad,
                                "bad, small batches": bad.replace(batch_size=8)}.items()}
    for name, value in accuracy.items():
        assert result[name] == pytest.approx(value)
    assert accuracy["bad, small batches"] != accuracy["bad"]  # the batch size mattered
    assert result["share of the gap closed"] == pytest.approx(
        (accuracy["bad, small batches"] - accuracy["bad"]) / (accuracy["good"] - accuracy["bad"]))


# ----------------------------------------------------------------------------- Chapter 2


def test_ch02_exercise_1():
    ends = solutions("02").exercise_1()
    assert len(ends) == 4 * 2  # the chapter's seeds and step sizes
    assert (ends["final_loss"] < ends["jump_loss"] / 10).all()
    assert ends["final_loss"].to_numpy() == pytest.approx(
        ToyValley().loss(ends[["u", "v"]].to_numpy()))
    # Back on the floor of the valley, but not at its minimum.
    assert (ends["to_floor"] < 0.1 * ends["to_minimum"]).all()
    assert (ends["to_minimum"] > 0.01).all()


def test_ch02_exercise_2():
    table = solutions("02").exercise_2(optimum="bad", **TINY_JR)
    chapter, doubled = table["chapter's step"], table["×2"]
    assert table.index.tolist() == [0.5, 1.0]
    # The same directions, twice as far: twice the distance, and a higher loss.
    assert doubled["jump_distance"].to_numpy() == pytest.approx(
        2 * chapter["jump_distance"].to_numpy(), rel=1e-4)
    assert (doubled["jump_train_loss"] > chapter["jump_train_loss"]).all()
    # The jump 2 × 0.5 is the chapter's jump of 1.0.
    assert doubled.loc[0.5].to_dict() == pytest.approx(chapter.loc[1.0].to_dict())
    optimum = train.train(presets.optimum_config("bad", **TINY_TRAIN))
    assert table["optimum_train_loss"].iloc[0] == pytest.approx(optimum.final["train_loss"],
                                                                rel=1e-4)


def test_ch02_exercise_3():
    with pytest.warns(UserWarning, match="connected components"):
        table = solutions("02").exercise_3(knns=(2, 12), optima=("good",), **TINY_JR)
    pieces = table["components"].xs("good")
    # Below the 4 samples of a retrain the graph falls apart; above, it holds together.
    assert pieces[2] > 1 and pieces[12] == 1
    assert table["star score"].between(0, 1).all()


# ----------------------------------------------------------------------------- Chapter 3


def test_ch03_exercise_1():
    scores = solutions("03").exercise_1(optima=("good", "bad"), methods=("pca", "random_plane"),
                                        metrics=("euclidean",), phate_knn=5, demap_knn=5,
                                        **TINY_JR)
    assert scores.index.get_level_values("optimum").unique().tolist() == ["good", "bad"]
    for _, group in scores.groupby("optimum"):
        assert group.sort_values("demap", ascending=False)["rank"].tolist() == [1, 2]
    # PCA's scores, computed again without the shared Gram pass.
    samples = tiny_samples("good")
    coordinates = embedding.embed(samples.parameters, "pca").coordinates
    pca = scores.loc[("good", "pca", "euclidean")]
    assert pca["demap"] == pytest.approx(quality.demap(samples.parameters, coordinates, knn=5),
                                         abs=1e-6)
    assert pca["continuity"] == pytest.approx(quality.trajectory_continuity(
        coordinates, quality.trajectory_ids(samples.table), samples.table["epoch"], k=5))


def test_ch03_exercise_2():
    tree = {"tree_n_dim": 10, "tree_n_branch": 3, "tree_branch_length": 20, "tree_seed": 37}
    table = solutions("03").exercise_2(noises=(1.0, 8.0), methods=("pca", "random_plane"),
                                       demap_knn=5, **tree)
    assert table["drop"].to_numpy() == pytest.approx((table[1.0] - table[8.0]).to_numpy())
    assert table["drop"].is_monotonic_decreasing  # the method that suffers most first
    assert (table["drop"] > 0).all()  # noise hides the tree from every method
    noisy = artificial_tree.artificial_tree(10, 3, 20, noise=8.0, seed=37)
    coordinates = embedding.embed(noisy.data, "pca").coordinates
    assert table.loc["pca", 8.0] == pytest.approx(quality.demap(noisy.clean, coordinates, knn=5),
                                                  abs=1e-6)


def test_ch03_exercise_3():
    shares = solutions("03").exercise_3(optima=("good",), **TINY_JR)
    parameters = np.asarray(tiny_samples("good").parameters, dtype=np.float64)
    singular = np.linalg.svd(parameters - parameters.mean(axis=0), compute_uv=False)
    expected = singular[:2] ** 2 / np.sum(singular ** 2)
    assert shares.loc["good", ["PC 1", "PC 2"]].to_numpy() == pytest.approx(expected, abs=1e-6)
    assert shares.loc["good", "both"] == pytest.approx(expected.sum(), abs=1e-6)


# ----------------------------------------------------------------------------- Chapter 4


@pytest.mark.parametrize("values", [(0.0, 2.0, 0.5, 3.0, 1.0, 2.5, 1.5),
                                    (3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0)])
def test_ch04_exercise_1(values):
    from scipy import sparse

    from helpers import topology

    pairs = solutions("04").exercise_1(values)
    n = len(values)
    path = sparse.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")
    h0 = topology.lower_star_persistence(path, np.asarray(values))[0]
    expected = h0[np.lexsort((h0[:, 1], h0[:, 0]))]
    np.testing.assert_array_equal(pairs[["birth", "death"]].to_numpy(), expected)


def test_ch04_exercise_2():
    table = solutions("04").exercise_2(optima=("good", "bad"), train_epochs=2, train_size=40,
                                       directions=(0, 1), retrain_epochs=2, knn=4,
                                       phate_knn=4)
    assert list(table.index) == ["good", "bad"]
    # Ripser's diagrams are float32: the bar's birth matches the smallest loss to 1e-7.
    np.testing.assert_allclose(table["essential bar"], table["loss spread squared"], rtol=1e-6)
    np.testing.assert_allclose(table["max"], table["drop"] + table["essential bar"])
    assert ((table["share of the bar"] > 0) & (table["share of the bar"] <= 1)).all()


def test_ch04_exercise_3():
    from helpers import zoo

    settings = {"train": {"epochs": 2, "train_size": 40, "batch_size": 20},
                "grid": {"weight_decay": [0.0, 0.005], "augment": [False, True]},
                "seeds": [0, 1], "step_sizes": [0.5, 1.0], "epochs": 2, "knn": 4,
                "phate_knn": 4}
    found = solutions("04").exercise_3(zoo_settings=settings)
    assert sorted(found["factor"]) == ["augment", "weight_decay"]
    assert found["p_value"].is_monotonic_increasing
    table = zoo.chapter_zoo("workshop", settings).run(progress=False).table
    row = found.set_index("factor").loc["weight_decay"]
    expected = table.groupby("weight_decay")["total_persistence_h0_drop_train"].median()
    assert row["medians"] == ", ".join(f"{w}: {m:.3g}" for w, m in expected.items())


# ----------------------------------------------------------------------------- Chapter 6


def test_ch06_exercise_1():
    ch06 = solutions("06")
    # By hand, sweeping down 0.9, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1 along the path: peaks at
    # 0.9, 0.8, 0.6; at 0.2 (vertex 2) the peak 0.6 joins the older 0.9, at 0.1 (vertex 4)
    # the peak 0.8 joins it; 0.9 never merges.
    branches = ch06.exercise_1()
    assert branches[["peak", "merges at"]].values.tolist() == [
        [0.9, -np.inf], [0.8, 0.1], [0.6, 0.2]]
    finite = branches["persistence"][np.isfinite(branches["persistence"])]
    assert finite.sum() == pytest.approx(1.1)
    # A single peak: one branch, which never merges.
    assert ch06.exercise_1((0.1, 0.5, 0.2))[["peak", "merges at"]].values.tolist() == [
        [0.5, -np.inf]]


def tiny_run(k: int | None = None):
    """The tiny study's run at rate 0.1, seed 0, and its training images' dataset."""
    settings = lr_study.study_settings(**TINY_TRAIN, skip_connections=False)
    config = settings.configs()[0.1, 0]
    return train.train(config, record_sample_losses=True), train.load_training_data(config)


def test_ch06_exercise_2():
    ks = (2, 5, 10)
    table = solutions("06").exercise_2(ks=ks, **TINY_TRAIN)
    run, data = tiny_run()
    losses = run.train_sample_losses[-1]
    graphs = {k: loss_fields.input_graph(data, "train", k) for k in ks}
    minima = {k: local_minima(graphs[k], losses) for k in ks}
    assert table["minima"].to_dict() == {k: len(found) for k, found in minima.items()}
    assert table["edges"].to_dict() == {k: graphs[k].nnz // 2 for k in ks}
    assert (table["saddles"] == table["minima"] - table["components"]).all()
    for small, large in zip(ks, ks[1:], strict=False):
        # More neighbours only add edges, and an edge can only take a minimum away.
        assert edges(graphs[small]) <= edges(graphs[large])
        assert minima[large] <= minima[small]


def test_ch06_exercise_3():
    table = solutions("06").exercise_3(k=5, **TINY_TRAIN)
    assert table.index.tolist() == [0, 1, 2]
    # Ranks keep the order of the losses on the graph: the same minima at every epoch...
    assert (table["minima"]["rank"] == table["minima"]["loss"]).all()
    run, data = tiny_run()
    graph = loss_fields.input_graph(data, "train", 5)
    for epoch, losses in enumerate(run.train_sample_losses):
        ranks = loss_fields.control_values(run.train_sample_losses, "rank")[epoch]
        assert local_minima(graph, ranks) == local_minima(graph, losses)
    # ...but not the same lifetimes: the scale of the field is gone.
    assert not np.allclose(table["total persistence"]["rank"],
                           table["total persistence"]["loss"])


# ----------------------------------------------------------------------------- Chapter 7

TINY_NET = {"images": 16, "hidden": 4}


def test_ch07_exercise_1():
    budgets = (2, 5, 20)
    table = solutions("07").exercise_1(budgets=budgets, **TINY_NET)
    assert (table["lanczos products"] <= table.index).all()
    assert (table["power products"] <= table.index).all()
    # From the same start, Lanczos's top Ritz value is the best Rayleigh quotient of the
    # Krylov space that power iteration's last vector lies in: never a worse estimate.
    assert (table["lanczos error"] <= table["power error"] + 1e-10).all()
    assert table.loc[20, "lanczos error"] < 1e-6


def test_ch07_exercise_2():
    tiny = {"depth": 8, "train_epochs": 1, "resolution": 5, "eval_samples": 8,
            "train_size": 40}
    table = solutions("07").exercise_2(**tiny)
    chosen = surface_study.preset_settings(
        "workshop", **{k: tiny[k] for k in ("depth", "train_epochs", "resolution",
                                             "eval_samples")})
    configs = surface_study.residual_configs(depth=8, seeds=[0], epochs=1, train_size=40)
    for (architecture, _), config in configs.items():
        loss = surface_study.optimum_surface(train.train(config), chosen["settings"]).loss
        found = {c: local_minima(grid_graph(loss.shape, c), loss.ravel()) for c in (4, 8)}
        rows = table.loc[architecture]
        assert rows["minima"].to_dict() == {c: len(m) for c, m in found.items()}
        assert found[8] <= found[4]  # diagonal edges only take minima away
        assert (rows["saddles"] == rows["minima"] - 1).all()  # a grid is connected


def test_ch07_exercise_3():
    table = solutions("07").exercise_3(probes=(5, 80), **TINY_NET)
    assert (table["error"] == table["estimate"] - table["dense"]).all()
    assert (table["error / standard error"].abs() < 4).all()
    assert table.loc[80, "standard error"] < table.loc[5, "standard error"]


# ---------------------------------------------------------------- every exercise is wired

EXERCISE = re.compile(r"^```\{exercise\}[^\n]*\n:label: (?P<label>\S+)\n", re.M)
SOLUTION = re.compile(
    r"^````\{solution\} (?P<label>\S+)\n:class: dropdown\n\n?"
    r"```\{literalinclude\} (?P<path>\S+)\n:pyobject: (?P<function>\S+)\n```\n````", re.M)


def page_exercises(page: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = page.read_text()
    return ([m["label"] for m in EXERCISE.finditer(text)],
            [m.groupdict() | {"start": m.start()} for m in SOLUTION.finditer(text)])


def exercise_functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text())
    return {node.name: node for node in tree.body
            if isinstance(node, ast.FunctionDef) and re.fullmatch(r"exercise_\d+", node.name)}


def free_names(node: ast.FunctionDef) -> set[str]:
    """Names a function (signature included) reads but neither binds, imports nor takes."""
    bound, read = set(), set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.arg):
            bound.add(inner.arg)
        elif isinstance(inner, ast.alias):
            bound.add((inner.asname or inner.name).split(".")[0])
        elif isinstance(inner, ast.Name):
            (read if isinstance(inner.ctx, ast.Load) else bound).add(inner.id)
        elif isinstance(inner, ast.FunctionDef) and inner is not node:
            bound.add(inner.name)  # a helper defined inside the solution
    return read - bound - set(dir(builtins))


#: The tests of this module and of the chapters' own solution modules (test_solutions_chNN.py).
TEST_NAMES = {node.name for path in Path(__file__).parent.glob("test_solutions*.py")
              for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)}


#: What a chapter's notebook has already imported, for a solution pasted into it.
CHAPTER_NAMES = {"pd"}


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_every_solution_shows_an_existing_tested_function(page):
    text = page.read_text()
    labels, shown = page_exercises(page)
    chapter = page.name[:2]
    assert text.count("{solution}") == len(shown), "a {solution} not in the expected form"
    assert text.count("{exercise}") == len(labels)
    assert labels == [f"ch{chapter}-exercise-{i}" for i in range(1, len(labels) + 1)]
    assert [s["label"] for s in shown] == labels  # one solution per exercise, in order
    for solution in shown:
        number = solution["label"].rsplit("-", 1)[1]
        assert solution["path"] == f"solutions/ch{chapter}.py"
        assert solution["function"] == f"exercise_{number}"
        exercise_at = text.index(f":label: {solution['label']}\n")
        following = [s["start"] for s in shown if s["start"] > exercise_at]
        assert solution["start"] == min(following)  # right after its exercise
    path = SOLUTIONS / f"ch{chapter}.py"
    functions = exercise_functions(path) if path.exists() else {}
    assert sorted(functions) == sorted(s["function"] for s in shown), (
        f"{path.name}: every exercise_N is shown on {page.name} and nothing else is")
    for name, node in functions.items():
        assert f"test_ch{chapter}_{name}" in TEST_NAMES, f"{path.name}:{name} has no test"
        docstring = ast.get_docstring(node)
        assert docstring and "\n" not in docstring.strip(), f"{name}: a one-line docstring"
        arguments = node.args.args + node.args.kwonlyargs
        assert node.returns is not None and all(a.annotation is not None for a in arguments)
        # What the page shows runs as it is: no name from elsewhere in the file.
        assert free_names(node) <= CHAPTER_NAMES, f"{name} reads {free_names(node)}"


def test_every_solutions_file_belongs_to_a_page():
    chapters = {page.name[:2] for page in PAGES}
    for path in SOLUTIONS.glob("*.py"):
        if path.name != "__init__.py":
            assert re.fullmatch(r"ch\d\d\.py", path.name) and path.name[2:4] in chapters, path
