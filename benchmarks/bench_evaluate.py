"""Points per second of the loss evaluation at many parameter points: looped vs batched.

Prints figures; asserts nothing. Grid-sampling-like work load: a WRN-10-1 (77,562
parameters; :class:`helpers.models.WideResNet` when it is importable, else an equivalent
pre-activation WRN defined here) on 300 random 1 × 8 × 8 images with 10 classes,
evaluated at ``θ + coefficients @ directions`` for three filter-normalized directions,
with :func:`helpers.directions.evaluate_along`:

1. ``method="loop"`` (one forward pass of all 300 images per point) against
   ``method="vmap"`` (``points_per_batch`` points per forward pass) for 64 to 512
   points. Configurations are interleaved and repeated; the best and median rate
   of each are printed, because other processes on a shared machine make single
   timings noisy.
2. What vmap does underneath: :func:`torch.func.vmap` turns a convolution with stacked
   weights into one grouped convolution (``groups = points``). One 16 → 16 channel
   3 × 3 layer, 16 points: a grouped convolution against 16 separate ones.

Usage::

    python benchmarks/bench_evaluate.py
    python benchmarks/bench_evaluate.py --points 64 512 --repeats 3 --threads 1
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
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.directions import evaluate_along, random_directions  # noqa: E402
from helpers.flat_parameters import flatten_parameters, parameter_count  # noqa: E402


class _Block(nn.Module):
    """Pre-activation basic block (fallback when helpers.models is not there)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = (None if cin == cout and stride == 1
                         else nn.Conv2d(cin, cout, 1, stride, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        skip = x if self.shortcut is None else self.shortcut(out)
        return self.conv2(F.relu(self.bn2(self.conv1(out)))) + skip


class _WRN10(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.blocks = nn.Sequential(_Block(16, 16, 1), _Block(16, 32, 2), _Block(32, 64, 2))
        self.bn, self.fc = nn.BatchNorm2d(64), nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.adaptive_avg_pool2d(F.relu(self.bn(self.blocks(self.conv(x)))), 1)
        return self.fc(out.flatten(1))


def build() -> tuple[nn.Module, str]:
    torch.manual_seed(0)
    try:
        from helpers.models import WideResNet

        model, source = WideResNet(10, 1, in_channels=1, num_classes=10), "helpers.models"
    except ImportError:
        model, source = _WRN10(), "local definition"
    # BatchNorm statistics of some data, as at a trained optimum.
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(128, 1, 8, 8))
    return model.eval(), source


def evaluation_rates(model: nn.Module, points: list[int], configs: list[tuple[str, int, int]],
                     repeats: int) -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(300, 1, 8, 8, generator=generator)
    y = torch.randint(0, 10, (300,), generator=generator)
    base = flatten_parameters(model)
    directions = random_directions(model, [0, 1, 2])
    rng = np.random.default_rng(0)
    # Warm-up: first calls pay for allocator growth and kernel selection.
    for method, per_batch, batch in configs:
        evaluate_along(model, base, directions, rng.uniform(-1, 1, (per_batch, 3)), x, y,
                       method=method, points_per_batch=per_batch, batch_size=batch)
    print(f"{'points':>6}  {'method':<5} {'pts/batch':>9} {'imgs/batch':>10}  "
          f"{'best pts/s':>10} {'median':>8}  {'vs loop (median)':>16}")
    for m in points:
        coefficients = rng.uniform(-1, 1, (m, 3)).astype(np.float32)
        rates: dict[tuple[str, int, int], list[float]] = {c: [] for c in configs}
        for _ in range(repeats):
            for config in configs:  # interleaved, so that a busy spell hits all alike
                method, per_batch, batch = config
                started = time.perf_counter()
                evaluate_along(model, base, directions, coefficients, x, y, method=method,
                               points_per_batch=per_batch, batch_size=batch)
                rates[config].append(m / (time.perf_counter() - started))
        loop = np.median(rates[configs[0]])
        for config, values in rates.items():
            method, per_batch, batch = config
            print(f"{m:>6}  {method:<5} {per_batch if method == 'vmap' else 1:>9} {batch:>10}  "
                  f"{max(values):>10.1f} {np.median(values):>8.1f}  "
                  f"{np.median(values) / loop:>15.2f}×", flush=True)


def grouped_convolution(repeats: int) -> None:
    points, channels = 16, 16
    x = torch.randn(300, channels, 8, 8)
    weights = torch.randn(points, channels, channels, 3, 3)
    stacked = x.repeat(1, points, 1, 1)  # later layers: every point has its own input

    def separate() -> None:
        for i in range(points):
            F.conv2d(x, weights[i], padding=1)

    def grouped() -> None:
        F.conv2d(stacked, weights.reshape(points * channels, channels, 3, 3), padding=1,
                 groups=points)

    with torch.inference_mode():
        for name, fn in (("16 separate convolutions", separate),
                         ("1 grouped convolution, groups=16", grouped)):
            fn()
            best = min(_timed(fn) for _ in range(repeats * 3))
            print(f"  {name:<34} {best * 1e3:7.2f} ms")


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model, source = build()
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"WRN-10-1 from {source}: {parameter_count(model):,} parameters; "
          f"300 images 1×8×8, 10 classes; 3 directions\n")
    configs = [("loop", 16, 300), ("vmap", 4, 300), ("vmap", 16, 300), ("vmap", 16, 19)]
    evaluation_rates(model, args.points, configs, args.repeats)
    print("\nOne 3×3 16→16 layer on 300 images 8×8, 16 points (best of "
          f"{args.repeats * 3}):")
    grouped_convolution(args.repeats)


if __name__ == "__main__":
    main()
