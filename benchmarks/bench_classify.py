"""How long the classifier table (Chapter 5) and the correlation tests (Chapter 4) take.

Prints figures; asserts nothing. Three parts:

1. Seconds per fit of each of the 11 classifiers (:func:`helpers.classifiers.fold_scores`,
   10-fold stratified CV on 5 classes), on synthetic features of two sizes: the
   workshop's (48 networks × 176 values: 88 J&R samples × loss and accuracy) and the
   paper's (108 networks × 1,280 values: 640 samples × 2).
2. A whole table (:class:`helpers.classify.ClassifierTable`) at the workshop size:
   3 tasks × 4 feature sets × 11 classifiers × 10 folds, in one process and with
   ``n_jobs=2``; and the cost of one permutation of :func:`helpers.classify.permutation_test`
   with the six fastest classifiers.
3. :func:`helpers.statistics.correlation_test` and
   :func:`helpers.statistics.partial_correlation_test` at 48 and 108 networks
   (9,999 permutations, 2,000 resamples), and the exact test at 8 and 9 points.

Usage::

    python benchmarks/bench_classify.py
    python benchmarks/bench_classify.py --skip-paper-size --skip-parallel
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.classifiers import CLASSIFIERS, cv_splits, fold_scores  # noqa: E402
from helpers.classify import (  # noqa: E402
    ClassifierTable,
    generalization_classes,
    permutation_test,
    randomize_features,
)
from helpers.statistics import correlation_test, partial_correlation_test  # noqa: E402

FASTEST = ("logistic_regression", "lda", "knn", "linear_svm", "rbf_svm", "gaussian_nb")


def synthetic(networks: int, values: int, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Loss-like features (log-normal, correlated along the row) and the three tasks."""
    rng = np.random.default_rng(seed)
    level = rng.normal(size=(networks, 1))
    features = np.exp(level + 0.5 * rng.normal(size=(networks, values)))
    labels = {"generalization": generalization_classes(level[:, 0] + rng.normal(size=networks)),
              "weight_decay": np.arange(networks) % 3, "augment": np.arange(networks) % 2}
    return features, labels


def per_fit(networks: int, values: int) -> float:
    features, labels = synthetic(networks, values)
    y = labels["generalization"]
    splits = cv_splits(y, 10)
    print(f"\n{networks} networks × {values} values, {len(splits)} folds, 5 classes")
    total = 0.0
    for name in CLASSIFIERS:
        began = time.perf_counter()
        fold_scores(features, y, name, splits)
        seconds = (time.perf_counter() - began) / len(splits)
        total += seconds
        print(f"  {name:22s} {seconds:7.3f} s per fit")
    print(f"  {'all 11':22s} {total:7.3f} s per fold")
    return total


def whole_table(networks: int, values: int, parallel: bool) -> None:
    features, labels = synthetic(networks, values)
    sets = {"jr": features, "grid": features[:, ::-1] * 1.1, "naive": features ** 0.9,
            "randomized": randomize_features(features)}
    for n_jobs in (None, 2) if parallel else (None,):
        began = time.perf_counter()
        table = ClassifierTable(n_splits=10, n_jobs=n_jobs, progress=False).fit(sets, labels)
        print(f"  table, n_jobs={n_jobs}: {time.perf_counter() - began:6.1f} s "
              f"({len(table.scores_)} fits)")
    began = time.perf_counter()
    permutation_test(features, labels["generalization"], classifiers=FASTEST,
                     n_permutations=5, progress=False)
    print(f"  permutation test, six fastest classifiers: "
          f"{(time.perf_counter() - began) / 6:6.2f} s per permutation")


def correlations() -> None:
    rng = np.random.default_rng(0)
    for n in (48, 108):
        x, z = rng.normal(size=n), rng.normal(size=(n, 2))
        y = x + z[:, 0] + rng.normal(size=n)
        for label, call, arguments in (("correlation_test", correlation_test, (x, y)),
                                       ("partial (2 covariates)", partial_correlation_test,
                                        (x, y, z))):
            began = time.perf_counter()
            call(*arguments)
            print(f"  n = {n:3d}  {label:24s} {time.perf_counter() - began:6.2f} s")
    for n in (8, 9):
        x = rng.normal(size=n)
        began = time.perf_counter()
        correlation_test(x, x + rng.normal(size=n), exact_max_n=n, n_bootstrap=0)
        print(f"  n = {n:3d}  exact over {np.prod(np.arange(1, n + 1)):,} orderings "
              f"{time.perf_counter() - began:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-paper-size", action="store_true")
    parser.add_argument("--skip-parallel", action="store_true")
    args = parser.parse_args()
    print("1. seconds per fit")
    per_fit(48, 176)
    if not args.skip_paper_size:
        per_fit(108, 1280)
    print("\n2. the whole table at the workshop size (48 × 176; 3 tasks × 4 feature sets)")
    whole_table(48, 176, not args.skip_parallel)
    print("\n3. correlation tests (9,999 permutations, 2,000 resamples)")
    correlations()


if __name__ == "__main__":
    main()
