"""How long the topology of Chapter 6 takes, per epoch, and what the paper preset would cost.

Prints figures; asserts nothing. Runs with one torch/BLAS thread and reports CPU time
(on a shared machine wall time also counts waiting for a core). Three parts:

1. **Workshop, per epoch**: on the chapter's own graphs (k = 20 on the 600 training and
   600 test digits) and the per-sample losses of its first run (trained first, untimed,
   if not in the artifact cache; ``--skip-workshop`` leaves this part out), the cost of
   one epoch of :func:`helpers.loss_fields.epoch_topology` per tree and set: merge tree and
   total persistence, and the Wasserstein distance to the last epoch's diagram.
2. **Paper preset, merge trees**: a synthetic graph of 50,000 vertices, the kNN graph
   (k = 20) of Gaussian points in 8 dimensions (the cost of a merge tree depends on the
   graph's size, not on the dimension it was built in), with two fields: independent
   random values (the most critical points) and a smooth field plus noise (a
   loss-like one). Timed: join and split trees. Extrapolated: 200 epochs × 4 trees
   (join/split × train/test) × 2 rates, against the budget of 10 minutes, both with
   every graph at 50,000 vertices (the issue's bound) and with the real test set of
   10,000 images.
3. **Paper preset, the rest**: the Wasserstein distance between two diagrams of the
   size those fields give (persim's Hungarian matching on a dense ``(m + n)²`` matrix;
   measured on growing subsets and extrapolated by the fitted power law), and the kNN
   graph of 50,000 CIFAR-10-sized images (3,072 values each; measured on 5,000 random
   images and scaled quadratically), which is built once per set.

Usage::

    python benchmarks/bench_lr.py
    python benchmarks/bench_lr.py --vertices 20000 --repeats 5 --skip-workshop
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers import loss_fields, lr_study  # noqa: E402
from helpers.graphs import knn_graph  # noqa: E402
from helpers.topology import diagram_distance, merge_tree  # noqa: E402

BUDGET_SECONDS = 600.0
EPOCHS, TREES, RATES = 200, 4, 2


def timed(function, repeats: int) -> tuple[object, float]:
    """(result of the last call, median seconds of CPU time).

    CPU time of this (single-threaded) process: on a machine shared with other work,
    wall time also counts the waits for a core, which say nothing about the code.
    """
    seconds, result = [], None
    for _ in range(repeats):
        began = time.process_time()
        result = function()
        seconds.append(time.process_time() - began)
    return result, statistics.median(seconds)


def workshop_part(repeats: int) -> None:
    import torch

    from helpers import train

    torch.set_num_threads(1)
    settings = lr_study.study_settings()
    config = next(iter(settings.configs().values()))
    run = train.train(config, record_sample_losses=True, progress=False)
    dataset = train.load_training_data(config)
    losses = {"train": run.train_sample_losses, "test": run.test_sample_losses}
    epochs = losses["train"].shape[0]
    print(f"\n== workshop: {config.label}, {epochs} recorded epochs (0..{epochs - 1}), "
          f"k = {settings.k}")
    total_trees = total_distances = 0.0
    for which in ("train", "test"):
        graph = loss_fields.input_graph(dataset, which, settings.k)
        for kind in ("join", "split"):
            fields = losses[which]
            _, trees = timed(lambda g=graph, f=fields, t=kind: loss_fields.epoch_topology(
                g, f, t, distances=False), repeats)
            topo, both = timed(lambda g=graph, f=fields, t=kind: loss_fields.epoch_topology(
                g, f, t), repeats)
            sizes = [len(d) for d in topo.diagrams]
            per_tree, per_distance = trees / epochs, max(0.0, both - trees) / epochs
            total_trees += trees
            total_distances += max(0.0, both - trees)
            print(f"{kind:5s} tree, {which:5s} set ({graph.shape[0]} vertices): per epoch "
                  f"{1e3 * per_tree:6.2f} ms merge tree + total persistence, "
                  f"{1e3 * per_distance:6.2f} ms Wasserstein (diagrams of "
                  f"{min(sizes)}–{max(sizes)} points)")
    print(f"one run, four trees, every epoch: {total_trees:.2f} s trees, "
          f"{total_distances:.2f} s distances; the controls repeat the trees (no distances)")


def synthetic_fields(n: int, points: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((5, points.shape[1]))
    smooth = sum(np.exp(-0.5 * np.sum((points - c) ** 2, axis=1)) for c in centres)
    return {"random": rng.random(n),
            "smooth + noise": smooth + 0.05 * rng.standard_normal(n)}


def paper_part(n: int, k: int, repeats: int, seed: int, test_vertices: int) -> dict:
    rng = np.random.default_rng(seed)
    points = rng.standard_normal((n, 8))
    print(f"\n== paper preset: synthetic graph of {n:,} vertices, kNN (k = {k}) of Gaussian "
          "points in 8-D")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        graph, seconds = timed(lambda: knn_graph(points, k=k), 1)
    print(f"knn_graph: {seconds:.2f} s ({graph.nnz // 2:,} edges)")
    diagrams = {}
    worst = 0.0
    for name, values in synthetic_fields(n, points, seed).items():
        per_kind = {}
        for kind in ("join", "split"):
            tree, per_kind[kind] = timed(lambda v=values, t=kind: merge_tree(graph, v, t),
                                         repeats)
            diagrams[name, kind] = loss_fields.tree_diagram(graph, values, kind)
            print(f"{name:15s} {kind:5s} tree: {per_kind[kind]:.3f} s "
                  f"({len(diagrams[name, kind]):,} finite points)")
        worst = max(worst, *per_kind.values())
    everything = EPOCHS * TREES * RATES * worst
    realistic = EPOCHS * RATES * 2 * worst * (1 + test_vertices / n)
    print(f"extrapolated, {EPOCHS} epochs × {TREES} trees × {RATES} rates at the slowest "
          f"field: {everything:.0f} s with every graph at {n:,} vertices, {realistic:.0f} s "
          f"with a {test_vertices:,}-image test set (budget {BUDGET_SECONDS:.0f} s: "
          f"{'within' if everything <= BUDGET_SECONDS else 'OVER'})")
    return diagrams


def wasserstein_part(diagrams: dict, seed: int, largest: int) -> None:
    print("\n== paper preset: Wasserstein distance (persim, dense Hungarian matching)")
    rng = np.random.default_rng(seed)
    base = diagrams["smooth + noise", "join"]
    diagram_distance(base[:5], base[:5])  # imports persim (and scikit-learn): not timed
    sizes, seconds = [], []
    top = min(largest, len(base))
    for size in sorted({s for s in (250, 500, 1000, 2000) if s < top} | {top}):
        a = base[rng.choice(len(base), size, replace=False)]
        b = a + rng.normal(0, 0.01, a.shape) * [0, 1]  # a nearby diagram: deaths moved
        b[:, 1] = np.maximum(b[:, 1], b[:, 0])
        _, s = timed(lambda a=a, b=b: diagram_distance(a, b), 1)
        sizes.append(size)
        seconds.append(s)
        print(f"{size:6,} points each: {s:7.3f} s")
    if len(sizes) >= 2:
        slope, intercept = np.polyfit(np.log(sizes), np.log(seconds), 1)
        for (name, kind), diagram in diagrams.items():
            if kind != "join":
                continue
            estimate = float(np.exp(intercept) * len(diagram) ** slope)
            total = estimate * EPOCHS * TREES * RATES
            print(f"{name:15s}: {len(diagram):,} points → about {estimate:.1f} s per distance "
                  f"(time ∝ size^{slope:.1f}), {total / 3600:.1f} h for every epoch, tree and "
                  f"rate")


def knn_part(seed: int, n: int = 5000, target: int = 50_000, dimension: int = 3072) -> None:
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n, dimension)).astype(np.float32)
    _, seconds = timed(lambda: knn_graph(images, k=20), 1)
    print(f"\n== kNN graph of {n:,} random {dimension}-value images: {seconds:.1f} s → "
          f"{target:,} images about {seconds * (target / n) ** 2 / 60:.0f} min (quadratic), "
          "once per set (cached)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=50_000)
    parser.add_argument("--test-vertices", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--largest-matching", type=int, default=2000,
                        help="largest diagram size timed for the Wasserstein distance")
    parser.add_argument("--skip-workshop", action="store_true")
    parser.add_argument("--skip-knn", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; CPU seconds below")
    if not args.skip_workshop:
        workshop_part(args.repeats)
    diagrams = paper_part(args.vertices, args.k, args.repeats, args.seed, args.test_vertices)
    wasserstein_part(diagrams, args.seed, args.largest_matching)
    if not args.skip_knn:
        knn_part(args.seed)


if __name__ == "__main__":
    main()
