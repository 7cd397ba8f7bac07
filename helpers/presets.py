"""Every preset number of the book, in one place.

A *preset* is a scale at which the whole book runs:

- ``"workshop"``: a laptop CPU in minutes (WRN-10-1 on 300 of scikit-learn's digits);
- ``"paper"``: the settings of Horoi et al. (2022) — WRN-28-2 on CIFAR-10, 200 epochs,
  J&R with 4 directions × 4 step sizes × 40 epochs, the 108-network grid.

Training settings are :class:`Preset` objects (:func:`preset`, :func:`optimum_config`,
:func:`paper_grid`); the jump-and-retrain, graph and sweep settings of the landscape
pipeline are :data:`FEATURES` (:func:`feature_settings`); :data:`DEFAULT_RETRAIN` is
the retraining optimizer of the paper's public code. Chapters leave a parameter at
``None`` to mean "the preset's value".

Examples
--------
>>> preset("workshop").base.depth, preset("paper").base.depth
(10, 28)
>>> feature_settings("paper")["task"]["epochs"]
40
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from helpers.checks import check_choice, check_float, check_int, check_sequence
from helpers.config import OPTIMA, TrainConfig, field_names

#: The names of the presets.
PRESETS = ("workshop", "paper")



@dataclass(frozen=True)
class Preset:
    """A scale at which the book runs: the shared base and how each optimum differs.

    Attributes
    ----------
    name : str
        ``"workshop"`` or ``"paper"``.
    base : TrainConfig
        Settings shared by every optimum.
    optima : mapping of str to dict
        For each of ``"good"``, ``"bad"`` and ``"memorization"`` the fields that
        differ from ``base``.
    seeds : tuple of int
        Seeds over which each optimum is trained.
    milestone_fractions : tuple of float
        The step schedule as fractions of the epochs, so that changing ``epochs``
        moves the milestones with it.
    """

    name: str
    base: TrainConfig
    optima: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0, 1, 2)
    milestone_fractions: tuple[float, ...] = ()

    def config(self, **overrides: Any) -> TrainConfig:
        """The base with ``overrides``; milestones follow the epochs unless given.

        Examples
        --------
        >>> preset("paper").config().milestones
        (100, 150, 185)
        >>> preset("paper").config(epochs=20).milestones
        (10, 15, 18)
        """
        if "milestones" not in overrides:
            epochs = check_int("epochs", overrides.get("epochs", self.base.epochs), minimum=1)
            overrides["milestones"] = tuple(sorted({max(1, round(f * epochs))
                                                    for f in self.milestone_fractions}))
        return self.base.replace(**overrides)



# Workshop: WRN-10-1 on 300 digits. A step schedule at 50 % / 75 % of the epochs lets
# every optimum settle; "bad" is full batch without regularization (the paper's "bad"
# optima lack weight decay and augmentation; full batch removes SGD noise as well).
_WORKSHOP = Preset(
    name="workshop",
    base=TrainConfig(dataset="digits", train_size=300, model="wrn", depth=10, widen_factor=1,
                     optimizer="sgd_momentum", lr=0.1, momentum=0.9, lr_factor=0.1,
                     epochs=150),
    optima={
        "good": dict(batch_size=64, weight_decay=5e-4, augment=True),
        "bad": dict(batch_size=300, weight_decay=0.0, augment=False),
        "memorization": dict(batch_size=64, weight_decay=0.0, augment=False, random_labels=True),
    },
    seeds=(0, 1, 2),
    milestone_fractions=(0.5, 0.75),
)



# Paper (Horoi et al. 2022, §4.1): WRN-28-2, CIFAR-10, SGD lr 0.1 momentum 0.9, ×0.1 at
# epochs 100/150/185, 200 epochs, batch 128; good = weight decay 1e-4 + augmentation.
_PAPER = Preset(
    name="paper",
    base=TrainConfig(dataset="cifar10", train_size=None, model="wrn", depth=28, widen_factor=2,
                     optimizer="sgd_momentum", lr=0.1, momentum=0.9, lr_factor=0.1,
                     batch_size=128, epochs=200),
    optima={
        "good": dict(weight_decay=1e-4, augment=True),
        "bad": dict(weight_decay=0.0, augment=False, batch_size=512),
        "memorization": dict(weight_decay=0.0, augment=False, random_labels=True),
    },
    seeds=(0,),
    milestone_fractions=(0.5, 0.75, 0.925),
)



_PRESETS = {"workshop": _WORKSHOP, "paper": _PAPER}



def preset(name: str = "workshop") -> Preset:
    """Return the named :class:`Preset`.

    Examples
    --------
    >>> preset("paper").base.depth
    28
    """
    return _PRESETS[check_choice("preset", name, PRESETS)]



def optimum_config(kind: str, preset_name: str = "workshop", *, seed: int = 0,
                   **overrides: Any) -> TrainConfig:
    """The configuration of one kind of optimum at a preset's scale.

    Parameters
    ----------
    kind : {"good", "bad", "memorization"}
    preset_name : {"workshop", "paper"}
    seed : int
    **overrides
        Any :class:`TrainConfig` field; applied last, so they win over the preset.

    Examples
    --------
    >>> optimum_config("good").augment
    True
    >>> optimum_config("memorization", epochs=40).random_labels
    True
    """
    check_choice("kind", kind, OPTIMA)
    chosen = preset(preset_name)
    return chosen.config(**{**chosen.optima[kind], "seed": seed, **overrides})



PAPER_GRID: dict[str, tuple[Any, ...]] = {
    "depth": (10, 16, 22),
    "widen_factor": (1, 2),
    "batch_size": (32, 128, 512),
    "weight_decay": (0.0, 1e-4, 1e-3),
    "augment": (False, True),
}



def paper_grid(base: TrainConfig | None = None,
               grid: Mapping[str, tuple[Any, ...]] = PAPER_GRID) -> list[TrainConfig]:
    """Expand a hyperparameter grid into configurations (the paper's 108 nets by default).

    Parameters
    ----------
    base : TrainConfig, optional
        Fields not in the grid; the paper preset's base by default.
    grid : mapping of field name to tuple of values
        The Cartesian product of these values is expanded in order.

    Examples
    --------
    >>> len(paper_grid())
    108
    >>> len(paper_grid(grid={"weight_decay": (0.0, 1e-3), "seed": (0, 1)}))
    4
    """
    base = preset("paper").config() if base is None else base
    names = list(grid)
    unknown = sorted(set(names) - set(field_names()))
    if unknown:
        raise ValueError(f"grid has unknown field(s) {unknown}; valid fields are {field_names()}")
    return [base.replace(**dict(zip(names, values, strict=True)))
            for values in _product(grid, names)]



def _product(grid: Mapping[str, tuple[Any, ...]], names: list[str]) -> Iterator[tuple[Any, ...]]:
    for name in names:
        if not grid[name]:
            raise ValueError(f"grid[{name!r}] must not be empty")
    return itertools.product(*(grid[name] for name in names))


#: Jump-and-retrain and sweep settings of each preset. ``"paper"`` is Horoi et al. (2022):
#: 4 directions × 4 steps × 40 retraining epochs at lr 0.001 (their public code), k = 20,
#: over the 108 networks of :func:`helpers.presets.paper_grid`. ``"workshop"`` fits the
#: CPU budget of a chapter: 8 retraining paths of 10 samples, 5 optimizer steps apart
#: (one epoch of the mini-batch optima, five of the full-batch one), at the optimum's
#: initial learning rate 0.1 (at 5 SGD steps per epoch, lr 0.001 barely moves a network,
#: and every path becomes a monotone chain of its own: see Chapter 4), over weight decay
#: × augmentation with one seed, trained for 50 epochs.
FEATURES: dict[str, dict[str, Any]] = {
    "workshop": {"seeds": (0, 1, 2, 3), "step_sizes": (0.5, 1.0), "epochs": 10,
                 "retrain_lr": 0.1, "steps_per_sample": 5, "knn": 20, "train_epochs": 50,
                 "grid": {"weight_decay": (0.0, 5e-4, 5e-3), "augment": (False, True),
                          "seed": (0,)}},
    "paper": {"seeds": (0, 1, 2, 3), "step_sizes": (0.25, 0.5, 0.75, 1.0), "epochs": 40,
              "retrain_lr": 0.001, "steps_per_sample": None, "knn": 20, "train_epochs": None,
              "grid": dict(PAPER_GRID)},
}



def feature_settings(preset_name: str = "workshop", **overrides: Any) -> dict[str, Any]:
    """A preset's settings (:data:`FEATURES`) with the overrides that are not ``None``.

    Parameters
    ----------
    preset_name : {"workshop", "paper"}
    **overrides
        ``seeds``, ``step_sizes``, ``epochs`` (retraining), ``retrain_lr``, ``knn``,
        ``train_epochs``, ``grid``; ``None`` keeps the preset's value.

    Returns
    -------
    dict
        ``task``: keyword arguments of :class:`FeatureTask` (``seeds``, ``step_sizes``,
        ``epochs``, ``retrain``, ``knn``); ``train_epochs`` (``None``: the training
        preset's own) and ``grid``.

    Examples
    --------
    >>> settings = feature_settings("workshop", retrain_lr=0.01, knn=None)
    >>> settings["task"]["retrain"], settings["task"]["knn"], settings["train_epochs"]
    ({'lr': 0.01}, 20, 50)
    """
    chosen = dict(FEATURES[check_choice("preset", preset_name, PRESETS)])
    unknown = sorted(set(overrides) - set(chosen))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; accepted: {sorted(chosen)}")
    chosen.update({k: v for k, v in overrides.items() if v is not None})
    chosen["seeds"] = check_sequence("seeds", chosen["seeds"], item="int", minimum=0,
                                     unique=True)
    chosen["step_sizes"] = check_sequence("step_sizes", chosen["step_sizes"], minimum=0.0,
                                          strict_minimum=True, unique=True)
    grid = chosen["grid"]
    if not isinstance(grid, Mapping) or not grid or not all(
            isinstance(v, list | tuple) and v for v in grid.values()):
        raise ValueError("grid must map configuration fields to non-empty lists of values, "
                         f"e.g. {{'weight_decay': [0, 0.001]}}; got {grid!r}")
    task = {"seeds": tuple(chosen["seeds"]), "step_sizes": tuple(chosen["step_sizes"]),
            "epochs": chosen["epochs"], "retrain": {"lr": chosen["retrain_lr"]},
            "steps_per_sample": chosen["steps_per_sample"], "knn": chosen["knn"]}
    return {"task": task, "train_epochs": chosen["train_epochs"], "grid": dict(chosen["grid"])}


#: Retraining as Horoi et al. (2022, §3.1) describe it, "with the original optimizer":
#: the optimum's own optimizer, momentum, weight decay, batch size, augmentation and
#: labels, at the small constant learning rate of their public code (0.001, no
#: milestones), so that retraining follows the landscape back rather than jumping
#: across it. (That code also forced momentum 0.9 and weight decay 1e-4 on every
#: optimum; the book keeps each optimum's own.)
DEFAULT_RETRAIN = {"lr": 0.001, "milestones": ()}

#: Chapters 2 and 3: jump and retrain around the optima of Chapter 1. ``steps_per_sample``
#: is the number of optimizer steps between recorded samples (``None``: one epoch, as in
#: the paper). At the workshop scale an epoch of the full-batch "bad" optimum is a
#: single step against 5 for the others, so each optimum records a sample every 5
#: steps: every path moves as far per sample, whatever its batch size.
JUMP_AND_RETRAIN: dict[str, dict[str, Any]] = {
    "workshop": {"seeds": (0, 1, 2, 3), "step_sizes": (0.25, 0.5, 0.75, 1.0), "epochs": 20,
                 "steps_per_sample": 5, "phate_knn": 30},
    "paper": {"seeds": (0, 1, 2, 3), "step_sizes": (0.25, 0.5, 0.75, 1.0), "epochs": 40,
              "steps_per_sample": None, "phate_knn": 30},
}


def jump_and_retrain_settings(preset_name: str = "workshop", *,
                              directions: Sequence[int] | None = None,
                              step_sizes: Sequence[float] | None = None,
                              retrain_epochs: int | None = None,
                              steps_per_sample: int | str | None = None,
                              retrain_lr: float | None = None,
                              retrain_momentum: float | None = None,
                              retrain_weight_decay: float | None = None,
                              retrain_batch_size: int | None = None,
                              normalization: str | None = "filter",
                              phate_knn: int | None = None) -> dict[str, Any]:
    """Chapters 2 and 3's J&R settings: the preset's (:data:`JUMP_AND_RETRAIN`) with the
    chapter's parameters, every one checked under the chapter's own name.

    ``None`` keeps the preset's value; for the retraining optimizer, ``None`` keeps the
    optimum's own momentum, weight decay and batch size (:data:`DEFAULT_RETRAIN`).
    ``steps_per_sample="epoch"`` records one sample per epoch, as the paper does.

    Returns
    -------
    dict
        ``sampling``: keyword arguments of :func:`helpers.sampling.jump_and_retrain`;
        ``phate_knn``; ``n_samples`` (rows per optimum without divergence: the optimum,
        one jump point per direction and step, and the retraining samples).

    Examples
    --------
    >>> settings = jump_and_retrain_settings(retrain_lr=0.01)
    >>> settings["sampling"]["retrain"], settings["sampling"]["epochs"], settings["n_samples"]
    ({'lr': 0.01}, 20, 337)
    >>> jump_and_retrain_settings(retrain_lr=-1)
    Traceback (most recent call last):
    ...
    ValueError: retrain_lr must be a number > 0.0; got -1.0
    """
    chosen = JUMP_AND_RETRAIN[check_choice("preset", preset_name, PRESETS)]
    seeds = check_sequence("directions", chosen["seeds"] if directions is None else directions,
                           item="int", minimum=0, unique=True)
    steps = check_sequence("step_sizes", chosen["step_sizes"] if step_sizes is None
                           else step_sizes, minimum=0.0, strict_minimum=True, unique=True)
    epochs = check_int("retrain_epochs", chosen["epochs"] if retrain_epochs is None
                       else retrain_epochs, minimum=1)
    if steps_per_sample is None:
        steps_per_sample = chosen["steps_per_sample"]
    elif steps_per_sample == "epoch":
        steps_per_sample = None
    else:
        steps_per_sample = check_int("steps_per_sample", steps_per_sample, minimum=1)
    retrain: dict[str, Any] = {}
    for name, value, check in (
            ("retrain_lr", retrain_lr, lambda n, v: check_float(n, v, minimum=0.0,
                                                                 strict_minimum=True)),
            ("retrain_momentum", retrain_momentum,
             lambda n, v: check_float(n, v, minimum=0.0, maximum=1.0)),
            ("retrain_weight_decay", retrain_weight_decay,
             lambda n, v: check_float(n, v, minimum=0.0)),
            ("retrain_batch_size", retrain_batch_size, lambda n, v: check_int(n, v, minimum=1))):
        if value is not None:
            retrain[name.removeprefix("retrain_")] = check(name, value)
    check_choice("normalization", normalization, ("filter", "layer", None))
    n_samples = 1 + len(seeds) * len(steps) * (epochs + 1)
    knn = check_int("phate_knn", chosen["phate_knn"] if phate_knn is None else phate_knn,
                    minimum=1, maximum=n_samples - 2)
    return {"sampling": {"seeds": seeds, "step_sizes": steps, "epochs": epochs,
                         "retrain": retrain, "steps_per_sample": steps_per_sample,
                         "normalization": normalization},
            "phate_knn": knn, "n_samples": n_samples}


#: The zoo of networks behind Chapter 4's Fig. 3B and Chapter 5's classifier table
#: (:func:`helpers.zoo.zoo`): ``train`` overrides the preset's training base, ``grid``
#: spans the paper's factors (model size, batch size, weight decay, augmentation, seeds),
#: the rest is jump and retrain and the graph as in :data:`FEATURES`. J&R's retraining
#: samples (seeds × steps × epochs) are also the grid's and the naive sampler's number of
#: points: 48 at the workshop scale (a 3 × 4 × 4 grid), 640 in the paper (8 × 8 × 10).
#: Workshop (measured with benchmarks/bench_zoo.py): 20 training epochs spread the test
#: losses widely, chiefly through batch size × augmentation. Model size is depth (10, 16)
#: rather than width: on a CPU WRN-10-2 costs about twice WRN-16-1 per point. Retraining
#: steps and the evaluation of each sample set the cost (grid and naive points are
#: evaluated on the training set only); k = 10 of the 57 vertices gives more finite H0
#: points than the paper's 20 (which joins a third of the graph to each vertex here).
ZOO: dict[str, dict[str, Any]] = {
    "workshop": {"train": {"epochs": 20},
                 "grid": {"depth": (10, 16), "batch_size": (32, 128),
                          "weight_decay": (0.0, 5e-4, 5e-3), "augment": (False, True),
                          "seed": (0, 1)},
                 "seeds": (0, 1, 2, 3), "step_sizes": (0.5, 1.0), "epochs": 6,
                 "retrain_lr": 0.1, "steps_per_sample": 5, "knn": 10, "phate_knn": 15,
                 "grid_extent": 1.0},
    "paper": {"train": {}, "grid": dict(PAPER_GRID), "seeds": (0, 1, 2, 3),
              "step_sizes": (0.25, 0.5, 0.75, 1.0), "epochs": 40, "retrain_lr": 0.001,
              "steps_per_sample": None, "knn": 20, "phate_knn": 15, "grid_extent": 1.0},
}
