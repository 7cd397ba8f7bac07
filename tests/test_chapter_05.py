"""Chapter 5 executed end to end with tiny parameters: a zoo of 12 networks, 8 points per
sampler, four classifiers and 9 permutations."""

from __future__ import annotations

import json

import nbformat
import pytest

from helpers.chapters import run_chapter
from helpers.render import PAGE_WIDTH, chart_size

TINY_05 = {"zoo_settings": {"train": {"epochs": 2, "train_size": 40, "batch_size": 20},
                            "grid": {"weight_decay": [0.0, 0.005], "augment": [False, True],
                                     "seed": [0, 1, 2]},
                            "seeds": [0, 1], "step_sizes": [0.5, 1.0], "epochs": 2, "knn": 4,
                            "phate_knn": 4},
           "executor": "local", "classifiers": ["knn", "lda", "decision_tree", "gaussian_nb"],
           "permutations": 9, "jobs": 1}


@pytest.mark.slow
def test_chapter_05_executes_with_tiny_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(tmp_path / "cache"))
    executed = run_chapter("05", TINY_05, output_dir=tmp_path, html=False)
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    specs = [o["data"]["application/vnd.vegalite.v6+json"] for o in outputs
             if "application/vnd.vegalite.v6+json" in o.get("data", {})]
    assert len(specs) == 2  # the table, the heatmaps
    assert all(0 < chart_size(spec)[0] <= PAGE_WIDTH for spec in specs)
    table_rows = next(iter(specs[0]["datasets"].values()))
    assert len(table_rows) == 3 * 8  # tasks × feature sets
    assert {"fold_std", "fold_range", "p_value", "paper"} <= set(table_rows[0])
    assert len(specs[1]["vconcat"]) == 3
    heatmap_rows = [row for rows in specs[1]["datasets"].values() for row in rows]
    assert len(heatmap_rows) == 3 * 8 * 4  # tasks × feature sets × classifiers
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in outputs],
                      ensure_ascii=False)
    for phrase in ("All 12 networks of the zoo are classified", "Permutation tests (9 ",
                   "J&R against grid, paired by classifier", "J&R against naive",
                   "the paper's ordering J&R > naive ≈ grid > randomized J&R",
                   "Topology alone reaches", "Sharpness alone reaches",
                   "This run classifies 12 networks with 8 points per sampler"):
        assert phrase in text, phrase
    plain = json.dumps([o.get("data", {}).get("text/plain", "") for o in outputs],
                       ensure_ascii=False)
    assert "72.1 ± 5.4" in plain and "permutation p" in plain  # beside the paper's Table 1
    assert "J&R + topology" in plain and "randomized J&R" in plain
    glued = {o["metadata"]["scrapbook"]["name"]: float(
                 o["data"]["application/papermill.record/text/plain"])
             for o in outputs if "scrapbook" in o.get("metadata", {})}
    assert set(glued) == {"ch05_seconds", "ch05_zoo_seconds", "ch05_table_seconds",
                          "ch05_compute_seconds", "ch05_cores"}
    assert glued["ch05_seconds"] > glued["ch05_zoo_seconds"] + glued["ch05_table_seconds"] > 0
    assert glued["ch05_compute_seconds"] > 0  # the zoo was computed in this run
    assert (tmp_path / "cache" / "sweep-zoo_network").is_dir()
