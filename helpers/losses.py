"""The loss a helper trains or evaluates with: cross-entropy, or the reader's own.

Every helper that trains a network or evaluates or differentiates its loss —
:func:`helpers.train.fit_model`, :func:`helpers.train.evaluate`,
:func:`helpers.sampling.jump_and_retrain_model`, :func:`helpers.directions.evaluate_points`,
:func:`helpers.surfaces.loss_surface`, :class:`helpers.hessian.HessianOperator` — takes
a ``loss`` argument:

``None``
    cross-entropy of the outputs (logits) against integer class labels: the book's loss;
a callable ``loss(outputs, targets)``
    returning either the batch mean, a 0-d tensor (as ``torch.nn.CrossEntropyLoss()``
    or ``torch.nn.functional.mse_loss`` do by default), or one value per sample, a tensor
    of shape ``(n,)`` (``reduction="none"``). Training minimizes the batch mean either way.

The loss of a dataset is the mean over its samples, however they are split into
batches: ``Σ_b n_b · mean_b / n``. Per-sample losses exist only for a loss that returns
them. Accuracy, the share of samples whose largest output is the target, is defined
when the targets are 1-D integer class labels and the outputs ``(n, classes)``; for
other targets (a regression, say) it is not a number.

Examples
--------
>>> outputs, targets = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])
>>> float(mean_loss(None, outputs, targets)) == float(
...     torch.nn.functional.cross_entropy(outputs, targets))
True
>>> batch_losses(torch.nn.CrossEntropyLoss(reduction="none"), outputs, targets).shape
torch.Size([2])
>>> correct(outputs, targets)
1
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

#: A loss: ``loss(outputs, targets)`` → the batch mean (0-d) or one value per sample.
LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def check_loss(loss: Any, name: str = "loss") -> LossFunction | None:
    """Return ``loss`` if it is ``None`` (cross-entropy) or a callable, else raise ``ValueError``.

    Examples
    --------
    >>> check_loss("mse")
    Traceback (most recent call last):
    ...
    ValueError: loss must be None (cross-entropy) or a callable loss(outputs, targets); got 'mse'
    """
    if loss is not None and not callable(loss):
        raise ValueError(f"{name} must be None (cross-entropy) or a callable "
                         f"loss(outputs, targets); got {loss!r}")
    return loss


def batch_losses(loss: LossFunction | None, outputs: torch.Tensor,
                 targets: torch.Tensor) -> torch.Tensor:
    """The loss of a batch as ``loss`` gives it: per-sample values ``(n,)`` or the mean (0-d).

    With ``loss=None``, the per-sample cross-entropy.

    Raises
    ------
    ValueError
        If ``loss`` returns something else than a 0-d tensor or one value per sample.

    Examples
    --------
    >>> batch_losses(lambda o, t: ((o - t) ** 2).mean(), torch.ones(3, 1), torch.zeros(3, 1))
    tensor(1.)
    """
    if loss is None:
        return nn.functional.cross_entropy(outputs, targets, reduction="none")
    values = loss(outputs, targets)
    n = outputs.shape[0] if outputs.ndim else 1
    if not isinstance(values, torch.Tensor) or values.shape not in ((), (n,)):
        shape = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
        raise ValueError(f"loss must return the batch mean (a 0-d tensor) or one value per "
                         f"sample (shape ({n},)); got {shape}")
    return values


def mean_loss(loss: LossFunction | None, outputs: torch.Tensor,
              targets: torch.Tensor) -> torch.Tensor:
    """The batch mean of ``loss`` (0-d, differentiable): what training minimizes.

    Examples
    --------
    >>> per_sample = torch.nn.CrossEntropyLoss(reduction="none")
    >>> outputs, targets = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    >>> bool(torch.isclose(mean_loss(per_sample, outputs, targets),
    ...                    mean_loss(None, outputs, targets)))
    True
    """
    if loss is None:
        return nn.functional.cross_entropy(outputs, targets)
    values = batch_losses(loss, outputs, targets)
    return values if values.ndim == 0 else values.mean()


def correct(outputs: torch.Tensor, targets: torch.Tensor) -> int | None:
    """How many samples' largest output is their target; ``None`` unless classification.

    Classification: targets 1-D integer labels, outputs ``(n, classes)``.

    Examples
    --------
    >>> correct(torch.tensor([[0.0, 1.0], [3.0, 1.0]]), torch.tensor([1, 1]))
    1
    >>> correct(torch.zeros(2, 1), torch.zeros(2, 1)) is None  # a regression
    True
    """
    if targets.ndim != 1 or targets.is_floating_point() or outputs.ndim != 2:
        return None
    return int((outputs.argmax(1) == targets).sum())
