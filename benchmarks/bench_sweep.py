"""How long a small feature sweep takes in this process and on a 2-worker Dask cluster.

Prints figures; asserts nothing. The sweep is Chapter 4's pipeline
(:func:`helpers.pipeline.feature_sweep`: train, jump and retrain, cosine PHATE, kNN graph,
persistence) over weight decay {0, 5e-3} × augmentation {off, on} of the workshop good
optimum, shortened: 20 training epochs and 4 directions × 2 steps × 5 retraining epochs
per network by default. Each run starts from an empty temporary cache (training and J&R
included), so the runs do the same work:

1. ``executor="local"`` with torch on 1 thread;
2. ``executor="local"`` with torch on as many threads as there are cores;
3. ``executor="dask"``: a :class:`dask.distributed.LocalCluster` of ``--workers``
   single-threaded processes (startup included).

All three give the same numbers; the script says whether they did. On a machine whose
cores are shared with other work, timings are noisy: the load average is printed.

Usage::

    python benchmarks/bench_sweep.py
    python benchmarks/bench_sweep.py --train-epochs 50 --retrain-epochs 10 --workers 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from helpers import pipeline, presets  # noqa: E402
from helpers.cache import ArtifactCache  # noqa: E402


def tasks(train_epochs: int, retrain_epochs: int) -> list[pipeline.FeatureTask]:
    base = presets.optimum_config("good", epochs=train_epochs)
    return pipeline.grid_tasks(base, {"weight_decay": (0.0, 5e-3), "augment": (False, True)},
                               seeds=(0, 1, 2, 3), step_sizes=(0.5, 1.0),
                               epochs=retrain_epochs, retrain={"lr": 0.1}, knn=20)


def run(label: str, sweep_tasks, executor: str, workers: int | None, threads: int):
    with tempfile.TemporaryDirectory() as folder:
        os.environ["LOSS_LANDSCAPE_CACHE"] = folder  # workers inherit it when spawned
        torch.set_num_threads(threads)
        load = os.getloadavg()[0]
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sweep = pipeline.feature_sweep(sweep_tasks, executor=executor, n_workers=workers,
                                           cache=ArtifactCache(folder), progress=False)
        seconds = time.perf_counter() - began
    print(f"{label:<44}{seconds:8.1f} s   (load average before {load:.1f}; "
          f"sum of task times {sweep.table['seconds'].sum():.1f} s; "
          f"{len(sweep.failures)} failed)")
    return sweep.table["total_persistence_h0"].to_numpy(), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-epochs", type=int, default=20)
    parser.add_argument("--retrain-epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    sweep_tasks = tasks(args.train_epochs, args.retrain_epochs)
    cores = os.cpu_count() or 1
    print(f"{len(sweep_tasks)} networks, {args.train_epochs} training epochs, "
          f"{sweep_tasks[0].n_samples} samples each; {cores} cores")
    local1, t1 = run("in-process, torch on 1 thread", sweep_tasks, "local", None, 1)
    local_n, tn = run(f"in-process, torch on {cores} threads", sweep_tasks, "local", None,
                      cores)
    dask, td = run(f"Dask LocalCluster, {args.workers} workers x 1 thread", sweep_tasks,
                   "dask", args.workers, 1)
    print(f"speed-up of Dask over in-process (1 thread): {t1 / td:.2f}x; "
          f"over in-process ({cores} threads): {tn / td:.2f}x")
    print("same total persistence everywhere: "
          f"{np.array_equal(local1, dask) and np.array_equal(local1, local_n)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
