"""Chapter 7 executed end to end with tiny parameters, and refusing a bad one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from helpers.chapters import run_chapter

TINY_07 = {"depth": 8, "train_epochs": 3, "seeds": [0], "resolution": 5,
           "eval_samples": 32, "hessian_samples": 32, "eigen_iter": 10, "trace_probes": 3,
           "density_probes": 2, "density_steps": 5, "optima": ["good"]}


def outputs_of(path) -> list[dict]:
    notebook = nbformat.read(path, as_version=4)
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.slow
def test_chapter_07_executes_with_tiny_parameters(tmp_path):
    executed = run_chapter("07", TINY_07, output_dir=tmp_path, html=False)
    outputs = outputs_of(executed)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    specs = [o["data"]["application/vnd.vegalite.v6+json"] for o in outputs
             if "application/vnd.vegalite.v6+json" in o.get("data", {})]
    # surfaces, slices, surface trees, J&R trees, estimates, density, comparison, optima
    assert len(specs) == 8
    assert len(specs[0]["vconcat"]) == 2 and len(specs[0]["vconcat"][0]["hconcat"]) == 2
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in outputs])
    assert "every deterministic estimate **agrees** with the dense Hessian" in text
    assert "002's finding" in text and "far smaller than the paper" in text
    assert "The J&R graph" in text and "The largest top eigenvalue is the" in text
    tables = json.dumps([o.get("data", {}).get("text/plain", "") for o in outputs])
    assert "n_saddles_random" in tables and "J&R samples (kNN graph" in tables


@pytest.mark.slow
def test_bad_parameter_fails_fast_naming_it(tmp_path):
    cache = tmp_path / "cache"
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "run-chapter", "07", "-p", "resolution", "20",
         "--output-dir", str(tmp_path), "--no-html"],
        capture_output=True, text=True, env={**os.environ, "LOSS_LANDSCAPE_CACHE": str(cache)})
    assert result.returncode == 2  # refused by the chapter's own check, before a kernel starts
    assert "resolution must be an odd" in result.stderr
    assert not cache.exists() or not any(cache.iterdir())  # nothing trained or stored
    assert not list(tmp_path.glob("*.ipynb"))
