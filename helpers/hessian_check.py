"""Checking matrix-free Hessian estimates against the dense Hessian of a small model.

:mod:`helpers.hessian` never forms the Hessian. For a network small enough (a few
thousand parameters), :func:`dense_hessian` forms it by an independent route
(``torch.autograd.functional.hessian`` through ``torch.func.functional_call``) and
:func:`dense_comparison` sets every estimate of :mod:`helpers.hessian` beside the exact
value: the table Chapter 7 shows before trusting the estimates on a ResNet.

Examples
--------
>>> import torch
>>> from torch import nn
>>> net = nn.Linear(3, 2).double()
>>> op = HessianOperator(net, torch.randn(10, 3, dtype=torch.float64),
...                      torch.randint(0, 2, (10,)))
>>> dense_hessian(op).shape
(8, 8)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

import helpers.losses
from helpers.checks import check_int
from helpers.hessian import (
    HessianOperator,
    hutchinson_trace,
    spectral_density,
    top_eigenvalues,
)


def dense_hessian(operator: HessianOperator, max_params: int = 5000) -> np.ndarray:
    """The full ``P × P`` Hessian of a *small* model, by ``torch.autograd.functional.hessian``.

    An independent computation (forward-mode over reverse-mode through
    ``torch.func.functional_call``, not :meth:`helpers.hessian.HessianOperator.matvec`) for
    checking the
    products on tiny networks.

    Parameters
    ----------
    operator : HessianOperator
    max_params : int, default 5000
        Refuse larger models: the matrix has ``P²`` entries.

    Returns
    -------
    ndarray, shape (P, P)
        float64, in the flat parameter order.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Linear(3, 2).double()
    >>> op = HessianOperator(net, torch.randn(10, 3, dtype=torch.float64),
    ...                      torch.randint(0, 2, (10,)))
    >>> H = dense_hessian(op)
    >>> v = np.arange(8.0)
    >>> bool(np.allclose(H @ v, op.matvec(v))), bool(np.allclose(H, H.T))
    (True, True)
    """
    if not isinstance(operator, HessianOperator):
        raise ValueError(f"operator must be a HessianOperator; got {type(operator).__name__}")
    max_params = check_int("max_params", max_params, minimum=1)
    if operator.n_params > max_params:
        raise ValueError(f"dense_hessian is for models of at most max_params={max_params} "
                         f"parameters; this one has {operator.n_params}")
    from torch.func import functional_call

    names = [name for name, _ in operator.model.named_parameters()]
    shapes = [p.shape for p in operator.parameters]
    sizes = [p.numel() for p in operator.parameters]
    buffers = dict(operator.model.named_buffers())
    flat = torch.cat([p.detach().reshape(-1) for p in operator.parameters])

    def mean_loss(vector: torch.Tensor) -> torch.Tensor:
        params = {name: piece.view(shape) for name, piece, shape in
                  zip(names, vector.split(sizes), shapes, strict=True)}
        total = vector.new_zeros(())
        for xb, yb, weight in operator.batches():
            logits = functional_call(operator.model, (params, buffers), (xb,))
            total = total + helpers.losses.mean_loss(operator.loss_function, logits, yb) * weight
        return total

    matrix = torch.autograd.functional.hessian(mean_loss, flat)
    return matrix.detach().cpu().double().numpy()


def dense_comparison(operator: HessianOperator, k: int = 3, *, trace_probes: int = 200,
                     density_steps: int = 20, seed: int = 0) -> pd.DataFrame:
    """Every matrix-free estimate of this module beside the same quantity from the dense Hessian.

    For a small model only (see :func:`dense_hessian`). The table is what the tests
    check, in numbers a reader can see.

    Parameters
    ----------
    operator : HessianOperator
    k : int, default 3
        Top eigenvalues compared (Lanczos; power iteration for the first).
    trace_probes : int, default 200
        Hutchinson probes.
    density_steps : int, default 20
        Lanczos steps of one SLQ probe, whose quadrature's first moment must equal
        ``vᵀ H v`` for its probe ``v`` (and estimates ``tr H / P``).
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        ``quantity, matrix_free, dense, relative_error, standard_error``. The last is
        the Hutchinson mean's standard error (``NaN`` for the deterministic rows): its
        error is expected to be of that order, not 0.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    >>> op = HessianOperator(net, torch.randn(30, 4, dtype=torch.float64),
    ...                      torch.randint(0, 2, (30,)))
    >>> table = dense_comparison(op, k=2, trace_probes=50)
    >>> bool(table.relative_error.iloc[0] < 1e-10), len(table)
    (True, 6)
    """
    dense = dense_hessian(operator)
    k = check_int("k", k, minimum=1, maximum=operator.n_params)
    generator = np.random.default_rng(seed)
    v = generator.standard_normal(operator.n_params)
    exact = dense @ v
    eigenvalues = np.linalg.eigvalsh(dense)[::-1]
    lanczos_values, _ = top_eigenvalues(operator, k, tol=1e-8, max_iter=operator.n_params,
                                        seed=seed)
    power_value, _ = top_eigenvalues(operator, 1, method="power", tol=1e-8, max_iter=500,
                                     seed=seed)
    # Power iteration finds the eigenvalue of largest magnitude.
    dominant = eigenvalues[np.argmax(np.abs(eigenvalues))]
    trace = hutchinson_trace(operator, trace_probes, seed=seed)
    nodes, weights = spectral_density(operator, 1, density_steps, seed=seed)
    product = operator.matvec(v)
    true_trace = float(np.trace(dense))
    moment = float(np.nansum(nodes * weights))
    rows = [("H v, random v (norm)", np.linalg.norm(product), np.linalg.norm(exact),
             np.linalg.norm(product - exact) / np.linalg.norm(exact), np.nan)]
    rows += [(f"eigenvalue {i + 1} (Lanczos)", lanczos_values[i], eigenvalues[i],
              abs(lanczos_values[i] - eigenvalues[i]) / abs(eigenvalues[i]), np.nan)
             for i in range(k)]
    rows.append(("largest-magnitude eigenvalue (power iteration)", power_value[0], dominant,
                 abs(power_value[0] - dominant) / abs(dominant), np.nan))
    stderr = trace.std(ddof=1) / np.sqrt(trace_probes) if trace_probes > 1 else np.nan
    rows.append((f"trace (Hutchinson, {trace_probes} probes)", trace.mean(), true_trace,
                 abs(trace.mean() - true_trace) / abs(true_trace), stderr))
    # The SLQ probe is the first ±1 draw of its seed's generator, scaled to unit length:
    # its quadrature's first moment must be exactly v^T H v.
    probe = operator.random_vector(torch.Generator().manual_seed(seed), "rademacher")
    probe = probe.cpu().double().numpy() / np.sqrt(operator.n_params)
    exact_moment = float(probe @ dense @ probe)
    rows.append(("SLQ first moment = vᵀHv of its probe v", moment, exact_moment,
                 abs(moment - exact_moment) / abs(exact_moment), np.nan))
    return pd.DataFrame(rows, columns=["quantity", "matrix_free", "dense", "relative_error",
                                       "standard_error"]).astype({c: float for c in (
                                           "matrix_free", "dense", "relative_error",
                                           "standard_error")})
