"""Flat parameter order, normalized random directions and batched loss evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers.directions import evaluate_along, evaluate_points, random_direction, random_directions
from helpers.flat_parameters import (
    bias_or_batchnorm_mask,
    flatten_parameters,
    is_bias_or_batchnorm,
    load_flat_parameters,
    parameter_count,
    parameter_names,
    unflatten_parameters,
)


class SmallNet(nn.Module):
    """Conv + BatchNorm + linear, 2,052 parameters, on 1 × 8 × 8 images, 10 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        return self.fc(nn.functional.avg_pool2d(out, 2).flatten(1))


def make_net(seed: int = 0) -> SmallNet:
    """A net whose BatchNorm running statistics are far from the defaults (0 mean, unit var)."""
    torch.manual_seed(seed)
    net = SmallNet()
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(3.0 * torch.randn(64, 1, 8, 8) + 1.0)
        # Non-trivial affine BatchNorm parameters, so that they matter to the tests.
        for bn in (net.bn1, net.bn2):
            bn.weight.uniform_(0.5, 2.0)
            bn.bias.normal_()
    return net.eval()


@pytest.fixture(scope="module")
def data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(50, 1, 8, 8, generator=generator), torch.randint(0, 10, (50,),
                                                                       generator=generator)


# --- parameters.py --------------------------------------------------------------------

def test_order_is_named_parameters_and_buffers_are_excluded():
    net = make_net()
    names = [name for name, _ in net.named_parameters()]
    assert parameter_names(net) == names
    flat = flatten_parameters(net)
    expected = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).numpy()
    np.testing.assert_array_equal(flat, expected)
    assert flat.dtype == np.float32 and flat.ndim == 1
    n_buffers = sum(b.numel() for b in net.buffers())
    assert n_buffers > 0
    assert flat.size == parameter_count(net) == sum(p.numel() for p in net.parameters())
    assert not any("running" in name or "num_batches" in name for name in parameter_names(net))


def test_flatten_load_round_trip_is_exact_and_leaves_buffers_alone():
    net = make_net()
    buffers = {k: v.clone() for k, v in net.named_buffers()}
    vector = np.random.default_rng(0).standard_normal(parameter_count(net)).astype(np.float32)
    load_flat_parameters(net, vector)
    np.testing.assert_array_equal(flatten_parameters(net), vector)
    # The vector went to the right tensors: each named slice lands in that parameter.
    for name, part in unflatten_parameters(net, vector).items():
        assert torch.equal(dict(net.named_parameters())[name].detach(), part)
    for name, buffer in net.named_buffers():
        assert torch.equal(buffer, buffers[name])
    # Into another instance: same parameters, its own buffers.
    other = make_net(seed=5)
    load_flat_parameters(other, flatten_parameters(net))
    np.testing.assert_array_equal(flatten_parameters(other), vector)
    assert not torch.equal(other.bn1.running_mean, net.bn1.running_mean)


def test_load_refuses_a_vector_of_the_wrong_length():
    net = make_net()
    n = parameter_count(net)
    with pytest.raises(ValueError, match=rf"vector.*{n}.*{n - 1}"):
        load_flat_parameters(net, np.zeros(n - 1, dtype=np.float32))
    with pytest.raises(ValueError, match="vector must be 1-D"):
        load_flat_parameters(net, np.zeros((1, n), dtype=np.float32))


def test_bias_or_batchnorm_rule_is_one_dimensional_parameters():
    net = make_net()
    flagged = [name for name, p in net.named_parameters() if is_bias_or_batchnorm(name, p)]
    assert flagged == ["conv1.bias", "bn1.weight", "bn1.bias", "bn2.weight", "bn2.bias",
                       "fc.bias"]
    mask = bias_or_batchnorm_mask(net)
    assert mask.sum() == sum(dict(net.named_parameters())[name].numel() for name in flagged)


# --- random directions ----------------------------------------------------------------

def _filter_norms(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.double().reshape(len(tensor), -1).norm(dim=1)


def test_filter_normalization_matches_every_filter_norm():
    net = make_net()
    direction = unflatten_parameters(net, random_direction(net, seed=3))
    for name, weight in net.named_parameters():
        if weight.ndim > 1:  # conv: one norm per output channel; linear: one per row
            got, want = _filter_norms(direction[name]), _filter_norms(weight.detach())
            assert len(got) == weight.shape[0]
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5)
            # It is not just the weights: the direction is random.
            assert not torch.allclose(direction[name], weight.detach())
        else:
            assert torch.count_nonzero(direction[name]) == 0


def test_ignored_entries_are_exactly_zero_and_others_are_not():
    net = make_net()
    mask = bias_or_batchnorm_mask(net)
    for normalization in ("filter", "layer", None):
        d = random_direction(net, seed=0, normalization=normalization, ignore="biasbn")
        assert np.all(d[mask] == 0.0)
        assert np.all(d[~mask] != 0.0)


def test_ignore_none_keeps_one_dimensional_entries_normalized():
    net = make_net()
    mask = bias_or_batchnorm_mask(net)
    theta = flatten_parameters(net)
    d = random_direction(net, seed=0, ignore=None)
    # Filters of size one: |d_i| = |θ_i|, with a random sign.
    np.testing.assert_allclose(np.abs(d[mask]), np.abs(theta[mask]), rtol=1e-6)
    signs = np.sign(d[mask]) * np.sign(theta[mask])
    assert (signs > 0).any() and (signs < 0).any()
    # The draws do not depend on `ignore`: the weights' part is the same either way.
    np.testing.assert_array_equal(d[~mask], random_direction(net, seed=0)[~mask])


def test_layer_normalization_matches_each_tensor_norm():
    net = make_net()
    for ignore in ("biasbn", None):
        direction = unflatten_parameters(net, random_direction(net, 1, "layer", ignore))
        for name, weight in net.named_parameters():
            if ignore == "biasbn" and weight.ndim <= 1:
                continue
            np.testing.assert_allclose(direction[name].double().norm().item(),
                                       weight.detach().double().norm().item(), rtol=1e-5)
        # Per tensor, not per filter: the filters of conv1 do not all match.
        got, want = _filter_norms(direction["conv1.weight"]), _filter_norms(net.conv1.weight)
        assert not torch.allclose(got, want.detach(), rtol=1e-3)


def test_no_normalization_is_the_raw_gaussian():
    net = make_net()
    d = random_direction(net, seed=4, normalization=None, ignore=None)
    generator = torch.Generator().manual_seed(4)
    expected = torch.cat([torch.randn(p.shape, generator=generator).reshape(-1)
                          for p in net.parameters()]).numpy()
    np.testing.assert_array_equal(d, expected)


def test_same_seed_same_direction_across_models_dtype_and_global_rng():
    a, b = make_net(), make_net()
    torch.manual_seed(999)  # the global generator must not matter
    first = random_direction(a, seed=7)
    torch.rand(10)
    np.testing.assert_array_equal(first, random_direction(b, seed=7))
    assert first.dtype == np.float32 and first.shape == (parameter_count(a),)
    # The draws are made in float32 on the CPU whatever the model's dtype.
    raw64 = random_direction(make_net().double(), seed=7, normalization=None, ignore=None)
    np.testing.assert_array_equal(raw64, random_direction(a, 7, normalization=None, ignore=None))


def test_different_seeds_differ():
    net = make_net()
    d0, d1 = random_direction(net, 0), random_direction(net, 1)
    assert not np.array_equal(d0, d1)
    cosine = d0 @ d1 / (np.linalg.norm(d0) * np.linalg.norm(d1))
    assert abs(cosine) < 0.3  # nearly orthogonal, not merely different somewhere
    stacked = random_directions(net, [0, 1])
    np.testing.assert_array_equal(stacked, np.stack([d0, d1]))


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"normalization": "foo"}, "normalization"),
    ({"ignore": "x"}, "ignore"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
])
def test_random_direction_refuses_bad_arguments(kwargs, argument):
    arguments = {"seed": 0, **kwargs}
    with pytest.raises(ValueError, match=argument):
        random_direction(make_net(), **arguments)


# --- evaluation -----------------------------------------------------------------------

def _plain(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    with torch.no_grad():
        logits = net.eval()(x)
    loss = nn.functional.cross_entropy(logits.double(), y).item()
    return loss, (logits.argmax(1) == y).double().mean().item()


@pytest.mark.parametrize("method", ["vmap", "loop"])
def test_coefficient_zero_is_a_plain_forward_pass_with_running_statistics(data, method):
    x, y = data
    net = make_net()
    base = flatten_parameters(net)
    directions = random_directions(net, [0, 1])
    want_loss, want_accuracy = _plain(net, x, y)
    net.train()  # evaluation must use the running statistics whatever the caller's mode
    loss, accuracy = evaluate_along(net, base, directions, np.zeros((3, 2)), x, y,
                                    batch_size=16, method=method)
    assert net.training  # the caller's model is left as it was
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_array_equal(accuracy, want_accuracy)
    with torch.no_grad():
        train_mode_loss = nn.functional.cross_entropy(net.train()(x), y).item()
    assert abs(train_mode_loss - want_loss) > 1e-3  # so the check above can tell them apart


def test_vmap_and_loop_agree_and_match_loaded_models(data):
    x, y = data
    net = make_net()
    base = flatten_parameters(net)
    directions = random_directions(net, [0, 1, 2])
    coefficients = np.random.default_rng(0).uniform(-1, 1, (7, 3)).astype(np.float32)
    # 7 points in chunks of 3, 50 inputs in batches of 16: both remainders are exercised.
    kwargs = {"batch_size": 16, "points_per_batch": 3}
    loss_v, accuracy_v = evaluate_along(net, base, directions, coefficients, x, y,
                                        method="vmap", **kwargs)
    loss_l, accuracy_l = evaluate_along(net, base, directions, coefficients, x, y,
                                        method="loop", **kwargs)
    np.testing.assert_allclose(loss_v, loss_l, rtol=1e-5)
    np.testing.assert_array_equal(accuracy_v, accuracy_l)
    assert np.ptp(loss_v) > 0.01  # the points really differ
    # Row i is the point base + coefficients[i] @ directions, loaded into a copy of the net.
    points = base + coefficients @ directions
    for i in (0, 6):
        copy = make_net()
        load_flat_parameters(copy, points[i])
        want_loss, want_accuracy = _plain(copy, x, y)
        np.testing.assert_allclose(loss_v[i], want_loss, rtol=1e-5)
        assert accuracy_v[i] == want_accuracy
    loss_p, accuracy_p = evaluate_points(net, points, x, y, method="vmap", **kwargs)
    np.testing.assert_allclose(loss_p, loss_v, rtol=1e-5)
    np.testing.assert_array_equal(accuracy_p, accuracy_v)


def test_evaluate_along_single_direction_vector(data):
    x, y = data
    net = make_net()
    base, d = flatten_parameters(net), random_direction(net, 0)
    loss_1d, _ = evaluate_along(net, base, d, [0.0, 0.5], x, y)
    loss_2d, _ = evaluate_along(net, base, d[None], [[0.0], [0.5]], x, y)
    np.testing.assert_array_equal(loss_1d, loss_2d)
    assert loss_1d[1] != loss_1d[0]


@pytest.mark.parametrize(("change", "argument"), [
    ({"coefficients": np.zeros((0, 2))}, "coefficients"),
    ({"coefficients": np.zeros((3, 5))}, "coefficients"),
    ({"coefficients": np.array([[np.nan, 0.0]])}, "coefficients"),
    ({"base": np.zeros(5)}, "base"),
    ({"directions": np.zeros((2, 5))}, "directions"),
    ({"method": "bar"}, "method"),
    ({"batch_size": 0}, "batch_size"),
    ({"points_per_batch": 0}, "points_per_batch"),
    ({"y": torch.zeros(49, dtype=torch.long)}, "x and y"),
    ({"y": torch.zeros(50)}, "y must"),
])
def test_evaluate_along_refuses_bad_arguments(data, change, argument):
    x, y = data
    net = make_net()
    arguments = {"model": net, "base": flatten_parameters(net),
                 "directions": random_directions(net, [0, 1]), "coefficients": np.zeros((3, 2)),
                 "x": x, "y": y, **change}
    with pytest.raises(ValueError, match=argument):
        evaluate_along(**arguments)


def test_evaluate_points_refuses_a_matrix_of_the_wrong_width(data):
    x, y = data
    net = make_net()
    with pytest.raises(ValueError, match=rf"points.*{parameter_count(net)}"):
        evaluate_points(net, np.zeros((2, parameter_count(net) + 1)), x, y)
    with pytest.raises(ValueError, match="points must not be empty"):
        evaluate_points(net, np.zeros((0, parameter_count(net))), x, y)
