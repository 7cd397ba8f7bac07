"""How long each embedding takes, and what cosine PHATE costs on a full-size parameter matrix.

Prints figures; asserts nothing. Two parts:

1. every method × metric of :func:`helpers.embedding.embed` on a synthetic
   jump-and-retrain-like matrix in memory (641 × 20,000 float32 by default);
2. cosine PHATE on a 641 × 1,500,000 float32 ``numpy.memmap`` (3.8 GB, the size of a
   WRN-28-2's parameter vectors) written to a temporary file: wall time and peak memory
   (``ru_maxrss``, which also counts the memmap's pages while they are mapped, and
   tracemalloc's peak of Python/numpy allocations).

Usage::

    python benchmarks/bench_embedding.py                    # both parts, full size
    python benchmarks/bench_embedding.py --columns 200000   # a smaller memmap
    python benchmarks/bench_embedding.py --skip-memmap

The synthetic data: an optimum ``θ0`` (row 0) and 4 seeds × 4 step sizes
(0.25, 0.5, 0.75, 1.0) of 40 "retraining epochs" each, which start at
``θ0 + step · v_seed`` and decay back towards a nearby end point, with a small random
walk on top, as in the jump-and-retrain procedure of Horoi et al.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import helpers.embedding  # noqa: E402
from helpers.distances import METRICS  # noqa: E402
from helpers.embedding import LINEAR_METHODS, METHODS, embed  # noqa: E402

SEEDS, STEPS, EPOCHS = 4, (0.25, 0.5, 0.75, 1.0), 40


def jump_and_retrain_block(n_columns: int, rng: np.random.Generator) -> np.ndarray:
    """One block of columns of the synthetic matrix (rows: optimum, then trajectories)."""
    theta0 = rng.standard_normal(n_columns)
    rows = [theta0[None, :]]
    decay = np.exp(-np.arange(EPOCHS) / 3.0)[:, None]
    for _ in range(SEEDS):
        direction = rng.standard_normal(n_columns)
        for step in STEPS:
            end = theta0 + 0.2 * step * rng.standard_normal(n_columns)
            jump = theta0 + step * direction
            walk = np.cumsum(0.003 * rng.standard_normal((EPOCHS, n_columns)), axis=0)
            rows.append(end + (jump - end) * decay + walk)
    return np.concatenate(rows).astype(np.float32)


def jump_and_retrain(n_columns: int, seed: int = 0, out: np.ndarray | None = None,
                     block: int = 50_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matrix (into ``out`` if given), trajectory ids and epochs; block by block."""
    n_rows = 1 + SEEDS * len(STEPS) * EPOCHS
    if out is None:
        out = np.empty((n_rows, n_columns), dtype=np.float32)
    for index, start in enumerate(range(0, n_columns, block)):
        stop = min(start + block, n_columns)
        out[:, start:stop] = jump_and_retrain_block(stop - start,
                                                    np.random.default_rng([seed, index]))
    ids = np.r_[-1, np.repeat(np.arange(SEEDS * len(STEPS)), EPOCHS)]
    epochs = np.r_[0, np.tile(np.arange(EPOCHS), SEEDS * len(STEPS))]
    return out, ids, epochs


def peak_rss_gb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1 if platform.system() == "Darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e9


def bench_methods(columns: int, repeats: int) -> None:
    from helpers.quality import trajectory_continuity

    X, ids, epochs = jump_and_retrain(columns)
    print(f"\n== every method on a {X.shape[0]} x {X.shape[1]:,} float32 matrix "
          f"({X.nbytes / 1e6:.0f} MB), {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f} ==")
    # First calls pay for imports and numba compilation (UMAP); time them apart.
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in METHODS:
            embed(X[:, :50], method, "cosine")
    print(f"first calls on a {X.shape[0]} x 50 matrix (imports, numba compilation): "
          f"{time.perf_counter() - began:.1f} s")
    print(f"{'method':<13}{'metric':<11}{'min s':>8}{'median s':>10}{'continuity':>12}  notes")
    done = set()
    for method in METHODS:
        for metric in METRICS:
            used = "euclidean" if method in LINEAR_METHODS else metric
            if (method, used) in done:
                continue
            done.add((method, used))
            seconds = []
            for _ in range(repeats):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = embed(X, method, metric)
                seconds.append(result.seconds)
            continuity = trajectory_continuity(result.coordinates, ids, epochs)
            notes = []
            if method == "phate":
                notes.append(f"t={result.diagnostics['t']}, "
                             f"components={result.diagnostics['n_connected_components']}")
            notes += [str(w.message)[:70] for w in caught]
            print(f"{method:<13}{used:<11}{min(seconds):>8.2f}{np.median(seconds):>10.2f}"
                  f"{continuity:>12.3f}  " + "; ".join(notes))


def bench_memmap(columns: int, directory: str | None) -> None:
    n_rows = 1 + SEEDS * len(STEPS) * EPOCHS
    with tempfile.TemporaryDirectory(dir=directory) as folder:
        path = Path(folder) / "parameters.f32"
        print(f"\n== cosine PHATE on a {n_rows} x {columns:,} float32 memmap "
              f"({n_rows * columns * 4 / 1e9:.2f} GB on disk) ==")
        began = time.perf_counter()
        X = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_rows, columns))
        _, ids, epochs = jump_and_retrain(columns, out=X)
        X.flush()
        del X
        print(f"writing the memmap: {time.perf_counter() - began:.1f} s; "
              f"peak RSS so far {peak_rss_gb():.2f} GB")
        X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, columns))
        # Time the pass over X apart from PHATE by wrapping the module's Gram pass.
        gram_seconds = []
        original = helpers.distances.gram_matrices

        def timed_gram_pass(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                gram_seconds.append(time.perf_counter() - began)

        helpers.distances.gram_matrices = timed_gram_pass
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        tracemalloc.start()
        began = time.perf_counter()
        try:
            result = embed(X, "phate", "cosine")
        finally:
            helpers.distances.gram_matrices = original
        seconds = time.perf_counter() - began
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"embed(X, 'phate', 'cosine'): {seconds:.1f} s, of which the Gram pass over X "
              f"{sum(gram_seconds):.1f} s (t={result.diagnostics['t']}, "
              f"components={result.diagnostics['n_connected_components']}); load average "
              f"after: {os.getloadavg()[0]:.1f}")
        print(f"peak RSS of the process: {peak_rss_gb():.2f} GB (includes mapped pages "
              f"of the memmap); peak of numpy/Python allocations (tracemalloc) during "
              f"embed: {traced_peak / 1e9:.2f} GB")
        from helpers.quality import trajectory_continuity

        print(f"continuity (k=5): "
              f"{trajectory_continuity(result.coordinates, ids, epochs):.3f}")
        del X, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods-columns", type=int, default=20_000,
                        help="columns of the in-memory matrix (default 20,000)")
    parser.add_argument("--columns", type=int, default=1_500_000,
                        help="columns of the memmap (default 1,500,000: 3.8 GB)")
    parser.add_argument("--tmpdir", default=None, help="folder for the memmap file")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per method in part 1 (min and median reported)")
    parser.add_argument("--skip-methods", action="store_true")
    parser.add_argument("--skip-memmap", action="store_true")
    args = parser.parse_args(argv)
    # The memmap part first, so that its peak RSS is not the methods' part's.
    if not args.skip_memmap:
        bench_memmap(args.columns, args.tmpdir)
    if not args.skip_methods:
        bench_methods(args.methods_columns, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
