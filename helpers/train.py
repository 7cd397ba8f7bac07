"""One training loop for the whole book.

:func:`fit` trains a given model on a given dataset with the optimizer, schedule,
batch size and augmentation of a :class:`~helpers.config.TrainConfig`, evaluating
after every epoch. Chapter 1 trains from initialization with :func:`train` (cached);
jump-and-retrain calls :func:`fit` on a jumped model. :func:`fit_model` is the same loop
without a configuration: a reader's own model, optimizer, loss and data
(:mod:`helpers.losses`); :func:`fit` calls it.

What is recorded, per epoch (row 0 is the starting point, before any update):

- ``history``: learning rate, train and test loss and accuracy. Train metrics are
  measured on the whole un-augmented training set in evaluation mode (BatchNorm
  running statistics), so they are comparable across epochs and with test metrics;
- optionally the flattened parameter vector (:func:`helpers.flat_parameters.flatten_parameters`:
  parameters in ``named_parameters()`` order, BatchNorm buffers excluded);
- optionally the per-sample training and test losses.

A non-finite loss stops training: the result is marked ``diverged`` and keeps the
epochs completed before it.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

import helpers.data
import helpers.losses
from helpers.cache import ArtifactCache, code_version, data_dir, frame_arrays
from helpers.checks import check_bool, check_choice, check_int, check_sequence, progress_disabled
from helpers.config import OPTIMA, TrainConfig, check_device_available
from helpers.data import Dataset
from helpers.flat_parameters import (
    buffer_count,
    flatten_buffers,
    flatten_parameters,
    parameter_count,
)
from helpers.losses import LossFunction, check_loss
from helpers.models import build_model
from helpers.presets import optimum_config, preset

HISTORY_COLUMNS = ("epoch", "steps", "lr", "train_loss", "train_accuracy", "test_loss",
                   "test_accuracy")
EVAL_BATCH = 1024


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes
    ----------
    config : TrainConfig or None
        The configuration that produced it; ``None`` for a run of :func:`fit_model`,
        which has none.
    history : pandas.DataFrame
        One row per recorded epoch (0 = before training) with the columns
        ``epoch, steps, lr, train_loss, train_accuracy, test_loss, test_accuracy``;
        ``steps`` counts optimizer steps since the start.
    state : dict of str to Tensor
        The final ``state_dict`` (parameters and BatchNorm buffers).
    parameters : ndarray or None
        ``(len(history), n_parameters)`` float32, row ``i`` at history row ``i``, when
        recorded.
    buffers : ndarray or None
        ``(len(history), n_buffers)`` float32 BatchNorm running statistics
        (:func:`helpers.flat_parameters.flatten_buffers`) recorded with ``parameters``:
        with both, history row ``i`` can be re-evaluated exactly.
    train_sample_losses, test_sample_losses : ndarray or None
        ``(epochs + 1, n_samples)`` float32 per-sample losses, when recorded.
    diverged_epoch : int or None
        The epoch in which the loss became non-finite, if it did.
    seconds : float
        Wall time of the training itself.
    from_cache : bool
        Whether the result was read from the artifact cache.
    """

    config: TrainConfig | None
    history: pd.DataFrame
    state: dict[str, torch.Tensor]
    parameters: np.ndarray | None = None
    buffers: np.ndarray | None = None
    train_sample_losses: np.ndarray | None = None
    test_sample_losses: np.ndarray | None = None
    diverged_epoch: int | None = None
    seconds: float = 0.0
    from_cache: bool = False

    @property
    def diverged(self) -> bool:
        """Whether training stopped on a non-finite loss."""
        return self.diverged_epoch is not None

    @property
    def final(self) -> pd.Series:
        """The last row of :attr:`history`."""
        return self.history.iloc[-1]

    def model(self, dataset: Dataset | None = None) -> nn.Module:
        """A fresh model carrying the final state (in evaluation mode)."""
        if self.config is None:
            raise ValueError("this result of fit_model has no configuration to build a model "
                             "from; its model is the one fit_model trained, in place")
        dataset = dataset if dataset is not None else load_training_data(self.config)
        model = initial_model(self.config, dataset)
        model.load_state_dict(self.state)
        return model.eval()


def initial_model(config: TrainConfig, dataset: Dataset) -> nn.Module:
    """The untrained network of ``config`` for ``dataset``'s image shape and classes,
    initialized from ``config.seed`` (:func:`helpers.models.build_model` builds any
    architecture without seeding)."""
    torch.manual_seed(config.seed)
    return build_model(config.model, config.depth, config.widen_factor,
                                      in_channels=dataset.in_channels,
                                      num_classes=dataset.num_classes,
                                      residual=config.residual)


def load_training_data(config: TrainConfig, download: bool = False) -> Dataset:
    """The dataset of ``config``, with its labels randomized if ``config.random_labels``."""
    dataset = helpers.data.load_dataset(config.dataset, train_size=config.train_size,
                                        root=data_dir(), download=download)
    if config.random_labels:
        dataset = dataclasses.replace(
            dataset, train_y=helpers.data.randomize_labels(dataset.train_y, seed=config.seed))
    return dataset


def make_optimizer(config: TrainConfig,
                   parameters: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """The optimizer named by ``config.optimizer`` with its learning rate and weight decay."""
    parameters = list(parameters)
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    momentum = config.momentum if config.optimizer == "sgd_momentum" else 0.0
    return torch.optim.SGD(parameters, lr=config.lr, momentum=momentum,
                           weight_decay=config.weight_decay)


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate used during ``epoch`` (1-based) under the step schedule.

    Examples
    --------
    >>> config = TrainConfig(lr=0.1, milestones=(2, 3), lr_factor=0.1, epochs=4)
    >>> [round(learning_rate(config, e), 6) for e in (1, 2, 3, 4)]
    [0.1, 0.1, 0.01, 0.001]
    """
    decays = sum(1 for milestone in config.milestones if epoch > milestone)
    return config.lr * config.lr_factor**decays


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
             batch_size: int = EVAL_BATCH, *, loss: LossFunction | None = None
             ) -> tuple[float, float, np.ndarray | None]:
    """Mean loss, accuracy and per-sample losses of ``model`` in evaluation mode.

    Parameters
    ----------
    model : torch.nn.Module
    x, y : torch.Tensor
        Inputs and targets.
    batch_size : int
        Samples per forward pass; the mean is over all samples whatever it is.
    loss : callable, optional
        ``loss(outputs, targets)`` (:mod:`helpers.losses`); cross-entropy by default.

    Returns
    -------
    loss : float
        The mean loss over the samples.
    accuracy : float
        Share of samples classified right; ``nan`` unless ``y`` holds class labels.
    per_sample : ndarray or None
        float32 loss of each sample; ``None`` for a loss that returns only batch means.

    Examples
    --------
    >>> net = nn.Linear(2, 2)
    >>> x, y = torch.randn(6, 2), torch.tensor([0, 1, 0, 1, 0, 1])
    >>> mean, accuracy, each = evaluate(net, x, y, batch_size=4)
    >>> bool(np.isclose(mean, nn.functional.cross_entropy(net(x), y).item())), each.shape
    (True, (6,))
    >>> evaluate(net, x, y, loss=nn.CrossEntropyLoss())[2] is None
    True
    """
    check_loss(loss)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    losses, means, correct = [], 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
        logits = model(xb)
        values = helpers.losses.batch_losses(loss, logits, yb)
        if values.ndim:
            losses.append(values.cpu())
        else:  # a loss that gives the batch mean only
            means += float(values) * len(xb)
        hits = helpers.losses.correct(logits, yb)
        correct = None if hits is None or correct is None else correct + hits
    model.train(was_training)
    accuracy = correct / len(x) if correct is not None else float("nan")
    if not losses:
        return means / len(x), accuracy, None
    per_sample = torch.cat(losses).double().numpy()
    return float(per_sample.mean()), accuracy, per_sample.astype(np.float32)


def fit(model: nn.Module, dataset: Dataset, config: TrainConfig, *,
        record_parameters: bool = False, record_sample_losses: bool = False,
        record_every: int = 1, progress: bool | None = None,
        description: str | None = None) -> TrainResult:
    """Train ``model`` in place with the optimizer, schedule and data handling of ``config``.

    Parameters
    ----------
    model : torch.nn.Module
        Trained from its current weights (fresh for :func:`train`, jumped for J&R).
    dataset : Dataset
        Training and test data; its training labels are used as given.
    config : TrainConfig
        Supplies optimizer, learning rate, momentum, weight decay, schedule, batch
        size, augmentation, epochs, the seed of batch order and augmentation, and device.
    record_parameters : bool
        Keep the flattened parameters and BatchNorm buffers at every recorded epoch.
    record_sample_losses : bool
        Keep per-sample train and test losses at every recorded epoch.
    record_every : int, default 1
        Evaluate and record before training and after every ``record_every``-th epoch
        (and after the last); 1 records every epoch.
    progress : bool or None
        Show a progress bar; ``None`` shows one only on a terminal.
    description : str, optional
        Label of the progress bar.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> from helpers.data import load_dataset
    >>> config = TrainConfig(epochs=1, train_size=50)
    >>> data = load_dataset("digits", train_size=50)
    >>> result = fit(initial_model(config, data), data, config, progress=False)
    >>> list(result.history.epoch)
    [0, 1]
    """
    # The flags first: a bad one fails before the model is moved or an optimizer made.
    check_bool("record_parameters", record_parameters)
    check_bool("record_sample_losses", record_sample_losses)
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig; got {type(config).__name__}")
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    device = torch.device(check_device_available(config.device, "config.device"))
    model.to(device)
    optimizer = make_optimizer(config, model.parameters())

    def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return helpers.data.augment(x, config.dataset, generator)

    result = fit_model(
        model, optimizer, (dataset.train_x, dataset.train_y), (dataset.test_x, dataset.test_y),
        epochs=config.epochs, batch_size=config.batch_size, seed=config.seed,
        learning_rates=lambda epoch: learning_rate(config, epoch),
        augment=augment if config.augment else None, record_parameters=record_parameters,
        record_sample_losses=record_sample_losses, record_every=record_every,
        device=device, progress=progress, description=description or config.label)
    return dataclasses.replace(result, config=config)


def fit_model(model: nn.Module, optimizer: torch.optim.Optimizer, train_data: Any,
              test_data: Any = None, *, epochs: int, batch_size: int,
              loss: LossFunction | None = None, seed: int = 0,
              learning_rates: Callable[[int], float] | None = None,
              augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
              record_parameters: bool = False, record_sample_losses: bool = False,
              record_every: int = 1, device: str | torch.device = "cpu",
              progress: bool | None = None, description: str | None = None) -> TrainResult:
    """Train any model in place with any optimizer and loss, recording what :func:`fit` records.

    The loop of the book without its configuration: every epoch shuffles the training
    data with a generator seeded by ``seed``, takes mini-batches of ``batch_size`` (a
    lone last sample joins the previous batch, for BatchNorm), and evaluates before
    training and after every ``record_every``-th epoch, in evaluation mode, on all the
    training data and on ``test_data``. A non-finite loss stops training (``diverged``).

    Parameters
    ----------
    model : torch.nn.Module
        Trained from its current weights, on ``device``.
    optimizer : torch.optim.Optimizer
        An optimizer over ``model``'s parameters.
    train_data, test_data : pair, Dataset or DataLoader
        Anything :func:`helpers.data.as_tensors` reads; ``test_data`` may be ``None``,
        and the test metrics are then ``nan``.
    epochs : int
        Passes over the training data, ``>= 1``.
    batch_size : int
        Samples per optimizer step.
    loss : callable, optional
        ``loss(outputs, targets)``, its batch mean minimized (:mod:`helpers.losses`);
        cross-entropy by default.
    seed : int, default 0
        Seed of the batch order (and of ``augment``'s draws).
    learning_rates : callable, optional
        ``learning_rates(epoch)`` (1-based) is set on every parameter group before each
        epoch; ``None`` leaves the optimizer's rates as they are.
    augment : callable, optional
        ``augment(x_batch, generator)`` returns an augmented batch.
    record_parameters, record_sample_losses, record_every
        As in :func:`fit`. Per-sample losses need a ``loss`` that returns them.
    device : str or torch.device
    progress : bool or None
        Show a progress bar; ``None`` shows one only on a terminal.
    description : str, optional
        Label of the progress bar.

    Returns
    -------
    TrainResult
        With ``config=None``; ``history``'s ``lr`` is the rate of each recorded epoch.

    Raises
    ------
    ValueError
        On a bad argument, before any training.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> inputs = torch.randn(40, 2)
    >>> result = fit_model(net, torch.optim.SGD(net.parameters(), lr=0.1),
    ...                    (inputs, (inputs.sum(1) > 0).long()), epochs=3, batch_size=8,
    ...                    record_parameters=True, progress=False)
    >>> result.history[["epoch", "steps"]].values.tolist(), result.parameters.shape
    ([[0, 0], [1, 5], [2, 10], [3, 15]], (4, 22))
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer; got "
                         f"{type(optimizer).__name__}")
    x_train, y_train = helpers.data.as_tensors(train_data, "train_data")
    test = None if test_data is None else helpers.data.as_tensors(test_data, "test_data")
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_loss(loss)
    seed = check_int("seed", seed, minimum=0)
    for name, function in (("learning_rates", learning_rates), ("augment", augment)):
        if function is not None and not callable(function):
            raise ValueError(f"{name} must be a callable or None; got {function!r}")
    check_bool("record_parameters", record_parameters)
    check_bool("record_sample_losses", record_sample_losses)
    record_every = check_int("record_every", record_every, minimum=1)
    if progress is not None:
        check_bool("progress", progress)
    device = torch_device(device)
    model.to(device)
    generator = torch.Generator().manual_seed(seed)
    n_train = len(x_train)

    rows, parameters, buffers, train_losses, test_losses = [], [], [], [], []
    steps = batch_count(n_train, batch_size)

    def rate(epoch: int) -> float:
        return (learning_rates(epoch) if learning_rates is not None
                else optimizer.param_groups[0]["lr"])

    def record(epoch: int, lr: float) -> bool:
        train_loss, train_acc, train_each = evaluate(model, x_train, y_train, loss=loss)
        test_loss, test_acc, test_each = (evaluate(model, *test, loss=loss) if test is not None
                                          else (math.nan, math.nan, None))
        if not (math.isfinite(train_loss) and (test is None or math.isfinite(test_loss))):
            return False
        rows.append((epoch, epoch * steps, lr, train_loss, train_acc, test_loss,
                     test_acc))
        if record_parameters:
            parameters.append(flatten_parameters(model))
            buffers.append(flatten_buffers(model))
        if record_sample_losses:
            if train_each is None:
                raise ValueError("record_sample_losses needs a loss that returns one value "
                                 "per sample (reduction='none')")
            train_losses.append(train_each)
            if test is not None:
                test_losses.append(test_each)
        return True

    started = time.perf_counter()
    diverged_epoch = None if record(0, rate(1)) else 0
    epoch_range = range(1, epochs + 1) if diverged_epoch is None else range(0)
    bar = tqdm(epoch_range, desc=description or "fit", disable=progress_disabled(progress),
               leave=False)
    for epoch in bar:
        lr = rate(epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        model.train()
        if not _train_one_epoch(model, optimizer, x_train, y_train, batch_size, loss, augment,
                                generator, device):
            diverged_epoch = epoch
            break
        if epoch % record_every and epoch != epochs:
            continue
        if not record(epoch, lr):
            diverged_epoch = epoch
            break
        bar.set_postfix(loss=f"{rows[-1][3]:.3g}", test_acc=f"{rows[-1][6]:.3f}")
    bar.close()
    seconds = time.perf_counter() - started

    return TrainResult(
        config=None,
        history=pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)).astype({"epoch": np.int64}),
        state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        # A start that is already non-finite (diverged_epoch 0) records no row: empty
        # arrays of the right width, not a crash in np.stack.
        parameters=_stack(parameters, parameter_count(model)) if record_parameters else None,
        buffers=_stack(buffers, buffer_count(model)) if record_parameters else None,
        train_sample_losses=_stack(train_losses, n_train) if record_sample_losses else None,
        test_sample_losses=(_stack(test_losses, len(test[0]))
                            if record_sample_losses and test is not None else None),
        diverged_epoch=diverged_epoch,
        seconds=seconds,
    )


def torch_device(device: Any, name: str = "device") -> torch.device:
    """``device`` as a ``torch.device``, or a ``ValueError`` naming the argument.

    Examples
    --------
    >>> torch_device("cpu")
    device(type='cpu')
    >>> torch_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device must name a torch device such as 'cpu' or 'cuda'; got 'gpu'
    """
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"{name} must name a torch device such as 'cpu' or 'cuda'; "
                         f"got {device!r}") from error


def _stack(rows: list[np.ndarray], width: int) -> np.ndarray:
    return np.stack(rows) if rows else np.zeros((0, width), dtype=np.float32)


def _train_one_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                     y: torch.Tensor, batch_size: int, loss: LossFunction | None,
                     augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None,
                     generator: torch.Generator, device: torch.device) -> bool:
    """One pass over shuffled mini-batches; ``False`` as soon as a loss is not finite."""
    order = torch.randperm(len(x), generator=generator)
    for batch in _batches(order, batch_size):
        xb = x[batch]
        if augment is not None:
            xb = augment(xb, generator)
        xb, yb = xb.to(device), y[batch].to(device)
        value = helpers.losses.mean_loss(loss, model(xb), yb)
        if not torch.isfinite(value):
            return False
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
    return True


def steps_per_epoch(config: TrainConfig, n_train: int) -> int:
    """Optimizer steps in one epoch of ``n_train`` images at ``config.batch_size``.

    Examples
    --------
    >>> steps_per_epoch(TrainConfig(batch_size=64), 300)
    5
    >>> steps_per_epoch(TrainConfig(batch_size=300), 300)
    1
    """
    return batch_count(n_train, config.batch_size)


def batch_count(n_train: int, batch_size: int) -> int:
    """Mini-batches in one epoch of ``n_train`` samples (a lone last sample joins the one before).

    Examples
    --------
    >>> batch_count(65, 32), batch_count(64, 32)
    (2, 2)
    """
    return len(_batches(torch.arange(check_int("n_train", n_train, minimum=1)),
                        check_int("batch_size", batch_size, minimum=1)))


def _batches(order: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    batches = list(order.split(batch_size))
    # BatchNorm cannot normalize a batch of one image: fold a lone last image into
    # the previous batch instead of dropping it.
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2:] = [torch.cat(batches[-2:])]
    return batches


# --- cached training from initialization ---------------------------------------------

def training_code_version() -> str:
    """Version of the code that decides a training result: this module and every module
    it imports (configuration, data, models, flat parameters), docstrings and comments
    excluded (:func:`helpers.cache.code_version`)."""
    return code_version(sys.modules[__name__])


def train(config: TrainConfig, *, record_parameters: bool = False,
          record_sample_losses: bool = False, record_every: int = 1,
          progress: bool | None = None, download: bool = False,
          cache: ArtifactCache | None = None) -> TrainResult:
    """Train the network of ``config`` from its seeded initialization, with caching.

    The result is stored under ``data/cache/train/`` keyed by the configuration,
    the recording flags and the source code of the training modules; the same
    request later is served from disk.

    Parameters
    ----------
    config : TrainConfig
    record_parameters, record_sample_losses : bool
        See :func:`fit`.
    record_every : int, default 1
        Evaluate every ``record_every``-th epoch (and the last), as in :func:`fit`; an
        evaluation of train and test set costs about as much as a training epoch, so a
        population of networks that needs only the final optimum uses ``epochs``.
    progress : bool or None
        See :func:`fit`.
    download : bool
        Allow torchvision to download ``config.dataset`` into ``data/`` if missing.
    cache : ArtifactCache, optional
        The store to use; the project's ``data/cache`` by default.

    Examples
    --------
    >>> result = train(TrainConfig(epochs=2, train_size=50), progress=False)
    >>> result.history.shape
    (3, 7)
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig; got {type(config).__name__}")
    check_bool("download", download)
    record_every = check_int("record_every", record_every, minimum=1)
    cache = cache or ArtifactCache()
    fields = {"config": config.to_dict(), "record_parameters": record_parameters,
              "record_sample_losses": record_sample_losses}
    if record_every != 1:  # the key of every other training stays as it was
        fields["record_every"] = record_every

    def compute() -> tuple[dict[str, np.ndarray], dict]:
        dataset = load_training_data(config, download=download)
        result = fit(initial_model(config, dataset), dataset, config,
                     record_parameters=record_parameters,
                     record_sample_losses=record_sample_losses, record_every=record_every,
                     progress=progress)
        return _result_arrays(result)

    artifact = cache.get_or_compute("train", fields, compute, code=training_code_version())
    return _result_from_artifact(config, artifact)


def _result_arrays(result: TrainResult) -> tuple[dict[str, np.ndarray], dict]:
    arrays, columns = frame_arrays("history", result.history)
    arrays.update({f"state.{name}": value.numpy() for name, value in result.state.items()})
    for name in ("parameters", "buffers", "train_sample_losses", "test_sample_losses"):
        value = getattr(result, name)
        if value is not None:
            arrays[name] = value
    meta = {"frames": {"history": columns}, "state": list(result.state),
            "diverged_epoch": result.diverged_epoch, "seconds": result.seconds}
    return arrays, meta


def _result_from_artifact(config: TrainConfig, artifact) -> TrainResult:
    meta = artifact.meta
    optional = {name: np.asarray(artifact[name]) if name in artifact else None
                for name in ("parameters", "buffers", "train_sample_losses",
                             "test_sample_losses")}
    return TrainResult(
        config=config,
        history=artifact.frame("history"),
        state={name: torch.from_numpy(np.array(artifact[f"state.{name}"]))
               for name in meta["state"]},
        diverged_epoch=meta["diverged_epoch"],
        seconds=meta["seconds"],
        from_cache=artifact.from_cache,
        **optional,
    )


def train_optima(preset_name: str = "workshop", seeds: Iterable[int] | None = None,
                 kinds: Iterable[str] = OPTIMA,
                 overrides: dict | None = None, per_optimum: dict[str, dict] | None = None,
                 progress: bool | None = None, download: bool = False,
                 ) -> dict[tuple[str, int], TrainResult]:
    """Train (or load) the good, bad and memorization optima of a preset over seeds.

    Parameters
    ----------
    preset_name : {"workshop", "paper"}
    seeds : iterable of int, optional
        The preset's seeds by default.
    kinds : iterable of {"good", "bad", "memorization"}
    overrides : dict, optional
        Configuration fields applied to every optimum.
    per_optimum : dict of kind to dict, optional
        Fields applied to one kind only (after ``overrides``).
    progress, download : see :func:`train`.

    Returns
    -------
    dict mapping ``(kind, seed)`` to :class:`TrainResult`
    """
    configs = optima_configs(preset_name, seeds, kinds, overrides, per_optimum)
    return {name: train(config, progress=progress, download=download)
            for name, config in configs.items()}


def optima_configs(preset_name: str = "workshop", seeds: Iterable[int] | None = None,
                   kinds: Iterable[str] = OPTIMA,
                   overrides: dict | None = None, per_optimum: dict[str, dict] | None = None,
                   ) -> dict[tuple[str, int], TrainConfig]:
    """The configurations :func:`train_optima` trains, validated before any training.

    Examples
    --------
    >>> sorted(optima_configs(seeds=[0]))
    [('bad', 0), ('good', 0), ('memorization', 0)]
    """
    kinds = tuple(check_choice("kinds", kind, OPTIMA) for kind in kinds)
    seeds = preset(preset_name).seeds if seeds is None else seeds
    seeds = check_sequence("seeds", seeds, item="int", minimum=0, unique=True)
    per_optimum = per_optimum or {}
    unknown = sorted(set(per_optimum) - set(OPTIMA))
    if unknown:
        raise ValueError(f"per_optimum has unknown optimum kind(s) {unknown}; "
                         f"accepted: {list(OPTIMA)}")
    configs = {}
    for kind in kinds:
        fields = per_optimum.get(kind, {})
        if not isinstance(fields, Mapping):
            raise ValueError(f"{kind} must be a dict of configuration fields for the {kind} "
                             f"optimum, e.g. {{'weight_decay': 1e-3}}; got {fields!r}")
        for seed in seeds:
            try:
                configs[kind, seed] = optimum_config(kind, preset_name, seed=seed,
                                                     **{**(overrides or {}), **fields})
            except ValueError as error:
                if not fields:
                    raise
                raise ValueError(f"{kind} (fields {dict(fields)}): {error}") from None
    return configs


def summarize(results: dict[tuple[str, int], TrainResult]) -> pd.DataFrame:
    """Final train/test loss and accuracy per optimum: mean and standard deviation over seeds.

    Returns a table indexed by optimum kind with columns ``(metric, "mean"|"std")``
    plus ``seeds`` and ``diverged``.
    """
    rows = []
    for (kind, seed), result in results.items():
        final = result.final
        rows.append({"optimum": kind, "seed": seed, "diverged": result.diverged,
                     **{m: final[m] for m in HISTORY_COLUMNS[2:]}})
    frame = pd.DataFrame(rows)
    metrics = list(HISTORY_COLUMNS[2:])
    summary = frame.groupby("optimum", sort=False)[metrics].agg(["mean", "std"])
    summary[("seeds", "")] = frame.groupby("optimum", sort=False)["seed"].count()
    summary[("diverged", "")] = frame.groupby("optimum", sort=False)["diverged"].sum()
    return summary


def histories(results: dict[tuple[str, int], TrainResult]) -> pd.DataFrame:
    """All learning curves in one long table: optimum, seed, epoch, lr, split, metric, value."""
    frames = []
    for (kind, seed), result in results.items():
        long = result.history.melt(id_vars=["epoch", "steps", "lr"], var_name="measure")
        long[["split", "metric"]] = long["measure"].str.split("_", n=1, expand=True)
        frames.append(long.drop(columns="measure").assign(optimum=kind, seed=seed))
    return pd.concat(frames, ignore_index=True)
