"""Costs of Chapter 7: loss-surface points per second, and what Hessian estimates cost.

Prints figures; asserts nothing. The work load is the chapter's: a CIFAR ResNet
(:class:`helpers.models.ResNet`, ``--depth``, with and without skips) on ``--samples``
random 1 × 8 × 8 images with 10 classes, BatchNorm statistics of some data, in
evaluation mode.

1. Surface evaluation rate (what :func:`helpers.surfaces.loss_surface` does): points per
   second of a ``--resolution``² grid, one forward pass per point (``evaluation="loop"``)
   against several points per forward pass (``"vmap"``). Configurations are interleaved and
   repeated; the best and the median rate are printed, because other processes on a
   shared machine make single timings noisy.
2. Hessian costs (:mod:`helpers.hessian`): seconds per forward pass, per gradient and per
   Hessian-vector product; then the products and seconds of the chapter's estimates —
   Lanczos top-2 eigenvalues, Hutchinson trace, stochastic Lanczos quadrature — and, for
   comparison, PyHessian's power iteration for the top eigenvalue.

Usage::

    python benchmarks/bench_surface.py
    python benchmarks/bench_surface.py --depth 8 --resolution 11 --repeats 2 --threads 1
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.directions import evaluate_along, random_directions  # noqa: E402
from helpers.flat_parameters import flatten_parameters, parameter_count  # noqa: E402
from helpers.hessian import (  # noqa: E402
    HessianOperator,
    hutchinson_trace,
    spectral_density,
    top_eigenvalues,
)
from helpers.models import ResNet  # noqa: E402
from helpers.surfaces import grid_coordinates  # noqa: E402


def build(depth: int, residual: bool) -> nn.Module:
    torch.manual_seed(0)
    model = ResNet(depth, in_channels=1, num_classes=10, residual=residual)
    model.train()
    with torch.no_grad():  # BatchNorm statistics of some data, as at a trained optimum
        for _ in range(5):
            model(torch.randn(128, 1, 8, 8))
    return model.eval()


def data(samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(samples, 1, 8, 8, generator=generator),
            torch.randint(0, 10, (samples,), generator=generator))


def surface_rates(model: nn.Module, x: torch.Tensor, y: torch.Tensor, resolution: int,
                  repeats: int) -> None:
    directions = random_directions(model, [0, 1])
    configs = [("loop", 16), ("vmap", 4), ("vmap", 16)]
    for method, per_batch in configs:  # warm-up: allocator growth, kernel selection
        _surface(model, x, y, directions, 3, method, per_batch)
    rates: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
    points = resolution ** 2
    for _ in range(repeats):
        for config in configs:  # interleaved, so that a busy spell hits all alike
            method, per_batch = config
            started = time.perf_counter()
            _surface(model, x, y, directions, resolution, method, per_batch)
            rates[config].append(points / (time.perf_counter() - started))
    loop = np.median(rates[configs[0]])
    print(f"  {'method':<6} {'points/pass':>11}  {'best pts/s':>10} {'median':>8}  "
          f"{'vs loop':>8}  {'grid time (median)':>18}")
    for (method, per_batch), values in rates.items():
        print(f"  {method:<6} {per_batch if method == 'vmap' else 1:>11}  {max(values):>10.1f} "
              f"{np.median(values):>8.1f}  {np.median(values) / loop:>7.2f}×  "
              f"{points / np.median(values):>16.1f} s", flush=True)


def _surface(model: nn.Module, x: torch.Tensor, y: torch.Tensor, directions: np.ndarray,
             resolution: int, method: str, per_batch: int) -> None:
    # What loss_surface does, with points_per_batch exposed (loss_surface keeps the default 16).
    t = grid_coordinates(resolution, 1.0)
    a, b = np.meshgrid(t, t, indexing="ij")
    evaluate_along(model, flatten_parameters(model), directions,
                   np.column_stack([a.ravel(), b.ravel()]), x, y, batch_size=512,
                   method=method, points_per_batch=per_batch)


def hessian_costs(model: nn.Module, x: torch.Tensor, y: torch.Tensor, repeats: int) -> None:
    operator = HessianOperator(model, x, y, batch_size=512)
    v = np.random.default_rng(0).standard_normal(operator.n_params)

    def forward() -> None:
        with torch.no_grad():
            nn.functional.cross_entropy(operator.model(x), y)

    unit = {"forward pass": forward, "gradient": operator.loss_and_gradient,
            "Hessian-vector product": lambda: operator.matvec(v)}
    for fn in unit.values():
        fn()
    seconds = {name: min(_timed(fn) for _ in range(repeats)) for name, fn in unit.items()}
    for name, value in seconds.items():
        print(f"  {name:<24} {value * 1e3:8.1f} ms  ({value / seconds['forward pass']:5.1f}× "
              "a forward pass)")
    estimates = {
        "top-2 eigenvalues, Lanczos (tol 1e-3)": lambda: top_eigenvalues(operator, 2,
                                                                         max_iter=100),
        "top eigenvalue, power iteration": lambda: top_eigenvalues(operator, 1, method="power",
                                                                   max_iter=100),
        "trace, Hutchinson, 20 probes": lambda: hutchinson_trace(operator, 20),
        "density, SLQ, 2 probes × 20 steps": lambda: spectral_density(operator, 2, 20),
    }
    print(f"\n  {'estimate':<38} {'products':>8} {'seconds':>8}")
    for name, fn in estimates.items():
        before = operator.n_products
        seconds_taken = _timed(fn)
        print(f"  {name:<38} {operator.n_products - before:>8} {seconds_taken:>8.2f}",
              flush=True)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--resolution", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (default 1, as the chapter)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = data(args.samples)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, "
          f"load average {os.getloadavg()[0]:.1f}")
    for residual in (True, False):
        model = build(args.depth, residual)
        print(f"\nResNet-{args.depth} {'residual' if residual else 'plain'}: "
              f"{parameter_count(model):,} parameters; {args.samples} images 1×8×8\n")
        print(f"Surface of {args.resolution}×{args.resolution} points:")
        surface_rates(model, x, y, args.resolution, args.repeats)
        print(f"\nHessian (best of {args.repeats} for single operations):")
        hessian_costs(model, x, y, args.repeats)


if __name__ == "__main__":
    main()
