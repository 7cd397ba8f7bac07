"""Frozen, validated training configurations with a stable cache key.

A :class:`TrainConfig` says everything that decides the numbers a training run
produces: dataset and training-subset size, model, optimizer, schedule,
regularization, epochs and seed. It is checked field by field when it is made,
so a typo fails at once, not an hour into a run. Its :meth:`TrainConfig.key` is a
hash of its fields, used to address cached artifacts.

Presets bundle the defaults of a scale: ``"workshop"`` (the book's default, CPU
minutes on 8×8 digits) and ``"paper"`` (Horoi et al. 2022, §4.1: WRN-28-2 on
CIFAR-10). :func:`~helpers.presets.optimum_config` derives the good, bad and memorization optima
of a preset, and :func:`~helpers.presets.paper_grid` expands the paper's 108-network sweep.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from helpers.cache import json_default, stable_hash
from helpers.checks import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_sequence,
)
from helpers.data import DATASETS
from helpers.models import FAMILIES

OPTIMIZERS = ("sgd", "sgd_momentum", "adam")
DEVICES = ("cpu", "cuda", "mps")
OPTIMA = ("good", "bad", "memorization")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the outcome of one training run.

    Parameters
    ----------
    dataset : {"digits", "mnist", "fashion_mnist", "cifar10", "cifar100"}
        ``"digits"`` (scikit-learn's 8×8 digits) needs no download.
    train_size : int or None
        Number of training images (a fixed, class-balanced subset); ``None``
        uses the whole training set.
    model : {"wrn", "resnet"}
        Wide-ResNet (``depth`` = 6n+4) or CIFAR ResNet (``depth`` = 6n+2).
    depth, widen_factor : int
        Network depth and width multiplier (``widen_factor`` is 1 for ResNet).
    residual : bool
        ResNet only: ``False`` removes every skip connection.
    optimizer : {"sgd", "sgd_momentum", "adam"}
        ``"sgd_momentum"`` uses ``momentum``; the others ignore it.
    lr : float
        Initial learning rate (> 0).
    momentum : float
        Momentum of ``"sgd_momentum"``, in [0, 1).
    weight_decay : float
        L2 penalty (>= 0), coupled as in ``torch.optim``.
    milestones : tuple of int
        Epochs after which the learning rate is multiplied by ``lr_factor``;
        strictly increasing, each in 1..``epochs``.
    lr_factor : float
        Multiplicative learning-rate decay at each milestone, in (0, 1].
    batch_size : int
        Mini-batch size (>= 1); a value at least the training size is full batch.
    augment : bool
        Random shifts/rotations (digits, MNIST) or crops/flips (CIFAR).
    random_labels : bool
        Replace the training labels with a fixed permutation of them (by ``seed``),
        so the network can only memorize.
    epochs : int
        Number of passes over the training set (>= 1).
    seed : int
        Seed of the initialization, the batch order and the augmentation.
    device : {"cpu", "cuda", "mps"}
        Where to train. Results are bitwise reproducible on CPU only.

    Examples
    --------
    >>> config = TrainConfig(epochs=3, seed=1)
    >>> config.replace(seed=2).seed
    2
    >>> TrainConfig(epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer >= 1; got 0
    """

    dataset: str = "digits"
    train_size: int | None = 300
    model: str = "wrn"
    depth: int = 10
    widen_factor: int = 1
    residual: bool = True
    optimizer: str = "sgd_momentum"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    milestones: tuple[int, ...] = ()
    lr_factor: float = 0.1
    batch_size: int = 64
    augment: bool = False
    random_labels: bool = False
    epochs: int = 150
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        # Normalize before checking so that lists from papermill or JSON become tuples
        # and the key of an equal configuration is always the same.
        set_ = object.__setattr__
        check_choice("dataset", self.dataset, DATASETS)
        if self.train_size is not None:
            set_(self, "train_size", check_int("train_size", self.train_size, minimum=10))
        check_choice("model", self.model, FAMILIES)
        set_(self, "epochs", check_int("epochs", self.epochs, minimum=1))
        if self.model == "wrn":
            depth = check_int("depth", self.depth, minimum=10)
            if (depth - 4) % 6:
                raise ValueError(f"depth of a Wide-ResNet must be 6n+4 (10, 16, 22, 28, ...); "
                                 f"got {depth}")
        else:
            depth = check_int("depth", self.depth, minimum=8)
            if (depth - 2) % 6:
                raise ValueError(f"depth of a ResNet must be 6n+2 (20, 32, 44, 56, ...); "
                                 f"got {depth}")
        set_(self, "depth", depth)
        set_(self, "widen_factor", check_int("widen_factor", self.widen_factor, minimum=1))
        if self.model == "resnet" and self.widen_factor != 1:
            raise ValueError(f"widen_factor must be 1 for model='resnet'; got {self.widen_factor}")
        set_(self, "residual", check_bool("residual", self.residual))
        if self.model == "wrn" and not self.residual:
            raise ValueError("residual=False is only available for model='resnet'")
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        set_(self, "lr", check_float("lr", self.lr, minimum=0.0, strict_minimum=True))
        momentum = check_float("momentum", self.momentum, minimum=0.0)
        if momentum >= 1.0:
            raise ValueError(f"momentum must be in [0, 1); got {momentum}")
        set_(self, "momentum", momentum)
        set_(self, "weight_decay", check_float("weight_decay", self.weight_decay, minimum=0.0))
        milestones = check_sequence("milestones", self.milestones, item="int", nonempty=False,
                                    minimum=1)
        if any(b <= a for a, b in itertools.pairwise(milestones)):
            raise ValueError(f"milestones must be strictly increasing; got {list(milestones)}")
        if milestones and milestones[-1] > self.epochs:
            raise ValueError(f"milestones must lie in 1..epochs={self.epochs}; "
                             f"got {list(milestones)}")
        set_(self, "milestones", milestones)
        set_(self, "lr_factor", check_float("lr_factor", self.lr_factor, minimum=0.0,
                                            maximum=1.0, strict_minimum=True))
        set_(self, "batch_size", check_int("batch_size", self.batch_size, minimum=1))
        set_(self, "augment", check_bool("augment", self.augment))
        set_(self, "random_labels", check_bool("random_labels", self.random_labels))
        set_(self, "seed", check_int("seed", self.seed, minimum=0))
        check_choice("device", self.device, DEVICES)

    def replace(self, **changes: Any) -> TrainConfig:
        """Return a copy with ``changes`` applied (and validated).

        Unknown field names raise ``ValueError`` listing the valid ones.

        Examples
        --------
        >>> TrainConfig().replace(weight_decay=1e-4).weight_decay
        0.0001
        """
        unknown = sorted(set(changes) - set(field_names()))
        if unknown:
            raise ValueError(f"unknown configuration field(s) {unknown}; "
                             f"valid fields are {field_names()}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-compatible values.

        Examples
        --------
        >>> TrainConfig().to_dict()["dataset"]
        'digits'
        """
        values = dataclasses.asdict(self)
        values["milestones"] = list(self.milestones)
        return values

    def key(self) -> str:
        """A stable hash of the fields, identical across runs and machines.

        Examples
        --------
        >>> TrainConfig().key() == TrainConfig().key()
        True
        >>> TrainConfig().key() == TrainConfig(seed=1).key()
        False
        """
        return stable_hash(self.to_dict())

    @property
    def label(self) -> str:
        """A short human-readable name such as ``'WRN-10-1 digits/300'``."""
        arch = (f"WRN-{self.depth}-{self.widen_factor}" if self.model == "wrn"
                else f"ResNet-{self.depth}{'' if self.residual else ' (no skip)'}")
        size = "all" if self.train_size is None else str(self.train_size)
        return f"{arch} {self.dataset}/{size}"


def field_names() -> list[str]:
    """Names of the fields of :class:`TrainConfig`, in declaration order.

    Examples
    --------
    >>> field_names()[:2]
    ['dataset', 'train_size']
    """
    return [f.name for f in dataclasses.fields(TrainConfig)]




def overrides(**values: Any) -> dict[str, Any]:
    """The given fields that are not ``None``: a chapter's parameters as overrides.

    ``None`` in a chapter's parameters cell means "the preset's value". A ``device``
    is also checked to exist on this machine (:func:`check_device_available`).

    Examples
    --------
    >>> overrides(epochs=60, lr=None)
    {'epochs': 60}
    """
    unknown = sorted(set(values) - set(field_names()))
    if unknown:
        raise ValueError(f"unknown configuration field(s) {unknown}; "
                         f"valid fields are {field_names()}")
    if values.get("device") is not None:
        check_device_available(values["device"])
    return {name: value for name, value in values.items() if value is not None}


def check_device_available(device: Any, name: str = "device") -> str:
    """Return ``device`` if it is one of ``DEVICES`` and this machine has it.

    Examples
    --------
    >>> check_device_available("cpu")
    'cpu'
    """
    check_choice(name, device, DEVICES)
    import torch

    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": bool(getattr(torch.backends, "mps", None)
                             and torch.backends.mps.is_available())}
    if not available[device]:
        usable = [d for d in DEVICES if available[d]]
        raise ValueError(f"{name} {device!r} is not available on this machine (torch finds no "
                         f"{device.upper()} device); available: {usable}")
    return device


def compare(configs: Mapping[Any, TrainConfig]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Split configurations' settings into those that differ and those all share.

    Parameters
    ----------
    configs : mapping
        Names (any printable key) to configurations.

    Returns
    -------
    differing : dict
        ``{setting: {name: value}}`` for each setting that is not the same everywhere.
    shared : dict
        ``{setting: value}`` for the settings every configuration has in common.

    Examples
    --------
    >>> differing, shared = compare({"a": TrainConfig(lr=0.1), "b": TrainConfig(lr=0.01)})
    >>> differing["lr"]
    {'a': 0.1, 'b': 0.01}
    >>> shared["epochs"]
    150
    """
    if not configs:
        raise ValueError("configs must name at least one configuration")
    rows = {str(name): c.to_dict() for name, c in configs.items()}
    differing: dict[str, dict[str, Any]] = {}
    shared: dict[str, Any] = {}
    for setting in field_names():
        values = {name: row[setting] for name, row in rows.items()}
        if len({json.dumps(v, default=json_default) for v in values.values()}) == 1:
            shared[setting] = next(iter(values.values()))
        else:
            differing[setting] = values
    return differing, shared


def check_optima(name: str, kinds: Any) -> list[str]:
    """Check a chapter's list of optimum kinds: non-empty, known, no repeats.

    Examples
    --------
    >>> check_optima("optima", ["good", "bad"])
    ['good', 'bad']
    >>> check_optima("optima", ["great"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: optima must list kinds from ('good', 'bad', 'memorization') ... got ['great']
    """
    listed = [kinds] if isinstance(kinds, str) else kinds
    listed = list(listed) if isinstance(listed, Iterable) else []
    if not listed or any(k not in OPTIMA for k in listed) or len(set(listed)) != len(listed):
        raise ValueError(f"{name} must list kinds from {OPTIMA} without repeats; got {kinds!r}")
    return listed
