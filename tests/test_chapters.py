"""Chapters re-executed with new parameters: names checked, bad values fail fast."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from helpers.chapters import chapter_parameters, find_chapter, parse_value, run_chapter
from helpers.render import PAGE_WIDTH, chart_size

TINY_01 = {"epochs": 2, "train_size": 40, "seeds": [0]}


def test_chapter_lookup():
    assert find_chapter("01").name == find_chapter("1").name == "01-training.md"
    with pytest.raises(ValueError, match="chapter must name one of"):
        find_chapter("99")


def test_parameters_cell_is_read():
    import jupytext

    defaults = chapter_parameters(jupytext.read(find_chapter("01")))
    assert defaults["preset"] == "workshop" and defaults["epochs"] is None
    assert {"seeds", "train_size", "device", "good", "bad", "memorization"} <= set(defaults)


def test_values_from_the_command_line():
    assert parse_value("60") == 60 and parse_value("0.5") == 0.5
    assert parse_value("{batch_size: 64}") == {"batch_size": 64}
    assert parse_value("None") is None and parse_value("False") is False


def test_unknown_parameter_is_refused_with_the_valid_names(tmp_path):
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['epoch'\].*train_size"):
        run_chapter("01", {"epoch": 3}, output_dir=tmp_path)
    assert not list(tmp_path.glob("*.ipynb"))  # refused before anything ran


def test_bad_value_fails_fast_with_the_chapters_own_error(tmp_path):
    """Refused by the chapter's own check, before a kernel starts or anything is written."""
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "run-chapter", "01", "-p", "depth", "11",
         "--output-dir", str(tmp_path), "--no-html"],
        capture_output=True, text=True)
    assert result.returncode == 2
    assert "depth" in result.stderr and "6n+4" in result.stderr
    assert not list(tmp_path.iterdir())


def assert_fit_the_page(specs: list[dict]) -> None:
    """Every chart is no wider than the page column (tests/test_site.py checks it in Chromium)."""
    widths = [chart_size(spec)[0] for spec in specs]
    assert all(w <= PAGE_WIDTH for w in widths), widths


@pytest.mark.slow
def test_chapter_01_executes_with_tiny_parameters(tmp_path):
    executed = run_chapter("01", TINY_01, output_dir=tmp_path)
    notebook = nbformat.read(executed, as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "epochs = 2" in injected[0].source
    errors = [o for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    html = executed.with_suffix(".html").read_text()
    assert html.count('class="vega-chart"') == 3  # two learning-curve charts, one bar chart
    assert_fit_the_page([o["data"]["application/vnd.vegalite.v6+json"] for c in notebook.cells
                         if c.cell_type == "code" for o in c.get("outputs", [])
                         if "application/vnd.vegalite.v6+json" in o.get("data", {})])
    assert (tmp_path / "vega-bundle.js").stat().st_size > 100_000


TINY_03 = {"epochs": 2, "train_size": 40, "directions": [0, 1], "step_sizes": [0.5, 1.0],
           "retrain_epochs": 3, "phate_knn": 5, "phate_knns": [3, 5], "tsne_perplexity": 3.0,
           "umap_neighbors": 4, "tree_n_dim": 10, "tree_n_branch": 3,
           "tree_branch_length": 8, "demap_knn": 5, "continuity_k": 2}


@pytest.mark.slow
def test_chapter_03_executes_with_tiny_parameters(tmp_path):
    executed = run_chapter("03", TINY_03, output_dir=tmp_path)
    notebook = nbformat.read(executed, as_version=4)
    errors = [o for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    specs = [o["data"]["application/vnd.vegalite.v6+json"] for c in notebook.cells
             if c.cell_type == "code" for o in c.get("outputs", [])
             if "application/vnd.vegalite.v6+json" in o.get("data", {})]
    # J&R grid, linked view, tree grid: eight panels each (5 methods, 2 metrics for 3).
    assert [len(spec["concat"]) for spec in specs] == [8, 8, 8]
    assert_fit_the_page(specs)
    assert [p["select"]["on"] for p in specs[1]["params"]] == ["pointerover"]
    (jr_data,) = (d for d in specs[0]["datasets"].values())
    assert len(jr_data) == 8 * (1 + 2 * 2 * 4)  # optimum + 2 directions × 2 steps × 4 epochs
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for c in notebook.cells
                       if c.cell_type == "code" for o in c.get("outputs", [])])
    assert "pairwise comparisons agree" in text and "Continuity, best first" in text
    html = executed.with_suffix(".html").read_text()
    assert html.count('class="vega-chart"') == 3


TINY_04 = {"train_epochs": 3, "directions": [0, 1], "retrain_epochs": 2, "knn": 5,
           "phate_knn": 5, "executor": "local", "n_permutations": 99, "n_bootstrap": 50,
           "zoo_settings": {"train": {"epochs": 2, "train_size": 40, "batch_size": 20},
                            "grid": {"weight_decay": [0.0, 0.005], "augment": [False, True],
                                     "seed": [0, 1]},
                            "seeds": [0, 1], "step_sizes": [0.5, 1.0], "epochs": 2, "knn": 4,
                            "phate_knn": 4}}


@pytest.mark.slow
def test_chapter_04_executes_with_tiny_parameters(tmp_path):
    executed = run_chapter("04", TINY_04, output_dir=tmp_path, html=False)
    notebook = nbformat.read(executed, as_version=4)
    errors = [o for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    specs = [o["data"]["application/vnd.vegalite.v6+json"] for o in outputs
             if "application/vnd.vegalite.v6+json" in o.get("data", {})]
    # path diagram + tree, the optima, the zoo's weight decays, Fig. 3B's conventions,
    # the sharpness baseline, the merge tree
    assert len(specs) == 6
    assert [len(spec["concat"]) for spec in specs[1:3]] == [3, 2]
    assert len(specs[3]["data"]["values"] if "values" in specs[3].get("data", {}) else
               next(iter(specs[3]["datasets"].values()))) == 4 * 8  # 8 networks × 4 panels
    assert_fit_the_page(specs)
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in outputs],
                      ensure_ascii=False)
    assert "= **7.25**" in text  # the path's total persistence
    assert text.count("Spearman's ρ between total persistence (H0) and test loss is") == 4
    assert "given sharpness" in text and "finite points filtered by train loss" in text
    tables = json.dumps([o.get("data", {}).get("text/plain", "") for o in outputs])
    assert "retrain lr 0.001 (paper)" in tables and "TP(H0) test, max" in tables


TINY_02 = {"epochs": 2, "train_size": 40, "directions": [0, 1], "step_sizes": [0.5, 1.0],
           "retrain_epochs": 3, "phate_knn": 5}


@pytest.mark.slow
def test_chapter_02_executes_with_tiny_parameters(tmp_path):
    executed = run_chapter("02", TINY_02, output_dir=tmp_path, html=False)
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    specs = [o["data"]["application/vnd.vegalite.v6+json"] for o in outputs
             if "application/vnd.vegalite.v6+json" in o.get("data", {})]
    # toy schematic, two retraining-curve facets, PHATE of the optima, the three samplers
    assert len(specs) == 5
    assert [len(spec["concat"]) for spec in specs[3:]] == [3, 3]
    assert_fit_the_page(specs)
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in outputs])
    assert "star score" in text and "Median training loss" in text
    tables = json.dumps([o.get("data", {}).get("text/plain", "") for o in outputs])
    assert "17" in tables  # samples per optimum: 1 + 2 directions × 2 steps × 4 epochs
