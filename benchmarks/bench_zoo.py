"""What the workshop zoo costs: per network, cold, and read back warm.

Prints figures; asserts nothing. Runs :func:`helpers.zoo.zoo_network` on a subset of
the zoo's networks (``--networks``, spread over the grid so that every model size and
batch size appears) from an empty temporary cache, with torch on one thread, and prints
per network the split between training, jump and retrain, grid + naive evaluation and
features (PHATE, graph, persistence), then extrapolates the whole zoo's cold time on
``--cores`` cores (networks are independent: one per core), from the wall time and
from the process's CPU time (on shared cores, an estimate of the uncontended time).
It then reads the computed networks back twice through :func:`helpers.sweep.run_sweep`
(what a second chapter does) and extrapolates the warm read of the whole zoo.
``--networks 0`` runs the whole zoo.

The machine's load average is printed: on shared cores the times are inflated.

Usage::

    python benchmarks/bench_zoo.py
    python benchmarks/bench_zoo.py --networks 8 --train-epochs 20 --retrain-epochs 6
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

from helpers import zoo  # noqa: E402
from helpers.cache import ArtifactCache, code_version  # noqa: E402
from helpers.sweep import run_sweep  # noqa: E402

STAGES = ("seconds_training", "seconds_jump_retrain", "seconds_grid_naive", "seconds_features")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="workshop")
    parser.add_argument("--networks", type=int, default=4,
                        help="networks to run (spread over the grid); 0 = all")
    parser.add_argument("--train-epochs", type=int, default=None)
    parser.add_argument("--retrain-epochs", type=int, default=None,
                        help="J&R samples per retrain (and so grid and naive points)")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = {} if args.train_epochs is None else {"epochs": args.train_epochs}
    definition = zoo.zoo(args.preset, train=train or None, epochs=args.retrain_epochs)
    chosen = (range(definition.n_networks) if args.networks <= 0 else
              np.linspace(0, definition.n_networks - 1, args.networks).round().astype(int))
    tasks = [definition.tasks()[i] for i in chosen]
    print(f"zoo {args.preset!r}: {definition.n_networks} networks, {definition.n_points} "
          f"points per sampler; running {len(tasks)}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["LOSS_LANDSCAPE_CACHE"] = folder
        cache = ArtifactCache(folder)
        rows = []
        for index, task in zip(chosen, tasks, strict=True):
            began, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                meta = run_sweep([task], zoo.zoo_network, cache=cache, progress=False
                                 ).results[0].meta
            total = time.perf_counter() - began
            cpu = time.process_time() - cpu
            c = task.features.config
            rows.append([meta[s] for s in STAGES] + [total, cpu])
            print(f"  #{index:3d} WRN-{c.depth}-{c.widen_factor} batch {c.batch_size:4d} "
                  f"wd {c.weight_decay:g} aug {int(c.augment)} seed {c.seed}: "
                  + " ".join(f"{s.removeprefix('seconds_')} {v:5.1f}" for s, v in
                             zip(STAGES, rows[-1], strict=False))
                  + f" | total {total:5.1f} s (CPU {cpu:5.1f} s); test loss "
                    f"{meta['test_loss']:.3f}; finite H0 train/test filtration "
                    f"{meta['n_h0_finite_train']}/{meta['n_h0_finite_test']}")
        mean = np.mean(rows, axis=0)
        print("mean per network: " + ", ".join(
            f"{s.removeprefix('seconds_')} {v:.1f} s" for s, v in zip(STAGES, mean, strict=False))
            + f"; total {mean[-2]:.1f} s wall, {mean[-1]:.1f} s CPU")
        for label, seconds in (("wall", mean[-2]), ("CPU", mean[-1])):
            minutes = seconds * definition.n_networks / args.cores / 60
            print(f"extrapolated cold zoo from {label} time ({definition.n_networks} networks, "
                  f"{args.cores} cores): {minutes:.1f} min")

        # Read back what was computed, twice, as two chapters would: nothing recomputed.
        fixed = time.perf_counter()
        code_version(zoo)  # part of every read: hashes the computing code once per sweep
        fixed = time.perf_counter() - fixed
        first = time.perf_counter()
        sweep_result = run_sweep(tasks, zoo.zoo_network, cache=cache, progress=False)
        fixed = time.perf_counter()
        code_version(zoo)  # part of every read: hashes the computing code once per sweep
        fixed = time.perf_counter() - fixed
        first = time.perf_counter() - first
        second = time.perf_counter()
        again = run_sweep(tasks, zoo.zoo_network, cache=cache, progress=False)
        second = time.perf_counter() - second
        print(f"sweep over the computed networks: {first:.2f} s (status "
              f"{sweep_result.table['status'].value_counts().to_dict()}); a second read "
              f"{second:.2f} s (status {again.table['status'].value_counts().to_dict()}); "
              f"of which {fixed:.2f} s hash the code once; extrapolated warm read of the "
              f"zoo: {fixed + (second - fixed) * definition.n_networks / len(tasks):.1f} s")


if __name__ == "__main__":
    main()
