"""The networks trained in the book: Wide-ResNets and CIFAR ResNets (with or without skips).

- :class:`WideResNet` is the pre-activation Wide-ResNet WRN-``depth``-``widen_factor``
  of Zagoruyko & Komodakis (2016), ``depth`` = 6n+4.
- :class:`ResNet` is the CIFAR ResNet of He et al. (2016), ``depth`` = 6n+2, with 1x1
  convolution + BatchNorm shortcuts where the shape changes (option B).
  ``residual=False`` removes every skip connection, downsampling ones included: the
  "no-short" network of Li et al. (2018).

Both end in global *adaptive* average pooling, so the same network runs on 8x8
(sklearn digits), 28x28 (MNIST) and 32x32 (CIFAR) images. Convolutions have no bias;
they are initialized Kaiming-normal, BatchNorm to weight 1 and bias 0, and the
classifier bias to 0.

:func:`wrn_parameter_count` and :func:`resnet_parameter_count` give the number of
parameters from the architecture formula alone, without building a network.

Examples
--------
>>> import torch
>>> from helpers.flat_parameters import parameter_count
>>> model = build_model("wrn", depth=10, widen_factor=1, in_channels=1, num_classes=10)
>>> model(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> parameter_count(model) == wrn_parameter_count(10, 1, 1, 10) == 77562
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks import check_bool, check_choice, check_float, check_int

FAMILIES = ("wrn", "resnet")


def _check_depth(depth: int, family: str) -> int:
    """Return the number of blocks per group ``n`` after checking ``depth`` = 6n+offset."""
    offset, minimum, examples = {"wrn": (4, 10, "10, 16, 22, 28"),
                                 "resnet": (2, 8, "20, 32, 44, 56, 110")}[family]
    depth = check_int("depth", depth, minimum=minimum)
    if (depth - offset) % 6:
        raise ValueError(f"depth must be 6n+{offset} (e.g. {examples}) for "
                         f"family {family!r}; got {depth}")
    return (depth - offset) // 6


def _initialize(model: nn.Module) -> None:
    """Kaiming-normal convolutions, identity BatchNorm, zero classifier bias."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            # fan_out keeps the gradient variance constant through the ReLU network,
            # as in the original Torch WRN code and torchvision's ResNets.
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)


def _conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    # No bias: every convolution is followed (directly or after the addition) by BatchNorm.
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


class _PreActBlock(nn.Module):
    """BN-ReLU-conv3x3-BN-ReLU-(dropout)-conv3x3 plus the shortcut (Wide-ResNet)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 dropout: float) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = _conv3x3(in_channels, out_channels, stride)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = _conv3x3(out_channels, out_channels)
        self.shortcut = (nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)
                         if stride != 1 or in_channels != out_channels else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = F.relu(self.bn1(x))
        out = self.conv1(activated)
        out = self.conv2(self.dropout(F.relu(self.bn2(out))))
        # As in the reference implementation, a projection shortcut reads the
        # pre-activated input; the identity shortcut reads the raw input.
        skip = x if self.shortcut is None else self.shortcut(activated)
        return out + skip


class _BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut if ``residual``, then ReLU (ResNet)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.conv1 = _conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = _conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = (nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride,
                                                 bias=False),
                                       nn.BatchNorm2d(out_channels))
                         if residual and (stride != 1 or in_channels != out_channels) else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return F.relu(out)


class WideResNet(nn.Module):
    """Pre-activation Wide-ResNet WRN-``depth``-``widen_factor`` (Zagoruyko & Komodakis, 2016).

    A 3x3 convolution to 16 channels; three groups of n = (depth - 4) / 6 pre-activation
    basic blocks of widths 16k, 32k, 64k (k = ``widen_factor``) and strides 1, 2, 2, with
    a 1x1 convolution shortcut where the shape changes; then BN-ReLU, global average
    pooling and a linear classifier.

    Parameters
    ----------
    depth : int, default 10
        6n+4: 10, 16, 22, 28, ...
    widen_factor : int, default 1
        Width multiplier k >= 1.
    in_channels : int, default 3
        Channels of the input images.
    num_classes : int, default 10
        Number of output logits.
    dropout : float, default 0.0
        Dropout probability between the two convolutions of each block, in [0, 1].

    Examples
    --------
    >>> import torch
    >>> model = WideResNet(depth=16, widen_factor=2, in_channels=3, num_classes=100)
    >>> model(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 100])
    >>> len(model.layer1)
    2
    """

    def __init__(self, depth: int = 10, widen_factor: int = 1, in_channels: int = 3,
                 num_classes: int = 10, dropout: float = 0.0) -> None:
        n = _check_depth(depth, "wrn")
        widen_factor = check_int("widen_factor", widen_factor, minimum=1)
        in_channels = check_int("in_channels", in_channels, minimum=1)
        num_classes = check_int("num_classes", num_classes, minimum=1)
        dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        super().__init__()
        widths = (16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor)
        self.conv = _conv3x3(in_channels, widths[0])
        self.layer1, self.layer2, self.layer3 = (
            nn.Sequential(*(_PreActBlock(widths[g] if i == 0 else widths[g + 1],
                                         widths[g + 1], stride if i == 0 else 1, dropout)
                            for i in range(n)))
            for g, stride in enumerate((1, 2, 2)))
        self.bn = nn.BatchNorm2d(widths[3])
        self.fc = nn.Linear(widths[3], num_classes)
        _initialize(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(batch, num_classes)`` for images ``(batch, C, H, W)``.

        Examples
        --------
        >>> import torch
        >>> WideResNet(in_channels=1)(torch.zeros(4, 1, 28, 28)).shape
        torch.Size([4, 10])
        """
        out = self.layer3(self.layer2(self.layer1(self.conv(x))))
        out = F.adaptive_avg_pool2d(F.relu(self.bn(out)), 1)
        return self.fc(torch.flatten(out, 1))


class ResNet(nn.Module):
    """CIFAR ResNet-``depth`` of He et al. (2016), optionally without skip connections.

    conv3x3 to 16 channels with BN-ReLU; three stages of n = (depth - 2) / 6 basic
    blocks (conv-BN-ReLU-conv-BN, add the shortcut, ReLU) of 16, 32, 64 channels and
    strides 1, 2, 2; global average pooling and a linear classifier. Downsampling
    shortcuts are a 1x1 convolution + BatchNorm (option B).

    Parameters
    ----------
    depth : int, default 20
        6n+2: 20, 32, 44, 56, 110, ...
    in_channels : int, default 3
        Channels of the input images.
    num_classes : int, default 10
        Number of output logits.
    residual : bool, default True
        ``False`` removes every skip connection, downsampling ones included, so each
        block computes ReLU(BN(conv(ReLU(BN(conv(x)))))): the plain network of the same
        depth (Li et al. 2018's "no-short").

    Examples
    --------
    >>> import torch
    >>> model = ResNet(depth=20, in_channels=1, residual=False)
    >>> model(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    >>> len(model.layer3), model.layer2[0].shortcut is None
    (3, True)
    """

    def __init__(self, depth: int = 20, in_channels: int = 3, num_classes: int = 10,
                 residual: bool = True) -> None:
        n = _check_depth(depth, "resnet")
        in_channels = check_int("in_channels", in_channels, minimum=1)
        num_classes = check_int("num_classes", num_classes, minimum=1)
        residual = check_bool("residual", residual)
        super().__init__()
        widths = (16, 16, 32, 64)
        self.conv = _conv3x3(in_channels, widths[0])
        self.bn = nn.BatchNorm2d(widths[0])
        self.layer1, self.layer2, self.layer3 = (
            nn.Sequential(*(_BasicBlock(widths[g] if i == 0 else widths[g + 1],
                                        widths[g + 1], stride if i == 0 else 1, residual)
                            for i in range(n)))
            for g, stride in enumerate((1, 2, 2)))
        self.fc = nn.Linear(widths[3], num_classes)
        _initialize(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(batch, num_classes)`` for images ``(batch, C, H, W)``.

        Examples
        --------
        >>> import torch
        >>> ResNet(depth=8)(torch.zeros(4, 3, 32, 32)).shape
        torch.Size([4, 10])
        """
        out = F.relu(self.bn(self.conv(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))


def resnet20(*, in_channels: int = 3, num_classes: int = 10, residual: bool = True) -> ResNet:
    """ResNet-20 (3 blocks per stage); see :class:`ResNet`.

    Examples
    --------
    >>> from helpers.flat_parameters import parameter_count
    >>> parameter_count(resnet20())
    272474
    """
    return ResNet(20, in_channels=in_channels, num_classes=num_classes, residual=residual)


def resnet56(*, in_channels: int = 3, num_classes: int = 10, residual: bool = True) -> ResNet:
    """ResNet-56 (9 blocks per stage); see :class:`ResNet`.

    Examples
    --------
    >>> len(resnet56(residual=False).layer1)
    9
    """
    return ResNet(56, in_channels=in_channels, num_classes=num_classes, residual=residual)


def build_model(family: str, depth: int, widen_factor: int, in_channels: int,
                num_classes: int, residual: bool = True) -> nn.Module:
    """Build an untrained network by name; seed with ``torch.manual_seed`` beforehand.

    Parameters
    ----------
    family : {"wrn", "resnet"}
        :class:`WideResNet` or :class:`ResNet`.
    depth : int
        6n+4 for ``"wrn"``, 6n+2 for ``"resnet"``.
    widen_factor : int
        Width multiplier >= 1; must be 1 for ``"resnet"``.
    in_channels, num_classes : int
        Input channels and number of output logits.
    residual : bool, default True
        ``False`` (only for ``"resnet"``) removes every skip connection.

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> from helpers.flat_parameters import parameter_count
    >>> model = build_model("resnet", 20, 1, in_channels=3, num_classes=10, residual=False)
    >>> type(model).__name__, parameter_count(model)
    ('ResNet', 269722)
    """
    family = check_choice("family", family, FAMILIES)
    _check_depth(depth, family)
    widen_factor = check_int("widen_factor", widen_factor, minimum=1)
    residual = check_bool("residual", residual)
    if family == "resnet" and widen_factor != 1:
        raise ValueError(f"widen_factor must be 1 for family 'resnet'; got {widen_factor}")
    if family == "wrn" and not residual:
        raise ValueError("residual must be True for family 'wrn' (residual=False is only "
                         "accepted for family 'resnet')")
    if family == "wrn":
        return WideResNet(depth, widen_factor, in_channels=in_channels, num_classes=num_classes)
    return ResNet(depth, in_channels=in_channels, num_classes=num_classes, residual=residual)


def _conv(kernel: int, in_channels: int, out_channels: int) -> int:
    return kernel * kernel * in_channels * out_channels


def _bn(channels: int) -> int:
    return 2 * channels


def wrn_parameter_count(depth: int, widen_factor: int, in_channels: int,
                        num_classes: int) -> int:
    """Parameters of WRN-``depth``-``widen_factor`` from the architecture formula.

    Sums k*k*c_in*c_out per convolution, 2c per BatchNorm and (c+1)*classes for the
    classifier, without building the network, so it checks :class:`WideResNet`.

    Parameters
    ----------
    depth : int
        6n+4: 10, 16, 22, 28, ...
    widen_factor : int
        Width multiplier k >= 1.
    in_channels, num_classes : int
        Input channels and number of output logits.

    Returns
    -------
    int

    Examples
    --------
    >>> wrn_parameter_count(10, 1, in_channels=1, num_classes=10)
    77562
    >>> wrn_parameter_count(28, 10, in_channels=3, num_classes=10)
    36479194
    """
    n = _check_depth(depth, "wrn")
    k = check_int("widen_factor", widen_factor, minimum=1)
    in_channels = check_int("in_channels", in_channels, minimum=1)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    widths = (16, 16 * k, 32 * k, 64 * k)
    total = _conv(3, in_channels, 16)
    for c_in, c_out, stride in zip(widths[:-1], widths[1:], (1, 2, 2), strict=True):
        # A 1x1 projection only where the shape changes: never in group 1 when k = 1.
        projection = stride != 1 or c_in != c_out
        total += (_bn(c_in) + _conv(3, c_in, c_out) + _bn(c_out) + _conv(3, c_out, c_out)
                  + (_conv(1, c_in, c_out) if projection else 0))
        total += (n - 1) * (2 * _bn(c_out) + 2 * _conv(3, c_out, c_out))
    return total + _bn(widths[-1]) + (widths[-1] + 1) * num_classes


def resnet_parameter_count(depth: int, in_channels: int, num_classes: int,
                           residual: bool = True) -> int:
    """Parameters of the CIFAR ResNet-``depth`` from the architecture formula.

    Sums k*k*c_in*c_out per convolution, 2c per BatchNorm and (c+1)*classes for the
    classifier, without building the network, so it checks :class:`ResNet`. The two
    downsampling shortcuts (1x1 convolution + BatchNorm) exist only if ``residual``.

    Parameters
    ----------
    depth : int
        6n+2: 20, 32, 44, 56, 110, ...
    in_channels, num_classes : int
        Input channels and number of output logits.
    residual : bool, default True
        Whether the network has skip connections.

    Returns
    -------
    int

    Examples
    --------
    >>> resnet_parameter_count(20, 3, 10), resnet_parameter_count(20, 3, 10, residual=False)
    (272474, 269722)
    """
    n = _check_depth(depth, "resnet")
    in_channels = check_int("in_channels", in_channels, minimum=1)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    residual = check_bool("residual", residual)
    total = _conv(3, in_channels, 16) + _bn(16)
    for c_in, c_out in ((16, 16), (16, 32), (32, 64)):
        total += _conv(3, c_in, c_out) + _bn(c_out) + _conv(3, c_out, c_out) + _bn(c_out)
        if residual and c_in != c_out:
            total += _conv(1, c_in, c_out) + _bn(c_out)
        total += (n - 1) * 2 * (_conv(3, c_out, c_out) + _bn(c_out))
    return total + (64 + 1) * num_classes
