"""How long the topology of Chapter 4 takes: merge trees and H0 at scale, H0+H1 on its graphs.

Prints figures; asserts nothing. Three parts:

1. A random graph of 50,000 vertices: the kNN graph (k = 20) of Gaussian points in 8
   dimensions, with a random value on each vertex (rounded to float32, so that Ripser's
   float32 arithmetic changes nothing). Timed: :func:`helpers.graphs.knn_graph`,
   :func:`helpers.topology.merge_tree` (target ≤ 1 s), and beside it Ripser's H0 of the
   same lower-star filtration (:func:`helpers.topology.lower_star_persistence` with
   ``maxdim=0``). Also says whether the two H0 diagrams agree.
2. H0 + H1 (Ripser, ``maxdim=1``) and the merge tree on graphs of the size of the
   paper's (657 samples, k = 20) and of this book's defaults (89 samples), built from
   a synthetic jump-and-retrain-like point cloud.
3. The same on the chapter's own graphs: :func:`helpers.pipeline.compute_features` for
   the workshop optima at Chapter 4's defaults, read from the artifact cache
   (``$LOSS_LANDSCAPE_CACHE`` or ``data/cache``); networks not yet there are trained
   first (untimed), unless ``--skip-chapter``.

Usage::

    python benchmarks/bench_topology.py
    python benchmarks/bench_topology.py --vertices 20000 --repeats 5 --skip-chapter
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.distances import potential_distances
from helpers.graphs import connected_components, knn_graph
from helpers.topology import lower_star_persistence, merge_tree


def timed(function, repeats: int):
    """(result of the last call, list of seconds)."""
    seconds = []
    result = None
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - began)
    return result, seconds


def summary(seconds: list[float]) -> str:
    return f"min {min(seconds):7.3f} s  median {statistics.median(seconds):7.3f} s"


def finite(diagram: np.ndarray) -> np.ndarray:
    return diagram[np.isfinite(diagram[:, 1])]


def random_graph_part(n: int, k: int, repeats: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.standard_normal((n, 8))
    values = rng.random(n).astype(np.float32).astype(np.float64)
    print(f"\n== random graph: {n:,} vertices, kNN of Gaussian points in 8-D, k = {k}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        graph, seconds = timed(lambda: knn_graph(points, k=k), 1)
    print(f"knn_graph:                      {summary(seconds)}  "
          f"({graph.nnz // 2:,} edges, {connected_components(graph)} component(s))")
    tree, seconds = timed(lambda: merge_tree(graph, values), repeats)
    print(f"merge_tree (H0, exact):         {summary(seconds)}  "
          f"({tree.minima.size:,} minima, {tree.n_saddles:,} saddles)")
    split, seconds = timed(lambda: merge_tree(graph, values, kind="split"), repeats)
    print(f"merge_tree (split tree):        {summary(seconds)}")
    (h0,), seconds = timed(lambda: lower_star_persistence(graph, values, maxdim=0), repeats)
    print(f"ripser H0 (lower_star, maxdim=0): {summary(seconds)}  ({len(h0):,} points)")
    same = np.array_equal(finite(tree.pairs), finite(h0)) and \
        np.count_nonzero(np.isinf(tree.pairs[:, 1])) == np.count_nonzero(np.isinf(h0[:, 1]))
    print(f"merge tree H0 == ripser H0: {same}")


def jr_like_points(n_paths: int, length: int, dims: int, rng: np.random.Generator) -> np.ndarray:
    """An optimum and ``n_paths`` paths that jump away and decay back, with noise."""
    rows = [np.zeros((1, dims))]
    decay = np.exp(-np.arange(length) / 3.0)[:, None]
    for _ in range(n_paths):
        jump = rng.standard_normal(dims)
        end = 0.2 * rng.standard_normal(dims)
        rows.append(end + (jump - end) * decay + 0.02 * rng.standard_normal((length, dims)))
    return np.concatenate(rows)


def graph_part(label: str, graph, values, repeats: int) -> None:
    (h0, h1), seconds = timed(lambda: lower_star_persistence(graph, values, maxdim=1), repeats)
    _, tree_seconds = timed(lambda: merge_tree(graph, values), repeats)
    print(f"{label:<34}{graph.shape[0]:>6}{graph.nnz // 2:>8}  ripser H0+H1 "
          f"{statistics.median(seconds) * 1000:8.1f} ms  merge tree "
          f"{statistics.median(tree_seconds) * 1000:7.1f} ms  ({len(h0)} H0, {len(h1)} H1 points)")


def synthetic_part(repeats: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    print("\n== H0 + H1 on graphs of the sizes of Chapter 4 (synthetic J&R-like samples, k = 20)")
    print(f"{'graph':<34}{'n':>6}{'edges':>8}")
    for label, paths, length in (("paper: 16 paths x 41 epochs", 16, 41),
                                 ("workshop: 8 paths x 11 epochs", 8, 11)):
        points = jr_like_points(paths, length, 30, rng)
        distances = potential_distances(points)
        values = np.linalg.norm(points, axis=1) ** 2 + 0.01 * rng.random(len(points))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            graph = knn_graph(distances=distances, k=20)
        graph_part(label, graph, values, repeats)


def chapter_part(repeats: int) -> None:
    import torch

    from helpers import config, pipeline, presets

    torch.set_num_threads(1)
    settings = presets.feature_settings("workshop")
    training = config.overrides(epochs=settings["train_epochs"])
    print("\n== H0 + H1 on Chapter 4's graphs (workshop defaults; cached networks and samples)")
    print(f"{'graph':<34}{'n':>6}{'edges':>8}")
    for kind in ("good", "bad", "memorization"):
        task = pipeline.FeatureTask(presets.optimum_config(kind, **training), **settings["task"])
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            found = pipeline.compute_features(task, progress=False)
        prepared = time.perf_counter() - began
        graph_part(f"{kind} optimum ({prepared:.0f} s to prepare)", found.graph, found.values,
                   repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-chapter", action="store_true",
                        help="leave out part 3 (which may have to train networks)")
    args = parser.parse_args(argv)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    random_graph_part(args.vertices, args.k, args.repeats, args.seed)
    synthetic_part(args.repeats, args.seed)
    if not args.skip_chapter:
        chapter_part(args.repeats)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
