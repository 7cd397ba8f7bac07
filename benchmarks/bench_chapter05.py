"""What Chapter 5's classifier work costs at its defaults, on top of a zoo already read.

Prints figures; asserts nothing. The zoo is the preset's definition (its networks, grid
and points per sampler) with synthetic sampled values and table columns of the zoo's
shapes, so that no network is trained: what is timed is what the chapter does after
reading a cached zoo — :func:`helpers.zoo_features.assemble_features`, the
:class:`helpers.classify.ClassifierTable` of every feature set, task and classifier, the
permutation tests and the paired comparisons — with the chapter's own defaults (read
from its parameters cell). Wall and CPU seconds are printed for each stage, with the
machine's load average: on shared cores the wall times are inflated.

Usage::

    python benchmarks/bench_chapter05.py
    python benchmarks/bench_chapter05.py --jobs 1 --permutations 99
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jupytext  # noqa: E402

from helpers import verdicts, zoo  # noqa: E402
from helpers.chapters import chapter_parameters, find_chapter  # noqa: E402
from helpers.classify import ClassifierTable  # noqa: E402
from helpers.zoo_features import assemble_features, table_settings  # noqa: E402

TABLE_COLUMNS = ("total_persistence_h0_drop_train", "total_persistence_h0_max_train",
                 "total_persistence_h1_drop_train", "total_persistence_h1_max_train",
                 "average_persistence_drop_train", "average_persistence_max_train",
                 "n_saddles_train", "sharpness", "sharpness_naive")


class SyntheticZoo:
    """A stand-in :class:`helpers.zoo.ZooResult`: the definition's shapes, synthetic values."""

    def __init__(self, definition: zoo.Zoo, seed: int = 0) -> None:
        self.definition = definition
        self.rng = np.random.default_rng(seed)
        n = definition.n_networks
        self.level = self.rng.normal(size=n)
        self.table = pd.DataFrame({c: self.rng.exponential(size=n) for c in TABLE_COLUMNS})
        self.table["test_loss"] = np.exp(self.level)
        self.table["status"] = "cached"

    def sample_columns(self, sampler: str) -> pd.DataFrame:
        return zoo.sample_columns(self.definition, sampler)

    def samples(self, sampler: str, metric: str = "train_loss") -> np.ndarray:
        width = len(self.sample_columns(sampler))
        loss = np.exp(self.level[:, None] + 0.5 * self.rng.normal(size=(len(self.level), width)))
        return loss if metric.endswith("loss") else 1.0 / (1.0 + loss)


def cpu_seconds() -> float:
    """CPU time of this process and of its children, finished or alive (joblib keeps its
    worker processes alive between calls; psutil, installed with ipykernel, reads them)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime
    try:
        import psutil
    except ImportError:  # pragma: no cover - ipykernel depends on psutil
        return total
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def main() -> None:
    defaults = chapter_parameters(jupytext.read(find_chapter("05")))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=defaults["preset"])
    parser.add_argument("--jobs", type=int, default=defaults["jobs"])
    parser.add_argument("--permutations", type=int, default=defaults["permutations"])
    args = parser.parse_args()
    settings = table_settings(classifiers=defaults["classifiers"], folds=defaults["folds"],
                              repeats=defaults["repeats"], permutations=args.permutations,
                              permutation_classifiers=defaults["permutation_classifiers"],
                              seed=defaults["seed"], jobs=args.jobs)
    definition = zoo.zoo(args.preset)
    print(f"zoo {args.preset!r}: {definition.n_networks} networks, {definition.n_points} "
          f"points per sampler; {len(settings['classifiers'])} classifiers, "
          f"{settings['folds']} folds × {settings['repeats']}, {settings['permutations']} "
          f"permutations ({', '.join(settings['permutation_classifiers'])}), jobs "
          f"{settings['jobs']}; load average {os.getloadavg()[0]:.1f}")
    stages = {}
    wall, cpu = time.perf_counter(), cpu_seconds()
    features = assemble_features(SyntheticZoo(definition), defaults["feature_sets"],
                                 defaults["tasks"], random_state=settings["seed"])
    stages["features"] = (time.perf_counter() - wall, cpu_seconds() - cpu)
    print("  feature widths:", features.widths().to_dict())
    wall, cpu = time.perf_counter(), cpu_seconds()
    table = ClassifierTable(settings["classifiers"], n_splits=settings["folds"],
                            n_repeats=settings["repeats"], random_state=settings["seed"],
                            n_jobs=settings["jobs"] if settings["jobs"] > 1 else None,
                            progress=False).fit(features.matrices, features.labels)
    stages["table"] = (time.perf_counter() - wall, cpu_seconds() - cpu)
    print(f"  folds per task: {table.n_splits_}; {len(table.scores_)} fits")
    wall, cpu = time.perf_counter(), cpu_seconds()
    if settings["permutations"]:
        table.permutation_test(settings["permutations"],
                               classifiers=settings["permutation_classifiers"])
    stages["permutation tests"] = (time.perf_counter() - wall, cpu_seconds() - cpu)
    wall, cpu = time.perf_counter(), cpu_seconds()
    table.compare([(a, b) for a, _, b in verdicts.ORDERING])
    table.compare([("jr", "grid"), ("jr", "naive")], level="fold")
    stages["comparisons"] = (time.perf_counter() - wall, cpu_seconds() - cpu)
    for name, (seconds, used) in stages.items():
        print(f"  {name:18s} {seconds:7.1f} s wall {used:7.1f} s CPU")
    total = [sum(v[i] for v in stages.values()) for i in (0, 1)]
    print(f"  {'total':18s} {total[0]:7.1f} s wall {total[1]:7.1f} s CPU")


if __name__ == "__main__":
    main()
