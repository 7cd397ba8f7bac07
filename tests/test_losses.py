"""The loss convention of the helpers: cross-entropy, a batch mean, or per-sample values."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.losses import batch_losses, check_loss, correct, mean_loss

OUTPUTS = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 3.0]])
TARGETS = torch.tensor([0, 0, 1])


def test_the_default_is_cross_entropy():
    each = nn.functional.cross_entropy(OUTPUTS, TARGETS, reduction="none")
    assert torch.equal(batch_losses(None, OUTPUTS, TARGETS), each)
    assert torch.equal(mean_loss(None, OUTPUTS, TARGETS),
                       nn.functional.cross_entropy(OUTPUTS, TARGETS))


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.CrossEntropyLoss(reduction="none")])
def test_a_mean_and_a_per_sample_loss_have_the_same_mean(loss):
    assert torch.isclose(mean_loss(loss, OUTPUTS, TARGETS), mean_loss(None, OUTPUTS, TARGETS))
    assert batch_losses(loss, OUTPUTS, TARGETS).shape in ((), (3,))


def test_the_mean_stays_differentiable():
    outputs = OUTPUTS.clone().requires_grad_(True)
    mean_loss(nn.CrossEntropyLoss(reduction="none"), outputs, TARGETS).backward()
    assert outputs.grad is not None and outputs.grad.abs().sum() > 0


@pytest.mark.parametrize("loss", [lambda o, t: o, lambda o, t: o.sum(1)[:2], lambda o, t: 1.0])
def test_a_loss_of_another_shape_is_refused(loss):
    with pytest.raises(ValueError, match=r"^loss must return the batch mean"):
        batch_losses(loss, OUTPUTS, TARGETS)


def test_check_loss():
    assert check_loss(None) is None
    assert check_loss(nn.MSELoss()) is not None
    with pytest.raises(ValueError, match="^criterion must be None"):
        check_loss(3, "criterion")


def test_accuracy_only_for_class_labels():
    assert correct(OUTPUTS, TARGETS) == 2
    assert correct(OUTPUTS, TARGETS.float()) is None  # float targets: a regression
    assert correct(OUTPUTS[:, :1].squeeze(1), TARGETS) is None  # one output per sample
    assert correct(OUTPUTS, torch.eye(3)[:, :2]) is None  # one-hot targets
