"""Random directions in parameter space, and the loss at many points along them.

Directions
    :func:`random_direction` draws a Gaussian direction and rescales it the way Li et
    al. (2018, "Visualizing the loss landscape of neural nets") do, so that a step of
    size 1 moves every filter by as much as the filter's own norm. The jump-and-retrain
    paper (Horoi et al. 2022, §3.1 and §4.2) uses filter normalization with biases and
    BatchNorm parameters left out (``normalization="filter", ignore="biasbn"``, the
    defaults here). Vectors are flat, in the order of :mod:`helpers.flat_parameters`.

Evaluation
    :func:`evaluate_points` gives the mean loss (cross-entropy, or a ``loss`` of
    :mod:`helpers.losses`) and accuracy at each row of a
    matrix of flat parameter vectors; :func:`evaluate_along` does the same at
    ``base + coefficients @ directions`` and forms each point only when it is
    evaluated, so a grid of thousands of points never exists as an ``m × P`` matrix.
    The network is evaluated in **evaluation mode**: BatchNorm normalizes with the
    running statistics stored in the model (the optimum's), not with statistics of the
    perturbed network. This is what Li et al.'s code and the J&R paper's code do; it
    also makes a point's loss a function of its parameters alone, independent of the
    batch size. Two implementations give the same numbers: ``method="loop"`` (one
    forward pass per point; the default, and the faster on CPUs) and ``method="vmap"``
    (several points per forward pass with ``torch.func.vmap`` over stacked
    parameters, buffers shared).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

import helpers.losses
from helpers.checks import check_choice, check_int, check_sequence
from helpers.flat_parameters import as_tensor, is_bias_or_batchnorm, parameter_count
from helpers.losses import LossFunction, check_loss

NORMALIZATIONS = ("filter", "layer", None)
IGNORES = ("biasbn", None)
METHODS = ("vmap", "loop")


def random_direction(model: nn.Module, seed: int, normalization: str | None = "filter",
                     ignore: str | None = "biasbn") -> np.ndarray:
    """A normalized Gaussian direction in parameter space, as one flat float32 vector.

    Every parameter tensor gets standard normal entries, drawn in
    :func:`helpers.flat_parameters.parameter_names` order from a CPU
    ``torch.Generator`` seeded with ``seed``, so the direction depends only on
    the seed and the parameter shapes: not on the device, the global RNG or
    ``ignore`` (1-D parameters consume their draws even when they are zeroed).
    Then each tensor is rescaled:

    ``"filter"`` (Li et al. 2018)
        each filter ``d_f`` of the direction becomes ``d_f / ||d_f|| · ||θ_f||``, where
        ``θ_f`` is the same filter of the weights. A filter is a slice along the first
        dimension: an output channel of a convolution weight, a row (output unit) of a
        linear weight.
    ``"layer"``
        each tensor ``d`` becomes ``d / ||d|| · ||θ||`` with ``θ`` the same tensor.
    ``None``
        no rescaling (the raw Gaussian).

    1-D parameters (biases, BatchNorm weights and biases; see
    :func:`helpers.flat_parameters.is_bias_or_batchnorm`) are set to exactly zero with
    ``ignore="biasbn"``, as in Li et al.'s code and the J&R paper. With ``ignore=None``
    they are normalized like every other tensor:

    - ``"filter"``: a 1-D tensor is a stack of filters of size one, so entry ``i``
      becomes ``sign(d_i) · |θ_i|``: the magnitude of the weight, with a random sign;
    - ``"layer"``: the tensor becomes ``d / ||d|| · ||θ||``;
    - ``None``: the raw Gaussian ``d``.

    This departs from Li et al.'s code, which with ``ignore`` off *copies* ``θ`` into
    the direction for every 1-D tensor, whatever the normalization
    (``normalize_directions_for_weights`` in their ``net_plotter.py``: ``d.copy_(w)``).
    Under ``"filter"`` both give each entry the magnitude ``|θ_i|``; they differ in
    the sign: Li's is always that of ``θ_i``, so a step of size ``α`` scales every bias
    and BatchNorm parameter by ``1 + α`` and that part is the same in every direction;
    here it is random, so the part differs from seed to seed like the rest of the
    direction.

    Parameters
    ----------
    model : torch.nn.Module
        The network at the point the direction is for (usually the optimum); only its
        parameter shapes and, for normalization, values are read.
    seed : int
        Seed of the direction, ``>= 0``.
    normalization : {"filter", "layer", None}
        How to rescale the Gaussian draw.
    ignore : {"biasbn", None}
        ``"biasbn"`` zeroes the direction on every 1-D parameter.

    Returns
    -------
    numpy.ndarray
        1-D float32, of length :func:`helpers.flat_parameters.parameter_count`.

    Raises
    ------
    ValueError
        On a negative or non-integer ``seed`` or an unknown ``normalization`` / ``ignore``.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    >>> d = random_direction(net, seed=0)
    >>> d.shape, d.dtype, float(abs(d[6:]).max())  # bias and BatchNorm entries are zero
    ((12,), dtype('float32'), 0.0)
    >>> row = net[0].weight[0].detach().numpy()
    >>> bool(np.isclose(np.linalg.norm(d[:3]), np.linalg.norm(row)))
    True
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model)!r}")
    seed = check_int("seed", seed, minimum=0)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice("ignore", ignore, IGNORES)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    parts = []
    for name, parameter in model.named_parameters():
        # Always float32 draws on the CPU: same numbers whatever the model's device or dtype.
        draw = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
        weights = parameter.detach().to("cpu", torch.float64)
        parts.append(_normalize(draw.double(), weights, normalization,
                                zero=ignore == "biasbn" and is_bias_or_batchnorm(name, parameter))
                     .reshape(-1))
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return torch.cat(parts).to(torch.float32).numpy()


def random_directions(model: nn.Module, seeds: Sequence[int], normalization: str | None = "filter",
                      ignore: str | None = "biasbn") -> np.ndarray:
    """Several :func:`random_direction` vectors stacked into a ``(len(seeds), P)`` matrix.

    Row ``i`` is exactly ``random_direction(model, seeds[i], normalization, ignore)``.
    The rows are not orthogonalized: in millions of dimensions independent Gaussian
    directions are nearly orthogonal already.

    Parameters
    ----------
    model : torch.nn.Module
        As in :func:`random_direction`.
    seeds : sequence of int
        One seed per direction, non-empty, no repeats.
    normalization : {"filter", "layer", None}
        As in :func:`random_direction`.
    ignore : {"biasbn", None}
        As in :func:`random_direction`.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(len(seeds), P)``.

    Examples
    --------
    >>> net = nn.Linear(3, 2)
    >>> random_directions(net, [0, 1]).shape
    (2, 8)
    """
    seeds = check_sequence("seeds", seeds, item="int", minimum=0, unique=True)
    check_choice("normalization", normalization, NORMALIZATIONS)
    check_choice("ignore", ignore, IGNORES)
    return np.stack([random_direction(model, s, normalization, ignore) for s in seeds])


def _normalize(draw: torch.Tensor, weights: torch.Tensor, normalization: str | None,
               zero: bool) -> torch.Tensor:
    """One parameter tensor's share of the direction (float64)."""
    if zero:
        return torch.zeros_like(draw)
    if normalization is None:
        return draw
    if normalization == "layer":
        return draw * (weights.norm() / _nonzero(draw.norm()))
    if draw.ndim <= 1:
        # Filters of size one: ||d_i|| = |d_i| and ||θ_i|| = |θ_i|.
        return torch.sign(draw) * weights.abs()
    filters, filters_w = draw.reshape(len(draw), -1), weights.reshape(len(weights), -1)
    scale = filters_w.norm(dim=1, keepdim=True) / _nonzero(filters.norm(dim=1, keepdim=True))
    return (filters * scale).reshape(draw.shape)


def _nonzero(norm: torch.Tensor) -> torch.Tensor:
    # A Gaussian draw is never exactly zero in practice; this only avoids 0/0 → NaN.
    return torch.where(norm > 0, norm, torch.ones_like(norm))


# --- evaluation ------------------------------------------------------------------------

def evaluate_points(model: nn.Module, points: Any, x: Any, y: Any, *, batch_size: int = 256,
                    points_per_batch: int = 16, method: str = "loop",
                    device: str | torch.device = "cpu",
                    loss: LossFunction | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss and accuracy on ``(x, y)`` at each row of ``points``.

    The model is deep-copied, moved to ``device`` and put in evaluation mode; the
    caller's model is not changed. Each row of ``points`` replaces the model's
    parameters (flat, :mod:`helpers.flat_parameters` order); buffers — BatchNorm running
    statistics — stay those of ``model`` (see the module docstring for why).

    Parameters
    ----------
    model : torch.nn.Module
        The network; supplies the architecture and the buffers.
    points : array_like or torch.Tensor
        ``(m, P)`` flat parameter vectors (a NumPy memmap is read ``points_per_batch``
        rows at a time).
    x : array_like or torch.Tensor
        Inputs, ``(n, ...)``, float.
    y : array_like or torch.Tensor
        Integer class labels, ``(n,)``; with a ``loss``, any targets it takes.
    batch_size : int
        Inputs per forward pass.
    points_per_batch : int
        Parameter points formed and evaluated together (with ``"vmap"``, in one
        forward pass; memory grows with ``points_per_batch × batch_size``).
    method : {"loop", "vmap"}
        ``"loop"``: one forward pass per point; ``"vmap"``: ``points_per_batch`` points
        per forward pass with ``torch.func.vmap``. Same results to float rounding.
        On a 2-core CPU the loop is the faster (``benchmarks/bench_evaluate.py``:
        vmap reaches 0.5–0.9× its rate, since vmap turns each convolution into a
        grouped one, which is slower there than separate ones); vmap is for
        accelerators, where one launch per layer for many points may pay.
    device : str or torch.device
        Where to compute.
    loss : callable, optional
        ``loss(outputs, targets)`` (:mod:`helpers.losses`); cross-entropy by default.

    Returns
    -------
    loss : numpy.ndarray
        float64, ``(m,)``, mean loss per point (``nan``/``inf`` where the
        network overflows).
    accuracy : numpy.ndarray
        float64, ``(m,)``, fraction of correctly classified inputs per point (``nan``
        unless ``y`` holds class labels).

    Raises
    ------
    ValueError
        On a ``points`` matrix of the wrong shape, mismatched ``x``/``y``, or bad
        ``batch_size``, ``points_per_batch``, ``method``.

    Examples
    --------
    >>> from helpers.flat_parameters import flatten_parameters
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> x, y = torch.randn(10, 4), torch.randint(0, 3, (10,))
    >>> theta = flatten_parameters(net)
    >>> loss, accuracy = evaluate_points(net, np.stack([theta, 2 * theta]), x, y)
    >>> loss.shape, bool(np.isclose(loss[0], nn.functional.cross_entropy(net(x), y).item()))
    ((2,), True)
    """
    prepared = _prepare(model, x, y, batch_size, points_per_batch, method, device, loss)
    matrix = points if isinstance(points, torch.Tensor) else np.asarray(points)
    n_params = parameter_count(model)
    if matrix.ndim != 2 or matrix.shape[1] != n_params:
        raise ValueError(f"points must be an (m, {n_params}) matrix of flat parameter vectors; "
                         f"got shape {tuple(matrix.shape)}")
    if matrix.shape[0] == 0:
        raise ValueError("points must not be empty")

    def chunks() -> Iterator[torch.Tensor]:
        for start in range(0, matrix.shape[0], points_per_batch):
            block = as_tensor("points", matrix[start:start + points_per_batch])
            yield block.to(prepared.device, torch.float32)

    return _evaluate(prepared, chunks(), matrix.shape[0])


def evaluate_along(model: nn.Module, base: Any, directions: Any, coefficients: Any, x: Any,
                   y: Any, *, batch_size: int = 256, points_per_batch: int = 16,
                   method: str = "loop", device: str | torch.device = "cpu",
                   loss: LossFunction | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Loss and accuracy at the points ``base + coefficients[i] @ directions``.

    The common case of grid and naive sampling: ``k`` directions, ``m`` coefficient
    vectors. Points are formed ``points_per_batch`` at a time on ``device`` (in float32)
    and never stored, so memory is ``O((k + points_per_batch) · P)`` rather than
    ``O(m · P)``. Otherwise as :func:`evaluate_points`.

    Parameters
    ----------
    model : torch.nn.Module
        The network; supplies the architecture and the buffers.
    base : array_like or torch.Tensor
        ``(P,)``, the centre (usually the optimum's flat parameters).
    directions : array_like or torch.Tensor
        ``(k, P)``, or ``(P,)`` for a single direction.
    coefficients : array_like or torch.Tensor
        ``(m, k)``; with a single direction also ``(m,)``.
    x, y : array_like or torch.Tensor
        Inputs ``(n, ...)`` and integer labels ``(n,)`` (with a ``loss``, its targets).
    batch_size, points_per_batch, method, device, loss
        As in :func:`evaluate_points`.

    Returns
    -------
    loss, accuracy : numpy.ndarray
        float64, ``(m,)`` each; row ``i`` belongs to ``coefficients[i]``.

    Raises
    ------
    ValueError
        On shapes that do not fit together, empty ``coefficients`` or non-finite
        coefficients, and as :func:`evaluate_points`.

    Examples
    --------
    >>> from helpers.flat_parameters import flatten_parameters
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> x, y = torch.randn(10, 4), torch.randint(0, 3, (10,))
    >>> d = random_direction(net, seed=0)
    >>> loss, accuracy = evaluate_along(net, flatten_parameters(net), d, [0.0, 0.5, 1.0], x, y)
    >>> loss.shape, bool(np.isclose(loss[0], nn.functional.cross_entropy(net(x), y).item()))
    ((3,), True)
    """
    prepared = _prepare(model, x, y, batch_size, points_per_batch, method, device, loss)
    n_params = parameter_count(model)
    base_t = as_tensor("base", base)
    if base_t.shape != (n_params,):
        raise ValueError(f"base must be a flat parameter vector of shape ({n_params},); "
                         f"got {tuple(base_t.shape)}")
    directions_t = as_tensor("directions", directions)
    if directions_t.ndim == 1:
        directions_t = directions_t[None]
    if directions_t.ndim != 2 or directions_t.shape[1] != n_params or directions_t.shape[0] == 0:
        raise ValueError(f"directions must be (k, {n_params}) with k >= 1, or ({n_params},); "
                         f"got {tuple(as_tensor('directions', directions).shape)}")
    k = directions_t.shape[0]
    coefficients_t = as_tensor("coefficients", coefficients)
    if coefficients_t.ndim == 1 and k == 1:
        coefficients_t = coefficients_t[:, None]
    if coefficients_t.ndim != 2 or coefficients_t.shape[1] != k:
        raise ValueError(f"coefficients must be (m, {k}) for {k} direction(s)"
                         f"{' or (m,)' if k == 1 else ''}; got {tuple(coefficients_t.shape)}")
    if coefficients_t.shape[0] == 0:
        raise ValueError("coefficients must not be empty")
    if not torch.isfinite(coefficients_t).all():
        raise ValueError("coefficients must be finite")

    base_d = base_t.to(prepared.device, torch.float32)
    directions_d = directions_t.to(prepared.device, torch.float32)
    coefficients_d = coefficients_t.to(prepared.device, torch.float32)

    def chunks() -> Iterator[torch.Tensor]:
        for start in range(0, len(coefficients_d), points_per_batch):
            # One small matmul per chunk; the m × P matrix of points is never formed.
            yield torch.addmm(base_d, coefficients_d[start:start + points_per_batch],
                              directions_d)

    return _evaluate(prepared, chunks(), len(coefficients_d))


class _Prepared:
    """A private evaluation-mode copy of the model and the data on one device."""

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int,
                 method: str, device: torch.device, loss: LossFunction | None = None) -> None:
        self.device = device
        self.model = copy.deepcopy(model).to(device).eval()
        self.names = [name for name, _ in self.model.named_parameters()]
        self.shapes = [p.shape for _, p in self.model.named_parameters()]
        self.numels = [p.numel() for _, p in self.model.named_parameters()]
        self.buffers = dict(self.model.named_buffers())
        self.x, self.y = x.to(device), y.to(device)
        self.batch_size, self.method, self.loss = batch_size, method, loss

    def split(self, chunk: torch.Tensor) -> dict[str, torch.Tensor]:
        """``(b, P)`` → ``{name: (b, *shape)}`` views."""
        pieces = chunk.split(self.numels, dim=1)
        return {name: piece.reshape(len(chunk), *shape)
                for name, shape, piece in zip(self.names, self.shapes, pieces, strict=True)}

    def forward(self, parameters: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.model, (parameters, self.buffers), (x,))


def _prepare(model: Any, x: Any, y: Any, batch_size: int, points_per_batch: int, method: str,
             device: Any, loss: Any = None) -> _Prepared:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module; got {type(model)!r}")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_int("points_per_batch", points_per_batch, minimum=1)
    check_choice("method", method, METHODS)
    check_loss(loss)
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda'; "
                         f"got {device!r}") from error
    x_t = as_tensor("x", x).to(torch.float32)
    y_t = as_tensor("y", y)
    if loss is None and (y_t.ndim != 1 or y_t.is_floating_point()):
        raise ValueError(f"y must be a 1-D array of integer labels; got shape "
                         f"{tuple(y_t.shape)}, dtype {y_t.dtype}")
    if y_t.ndim == 0 or len(x_t) != len(y_t) or len(x_t) == 0:
        raise ValueError(f"x and y must have the same, non-zero length; got {len(x_t)} and "
                         f"{len(y_t)}")
    if not y_t.is_floating_point():
        y_t = y_t.long()
    return _Prepared(model, x_t, y_t, batch_size, method, device, loss)


@torch.no_grad()
def _evaluate(prepared: _Prepared, chunks: Iterator[torch.Tensor],
              m: int) -> tuple[np.ndarray, np.ndarray]:
    losses, corrects = [], []
    batched = vmap(prepared.forward, in_dims=(0, None))
    n = len(prepared.x)
    for chunk in chunks:
        b = len(chunk)
        parameters = prepared.split(chunk)
        loss_sum = torch.zeros(b, dtype=torch.float64, device=prepared.device)
        correct = torch.zeros(b, dtype=torch.int64, device=prepared.device)
        for start in range(0, n, prepared.batch_size):
            xb = prepared.x[start:start + prepared.batch_size]
            yb = prepared.y[start:start + prepared.batch_size]
            if prepared.method == "vmap":
                logits = batched(parameters, xb)  # (b, batch, classes)
            else:
                logits = torch.stack([prepared.forward({k: v[i] for k, v in parameters.items()},
                                                       xb) for i in range(b)])
            if prepared.loss is None:
                per_sample = nn.functional.cross_entropy(
                    logits.flatten(0, 1), yb.repeat(b), reduction="none").view(b, -1)
                loss_sum += per_sample.double().sum(1)
                correct += (logits.argmax(-1) == yb).sum(1)
                continue
            for i in range(b):  # the reader's loss, point by point
                values = helpers.losses.batch_losses(prepared.loss, logits[i], yb)
                loss_sum[i] += (values.double().sum() if values.ndim
                                else values.double() * len(yb))
                hits = helpers.losses.correct(logits[i], yb)
                correct[i] = -1 if hits is None or correct[i] < 0 else correct[i] + hits
        losses.append(loss_sum.cpu())
        corrects.append(correct.cpu())
    loss = (torch.cat(losses) / n).numpy()
    counts = torch.cat(corrects)
    # -1 marks a point whose targets are not class labels: no accuracy.
    accuracy = torch.where(counts >= 0, counts.double() / n, torch.nan).numpy()
    if len(loss) != m:  # pragma: no cover - guards the one-to-one pairing with the input rows
        raise AssertionError(f"{len(loss)} results for {m} points")
    return loss, accuracy
