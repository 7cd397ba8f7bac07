"""Curvature of the loss at a point: Hessian-vector products and what they estimate.

The Hessian ``H`` of the loss with respect to a network's ``P`` parameters is a
``P × P`` matrix, far too large to form for any real network. Everything here needs
only products ``H v``, each about the cost of two backward passes
(Pearlmutter 1994: differentiate ``∇L · v`` once more), as PyHessian does (Yao et
al. 2020):

:class:`HessianOperator`
    ``H v`` for a model, a loss and data, in the flat parameter order of
    :mod:`helpers.flat_parameters`. The loss is the mean over all the given samples,
    however they are split into batches.
:func:`top_eigenvalues`
    The largest eigenvalues and their eigenvectors, by Lanczos iteration (the
    default) or by power iteration with deflation (PyHessian's method).
:func:`hutchinson_trace`
    ``tr H`` as the mean of ``z^T H z`` over random ±1 probes ``z`` (Hutchinson 1989);
    one product per probe, and the spread over probes says how far to trust it.
:func:`spectral_density`
    The eigenvalue density by stochastic Lanczos quadrature (Ghorbani et al. 2019;
    Lin et al. 2016): ``m`` Lanczos steps from a random unit vector give ``m`` nodes
    and weights whose moments are those of the spectrum seen from that vector;
    :func:`density_curve` smooths them into a curve.
:class:`HessianSpectrum`
    All three at once, scikit-learn style: hyperparameters in ``__init__``, results in
    trailing-underscore attributes after :meth:`HessianSpectrum.fit`.

:mod:`helpers.hessian_check` compares every estimate with the dense Hessian of a small model.

BatchNorm
    The operator evaluates the model in **evaluation mode**: BatchNorm normalizes with
    its stored running statistics, so the loss is a function of the parameters alone,
    independent of the batch size and of how the samples are split into batches, and
    the Hessian is that function's. In training mode each batch's own statistics would
    make the loss (and its curvature) depend on the batch's composition. PyHessian
    evaluates in evaluation mode too, as do the loss surfaces of
    :mod:`helpers.directions`.

Examples
--------
>>> import torch
>>> from torch import nn
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> net = nn.Linear(3, 2).double()
>>> x, y = torch.randn(20, 3, dtype=torch.float64), torch.randint(0, 2, (20,))
>>> operator = HessianOperator(net, x, y)
>>> values, vectors = top_eigenvalues(operator, k=2)
>>> values.shape, vectors.shape
((2,), (2, 8))
>>> bool(values[0] >= values[1] > 0)
True
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from scipy.linalg import eigh_tridiagonal
from torch import nn

import helpers.losses
from helpers.checks import check_choice, check_float, check_int
from helpers.losses import LossFunction, check_loss

EIGEN_METHODS = ("lanczos", "power")


class HessianOperator:
    """Hessian-vector products of a model's mean loss on given data.

    Parameters
    ----------
    model : torch.nn.Module
        The network at the point of interest. It is deep-copied, moved to ``device``
        and put in evaluation mode (see the module docstring for BatchNorm); the
        caller's model is not changed. Its parameter dtype is used throughout (float64
        models give float64 products).
    x : torch.Tensor
        Inputs ``(n, ...)``.
    y : torch.Tensor
        Targets ``(n, ...)`` for ``loss``; integer class labels for the default.
    loss : callable, optional
        ``loss(outputs, targets)``, the batch mean or one value per sample
        (:mod:`helpers.losses`); cross-entropy by default.
    batch_size : int, default 256
        Samples per forward pass. The loss is ``Σ_b (n_b / n) loss_b``, the mean over
        all ``n`` samples whatever the batch size.
    device : str or torch.device, default "cpu"

    Attributes
    ----------
    n_params : int
        ``P``, the length of a flat parameter vector.
    n_samples : int
        ``n``.
    n_products : int
        Hessian-vector products computed so far (the cost of an estimate).

    Examples
    --------
    >>> net = nn.Linear(2, 1).double()
    >>> x = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    >>> mse = lambda out, t: ((out - t) ** 2).mean()
    >>> op = HessianOperator(net, x, torch.zeros(2, 1, dtype=torch.float64), loss=mse)
    >>> op.matvec(np.array([1.0, 0.0, 0.0]))  # H = mean of 2 [x;1][x;1]^T
    array([1., 0., 1.])
    """

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *,
                 loss: LossFunction | None = None, batch_size: int = 256,
                 device: str | torch.device = "cpu") -> None:
        if not isinstance(model, nn.Module):
            raise ValueError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
            raise ValueError("x and y must be torch tensors")
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"x and y must have the same, non-zero length; got {len(x)} "
                             f"and {len(y)}")
        check_loss(loss)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        try:
            self.device = torch.device(device)
        except (RuntimeError, TypeError) as error:
            raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda'; "
                             f"got {device!r}") from error
        self.model = copy.deepcopy(model).to(self.device).eval()
        self.parameters = list(self.model.parameters())
        if not self.parameters:
            raise ValueError("model must have parameters")
        for parameter in self.parameters:
            parameter.requires_grad_(True)
        self.dtype = self.parameters[0].dtype
        self.n_params = sum(p.numel() for p in self.parameters)
        self.x, self.y = x, y
        self.n_samples = len(x)
        self.loss_function = loss
        self.n_products = 0

    def batches(self) -> Any:
        """Yield ``(x, y, weight)`` per batch on the device; the weights sum to 1."""
        for start in range(0, self.n_samples, self.batch_size):
            xb = self.x[start:start + self.batch_size].to(self.device)
            yb = self.y[start:start + self.batch_size].to(self.device)
            # Weighted so that the sum over batches is the mean over all samples.
            yield xb, yb, len(xb) / self.n_samples

    def _as_flat(self, vector: Any) -> torch.Tensor:
        flat = (vector.detach() if isinstance(vector, torch.Tensor)
                else torch.from_numpy(np.array(vector, dtype=np.float64)))
        if flat.shape != (self.n_params,):
            raise ValueError(f"vector must be a flat parameter vector of shape "
                             f"({self.n_params},); got {tuple(flat.shape)}")
        return flat.to(self.device, self.dtype)

    def matvec(self, vector: Any) -> Any:
        """``H @ vector``; a NumPy array in gives float64 NumPy out, a tensor in a tensor out."""
        flat = self._as_flat(vector)
        pieces = [piece.view_as(p) for piece, p in
                  zip(flat.split([p.numel() for p in self.parameters]), self.parameters,
                      strict=True)]
        total = torch.zeros(self.n_params, dtype=self.dtype, device=self.device)
        for xb, yb, weight in self.batches():
            loss = helpers.losses.mean_loss(self.loss_function, self.model(xb), yb) * weight
            gradient = torch.autograd.grad(loss, self.parameters, create_graph=True)
            directional = sum((g * v).sum() for g, v in zip(gradient, pieces, strict=True))
            products = torch.autograd.grad(directional, self.parameters)
            total += torch.cat([h.reshape(-1) for h in products])
        self.n_products += 1
        if isinstance(vector, torch.Tensor):
            return total
        return total.detach().cpu().double().numpy()

    __call__ = matvec

    def loss_and_gradient(self) -> tuple[float, np.ndarray]:
        """The mean loss and its gradient (flat, float64) at the model's parameters.

        Examples
        --------
        >>> net = nn.Linear(2, 2)
        >>> loss, gradient = HessianOperator(net, torch.randn(4, 2),
        ...                                  torch.tensor([0, 1, 0, 1])).loss_and_gradient()
        >>> gradient.shape
        (6,)
        """
        total_loss = 0.0
        total = torch.zeros(self.n_params, dtype=self.dtype, device=self.device)
        for xb, yb, weight in self.batches():
            loss = helpers.losses.mean_loss(self.loss_function, self.model(xb), yb) * weight
            gradient = torch.autograd.grad(loss, self.parameters)
            total += torch.cat([g.reshape(-1) for g in gradient])
            total_loss += float(loss.detach())
        return total_loss, total.detach().cpu().double().numpy()

    def random_vector(self, generator: torch.Generator, kind: str = "rademacher") -> torch.Tensor:
        """A random flat vector: ±1 entries (``"rademacher"``) or standard normal.

        Drawn on the CPU from ``generator`` so that the numbers do not depend on the device.
        """
        check_choice("kind", kind, ("rademacher", "gaussian"))
        if kind == "rademacher":
            draw = torch.randint(0, 2, (self.n_params,), generator=generator).to(self.dtype) * 2 - 1
        else:
            draw = torch.randn(self.n_params, generator=generator, dtype=self.dtype)
        return draw.to(self.device)


def _check_operator(operator: Any) -> HessianOperator:
    if not isinstance(operator, HessianOperator):
        raise ValueError(f"operator must be a HessianOperator; got {type(operator).__name__}")
    return operator


def lanczos(operator: HessianOperator, n_steps: int, start: torch.Tensor,
            keep_basis: bool = True,
            stop: Callable[[np.ndarray, np.ndarray], bool] | None = None,
            ) -> tuple[np.ndarray, np.ndarray, torch.Tensor | None]:
    """``n_steps`` Lanczos steps from ``start`` with full reorthogonalization.

    Parameters
    ----------
    operator : HessianOperator
    n_steps : int
        At most this many products; fewer if an invariant subspace is found (at most
        ``P`` steps are possible).
    start : torch.Tensor
        Flat start vector (normalized here).
    keep_basis : bool, default True
        Return the orthonormal Lanczos vectors (``m × P``), needed for eigenvectors.
    stop : callable, optional
        ``stop(alphas, betas)`` after each step; ``True`` ends the iteration there
        (e.g. once the wanted Ritz values have converged).

    Returns
    -------
    alphas : ndarray, shape (m,)
        Diagonal of the tridiagonal matrix ``T = Q^T H Q``.
    betas : ndarray, shape (m,)
        Off-diagonal (first ``m - 1`` entries) and, last, the norm of the residual
        after step ``m`` (0 when the subspace is invariant).
    basis : torch.Tensor or None
        ``(m, P)`` Lanczos vectors, rows orthonormal.

    Notes
    -----
    Each new vector is orthogonalized against all previous ones, twice (Gram-Schmidt
    "twice is enough"): without it, rounding makes copies of converged eigenvalues
    appear ("ghosts"). That costs ``O(m P)`` memory, fine for the tens of steps used here.

    Examples
    --------
    >>> net = nn.Linear(3, 2).double()
    >>> op = HessianOperator(net, torch.randn(10, 3, dtype=torch.float64),
    ...                      torch.randint(0, 2, (10,)))
    >>> alphas, betas, basis = lanczos(op, 4, torch.arange(8, dtype=torch.float64))
    >>> basis.shape, bool(torch.allclose(basis @ basis.T, torch.eye(4, dtype=torch.float64)))
    (torch.Size([4, 8]), True)
    """
    _check_operator(operator)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    n_steps = min(n_steps, operator.n_params)
    q = start.to(operator.device, operator.dtype)
    norm = q.norm()
    if not torch.isfinite(norm) or norm == 0:
        raise ValueError("start must be a finite, non-zero vector")
    q = q / norm
    basis = torch.empty((n_steps, operator.n_params), dtype=operator.dtype, device=operator.device)
    alphas: list[float] = []
    betas: list[float] = []
    tiny = 100 * torch.finfo(operator.dtype).eps
    for step in range(n_steps):
        basis[step] = q
        w = operator.matvec(q)
        alpha = float(torch.dot(w, q))
        alphas.append(alpha)
        previous = basis[:step + 1]
        for _ in range(2):
            w = w - previous.T @ (previous @ w)
        beta = float(w.norm())
        betas.append(beta)
        scale = max(1.0, max(abs(a) for a in alphas))
        if beta <= tiny * scale:
            betas[-1] = 0.0  # invariant subspace: T's eigenvalues are exact eigenvalues
            break
        if stop is not None and stop(np.asarray(alphas), np.asarray(betas)):
            break
        q = w / beta
    m = len(alphas)
    return (np.asarray(alphas), np.asarray(betas),
            basis[:m].clone() if keep_basis else None)


def _ritz(alphas: np.ndarray, betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of the Lanczos tridiagonal matrix."""
    if len(alphas) == 1:
        return alphas.copy(), np.ones((1, 1))
    return eigh_tridiagonal(alphas, betas[:-1])


def top_eigenvalues(operator: HessianOperator, k: int = 1, *, method: str = "lanczos",
                    max_iter: int = 100, tol: float = 1e-3,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenvalues of the Hessian and their unit eigenvectors.

    Parameters
    ----------
    operator : HessianOperator
    k : int, default 1
        Number of eigenpairs, ``1 <= k <= P``.
    method : {"lanczos", "power"}, default "lanczos"
        ``"lanczos"``: Lanczos with full reorthogonalization from a seeded Gaussian
        start, until the ``k`` largest (algebraic) Ritz values have residual
        ``||H v - θ v|| <= tol · |θ|`` or ``max_iter`` products are spent.
        ``"power"``: PyHessian's power iteration, one eigenpair after another, each
        kept orthogonal to those found, until the Rayleigh quotient changes by less
        than ``tol`` (relative) or ``max_iter`` products per eigenpair; it finds the
        eigenvalues of largest *magnitude*, which at a minimum are the largest ones.
    max_iter : int, default 100
        Products allowed (Lanczos: in all; power: per eigenpair).
    tol : float, default 1e-3
        Relative tolerance, ``> 0``.
    seed : int, default 0
        Seed of the start vectors.

    Returns
    -------
    eigenvalues : ndarray, shape (k,)
        float64, largest first.
    eigenvectors : ndarray, shape (k, P)
        float32 unit vectors in the flat parameter order of :mod:`helpers.flat_parameters`,
        usable as directions (:func:`helpers.directions.evaluate_along`). Each is
        defined up to sign; here the sign makes its largest-magnitude entry positive.

    Examples
    --------
    >>> net = nn.Linear(3, 2).double()
    >>> op = HessianOperator(net, torch.randn(10, 3, dtype=torch.float64),
    ...                      torch.randint(0, 2, (10,)))
    >>> lanczos_values, _ = top_eigenvalues(op, k=2, tol=1e-8)
    >>> power_values, _ = top_eigenvalues(op, k=2, method="power", tol=1e-10, max_iter=500)
    >>> bool(np.allclose(lanczos_values, power_values, rtol=1e-4))
    True
    """
    _check_operator(operator)
    k = check_int("k", k, minimum=1, maximum=operator.n_params)
    method = check_choice("method", method, EIGEN_METHODS)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    tol = check_float("tol", tol, minimum=0.0, strict_minimum=True)
    seed = check_int("seed", seed, minimum=0)
    generator = torch.Generator().manual_seed(seed)
    if method == "power":
        return _power_iteration(operator, k, max_iter, tol, generator)
    start = operator.random_vector(generator, "gaussian")

    def converged(alphas: np.ndarray, betas: np.ndarray) -> bool:
        if len(alphas) < k:
            return False
        values, vectors = _ritz(alphas, betas)
        top = np.argsort(values)[::-1][:k]
        # ||H Q s - θ Q s|| = |β_m s_m| for a Ritz pair (θ, s) after m steps.
        residuals = np.abs(betas[-1] * vectors[-1, top])
        return bool(np.all(residuals <= tol * np.maximum(np.abs(values[top]), 1e-12)))

    alphas, betas, basis = lanczos(operator, max_iter, start, stop=converged)
    values, vectors = _ritz(alphas, betas)
    order = np.argsort(values)[::-1][:k]
    if len(order) < k:
        raise ValueError(f"k must be at most the {len(values)} eigenvalues Lanczos could find "
                         f"(the Hessian's rank seen from the start vector); got {k}")
    ritz = torch.from_numpy(vectors[:, order].T.copy()).to(basis.device, basis.dtype) @ basis
    return values[order].copy(), _signed(ritz)


def _power_iteration(operator: HessianOperator, k: int, max_iter: int, tol: float,
                     generator: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    found: list[torch.Tensor] = []
    values: list[float] = []

    def deflate(v: torch.Tensor) -> torch.Tensor:
        for u in found:
            v = v - torch.dot(u, v) * u
        return v / v.norm()

    for _ in range(k):
        v = deflate(operator.random_vector(generator, "gaussian"))
        value = None
        for _ in range(max_iter):
            hv = operator.matvec(v)
            current = float(torch.dot(hv, v))
            converged = value is not None and abs(current - value) <= tol * (abs(value) + 1e-12)
            value = current
            if converged or float(hv.norm()) == 0.0:
                break
            v = deflate(hv)
        found.append(v)
        values.append(value)
    order = np.argsort(values)[::-1]
    stacked = torch.stack([found[i] for i in order])
    return np.asarray(values)[order], _signed(stacked)


def _signed(vectors: torch.Tensor) -> np.ndarray:
    """Rows as float32 NumPy, each flipped so that its largest-magnitude entry is positive."""
    rows = vectors.detach().cpu().double()
    rows = rows / rows.norm(dim=1, keepdim=True)
    largest = rows.gather(1, rows.abs().argmax(dim=1, keepdim=True))
    return (rows * torch.sign(largest)).float().numpy()


def hutchinson_trace(operator: HessianOperator, n_probes: int = 100, *,
                     seed: int = 0) -> np.ndarray:
    """``z^T H z`` for ``n_probes`` random ±1 vectors ``z``: their mean estimates ``tr H``.

    Each probe is unbiased, ``E[z^T H z] = tr H``, with variance
    ``2 Σ_{i≠j} H_ij²``; the standard error of the mean is the probes' standard
    deviation over ``sqrt(n_probes)``.

    Parameters
    ----------
    operator : HessianOperator
    n_probes : int, default 100
        Number of probes (one product each), ``>= 1``.
    seed : int, default 0

    Returns
    -------
    ndarray, shape (n_probes,)
        float64, one estimate per probe, in order.

    Examples
    --------
    >>> net = nn.Linear(3, 2).double()
    >>> op = HessianOperator(net, torch.randn(10, 3, dtype=torch.float64),
    ...                      torch.randint(0, 2, (10,)))
    >>> hutchinson_trace(op, n_probes=5).shape
    (5,)
    """
    _check_operator(operator)
    n_probes = check_int("n_probes", n_probes, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    generator = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n_probes):
        z = operator.random_vector(generator, "rademacher")
        samples.append(float(torch.dot(operator.matvec(z), z)))
    return np.asarray(samples, dtype=np.float64)


def spectral_density(operator: HessianOperator, n_probes: int = 1, n_steps: int = 50, *,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stochastic Lanczos quadrature: nodes and weights of the eigenvalue density.

    For each probe, ``v`` is a random ±1 vector scaled to unit length; ``m`` Lanczos
    steps from it give a tridiagonal ``T`` with eigenvalues ``θ_j`` (the nodes) and
    eigenvectors ``s_j``; the weights are ``w_j = s_j[0]²``. Then
    ``Σ_j w_j f(θ_j) ≈ v^T f(H) v``, exactly for polynomials ``f`` of degree
    ``< 2m``, whose expectation is ``tr f(H) / P``: the density
    ``(1 / P) Σ_i δ(λ - λ_i)`` is approximated by ``Σ_j w_j δ(λ - θ_j)``, averaged
    over probes. In particular each probe's weights sum to 1, and its first moment
    ``Σ w_j θ_j = v^T H v`` is the Hutchinson estimate of ``tr H / P`` for the same probe.

    Parameters
    ----------
    operator : HessianOperator
    n_probes : int, default 1
        Independent start vectors (PyHessian: 1).
    n_steps : int, default 50
        Lanczos steps per probe (PyHessian: 100); fewer when the space is exhausted.
    seed : int, default 0

    Returns
    -------
    nodes : ndarray, shape (n_probes, n_steps)
        float64; ``nan`` beyond a probe's last step when it stopped early.
    weights : ndarray, shape (n_probes, n_steps)
        float64, each row summing to 1; 0 where ``nodes`` is ``nan``.

    Examples
    --------
    >>> net = nn.Linear(3, 2).double()
    >>> op = HessianOperator(net, torch.randn(10, 3, dtype=torch.float64),
    ...                      torch.randint(0, 2, (10,)))
    >>> nodes, weights = spectral_density(op, n_probes=2, n_steps=5)
    >>> nodes.shape, np.allclose(weights.sum(axis=1), 1.0)
    ((2, 5), True)
    """
    _check_operator(operator)
    n_probes = check_int("n_probes", n_probes, minimum=1)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    generator = torch.Generator().manual_seed(seed)
    nodes = np.full((n_probes, n_steps), np.nan)
    weights = np.zeros((n_probes, n_steps))
    for probe in range(n_probes):
        start = operator.random_vector(generator, "rademacher")
        alphas, betas, _ = lanczos(operator, n_steps, start, keep_basis=False)
        values, vectors = _ritz(alphas, betas)
        nodes[probe, :len(values)] = values
        weights[probe, :len(values)] = vectors[0] ** 2
    return nodes, weights


def density_curve(nodes: Any, weights: Any, *, sigma: float | None = None,
                  grid: Any = None, n_points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """The SLQ density smoothed by a Gaussian kernel, averaged over probes.

    Parameters
    ----------
    nodes, weights : array_like, shape (n_probes, m)
        From :func:`spectral_density` (``nan`` nodes are ignored).
    sigma : float, optional
        Kernel width; by default 1 % of the range of the nodes (PyHessian broadens
        by a fixed fraction of the range as well).
    grid : array_like, optional
        Where to evaluate; by default ``n_points`` points from the smallest node
        ``- 5 sigma`` to the largest ``+ 5 sigma``, so the curve integrates to 1.
    n_points : int, default 400

    Returns
    -------
    grid, density : ndarray
        float64, same length. ``∫ density = 1`` when the grid covers every node
        by ``5 sigma`` on each side.

    Examples
    --------
    >>> grid, density = density_curve([[0.0, 1.0]], [[0.5, 0.5]], sigma=0.05)
    >>> round(float(np.trapezoid(density, grid)), 4)
    1.0
    """
    nodes_a = np.atleast_2d(np.asarray(nodes, dtype=np.float64))
    weights_a = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if nodes_a.shape != weights_a.shape:
        raise ValueError(f"nodes and weights must have the same shape; got {nodes_a.shape} "
                         f"and {weights_a.shape}")
    known = np.isfinite(nodes_a)
    if not known.any():
        raise ValueError("nodes must contain at least one finite node")
    low, high = float(nodes_a[known].min()), float(nodes_a[known].max())
    if sigma is None:
        sigma = 0.01 * (high - low) if high > low else max(abs(high), 1.0) * 0.01
    sigma = check_float("sigma", sigma, minimum=0.0, strict_minimum=True)
    n_points = check_int("n_points", n_points, minimum=2)
    grid_a = (np.linspace(low - 5 * sigma, high + 5 * sigma, n_points) if grid is None
              else np.asarray(grid, dtype=np.float64).ravel())
    centres = nodes_a[known]
    masses = weights_a[known] / nodes_a.shape[0]
    kernel = np.exp(-0.5 * ((grid_a[:, None] - centres[None, :]) / sigma) ** 2)
    density = kernel @ masses / (sigma * np.sqrt(2 * np.pi))
    return grid_a, density


class HessianSpectrum:
    """Top eigenvalues, trace and eigenvalue density of a Hessian, in one fit.

    Parameters
    ----------
    top_k : int, default 2
        Eigenpairs to find (two give the Hessian directions of a loss surface).
    method : {"lanczos", "power"}, default "lanczos"
        See :func:`top_eigenvalues`.
    max_iter : int, default 100
        Products allowed to the eigenpairs (see :func:`top_eigenvalues`).
    tol : float, default 1e-3
    trace_probes : int, default 100
        Hutchinson probes (PyHessian: up to 100).
    density_probes : int, default 1
        SLQ probes.
    density_steps : int, default 50
        Lanczos steps per SLQ probe.
    random_state : int, default 0
        Seed of every random vector (each estimate gets its own stream).

    Attributes
    ----------
    eigenvalues_ : ndarray, shape (top_k,)
    eigenvectors_ : ndarray, shape (top_k, P)
    trace_samples_ : ndarray, shape (trace_probes,)
        One Hutchinson estimate per probe.
    trace_ : float
        Their mean.
    trace_stderr_ : float
        Standard error of the mean (0 with one probe).
    density_nodes_, density_weights_ : ndarray, shape (density_probes, density_steps)
    n_products_ : dict
        Hessian-vector products spent on ``"eigen"``, ``"trace"`` and ``"density"``.

    Examples
    --------
    >>> net = nn.Linear(3, 2).double()
    >>> op = HessianOperator(net, torch.randn(10, 3, dtype=torch.float64),
    ...                      torch.randint(0, 2, (10,)))
    >>> spectrum = HessianSpectrum(top_k=1, trace_probes=4, density_steps=5).fit(op)
    >>> spectrum.trace_samples_.shape, sorted(spectrum.n_products_)
    ((4,), ['density', 'eigen', 'trace'])
    """

    def __init__(self, top_k: int = 2, method: str = "lanczos", max_iter: int = 100,
                 tol: float = 1e-3, trace_probes: int = 100, density_probes: int = 1,
                 density_steps: int = 50, random_state: int = 0) -> None:
        self.top_k = top_k
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
        self.trace_probes = trace_probes
        self.density_probes = density_probes
        self.density_steps = density_steps
        self.random_state = random_state

    def check(self) -> HessianSpectrum:
        """Check every hyperparameter (``fit`` does it first); returns ``self``."""
        check_int("top_k", self.top_k, minimum=1)
        check_choice("method", self.method, EIGEN_METHODS)
        check_int("max_iter", self.max_iter, minimum=1)
        check_float("tol", self.tol, minimum=0.0, strict_minimum=True)
        check_int("trace_probes", self.trace_probes, minimum=1)
        check_int("density_probes", self.density_probes, minimum=1)
        check_int("density_steps", self.density_steps, minimum=1)
        check_int("random_state", self.random_state, minimum=0)
        return self

    def fit(self, operator: HessianOperator) -> HessianSpectrum:
        """Estimate everything with ``operator``'s products; returns ``self``."""
        self.check()
        _check_operator(operator)
        counts = {}
        before = operator.n_products
        # Distinct seeds per estimate: their random vectors must be independent.
        seed = self.random_state * 3
        eigenvalues, eigenvectors = top_eigenvalues(
            operator, self.top_k, method=self.method, max_iter=self.max_iter, tol=self.tol,
            seed=seed)
        counts["eigen"], before = operator.n_products - before, operator.n_products
        trace_samples = hutchinson_trace(operator, self.trace_probes, seed=seed + 1)
        counts["trace"], before = operator.n_products - before, operator.n_products
        nodes, weights = spectral_density(operator, self.density_probes, self.density_steps,
                                          seed=seed + 2)
        counts["density"] = operator.n_products - before
        return self.set_results(eigenvalues, eigenvectors, trace_samples, nodes, weights,
                                counts)

    def set_results(self, eigenvalues: np.ndarray, eigenvectors: np.ndarray,
                    trace_samples: np.ndarray, density_nodes: np.ndarray,
                    density_weights: np.ndarray, n_products: dict[str, int]
                    ) -> HessianSpectrum:
        """Set the fitted attributes from stored results (as :meth:`fit` does); returns ``self``.

        Used to restore a spectrum from a cache without recomputing it.
        """
        self.eigenvalues_, self.eigenvectors_ = eigenvalues, eigenvectors
        self.trace_samples_ = np.asarray(trace_samples, dtype=np.float64)
        self.trace_ = float(self.trace_samples_.mean())
        probes = self.trace_samples_.size
        self.trace_stderr_ = (float(self.trace_samples_.std(ddof=1) / np.sqrt(probes))
                              if probes > 1 else 0.0)
        self.density_nodes_, self.density_weights_ = density_nodes, density_weights
        self.n_products_ = dict(n_products)
        return self

    def density(self, sigma: float | None = None, n_points: int = 400
                ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`density_curve` of the fitted nodes and weights."""
        if not hasattr(self, "density_nodes_"):
            raise ValueError("this HessianSpectrum is not fitted yet; call fit(operator) first")
        return density_curve(self.density_nodes_, self.density_weights_, sigma=sigma,
                             n_points=n_points)
