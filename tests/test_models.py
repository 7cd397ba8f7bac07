"""Networks: shapes, parameter counts against the closed form, skips really removed, seeding."""

from __future__ import annotations

import operator

import pytest
import torch
from torch import fx, nn

from helpers.flat_parameters import parameter_count
from helpers.models import (
    ResNet,
    WideResNet,
    build_model,
    resnet20,
    resnet56,
    resnet_parameter_count,
    wrn_parameter_count,
)

INPUTS = [(1, 8, 8), (1, 28, 28), (3, 32, 32)]
ADD_TARGETS = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__", "__iadd__"}


def _blocks(model: nn.Module) -> list[nn.Module]:
    return [block for layer in (model.layer1, model.layer2, model.layer3) for block in layer]


def _count_adds(model: nn.Module) -> int:
    graph = fx.symbolic_trace(model).graph
    return sum(node.op in ("call_function", "call_method") and node.target in ADD_TARGETS
               for node in graph.nodes)


@pytest.mark.parametrize("shape", INPUTS)
@pytest.mark.parametrize("family, depth, widen_factor, residual", [
    ("wrn", 10, 1, True), ("wrn", 10, 2, True), ("resnet", 20, 1, True),
    ("resnet", 20, 1, False),
])
def test_output_shape(shape, family, depth, widen_factor, residual):
    torch.manual_seed(0)
    model = build_model(family, depth, widen_factor, in_channels=shape[0], num_classes=7,
                        residual=residual)
    out = model(torch.randn(3, *shape))
    assert out.shape == (3, 7)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("depth, widen_factor, in_channels, num_classes", [
    (10, 1, 1, 10), (16, 1, 1, 10), (10, 2, 1, 10), (16, 2, 1, 10), (22, 1, 3, 10),
    (10, 4, 3, 100), (16, 3, 1, 2),
])
def test_wrn_parameters_match_formula(depth, widen_factor, in_channels, num_classes):
    model = WideResNet(depth, widen_factor, in_channels=in_channels, num_classes=num_classes)
    assert parameter_count(model) == wrn_parameter_count(depth, widen_factor, in_channels,
                                                          num_classes)


@pytest.mark.parametrize("depth", [8, 20, 32, 56])
@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("in_channels, num_classes", [(1, 10), (3, 10), (3, 100)])
def test_resnet_parameters_match_formula(depth, residual, in_channels, num_classes):
    model = ResNet(depth, in_channels=in_channels, num_classes=num_classes, residual=residual)
    assert parameter_count(model) == resnet_parameter_count(depth, in_channels, num_classes,
                                                             residual)


def test_reference_parameter_counts():
    # Measured elsewhere on 1-channel 10-class 8x8 inputs (rounded to thousands except WRN-10-1).
    assert parameter_count(WideResNet(10, 1, in_channels=1)) == 77_562
    for (depth, k), thousands in {(16, 1): 175, (10, 2): 303, (16, 2): 691}.items():
        assert round(parameter_count(WideResNet(depth, k, in_channels=1)) / 1000) == thousands
    # Hand count of ResNet-20 with option-B shortcuts: without shortcut parameters it is
    # the well-known 0.27M of option A.
    assert parameter_count(resnet20()) == 272_474
    assert parameter_count(resnet20(residual=False)) == 269_722


def test_depth_counts_weight_layers():
    for depth in (8, 20, 56):
        model = ResNet(depth)
        assert len(model.layer1) == len(model.layer2) == len(model.layer3) == (depth - 2) // 6
        # He et al.'s depth: stem + two 3x3 convolutions per block + classifier.
        layers = [m for m in model.modules() if isinstance(m, nn.Linear)
                  or (isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3))]
        assert len(layers) == depth
    for depth in (10, 16, 22):
        model = WideResNet(depth)
        assert len(model.layer1) == (depth - 4) // 6
        # Zagoruyko & Komodakis's 6n+4 also counts the two 1x1 projections of groups 2 and 3.
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
        assert len(convs) + 1 == depth - 2


def test_shortcut_projections_only_where_shape_changes():
    def projections(model):
        return [name for name, m in model.named_modules()
                if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)]

    assert projections(WideResNet(16, 1)) == ["layer2.0.shortcut", "layer3.0.shortcut"]
    assert projections(WideResNet(16, 2)) == ["layer1.0.shortcut", "layer2.0.shortcut",
                                              "layer3.0.shortcut"]
    assert projections(resnet20()) == ["layer2.0.shortcut.0", "layer3.0.shortcut.0"]
    assert projections(resnet20(residual=False)) == []


@pytest.mark.parametrize("make, blocks", [
    (lambda: resnet20(), 9), (lambda: ResNet(8), 3), (lambda: WideResNet(16, 2), 6),
])
def test_traced_graph_has_one_addition_per_block(make, blocks):
    assert _count_adds(make()) == blocks


@pytest.mark.parametrize("depth", [8, 20, 56])
def test_no_residual_traced_graph_has_no_addition(depth):
    assert _count_adds(ResNet(depth, residual=False)) == 0


def _randomize_batchnorm(model: nn.Module) -> None:
    # Non-trivial BatchNorm statistics and affine parameters, so that a constant
    # output cannot come from everything being zero by coincidence.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)


@pytest.mark.parametrize("residual", [True, False])
def test_cutting_any_block_disconnects_the_input_only_without_skips(residual):
    # Zeroing a block's last convolution cuts its main path; the network output then
    # ignores the input iff no skip path bypasses that block. Checking every block
    # rules out skips of any length, whatever operation would implement them.
    torch.manual_seed(0)
    x = torch.randn(4, 3, 8, 8)
    model = ResNet(20, residual=residual).eval()
    _randomize_batchnorm(model)
    for index, block in enumerate(_blocks(model)):
        kept = block.conv2.weight.detach().clone()
        with torch.no_grad():
            block.conv2.weight.zero_()
            out = model(x)
            block.conv2.weight.copy_(kept)
        spread = (out - out[0]).abs().max().item()
        if residual:
            assert spread > 1e-2, index
        else:
            assert spread < 1e-5, index


def test_wrn_cut_block_still_passes_input_through_skip():
    torch.manual_seed(0)
    model = WideResNet(16, 1).eval()
    with torch.no_grad():
        for block in _blocks(model):
            block.conv2.weight.zero_()
        out = model(torch.randn(4, 3, 16, 16))
    assert (out - out[0]).abs().max().item() > 1e-3


def test_initialization():
    torch.manual_seed(0)
    model = WideResNet(10, 4)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert torch.equal(m.weight, torch.ones_like(m.weight))
            assert torch.equal(m.bias, torch.zeros_like(m.bias))
        elif isinstance(m, nn.Conv2d):
            assert m.bias is None
        elif isinstance(m, nn.Linear):
            assert torch.equal(m.bias, torch.zeros_like(m.bias))
    # Kaiming normal, fan_out: std sqrt(2 / (9 * 256)) over 589,824 weights.
    weight = model.layer3[0].conv2.weight
    assert weight.mean().abs().item() < 1e-3
    assert weight.std().item() == pytest.approx((2 / (9 * 256)) ** 0.5, rel=0.01)


@pytest.mark.parametrize("make", [lambda: WideResNet(10, 2, dropout=0.3),
                                  lambda: resnet20(residual=False)])
def test_same_seed_same_weights(make):
    torch.manual_seed(3)
    first = make().state_dict()
    torch.manual_seed(3)
    second = make().state_dict()
    torch.manual_seed(4)
    third = make().state_dict()
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not torch.equal(first["layer1.0.conv1.weight"], third["layer1.0.conv1.weight"])


def test_dropout_acts_only_in_training():
    torch.manual_seed(0)
    model = WideResNet(10, 1, dropout=0.5)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        model.eval()
        assert torch.equal(model(x), model(x))
        model.train()
        assert not torch.equal(model(x), model(x))


def test_convenience_constructors():
    assert len(resnet56().layer2) == 9
    assert parameter_count(resnet56(in_channels=1, num_classes=5)) == resnet_parameter_count(
        56, 1, 5)
    assert isinstance(build_model("resnet", 32, 1, 3, 10), ResNet)
    assert isinstance(build_model("wrn", 16, 2, 3, 10), WideResNet)


def test_trainable_parameter_count_skips_frozen():
    model = resnet20()
    total = parameter_count(model)
    model.fc.weight.requires_grad_(False)
    assert parameter_count(model, trainable_only=True) == total - 64 * 10


@pytest.mark.parametrize("call, name", [
    (lambda: build_model("wrn", 11, 1, 1, 10), "depth"),
    (lambda: build_model("resnet", 11, 1, 1, 10), "depth"),
    (lambda: build_model("resnet", 22, 1, 1, 10), "depth"),
    (lambda: build_model("wrn", 10, 0, 1, 10), "widen_factor"),
    (lambda: build_model("resnet", 20, 2, 1, 10), "widen_factor"),
    (lambda: build_model("vgg", 10, 1, 1, 10), "family"),
    (lambda: build_model("wrn", 10, 1, 1, 10, residual=False), "residual"),
    (lambda: build_model("resnet", 20, 1, 1, 10, residual="no"), "residual"),
    (lambda: build_model("wrn", 10, 1, 0, 10), "in_channels"),
    (lambda: build_model("wrn", 10, 1, 1, 0), "num_classes"),
    (lambda: WideResNet(depth=11), "depth"),
    (lambda: WideResNet(depth=10.0), "depth"),
    (lambda: WideResNet(widen_factor=0), "widen_factor"),
    (lambda: WideResNet(dropout=-0.1), "dropout"),
    (lambda: WideResNet(dropout=1.5), "dropout"),
    (lambda: ResNet(depth=16), "depth"),
    (lambda: ResNet(residual=1), "residual"),
    (lambda: resnet20(in_channels=0), "in_channels"),
    (lambda: wrn_parameter_count(12, 1, 1, 10), "depth"),
    (lambda: resnet_parameter_count(20, 3, 10, residual=None), "residual"),
    (lambda: parameter_count("resnet20"), "model"),
])
def test_bad_arguments_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_depth_message_lists_accepted_depths():
    with pytest.raises(ValueError, match=r"6n\+4.*10, 16, 22, 28"):
        WideResNet(depth=11)
    with pytest.raises(ValueError, match=r"6n\+2.*20, 32, 44, 56, 110"):
        ResNet(depth=21)
