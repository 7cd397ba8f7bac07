"""The one parameter order used everywhere in the book.

A network's parameters become a single flat vector by concatenating the tensors of
``model.named_parameters()`` in registration order, each flattened in row-major
(C) order. Only *parameters* take part: BatchNorm's ``running_mean``,
``running_var`` and ``num_batches_tracked`` are buffers, not parameters, and are
left out, as in the public code of the jump-and-retrain paper (one row of
parameters per epoch). Every flat vector in the book — recorded training
trajectories, random directions, sampled points — uses this order, so a row of
any of them can be loaded back with :func:`load_flat_parameters`.

A network with BatchNorm is evaluated with its running statistics, which change
during training but are not parameters. So that every stored sample can be
re-evaluated from what is stored, samplers also keep the floating-point buffers
(:func:`flatten_buffers`, :func:`load_flat_buffers`) in ``model.named_buffers()``
order; integer buffers (``num_batches_tracked``) do not enter an evaluation and are
left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from helpers.checks import check_bool


def parameter_names(model: nn.Module) -> list[str]:
    """Names of the model's parameters in the flat-vector order.

    This is the order of ``model.named_parameters()``: registration order, shared
    (tied) parameters counted once, buffers excluded.

    Parameters
    ----------
    model : torch.nn.Module
        Any network.

    Returns
    -------
    list of str
        One name per parameter tensor.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    >>> parameter_names(net)
    ['0.weight', '0.bias', '1.weight', '1.bias']
    """
    _check_model(model)
    return [name for name, _ in model.named_parameters()]


def parameter_count(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Length of the model's flat parameter vector (buffers excluded).

    Parameters
    ----------
    model : torch.nn.Module
        Any network.
    trainable_only : bool, default False
        Count only parameters with ``requires_grad``; the flat vector holds them all.

    Returns
    -------
    int
        Sum of ``numel()`` over ``model.parameters()``. BatchNorm running statistics
        are buffers, not parameters, and are not counted.

    Examples
    --------
    >>> parameter_count(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)))
    12
    """
    _check_model(model)
    check_bool("trainable_only", trainable_only)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def flatten_parameters(model: nn.Module) -> np.ndarray:
    """The model's parameters as one float32 vector, in :func:`parameter_names` order.

    Parameters
    ----------
    model : torch.nn.Module
        Any network, on any device.

    Returns
    -------
    numpy.ndarray
        1-D float32 array of length :func:`parameter_count`; a copy.

    Examples
    --------
    >>> net = nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[1.0, 2.0]]))
    ...     _ = net.bias.fill_(3.0)
    >>> flatten_parameters(net)
    array([1., 2., 3.], dtype=float32)
    """
    _check_model(model)
    tensors = [p.detach().reshape(-1).to("cpu", torch.float32) for p in model.parameters()]
    if not tensors:
        return np.zeros(0, dtype=np.float32)
    return torch.cat(tensors).numpy().copy()


def _float_buffers(model: nn.Module) -> list[torch.Tensor]:
    return [b for _, b in model.named_buffers() if b.is_floating_point()]


def buffer_count(model: nn.Module) -> int:
    """Length of the model's flat vector of floating-point buffers.

    Examples
    --------
    >>> buffer_count(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)))  # mean and var
    4
    """
    _check_model(model)
    return sum(b.numel() for b in _float_buffers(model))


def flatten_buffers(model: nn.Module) -> np.ndarray:
    """The model's floating-point buffers (BatchNorm running statistics) as one vector.

    Returns
    -------
    numpy.ndarray
        1-D float32 array of length :func:`buffer_count` (empty for a model without
        BatchNorm); a copy.

    Examples
    --------
    >>> bn = nn.BatchNorm1d(2)
    >>> flatten_buffers(bn)  # running mean, then running variance
    array([0., 0., 1., 1.], dtype=float32)
    """
    _check_model(model)
    tensors = [b.detach().reshape(-1).to("cpu", torch.float32) for b in _float_buffers(model)]
    if not tensors:
        return np.zeros(0, dtype=np.float32)
    return torch.cat(tensors).numpy().copy()


def load_flat_buffers(model: nn.Module, vector: Any) -> nn.Module:
    """Write a vector of :func:`flatten_buffers` back into the model, in place.

    Examples
    --------
    >>> bn = load_flat_buffers(nn.BatchNorm1d(2), [0.5, -0.5, 2.0, 3.0])
    >>> bn.running_var.tolist()
    [2.0, 3.0]
    """
    _check_model(model)
    source = as_tensor("vector", vector)
    expected = buffer_count(model)
    if source.ndim != 1 or source.numel() != expected:
        raise ValueError(f"vector must be 1-D with {expected} entries (the model's "
                         f"floating-point buffers); got shape {tuple(source.shape)}")
    start = 0
    with torch.no_grad():
        for b in _float_buffers(model):
            b.copy_(source[start:start + b.numel()].reshape(b.shape).to(b.device, b.dtype))
            start += b.numel()
    return model


def load_flat_parameters(model: nn.Module, vector: Any) -> nn.Module:
    """Write a flat vector back into the model's parameters, in place.

    The inverse of :func:`flatten_parameters`: ``load_flat_parameters(m,
    flatten_parameters(m))`` leaves ``m`` unchanged. Buffers (BatchNorm running
    statistics) are not touched. Each tensor keeps its device and dtype.

    Parameters
    ----------
    model : torch.nn.Module
        The network to overwrite.
    vector : array_like or torch.Tensor
        1-D, of length :func:`parameter_count`.

    Returns
    -------
    torch.nn.Module
        ``model`` itself, for chaining.

    Raises
    ------
    ValueError
        If ``vector`` is not 1-D or its length differs from the number of parameters.

    Examples
    --------
    >>> net = nn.Linear(2, 1)
    >>> _ = load_flat_parameters(net, np.array([1.0, 2.0, 3.0]))
    >>> net.bias.item()
    3.0
    """
    _check_model(model)
    source = _check_vector(model, vector)
    start = 0
    with torch.no_grad():
        for p in model.parameters():
            chunk = source[start:start + p.numel()]
            p.copy_(chunk.reshape(p.shape).to(p.device, p.dtype))
            start += p.numel()
    return model


def unflatten_parameters(model: nn.Module, vector: Any) -> dict[str, torch.Tensor]:
    """Split a flat vector into ``{name: tensor}`` shaped like the model's parameters.

    The tensors are views of ``vector`` (when it is a float tensor or array) on the CPU;
    the model is not modified. Handy for ``torch.func.functional_call`` and for
    looking at one layer of a direction.

    Parameters
    ----------
    model : torch.nn.Module
        The network whose names and shapes to use.
    vector : array_like or torch.Tensor
        1-D, of length :func:`parameter_count`.

    Returns
    -------
    dict of str to torch.Tensor
        In :func:`parameter_names` order.

    Raises
    ------
    ValueError
        If ``vector`` is not 1-D or its length differs from the number of parameters.

    Examples
    --------
    >>> parts = unflatten_parameters(nn.Linear(2, 1), np.arange(3, dtype=np.float32))
    >>> {name: tuple(t.shape) for name, t in parts.items()}
    {'weight': (1, 2), 'bias': (1,)}
    """
    _check_model(model)
    source = _check_vector(model, vector)
    named = list(model.named_parameters())
    pieces = source.split([p.numel() for _, p in named]) if named else []
    return {name: piece.view(p.shape) for (name, p), piece in zip(named, pieces, strict=True)}


def is_bias_or_batchnorm(name: str, parameter: torch.Tensor,
                         module: nn.Module | None = None) -> bool:
    """Whether a parameter counts as a bias or BatchNorm parameter (Li et al.'s rule).

    Li et al. (2018, "Visualizing the loss landscape of neural nets") and the public
    code of the jump-and-retrain paper decide by shape alone: every parameter with at
    most one dimension — biases, BatchNorm (and LayerNorm) weights and biases — is one,
    and ``ignore="biasbn"`` sets the direction to zero on all of them. Weights of
    convolutions (4-D) and linear layers (2-D) are not.

    Parameters
    ----------
    name : str
        The parameter's name (used only in error messages).
    parameter : torch.Tensor
        The parameter.
    module : torch.nn.Module, optional
        The module owning it. Not consulted: the rule is deliberately by shape, so
        that any 1-D parameter of a custom normalization layer is treated alike.

    Returns
    -------
    bool
        ``parameter.ndim <= 1``.

    Examples
    --------
    >>> bn = nn.BatchNorm2d(4)
    >>> is_bias_or_batchnorm("weight", bn.weight, bn)
    True
    >>> conv = nn.Conv2d(1, 4, 3)
    >>> is_bias_or_batchnorm("weight", conv.weight, conv)
    False
    """
    if not isinstance(parameter, torch.Tensor):
        raise ValueError(f"parameter {name!r} must be a torch.Tensor; got {type(parameter)!r}")
    return parameter.ndim <= 1


def bias_or_batchnorm_mask(model: nn.Module) -> np.ndarray:
    """Boolean mask over the flat vector: True on entries of bias / BatchNorm parameters.

    Parameters
    ----------
    model : torch.nn.Module
        Any network.

    Returns
    -------
    numpy.ndarray
        1-D bool array of length :func:`parameter_count`; see :func:`is_bias_or_batchnorm`.

    Examples
    --------
    >>> bias_or_batchnorm_mask(nn.Linear(2, 1))
    array([False, False,  True])
    """
    _check_model(model)
    parts = [np.full(p.numel(), is_bias_or_batchnorm(name, p), dtype=bool)
             for name, p in model.named_parameters()]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _check_vector(model: nn.Module, vector: Any) -> torch.Tensor:
    source = as_tensor("vector", vector)
    if source.ndim != 1:
        raise ValueError(f"vector must be 1-D; got shape {tuple(source.shape)}")
    expected = parameter_count(model)
    if source.numel() != expected:
        raise ValueError(f"vector must have one entry per parameter: the model has {expected} "
                         f"parameters, vector has {source.numel()}")
    return source


def as_tensor(name: str, values: Any) -> torch.Tensor:
    """A tensor view of numeric ``values`` (numpy, memmap, list or tensor).

    Examples
    --------
    >>> as_tensor("x", [1.0, 2.0]).dtype
    torch.float64
    """
    if isinstance(values, torch.Tensor):
        return values.detach()
    array = np.asarray(values)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} must be a real numeric array; got dtype {array.dtype}")
    if not array.flags.writeable:
        # torch warns on read-only arrays (cached memmaps); a copy is cheap next to a forward pass.
        array = array.copy()
    return torch.from_numpy(array)


def _check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model)!r}")
