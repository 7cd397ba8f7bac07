"""Cost of jump-and-retrain sampling, and points per second of grid sampling.

Prints figures; asserts nothing. Around the workshop preset's good optimum
(``helpers.presets.optimum_config("good", "workshop", seed=0)``: WRN-10-1 on 300 digits,
batch 64, augmentation), trained first, untimed, into an empty temporary cache:

1. Seconds for :func:`helpers.sampling.jump_and_retrain` at its defaults (4 seeds × 4
   step sizes × 20 epochs, parameters recorded), from an empty cache each time.
2. That cost divided by the cost of the same number of plain training epochs of the
   same configuration (the retraining configuration, from the same jump points), with
   each (seed, step) retrain timed alone and interleaved with its plain counterparts so
   that a busy spell of the machine hits all alike; two ways: against bare optimizer
   epochs (the training loop alone: J&R's overhead is then
   the evaluation of train and test set after every epoch, the flattening of the
   parameters, directions and cache I/O) and against :func:`helpers.train.fit` without
   recorded parameters (the project's plain training, which evaluates every epoch too:
   the overhead is then only J&R's own). Target: ≤ 1.15.
3. Grid-sampling points per second: :func:`helpers.sampling.grid_sample` with
   ``evaluation="loop"`` and ``"vmap"`` (batched) against a per-point loop that loads
   each point into the model and evaluates it (:func:`helpers.train.evaluate`), each
   point on train and test set; then :func:`bench_evaluate.evaluation_rates` on the
   trained model (loop against vmap at several points per batch). Target: batched ≥ 3×
   looped.

Timings on a shared machine are noisy: the load average is printed with them, and
``--repeats`` repeats the J&R comparison and the grid rates (interleaved; medians).
With two cores shared with other processes, ``--threads 1`` avoids torch threads
waiting on each other (10–30× slowdowns were seen with two).

Usage::

    python benchmarks/bench_sampling.py --threads 1
    python benchmarks/bench_sampling.py --seeds 0 1 --epochs 5 --grid-points 64 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_evaluate  # noqa: E402

import helpers.data  # noqa: E402
import helpers.directions  # noqa: E402
from helpers.cache import ArtifactCache  # noqa: E402
from helpers.flat_parameters import flatten_parameters, load_flat_parameters  # noqa: E402
from helpers.presets import optimum_config  # noqa: E402
from helpers.sampling import grid_sample, grid_shape, jump_and_retrain, retrain_config  # noqa: E402
from helpers.train import (  # noqa: E402
    _train_one_epoch,
    evaluate,
    fit,
    learning_rate,
    load_training_data,
    make_optimizer,
    train,
)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def jump_point(optimum, dataset, seed: int, step: float) -> torch.nn.Module:
    model = optimum.model(dataset)
    direction = helpers.directions.random_direction(model, seed)
    return load_flat_parameters(model, flatten_parameters(model) + np.float32(step) * direction)


def bare_epochs(optimum, dataset, seed: int, step: float, epochs: int) -> float:
    """The training loop of fit alone: no evaluation, no recording."""
    config = retrain_config(optimum, seed, epochs)
    model = jump_point(optimum, dataset, seed, step)
    started = time.perf_counter()
    optimizer = make_optimizer(config, model.parameters())
    generator = torch.Generator().manual_seed(config.seed)

    def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return helpers.data.augment(x, config.dataset, generator)

    for epoch in range(1, epochs + 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, epoch)
        model.train()
        _train_one_epoch(model, optimizer, dataset.train_x, dataset.train_y, config.batch_size,
                         None, augment if config.augment else None, generator,
                         torch.device(config.device))
    return time.perf_counter() - started


def fit_epochs(optimum, dataset, seed: int, step: float, epochs: int) -> float:
    """fit as train() uses it: evaluation after every epoch, no parameters recorded."""
    model = jump_point(optimum, dataset, seed, step)
    started = time.perf_counter()
    fit(model, dataset, retrain_config(optimum, seed, epochs), progress=False)
    return time.perf_counter() - started


def one_retrain(optimum, seed: int, step: float, epochs: int, cache: ArtifactCache) -> float:
    """jump_and_retrain for a single (seed, step), parameters recorded, empty cache."""
    started = time.perf_counter()
    jump_and_retrain(optimum, [seed], [step], epochs, progress=False, cache=cache)
    return time.perf_counter() - started


def jump_and_retrain_cost(optimum, dataset, args, root: Path) -> None:
    runs = [(seed, step) for seed in args.seeds for step in args.step_sizes]
    n_epochs = len(runs) * args.epochs
    print(f"1. jump_and_retrain: {len(args.seeds)} seeds × {len(args.step_sizes)} steps × "
          f"{args.epochs} epochs = {n_epochs} retraining epochs, "
          f"{len(runs) * (args.epochs + 1) + 1} rows, empty cache")
    whole, inside = [], []
    for repeat in range(args.repeats):
        started = time.perf_counter()
        samples = jump_and_retrain(optimum, args.seeds, args.step_sizes, args.epochs,
                                   progress=False, cache=ArtifactCache(root / f"jr-{repeat}"))
        whole.append(time.perf_counter() - started)
        inside.append(samples.seconds)  # the retrains' own fit time
        del samples
        print(f"   {whole[-1]:.1f} s, of which {whole[-1] - inside[-1]:.1f} s outside fit "
              f"(directions, cache, parameter matrix); {load()}", flush=True)
    print(f"   median {statistics.median(whole):.1f} s "
          f"({statistics.median(whole) / n_epochs * 1e3:.0f} ms per retraining epoch)\n")

    print("2. the same retrains, one (seed, step) at a time, interleaved with the same "
          "epochs of plain training (order rotated):")
    totals = {"jump_and_retrain": [], "bare epochs": [], "fit": []}
    for repeat in range(args.repeats):
        sums = dict.fromkeys(totals, 0.0)
        for i, (seed, step) in enumerate(runs):
            jobs = {
                "jump_and_retrain": lambda s=seed, t=step, i=i, r=repeat: one_retrain(
                    optimum, s, t, args.epochs, ArtifactCache(root / f"one-{r}-{i}")),
                "bare epochs": lambda s=seed, t=step: bare_epochs(optimum, dataset, s, t,
                                                                  args.epochs),
                "fit": lambda s=seed, t=step: fit_epochs(optimum, dataset, s, t, args.epochs),
            }
            names = list(jobs)
            for name in names[i % 3:] + names[:i % 3]:
                sums[name] += jobs[name]()
        for name, value in sums.items():
            totals[name].append(value)
        print(f"   repeat {repeat + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in sums.items())
              + f"; {load()}", flush=True)
    jr, bare, plain = (statistics.median(totals[k]) for k in totals)
    print(f"   J&R / bare training epochs: {jr / bare:.2f}   ({bare / n_epochs * 1e3:.0f} ms "
          f"per bare epoch: the training loop only)")
    print(f"   J&R / fit training epochs:  {jr / plain:.2f}   ({plain / n_epochs * 1e3:.0f} ms "
          f"per fit epoch: fit evaluates train and test set after each)")
    print("   target ≤ 1.15\n")


def looped_points(optimum, dataset, directions: np.ndarray,
                  coefficients: np.ndarray) -> float:
    """The straightforward way: load each point into the model, evaluate it."""
    model = optimum.model(dataset)
    base = flatten_parameters(model)
    started = time.perf_counter()
    for row in coefficients:
        load_flat_parameters(model, base + row.astype(np.float32) @ directions)
        evaluate(model, dataset.train_x, dataset.train_y)
        evaluate(model, dataset.test_x, dataset.test_y)
    return time.perf_counter() - started


def grid_rates(optimum, dataset, args, root: Path) -> None:
    m = args.grid_points
    print(f"3. grid sampling, {m} points (each on {len(dataset.train_x)} train + "
          f"{len(dataset.test_x)} test images), points per second:")
    model = optimum.model(dataset)
    directions = helpers.directions.random_directions(model, [0, 1, 2])
    axes = [np.linspace(-1, 1, n) for n in grid_shape(m)]  # the grid grid_sample evaluates
    coefficients = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    rates: dict[str, list[float]] = {}
    for repeat in range(args.repeats):
        for name in ("per-point loop", "grid_sample loop", "grid_sample vmap"):
            if name == "per-point loop":
                seconds = looped_points(optimum, dataset, directions, coefficients)
            else:
                method = name.split()[-1]
                cache = ArtifactCache(root / f"grid-{method}-{repeat}")
                started = time.perf_counter()
                grid_sample(optimum, m, evaluation=method, points_per_batch=args.per_batch,
                            cache=cache)
                seconds = time.perf_counter() - started
            rates.setdefault(name, []).append(m / seconds)
    loop = statistics.median(rates["per-point loop"])
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"   {name:<18} {median:7.1f} pts/s (best {max(values):.1f})   "
              f"{median / loop:.2f}× the per-point loop")
    print(f"   target: batched ≥ 3× looped; {load()}\n")
    print(f"   bench_evaluate.evaluation_rates on this optimum's model ({args.rate_points} "
          f"points, random inputs):")
    configs = [("loop", 16, 300), ("vmap", 4, 300), ("vmap", 16, 300), ("vmap", 16, 19)]
    bench_evaluate.evaluation_rates(model.eval(), [args.rate_points], configs, args.repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--step-sizes", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--epochs", type=int, default=20, help="retraining epochs")
    parser.add_argument("--grid-points", type=int, default=336,
                        help="grid points (the J&R default's number of points)")
    parser.add_argument("--per-batch", type=int, default=16, help="points per vmap batch")
    parser.add_argument("--rate-points", type=int, default=64,
                        help="points for bench_evaluate.evaluation_rates")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--skip", choices=("jr", "grid"), nargs="*", default=[])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    config = optimum_config("good", "workshop", seed=0)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, {load()}")
    with tempfile.TemporaryDirectory(prefix="bench-sampling-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        optimum = train(config, progress=False, cache=ArtifactCache(root / "train"))
        final = optimum.final
        print(f"optimum: {config.label}, {config.epochs} epochs, trained in "
              f"{time.perf_counter() - started:.0f} s (untimed): train accuracy "
              f"{final['train_accuracy']:.3f}, test accuracy {final['test_accuracy']:.3f}\n")
        dataset = load_training_data(config)
        if "jr" not in args.skip:
            jump_and_retrain_cost(optimum, dataset, args, root)
        if "grid" not in args.skip:
            grid_rates(optimum, dataset, args, root)


if __name__ == "__main__":
    main()
