"""Timings of the foundation: seconds per epoch per model, and Chapter 1 cold and warm.

Prints figures; asserts nothing (tests never assert wall-clock times).

1. Seconds per training epoch of each model family on the default data (300 digits):
   WRN-10-1 (the workshop model), WRN-16-2 and ResNet-20, at batch 64 and at full batch.
2. Augmentation of a batch of 128 images (the data loader's per-step cost), one thread;
   targets: ≤ 10 ms for digits, ≤ 20 ms for CIFAR-10.
3. Chapter 1 executed at its defaults with an empty artifact cache (cold: trains the
   nine optima) and then again with the cache filled (warm), as ``make book`` does.

Usage::

    python benchmarks/bench_foundation.py            # both parts
    python benchmarks/bench_foundation.py --no-chapter
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from helpers.config import TrainConfig
from helpers.data import augment
from helpers.train import train

MODELS = {"WRN-10-1": {"model": "wrn", "depth": 10, "widen_factor": 1},
          "WRN-16-2": {"model": "wrn", "depth": 16, "widen_factor": 2},
          "ResNet-20": {"model": "resnet", "depth": 20, "widen_factor": 1}}


def seconds_per_epoch(model: dict, batch_size: int, epochs: int, cache: Path) -> float:
    os.environ["LOSS_LANDSCAPE_CACHE"] = str(cache)
    config = TrainConfig(**model, batch_size=batch_size, epochs=epochs, milestones=(),
                         seed=0)
    result = train(config, progress=False)
    return result.seconds / epochs


def augment_milliseconds(dataset: str, shape: tuple[int, int, int], repeats: int = 10) -> float:
    """Best of ``repeats`` augmentations of 128 random images, in milliseconds, one thread."""
    threads = torch.get_num_threads()
    # One thread: on a busy machine a multi-threaded kernel waits for descheduled workers.
    torch.set_num_threads(1)
    try:
        batch = torch.randn(128, *shape, generator=torch.Generator().manual_seed(5))
        augment(batch, dataset, torch.Generator().manual_seed(0))  # warm-up
        best = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            augment(batch, dataset, torch.Generator().manual_seed(0))
            best = min(best, time.perf_counter() - began)
        return 1e3 * best
    finally:
        torch.set_num_threads(threads)


def chapter_seconds(cache: Path, output: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "helpers", "run-chapter", "01", "--no-html",
                    "--output-dir", str(output)], check=True,
                   env={**os.environ, "LOSS_LANDSCAPE_CACHE": str(cache)})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per timing")
    parser.add_argument("--no-chapter", action="store_true", help="skip the Chapter 1 timings")
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        print("\nseconds per epoch on 300 digits (train + full evaluation each epoch)")
        print(f"{'model':<10} {'batch 64':>9} {'batch 300':>10}")
        for name, model in MODELS.items():
            small = seconds_per_epoch(model, 64, args.epochs, root / "epochs")
            full = seconds_per_epoch(model, 300, args.epochs, root / "epochs")
            print(f"{name:<10} {small:>9.3f} {full:>10.3f}")
        print("\naugmentation of 128 images, best of 10, one thread")
        for dataset, shape, target in (("digits", (1, 8, 8), 10), ("cifar10", (3, 32, 32), 20)):
            print(f"{dataset:<10} {augment_milliseconds(dataset, shape):>6.1f} ms "
                  f"(target ≤ {target} ms)")
        if not args.no_chapter:
            cold = chapter_seconds(root / "chapter-cache", root / "runs")
            warm = chapter_seconds(root / "chapter-cache", root / "runs")
            print(f"\nChapter 1 at defaults: cold cache {cold:.0f} s, warm cache {warm:.0f} s "
                  "(includes kernel start-up)")


if __name__ == "__main__":
    main()
