"""Chapter 6 executed end to end with tiny parameters, and refusing a bad one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from helpers.chapters import run_chapter

TINY_06 = {"epochs": 3, "train_size": 40, "seeds": [0, 1], "k": 5, "resolution": 8,
           "skip_depth": 8, "skip_epochs": 2}


def outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.slow
def test_chapter_06_executes_with_tiny_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(tmp_path / "cache"))
    executed = run_chapter("06", TINY_06, output_dir=tmp_path, html=False)
    found = outputs(nbformat.read(executed, as_version=4))
    assert not [o for o in found if o.get("output_type") == "error"]
    specs = [o["data"]["application/vnd.vegalite.v6+json"] for o in found
             if "application/vnd.vegalite.v6+json" in o.get("data", {})]
    # learning curves, degrees, total persistence, 4 heatmaps, Wasserstein, controls, skips
    assert len(specs) == 10
    assert [len(specs[i]["concat"]) for i in (0, 2, 7, 8, 9)] == [4, 4, 4, 12, 4]
    heatmap_columns = {d["epoch"] for d in next(iter(specs[3]["datasets"].values()))}
    assert heatmap_columns == {"1", "2", "3"}
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in found])
    for phrase in ("The large rate (0.1) ends", "On mean test accuracy", "Total persistence falls",
                   "At the last epoch", "towards the origin", "Wasserstein distance to the last",
                   "Shuffled over the vertices", "Replaced by their ranks",
                   "Without skip connections"):
        assert phrase in text, phrase
    tables = json.dumps([o.get("data", {}).get("text/plain", "") for o in found])
    assert "thesis (Meena 2024)" in tables and "median degree" in tables
    assert (tmp_path / "cache" / "lr-topology").is_dir()


@pytest.mark.slow
def test_chapter_06_refuses_a_bad_parameter_before_training(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "run-chapter", "06", "-p", "k", "0",
         "--output-dir", str(tmp_path), "--no-html"],
        capture_output=True, text=True,
        env={**os.environ, "LOSS_LANDSCAPE_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 2  # refused by the chapter's own check, before a kernel starts
    assert "k must be an integer >= 1" in result.stderr
    assert not (tmp_path / "cache" / "train").exists()  # nothing was trained
    assert not list(tmp_path.glob("*.ipynb"))  # nothing was executed
