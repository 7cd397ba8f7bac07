"""Hessian-vector products and the estimates built on them, against the dense Hessian.

The dense Hessian is computed here, independently of helpers.hessian: by
``torch.autograd.functional.hessian`` of the mean loss as a function of one flat
parameter vector (through ``torch.func.functional_call``), on tiny float64 networks
whose BatchNorm running statistics are far from their defaults.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from helpers.hessian import (
    HessianOperator,
    HessianSpectrum,
    density_curve,
    hutchinson_trace,
    lanczos,
    spectral_density,
    top_eigenvalues,
)
from helpers.hessian_check import dense_comparison, dense_hessian


def conv_net(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Conv + BatchNorm + linear on 1 × 6 × 6 inputs, 4 classes, float64: 438 parameters."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.Tanh(),
                        nn.Flatten(), nn.Linear(3 * 36, 4)).double()
    x = torch.randn(40, 1, 6, 6, dtype=torch.float64) * 2 + 1
    y = torch.randint(0, 4, (40,))
    net.train()
    with torch.no_grad():  # running statistics far from (0, 1)
        for _ in range(20):
            net(x)
    return net, x, y


def independent_hessian(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Dense Hessian of the mean cross-entropy in evaluation mode, written from scratch."""
    model = net.eval()
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]
    buffers = dict(model.named_buffers())
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(vector: torch.Tensor) -> torch.Tensor:
        params = {n: piece.view(s) for n, piece, s in zip(names, vector.split(sizes), shapes,
                                                           strict=True)}
        return nn.functional.cross_entropy(functional_call(model, (params, buffers), (x,)), y)

    return torch.autograd.functional.hessian(loss, flat).numpy()


@pytest.fixture(scope="module")
def problem() -> tuple[HessianOperator, np.ndarray]:
    net, x, y = conv_net()
    dense = independent_hessian(net, x, y)
    return HessianOperator(net, x, y, batch_size=16), dense


def test_products_match_the_dense_hessian(problem):
    operator, dense = problem
    rng = np.random.default_rng(0)
    for _ in range(3):
        v = rng.standard_normal(operator.n_params)
        error = np.linalg.norm(operator.matvec(v) - dense @ v) / np.linalg.norm(dense @ v)
        assert error < 1e-12
    # Tensor in, tensor out; and the module's own dense Hessian agrees with ours.
    product = operator.matvec(torch.from_numpy(v))
    assert isinstance(product, torch.Tensor)
    np.testing.assert_allclose(dense_hessian(operator), dense, atol=1e-12)


def test_batches_and_modes_do_not_change_the_hessian():
    net, x, y = conv_net()
    v = np.random.default_rng(1).standard_normal(sum(p.numel() for p in net.parameters()))
    reference = HessianOperator(net, x, y, batch_size=40).matvec(v)
    net.train()  # the operator works on an evaluation-mode copy
    for batch_size in (1, 7, 16):
        np.testing.assert_allclose(HessianOperator(net, x, y, batch_size=batch_size).matvec(v),
                                   reference, rtol=1e-10, atol=1e-12)
    assert net.training  # the caller's model is left as it was


def test_top_eigenvalues_lanczos_and_power(problem):
    operator, dense = problem
    eigenvalues, eigenvectors = np.linalg.eigh(dense)
    values, vectors = top_eigenvalues(operator, k=3, tol=1e-10, max_iter=operator.n_params)
    np.testing.assert_allclose(values, eigenvalues[::-1][:3], rtol=1e-8)
    for value, vector in zip(values, vectors, strict=True):
        assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-6)
        residual = dense @ vector.astype(np.float64) - value * vector
        assert np.linalg.norm(residual) < 1e-5 * abs(value)
        assert np.argmax(vector) == np.argmax(np.abs(vector))  # the sign convention
    dominant = eigenvalues[np.argmax(np.abs(eigenvalues))]
    power, _ = top_eigenvalues(operator, k=1, method="power", tol=1e-12, max_iter=2000)
    assert abs(power[0] - dominant) < 1e-6 * abs(dominant)


def test_lanczos_basis_is_orthonormal_and_tridiagonalizes(problem):
    operator, dense = problem
    alphas, betas, basis = lanczos(operator, 12, torch.ones(operator.n_params,
                                                            dtype=torch.float64))
    q = basis.numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(len(alphas)), atol=1e-10)
    t = q @ dense @ q.T
    np.testing.assert_allclose(np.diag(t), alphas, atol=1e-10)
    np.testing.assert_allclose(np.diag(t, 1), betas[:-1], atol=1e-10)


def test_hutchinson_is_unbiased_within_its_exact_spread(problem):
    operator, dense = problem
    probes = 400
    samples = hutchinson_trace(operator, probes, seed=3)
    # For ±1 probes, Var(z^T H z) = 2 * sum of squared off-diagonal entries.
    variance = 2 * (np.sum(dense ** 2) - np.sum(np.diag(dense) ** 2))
    assert abs(samples.mean() - np.trace(dense)) < 4 * np.sqrt(variance / probes)
    assert np.isclose(samples.var(ddof=1), variance, rtol=0.3)
    # Same seed, same probes.
    np.testing.assert_array_equal(hutchinson_trace(operator, 5, seed=3), samples[:5])


def test_slq_weights_moments_and_density(problem):
    operator, dense = problem
    nodes, weights = spectral_density(operator, n_probes=3, n_steps=10, seed=4)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    # Each probe's quadrature reproduces v^T H^j v exactly for j < 2m.
    generator = torch.Generator().manual_seed(4)
    for probe in range(3):
        v = operator.random_vector(generator, "rademacher").numpy()
        v = v / np.linalg.norm(v)
        for power in range(4):
            quadrature = np.sum(weights[probe] * nodes[probe] ** power)
            exact = v @ np.linalg.matrix_power(dense, power) @ v
            assert np.isclose(quadrature, exact, rtol=1e-8, atol=1e-10)
        # The first moment is the Hutchinson estimate of trace / P for the same probe.
        assert np.isclose(np.sum(weights[probe] * nodes[probe]),
                          v @ dense @ v, rtol=1e-10)
    grid, density = density_curve(nodes, weights)
    assert np.isclose(np.trapezoid(density, grid), 1.0, atol=1e-3)
    mean = np.trapezoid(grid * density, grid)
    assert np.isclose(mean, np.mean(np.sum(weights * nodes, axis=1)), rtol=1e-3, atol=1e-6)


def test_slq_recovers_the_spectrum_of_a_small_problem():
    torch.manual_seed(0)
    net = nn.Linear(4, 3).double()
    x, y = torch.randn(30, 4, dtype=torch.float64), torch.randint(0, 3, (30,))
    operator = HessianOperator(net, x, y)
    dense = independent_hessian(net, x, y)
    nodes, weights = spectral_density(operator, n_probes=1, n_steps=50)
    found = nodes[0][np.isfinite(nodes[0]) & (weights[0] > 1e-12)]
    eigenvalues = np.linalg.eigvalsh(dense)
    # Lanczos stops at an invariant subspace: every node is an exact eigenvalue.
    assert np.isfinite(nodes[0]).sum() < 50
    for node in found:
        assert np.min(np.abs(eigenvalues - node)) < 1e-8 * max(1.0, abs(node))


def test_spectrum_fit_counts_products_and_is_reproducible(problem):
    operator, _ = problem
    first = HessianSpectrum(top_k=2, trace_probes=5, density_probes=2,
                            density_steps=6).fit(operator)
    second = HessianSpectrum(top_k=2, trace_probes=5, density_probes=2,
                             density_steps=6).fit(operator)
    assert first.n_products_["trace"] == 5 and first.n_products_["density"] == 12
    np.testing.assert_array_equal(first.eigenvalues_, second.eigenvalues_)
    np.testing.assert_array_equal(first.trace_samples_, second.trace_samples_)
    assert first.trace_ == pytest.approx(first.trace_samples_.mean())
    grid, density = first.density()
    assert grid.shape == density.shape


def test_dense_comparison_table(problem):
    operator, _ = problem
    table = dense_comparison(operator, k=2, trace_probes=50)
    deterministic = table[table["standard_error"].isna()]
    assert len(deterministic) == 5 and (deterministic["relative_error"] < 1e-6).all()
    trace = table[table["quantity"].str.contains("Hutchinson")].iloc[0]
    assert abs(trace.matrix_free - trace.dense) < 5 * trace.standard_error


@pytest.mark.parametrize("call, name", [
    (lambda op: top_eigenvalues(op, k=0), "k"),
    (lambda op: top_eigenvalues(op, method="arnoldi"), "method"),
    (lambda op: top_eigenvalues(op, tol=0), "tol"),
    (lambda op: hutchinson_trace(op, n_probes=0), "n_probes"),
    (lambda op: spectral_density(op, n_steps=0), "n_steps"),
    (lambda op: lanczos(op, 3, torch.zeros(op.n_params, dtype=torch.float64)), "start"),
    (lambda op: op.matvec(np.zeros(3)), "vector"),
    (lambda op: HessianSpectrum(trace_probes=-1).fit(op), "trace_probes"),
    (lambda op: dense_hessian(op, max_params=10), "max_params"),
])
def test_bad_arguments_name_themselves(problem, call, name):
    operator, _ = problem
    with pytest.raises(ValueError, match=name):
        call(operator)


def test_bad_operator_inputs():
    net, x, y = conv_net()
    with pytest.raises(ValueError, match="model"):
        HessianOperator("net", x, y)
    with pytest.raises(ValueError, match="same, non-zero length"):
        HessianOperator(net, x, y[:3])
    with pytest.raises(ValueError, match="batch_size"):
        HessianOperator(net, x, y, batch_size=0)
    with pytest.raises(ValueError, match="operator"):
        hutchinson_trace(net)
