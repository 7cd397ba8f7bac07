"""The learning-rate study of Meena (2024): one network, two initial learning rates.

Meena (2024, chapters 6–7) trains WRN-16 on CIFAR-10 at initial learning rates 0.1
and 0.01, annealed at epochs 60, 125 and 150 of 200, and follows, epoch by epoch, the
topology of the per-sample losses as fields on fixed nearest-neighbour graphs of the
training and test images (:mod:`helpers.loss_fields`). This module runs that study:

- :func:`study_settings` checks every setting and derives the training configurations;
- :func:`run_study` trains every run (:func:`helpers.train.train`, which records the
  per-sample losses), builds the graphs, and computes (or loads from the artifact
  cache, beside the runs) every diagram of every run, for the losses as measured and
  for the controls;
- :class:`StudyResult` holds it all and turns it into the tables the chapter draws.

Examples
--------
>>> settings = study_settings(epochs=20, seeds=[0])
>>> [config.label for config in settings.configs().values()]
['WRN-10-1 digits/600', 'WRN-10-1 digits/600']
>>> sorted(settings.configs()), settings.milestones
([(0.01, 0), (0.1, 0)], (6, 12, 15))
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from tqdm import tqdm

import helpers.loss_fields
import helpers.topology
import helpers.train
from helpers.cache import ArtifactCache, code_version
from helpers.checks import check_bool, check_choice, check_float, check_int, check_sequence
from helpers.config import TrainConfig
from helpers.loss_fields import (
    SETS,
    VARIANTS,
    EpochTopology,
    birth_persistence,
    control_values,
    epoch_topology,
    heatmap_frame,
    input_graph,
)
from helpers.presets import PRESETS, Preset
from helpers.topology import MERGE_TREE_KINDS
from helpers.train import TrainResult

__all__ = [
    "STUDY_PRESETS",
    "StudyResult",
    "StudySettings",
    "run_study",
    "study_settings",
]

#: Each preset's training (a :class:`helpers.presets.Preset`: the base configuration,
#: seeds, and the schedule as fractions of the epochs) and study settings.
#: ``"paper"`` is Meena (2024): WRN-16 on CIFAR-10, 200 epochs, annealed at epochs 60,
#: 125 and 150 (30 %, 62.5 % and 75 %), with weight decay and no augmentation; the
#: thesis gives neither the width, the decay factor nor the batch size, so the
#: preset takes width 4, ×0.1 and 128; its skip-connection comparison is ResNet-56
#: trained for 300 epochs. ``"workshop"`` is WRN-10-1 on 600 of the 8×8 digits for
#: 30 epochs with the same fractions; the ResNet is ResNet-20.
STUDY_PRESETS: dict[str, dict[str, Any]] = {
    "workshop": {
        "training": Preset(
            name="workshop",
            base=TrainConfig(dataset="digits", train_size=600, model="wrn", depth=10,
                             widen_factor=1, optimizer="sgd_momentum", momentum=0.9,
                             weight_decay=5e-4, lr_factor=0.1, batch_size=64, epochs=30),
            seeds=(0, 1, 2), milestone_fractions=(0.3, 0.625, 0.75)),
        "rates": (0.1, 0.01), "k": 20, "skip_depth": 20, "skip_epochs": 30},
    "paper": {
        "training": Preset(
            name="paper",
            base=TrainConfig(dataset="cifar10", train_size=None, model="wrn", depth=16,
                             widen_factor=4, optimizer="sgd_momentum", momentum=0.9,
                             weight_decay=5e-4, lr_factor=0.1, batch_size=128, epochs=200),
            seeds=(0,), milestone_fractions=(0.3, 0.625, 0.75)),
        "rates": (0.1, 0.01), "k": 20, "skip_depth": 56, "skip_epochs": 300},
}


# ------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class StudySettings:
    """Every setting of one learning-rate study, checked (made by :func:`study_settings`).

    Attributes
    ----------
    base : TrainConfig
        Training shared by every run; each run replaces ``lr`` and ``seed``.
    rates : tuple of float
        Initial learning rates compared (at least two, distinct).
    seeds : tuple of int
    k : int
        Neighbours per image in the graphs.
    trees : tuple of {"join", "split"}
    sets : tuple of {"train", "test"}
    controls : tuple of {"shuffle", "rank"}
    heatmap_epochs : tuple of int
        Epochs whose persistence images are drawn.
    resolution : int
        Pixels along the longer side of a persistence image.
    p : float
        Exponent of total persistence, ``sum (death - birth) ** p``.
    control_seed : int
        Seed of the shuffle control.
    skip : TrainConfig or None
        The ResNet trained with and without skip connections (``residual``), or
        ``None`` to leave that comparison out.
    """

    base: TrainConfig
    rates: tuple[float, ...]
    seeds: tuple[int, ...]
    k: int
    trees: tuple[str, ...] = MERGE_TREE_KINDS
    sets: tuple[str, ...] = SETS
    controls: tuple[str, ...] = ("shuffle", "rank")
    heatmap_epochs: tuple[int, ...] = ()
    resolution: int = 20
    p: float = 1.0
    control_seed: int = 0
    skip: TrainConfig | None = None

    @property
    def milestones(self) -> tuple[int, ...]:
        """Epochs after which the learning rate is annealed."""
        return self.base.milestones

    @property
    def variants(self) -> tuple[str, ...]:
        """The field as measured, then each control."""
        return ("loss", *self.controls)

    def configs(self) -> dict[tuple[float, int], TrainConfig]:
        """One configuration per ``(rate, seed)``.

        Examples
        --------
        >>> sorted(study_settings(seeds=[0]).configs())
        [(0.01, 0), (0.1, 0)]
        """
        return {(lr, seed): self.base.replace(lr=lr, seed=seed)
                for lr in self.rates for seed in self.seeds}

    def skip_configs(self) -> dict[bool, TrainConfig]:
        """The ResNet with (``True``) and without (``False``) skip connections; ``{}`` if off."""
        if self.skip is None:
            return {}
        return {residual: self.skip.replace(residual=residual) for residual in (True, False)}


def study_settings(preset: str = "workshop", *, rates: Sequence[float] | None = None,
                   seeds: Sequence[int] | None = None, epochs: int | None = None,
                   milestones: Sequence[int] | None = None, k: int | None = None,
                   trees: Sequence[str] = MERGE_TREE_KINDS, sets: Sequence[str] = SETS,
                   controls: Sequence[str] = ("shuffle", "rank"),
                   heatmap_epochs: Sequence[int] | None = None, resolution: int = 20,
                   p: float = 1.0, control_seed: int = 0, skip_connections: bool = True,
                   skip_depth: int | None = None, skip_epochs: int | None = None,
                   device: str = "cpu", **training: Any) -> StudySettings:
    """Check every setting of the study and derive its configurations, before any training.

    Each argument is checked under its own name (the name of the chapter's
    parameter), so a bad value fails at once with a message naming it.

    Parameters
    ----------
    preset : {"workshop", "paper"}
        Scale: see :data:`STUDY_PRESETS`.
    rates : sequence of float, optional
        Initial learning rates, at least two, distinct (default ``(0.1, 0.01)``).
    seeds : sequence of int, optional
        The preset's seeds by default.
    epochs : int, optional
        Training epochs (the preset's by default).
    milestones : sequence of int, optional
        Annealing epochs; by default 30 %, 62.5 % and 75 % of ``epochs``.
    k : int, optional
        Neighbours per image in the graphs (20).
    trees, sets, controls : sequences
        Subsets of ``("join", "split")``, ``("train", "test")`` and
        ``("shuffle", "rank")`` (controls may be empty).
    heatmap_epochs : sequence of int, optional
        Epochs in ``0..epochs`` whose persistence images are drawn; by default epoch
        1, the last epoch before and the first after each anneal, and the last.
    resolution : int
        Pixels along the longer side of a persistence image, 8..200.
    p : float
        Exponent of total persistence (> 0; the thesis sums lifetimes: 1).
    control_seed : int
        Seed of the shuffle control.
    skip_connections : bool
        Also train the ResNet with and without skip connections.
    skip_depth, skip_epochs : int, optional
        That ResNet's depth (6n+2) and epochs (the preset's by default).
    device : {"cpu", "cuda", "mps"}
    **training
        Further :class:`~helpers.config.TrainConfig` fields for every run, e.g.
        ``train_size=300`` or ``batch_size=32`` (``None`` keeps the preset's).

    Returns
    -------
    StudySettings

    Raises
    ------
    ValueError
        Naming the first bad argument and what it accepts.

    Examples
    --------
    >>> settings = study_settings(epochs=20)
    >>> settings.milestones, settings.heatmap_epochs
    ((6, 12, 15), (1, 6, 7, 12, 13, 15, 16, 20))
    >>> study_settings(rates=[0.1])
    Traceback (most recent call last):
    ...
    ValueError: rates must list at least two distinct learning rates; got [0.1]
    """
    chosen = STUDY_PRESETS[check_choice("preset", preset, PRESETS)]
    rates = check_sequence("rates", chosen["rates"] if rates is None else rates,
                           minimum=0.0, strict_minimum=True, unique=True)
    if len(rates) < 2:
        raise ValueError(f"rates must list at least two distinct learning rates; got {list(rates)}")
    training_preset: Preset = chosen["training"]
    seeds = check_sequence("seeds", training_preset.seeds if seeds is None else seeds,
                           item="int", minimum=0, unique=True)
    k = check_int("k", chosen["k"] if k is None else k, minimum=1)
    trees = _check_subset("trees", trees, MERGE_TREE_KINDS)
    sets = _check_subset("sets", sets, SETS)
    controls = _check_subset("controls", controls, VARIANTS[1:], nonempty=False)
    resolution = check_int("resolution", resolution, minimum=8, maximum=200)
    p = check_float("p", p, minimum=0.0, strict_minimum=True)
    control_seed = check_int("control_seed", control_seed, minimum=0)
    skip_connections = check_bool("skip_connections", skip_connections)
    skip_depth = check_int("skip_depth", chosen["skip_depth"] if skip_depth is None
                           else skip_depth, minimum=8)
    if (skip_depth - 2) % 6:
        raise ValueError(f"skip_depth must be a ResNet depth 6n+2 (8, 14, 20, 56, ...); "
                         f"got {skip_depth}")
    skip_epochs = check_int("skip_epochs", chosen["skip_epochs"] if skip_epochs is None
                            else skip_epochs, minimum=1)
    overrides = {name: value for name, value in training.items() if value is not None}
    for name in ("lr", "seed", "residual"):
        if name in overrides:
            raise ValueError(f"{name} is set by the study itself (rates, seeds, "
                             f"skip_connections); got {name}={overrides[name]!r}")
    if epochs is not None:
        overrides["epochs"] = epochs
    if milestones is not None:
        overrides["milestones"] = milestones
    # TrainConfig names the field it refuses (epochs, milestones, device, depth, ...).
    base = training_preset.config(**overrides, lr=rates[0], seed=seeds[0], device=device)
    if heatmap_epochs is None:
        marks = [e for m in base.milestones for e in (m, m + 1)]
        heatmap_epochs = sorted({e for e in (1, *marks, base.epochs) if e <= base.epochs})
    heatmap_epochs = check_sequence("heatmap_epochs", heatmap_epochs, item="int", minimum=0,
                                    unique=True)
    if max(heatmap_epochs) > base.epochs:
        raise ValueError(f"heatmap_epochs must lie in 0..epochs={base.epochs}; "
                         f"got {list(heatmap_epochs)}")
    skip = None
    if skip_connections:
        skip_milestones = tuple(sorted({max(1, round(f * skip_epochs))
                                        for f in training_preset.milestone_fractions}))
        skip = base.replace(model="resnet", depth=skip_depth, widen_factor=1,
                            epochs=skip_epochs, milestones=skip_milestones, lr=max(rates))
    return StudySettings(base=base, rates=rates, seeds=seeds, k=k, trees=trees, sets=sets,
                         controls=controls, heatmap_epochs=tuple(sorted(heatmap_epochs)),
                         resolution=resolution, p=p, control_seed=control_seed, skip=skip)


def _check_subset(name: str, values: Any, accepted: tuple[str, ...],
                  nonempty: bool = True) -> tuple[str, ...]:
    listed = [values] if isinstance(values, str) else values
    try:
        listed = list(listed)
    except TypeError:
        listed = None
    if (listed is None or (nonempty and not listed) or len(set(listed)) != len(listed)
            or any(v not in accepted for v in listed)):
        raise ValueError(f"{name} must list values from {accepted} without repeats"
                         f"{'' if nonempty else ' (or none)'}; got {values!r}")
    return tuple(v for v in accepted if v in listed)


# ----------------------------------------------------------------------- the study


@dataclass
class StudyResult:
    """Everything :func:`run_study` computed.

    Attributes
    ----------
    settings : StudySettings
    runs : dict of (rate, seed) to TrainResult
        With per-sample train and test losses after every epoch.
    graphs : dict of set to sparse matrix
    topology : dict of (variant, rate, seed, tree, set) to EpochTopology
    skip_runs : dict of bool to TrainResult
        The ResNet with (``True``) and without skip connections.
    skip_topology : dict of (residual, tree, set) to EpochTopology
    compute_seconds : float
        Training, graph and topology time when first computed (cached parts count
        what they cost then).
    """

    settings: StudySettings
    runs: dict[tuple[float, int], TrainResult]
    graphs: dict[str, sparse.csr_matrix]
    topology: dict[tuple[str, float, int, str, str], EpochTopology]
    skip_runs: dict[bool, TrainResult] = field(default_factory=dict)
    skip_topology: dict[tuple[bool, str, str], EpochTopology] = field(default_factory=dict)
    compute_seconds: float = 0.0

    def history(self) -> pd.DataFrame:
        """Learning curves as one long table.

        Columns ``lr`` (the initial rate), ``seed``, ``epoch``, ``epoch_lr`` (the rate
        during that epoch), ``split``, ``metric`` and ``value``.
        """
        return helpers.train.histories(self.runs).rename(columns={"lr": "epoch_lr"}).rename(
            columns={"optimum": "lr"})

    def final(self) -> pd.DataFrame:
        """Final train/test loss and accuracy per run: lr, seed and the four metrics."""
        return pd.DataFrame([{"lr": lr, "seed": seed, **result.final.drop(["epoch", "lr"])}
                             for (lr, seed), result in self.runs.items()])

    def topology_table(self) -> pd.DataFrame:
        """One row per variant, rate, seed, tree, set and epoch.

        Columns ``variant, lr, seed, tree, set, epoch, total_persistence,
        wasserstein, n_points``.
        """
        frames = []
        for (variant, lr, seed, tree, which), topo in self.topology.items():
            frames.append(pd.DataFrame({
                "variant": variant, "lr": lr, "seed": seed, "tree": tree, "set": which,
                "epoch": np.arange(len(topo.diagrams)),
                "total_persistence": topo.total_persistence, "wasserstein": topo.wasserstein,
                "n_points": [len(d) for d in topo.diagrams]}))
        return pd.concat(frames, ignore_index=True)

    def heatmaps(self, tree: str, which: str, variant: str = "loss") -> pd.DataFrame:
        """Persistence images at :attr:`StudySettings.heatmap_epochs`, per rate, mean over seeds.

        One shared grid and scale for every rate and epoch; see
        :func:`helpers.loss_fields.heatmap_frame`.
        """
        groups = {(lr, epoch): [birth_persistence(
                      self.topology[variant, lr, seed, tree, which].diagrams[epoch], tree)
                      for seed in self.settings.seeds]
                  for lr in self.settings.rates for epoch in self.settings.heatmap_epochs}
        return heatmap_frame(groups, ("lr", "epoch"), self.settings.resolution)

    def points_table(self, epochs: Sequence[int], variant: str = "loss") -> pd.DataFrame:
        """Every diagram point at ``epochs``, in loss units.

        Columns ``tree, set, lr, seed, epoch, birth, persistence``
        (:func:`helpers.loss_fields.birth_persistence`).
        """
        frames = []
        for (kind, lr, seed, tree, which), topo in self.topology.items():
            for epoch in epochs if kind == variant else ():
                points = birth_persistence(topo.diagrams[epoch], tree)
                frames.append(pd.DataFrame({"tree": tree, "set": which, "lr": lr, "seed": seed,
                                            "epoch": epoch, "birth": points[:, 0],
                                            "persistence": points[:, 1]}))
        return pd.concat(frames, ignore_index=True)

    def skip_heatmaps(self) -> pd.DataFrame:
        """Persistence images at the ResNets' last epoch: residual, tree, set, panel, pixels.

        One grid per tree and set, shared by the two networks.
        """
        frames = []
        for tree in self.settings.trees:
            for which in self.settings.sets:
                groups = {(residual,): [birth_persistence(
                              self.skip_topology[residual, tree, which].diagrams[-1], tree)]
                          for residual in (True, False)}
                frame = heatmap_frame(groups, ("residual",), self.settings.resolution)
                frames.append(frame.assign(tree=tree, set=which,
                                           panel=f"{tree} tree, {which} set"))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def skip_table(self) -> pd.DataFrame:
        """The ResNets at their last epoch, per tree and set.

        Columns ``skip connections, tree, set, test_accuracy, total_persistence,
        n_points, mean_persistence``.
        """
        rows = []
        for (residual, tree, which), topo in self.skip_topology.items():
            points = birth_persistence(topo.diagrams[-1], tree)
            final = self.skip_runs[residual].final
            rows.append({"skip connections": residual, "tree": tree, "set": which,
                         "test_accuracy": final["test_accuracy"],
                         "total_persistence": topo.total_persistence[-1],
                         "n_points": len(points),
                         "mean_persistence": float(points[:, 1].mean()) if len(points) else 0.0})
        return pd.DataFrame(rows)


def run_study(settings: StudySettings, *, progress: bool | None = None, download: bool = False,
              cache: ArtifactCache | None = None) -> StudyResult:
    """Train every run, build the graphs, and compute (or load) every diagram.

    Training is :func:`helpers.train.train` with per-sample losses recorded (cached
    under ``train``); each run's topology, for every variant, tree and set of
    ``settings``, is cached under ``lr-topology``, keyed by the run's
    configuration, the graph's ``k`` and these settings.

    Parameters
    ----------
    settings : StudySettings
        From :func:`study_settings`.
    progress : bool or None
        Progress bars of training (``None``: only on a terminal).
    download : bool
        Allow torchvision to download the dataset into ``data/``.
    cache : ArtifactCache, optional

    Returns
    -------
    StudyResult
    """
    if not isinstance(settings, StudySettings):
        raise ValueError(f"settings must be a StudySettings (see study_settings); "
                         f"got {type(settings).__name__}")
    check_bool("download", download)
    cache = cache or ArtifactCache()
    runs = {key: helpers.train.train(config, record_sample_losses=True, progress=progress,
                                     download=download, cache=cache)
            for key, config in settings.configs().items()}
    _check_converged(runs)
    dataset = helpers.train.load_training_data(settings.base, download=download)
    graphs = {which: input_graph(dataset, which, settings.k, cache=cache)
              for which in settings.sets}
    seconds = sum(r.seconds for r in runs.values())
    topology = {}
    jobs = [(key, variant) for key in runs for variant in settings.variants]
    # tqdm treats disable=None as "only on a terminal".
    for (lr, seed), variant in tqdm(jobs, desc="topology", leave=False,
                                    disable=None if progress is None else not progress):
        found, spent = _run_topology(runs[lr, seed], graphs, settings, variant, cache)
        seconds += spent
        topology.update({(variant, lr, seed, *key): value for key, value in found.items()})
    skip_runs, skip_topology = {}, {}
    for residual, config in settings.skip_configs().items():
        skip_runs[residual] = helpers.train.train(config, record_sample_losses=True,
                                                  progress=progress, download=download,
                                                  cache=cache)
        _check_converged({residual: skip_runs[residual]})
        found, spent = _run_topology(skip_runs[residual], graphs, settings, "loss", cache)
        seconds += skip_runs[residual].seconds + spent
        skip_topology.update({(residual, *key): value for key, value in found.items()})
    return StudyResult(settings, runs, graphs, topology, skip_runs, skip_topology, seconds)


def _check_converged(runs: Mapping[Any, TrainResult]) -> None:
    # A diverged run has no losses after it diverged: nothing to compare epoch by epoch.
    for key, result in runs.items():
        if result.diverged:
            raise ValueError(f"rates: the run {key} ({result.config.label}, lr "
                             f"{result.config.lr:g}) diverged at epoch "
                             f"{result.diverged_epoch}; choose smaller rates")


def _run_topology(result: TrainResult, graphs: Mapping[str, sparse.csr_matrix],
                  settings: StudySettings, variant: str, cache: ArtifactCache
                  ) -> tuple[dict[tuple[str, str], EpochTopology], float]:
    """One run's diagrams for every tree and set of ``settings`` (cached), and their cost."""
    fields = {"config": result.config.to_dict(), "k": settings.k, "variant": variant,
              "trees": list(settings.trees), "sets": list(settings.sets), "p": settings.p,
              "control_seed": settings.control_seed if variant == "shuffle" else None}
    losses = {"train": result.train_sample_losses, "test": result.test_sample_losses}

    def compute() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        started = time.perf_counter()
        arrays = {}
        for which in settings.sets:
            values = control_values(losses[which], variant, settings.control_seed)
            for tree in settings.trees:
                topo = epoch_topology(graphs[which], values, tree, p=settings.p,
                                      distances=variant == "loss")
                name = f"{tree}.{which}"
                arrays[f"{name}.points"] = (np.concatenate(topo.diagrams) if topo.diagrams
                                            else np.empty((0, 2)))
                arrays[f"{name}.offsets"] = np.cumsum([0] + [len(d) for d in topo.diagrams])
                arrays[f"{name}.total_persistence"] = topo.total_persistence
                arrays[f"{name}.wasserstein"] = topo.wasserstein
        return arrays, {"seconds": time.perf_counter() - started}

    code = code_version(sys.modules[__name__])  # training, loss fields and topology included
    artifact = cache.get_or_compute("lr-topology", fields, compute, code=code)
    found = {}
    for which in settings.sets:
        for tree in settings.trees:
            name = f"{tree}.{which}"
            points, offsets = np.asarray(artifact[f"{name}.points"]), artifact[f"{name}.offsets"]
            found[tree, which] = EpochTopology(
                [points[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)],
                np.asarray(artifact[f"{name}.total_persistence"]),
                np.asarray(artifact[f"{name}.wasserstein"]))
    return found, float(artifact.meta["seconds"])
