"""Datasets as in-memory tensors, class-balanced training subsets, augmentation.

Every dataset is held entirely in memory as normalized float32 tensors (``N×C×H×W``);
the models of this book are small enough that a data loader would only add overhead.

Training subsets
    ``train_size=n`` takes the first ``n`` images of a fixed *class-interleaved* order
    of the training pool: round ``r`` visits the ``r``-th image of every class, in
    increasing class order, and the images of a class are in a fixed shuffled order.
    Every prefix is therefore as class-balanced as the pool allows (class counts
    differ by at most one while every class still has images left), and a smaller
    subset is always contained in a larger one. The order does not depend on any
    seed of an experiment: the data are part of the experiment's definition.

Normalization
    Pixels are normalized per channel by the mean and standard deviation of the whole
    training pool (not of the subset), so that the same image has the same tensor in
    every subset and in the test set.

``digits``
    scikit-learn's 1797 8×8 digits (pixel values 0..16), shipped with scikit-learn. A
    fixed split holds out 600 test images (60 per class); the other 1197 form the pool.

``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``
    Read by torchvision from ``root`` in torchvision's own folder layout
    (``MNIST/raw``, ``FashionMNIST/raw``, ``cifar-10-batches-py``,
    ``cifar-100-python``) and downloaded there only when ``download=True``. The full
    test set is always used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks import check_bool, check_choice, check_float, check_int

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100")

#: The two parts of every dataset.
SPLITS = ("train", "test")

#: Held-out test images of ``digits`` (60 per class).
DIGITS_TEST_SIZE = 600

# Seed of the fixed within-class order (and so of the digits split). Changing it
# changes every subset and invalidates every cached result; never change it.
_ORDER_SEED = 0


@dataclass(frozen=True)
class _Spec:
    num_classes: int
    in_channels: int
    image_size: int
    folder: str | None  # where torchvision keeps the files, relative to root
    shift: int  # default augmentation shift / crop padding in pixels


_SPECS = {
    "digits": _Spec(10, 1, 8, None, 1),
    "mnist": _Spec(10, 1, 28, "MNIST/raw", 2),
    "fashion_mnist": _Spec(10, 1, 28, "FashionMNIST/raw", 2),
    "cifar10": _Spec(10, 3, 32, "cifar-10-batches-py", 4),
    "cifar100": _Spec(100, 3, 32, "cifar-100-python", 4),
}


class DatasetNotFoundError(FileNotFoundError, ValueError):
    """A torchvision dataset is missing (or corrupted) in its folder and ``download`` is off.

    It is a :class:`FileNotFoundError` for what happened and a :class:`ValueError` for
    how to fix it: the ``download`` argument must be ``True`` to fetch the files.

    Examples
    --------
    >>> issubclass(DatasetNotFoundError, ValueError)
    True
    """


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A dataset held in memory: normalized images and integer labels.

    ``eq=False``: comparing tensors element-wise has no single truth value, so two
    datasets are equal only when they are the same object.

    Attributes
    ----------
    name : str
        One of ``DATASETS``.
    train_x, test_x : torch.Tensor
        float32 images ``N×C×H×W``, normalized by the training pool's per-channel
        mean and standard deviation.
    train_y, test_y : torch.Tensor
        int64 labels in ``0 .. num_classes - 1``.
    num_classes, in_channels, image_size : int
        Number of classes, image channels and image side length.
    mean, std : tuple of float
        Per-channel pixel mean and standard deviation of the training pool in the
        original pixel units (0..16 for digits, 0..255 otherwise), to undo the
        normalization for display: ``x * std + mean``.

    Examples
    --------
    >>> data = load_dataset("digits", train_size=100)
    >>> data.n_train, data.n_test, tuple(data.train_x.shape[1:])
    (100, 600, (1, 8, 8))
    """

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        # Runs again on dataclasses.replace, so swapped-in labels are checked as well.
        check_int("num_classes", self.num_classes, minimum=2)
        check_int("in_channels", self.in_channels, minimum=1)
        check_int("image_size", self.image_size, minimum=1)
        shape = (self.in_channels, self.image_size, self.image_size)
        for part in ("train", "test"):
            x, y = getattr(self, f"{part}_x"), getattr(self, f"{part}_y")
            if not isinstance(x, torch.Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != shape:
                got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError(f"{part}_x must be a tensor of shape (N, {shape[0]}, "
                                 f"{shape[1]}, {shape[2]}); got {got}")
            if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.shape != x.shape[:1]:
                got = (f"{y.dtype} {tuple(y.shape)}" if isinstance(y, torch.Tensor)
                       else type(y).__name__)
                raise ValueError(f"{part}_y must be an int64 tensor of shape ({len(x)},); "
                                 f"got {got}")
            if len(y) and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
                raise ValueError(f"{part}_y must hold labels in 0..{self.num_classes - 1}; "
                                 f"got {int(y.min())}..{int(y.max())}")

    @property
    def n_train(self) -> int:
        """Number of training images.

        Examples
        --------
        >>> load_dataset("digits", train_size=50).n_train
        50
        """
        return len(self.train_x)

    @property
    def n_test(self) -> int:
        """Number of test images.

        Examples
        --------
        >>> load_dataset("digits", train_size=50).n_test
        600
        """
        return len(self.test_x)

    def __repr__(self) -> str:
        # The default repr would print the tensors.
        c, s = self.in_channels, self.image_size
        return (f"Dataset({self.name!r}, train={self.n_train}, test={self.n_test}, "
                f"images={c}x{s}x{s}, classes={self.num_classes})")


def check_download(download: Any) -> bool:
    """Check a ``download`` flag: ``True`` lets torchvision fetch a dataset into ``data/``.

    Examples
    --------
    >>> check_download(False)
    False
    """
    return check_bool("download", download)


def load_dataset(name: str = "digits", *, train_size: int | None = None,
                 root: str | Path = "data", download: bool = False) -> Dataset:
    """Load a dataset into memory, with a class-balanced training subset.

    Parameters
    ----------
    name : {"digits", "mnist", "fashion_mnist", "cifar10", "cifar100"}
        The dataset.
    train_size : int or None
        Number of training images: the first ``train_size`` of the pool's fixed
        class-interleaved order (see the module docstring); ``None`` takes the whole
        pool (1197 images for digits). The test set does not depend on it.
    root : str or Path
        Folder holding the torchvision datasets, in torchvision's layout (for example
        ``root/cifar-10-batches-py``). Not used for digits.
    download : bool
        Let torchvision download a missing dataset into ``root``. Not used for digits.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an unknown ``name``, or a ``train_size`` below 1 or above the pool size.
    DatasetNotFoundError
        When the files are missing or corrupted in ``root`` and ``download`` is False;
        its message names the folder it looked in.

    Examples
    --------
    >>> data = load_dataset("digits", train_size=300)
    >>> data.n_train, data.n_test, data.train_x.dtype
    (300, 600, torch.float32)
    >>> data.train_y.bincount().tolist()
    [30, 30, 30, 30, 30, 30, 30, 30, 30, 30]
    """
    check_choice("name", name, DATASETS)
    if train_size is not None:
        train_size = check_int("train_size", train_size, minimum=1)
    if not isinstance(root, str | Path):
        raise ValueError(f"root must be a str or pathlib.Path folder; got {root!r}")
    download = check_bool("download", download)

    spec = _SPECS[name]
    if name == "digits":
        pool_x, pool_y, test_x, test_y = _digits_arrays()
        order = np.arange(len(pool_y))  # the digits pool is already in interleaved order
    else:
        pool_x, pool_y, test_x, test_y = _torchvision_arrays(name, Path(root), download)
        order = _balanced_order(pool_y, _ORDER_SEED)

    if train_size is not None and train_size > len(pool_y):
        raise ValueError(f"train_size must be at most the training pool size of {name!r} "
                         f"({len(pool_y)} images); got {train_size}")
    picked = order[:train_size] if train_size is not None else order

    mean, std = _pixel_stats(pool_x)
    return Dataset(
        name=name,
        train_x=_normalized(pool_x[picked], mean, std),
        train_y=torch.from_numpy(pool_y[picked].astype(np.int64)),
        test_x=_normalized(test_x, mean, std),
        test_y=torch.from_numpy(test_y.astype(np.int64)),
        num_classes=spec.num_classes,
        in_channels=spec.in_channels,
        image_size=spec.image_size,
        mean=tuple(float(m) for m in mean),
        std=tuple(float(s) for s in std),
    )


def _digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits pool (in interleaved order) and test set, as uint8 N×1×8×8 and labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.uint8)[:, None]  # values are integers 0..16
    labels = digits.target.astype(np.int64)
    # One interleaved order of all 1797 images: its first 600 hold exactly 60 images of
    # every class (each class has more than 60), and the rest continues round-robin
    # from rank 60, so the pool is already in balanced-prefix order.
    order = _balanced_order(labels, _ORDER_SEED)
    test, pool = order[:DIGITS_TEST_SIZE], order[DIGITS_TEST_SIZE:]
    return images[pool], labels[pool], images[test], labels[test]


def _torchvision_arrays(name: str, root: Path, download: bool
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training pool and test set of a torchvision dataset, as uint8 N×C×H×W and labels."""
    import torchvision.datasets as tvd  # imported here: slow, and digits does not need it

    cls = {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST,
           "cifar10": tvd.CIFAR10, "cifar100": tvd.CIFAR100}[name]
    folder = root / _SPECS[name].folder
    try:
        parts = [cls(root=str(root), train=train, download=download) for train in (True, False)]
    except RuntimeError as error:
        # torchvision's own check found the files missing, or (CIFAR) their MD5 wrong.
        if download:
            raise
        raise DatasetNotFoundError(
            f"{name} was not found (or is corrupted) in {folder} ({error}). "
            f"Pass download=True to load_dataset, or set the chapter's `download` "
            f"parameter to True, to let torchvision fetch it into {root}.") from error

    arrays = []
    for part in parts:
        # .data/.targets directly: no per-image PIL round trip.
        images = part.data.numpy() if isinstance(part.data, torch.Tensor) else np.asarray(part.data)
        images = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
        targets = part.targets
        labels = (targets.numpy() if isinstance(targets, torch.Tensor) else np.asarray(targets))
        arrays += [np.ascontiguousarray(images, dtype=np.uint8), labels.astype(np.int64)]
    return arrays[0], arrays[1], arrays[2], arrays[3]


def _balanced_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """Indices in class-interleaved order: round r takes the r-th image of each class."""
    shuffled = np.random.default_rng(seed).permutation(len(labels))
    lab = labels[shuffled]
    by_class = np.argsort(lab, kind="stable")
    sorted_lab = lab[by_class]
    rank = np.empty(len(lab), dtype=np.int64)
    rank[by_class] = np.arange(len(lab)) - np.searchsorted(sorted_lab, sorted_lab, side="left")
    key = rank * (int(lab.max(initial=0)) + 1) + lab  # unique per image
    return shuffled[np.argsort(key)]


def _pixel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-channel mean and std of uint8 images, from a histogram per channel."""
    # A 256-bin histogram is exact and avoids a float copy of the whole pool (600 MB
    # for CIFAR-10).
    values = np.arange(256, dtype=np.float64)
    means, stds = [], []
    for c in range(images.shape[1]):
        counts = np.bincount(images[:, c].ravel(), minlength=256).astype(np.float64)
        mean = counts @ values / counts.sum()
        means.append(mean)
        stds.append(math.sqrt(counts @ (values - mean) ** 2 / counts.sum()))
    std = np.array(stds)
    return np.array(means), np.where(std > 0, std, 1.0)  # a constant channel stays finite


def _normalized(images: np.ndarray, mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(images)).to(torch.float32)
    shape = (1, -1, 1, 1)
    mean_t = torch.as_tensor(mean, dtype=torch.float32).view(shape)
    std_t = torch.as_tensor(std, dtype=torch.float32).view(shape)
    return x.sub_(mean_t).div_(std_t)


def augment(x: torch.Tensor, dataset: str, generator: torch.Generator, *,
            shift: int | None = None, rotation: float = 10.0, flip: float = 0.5) -> torch.Tensor:
    """Randomly augment a batch of normalized images, reproducibly given ``generator``.

    digits, mnist, fashion_mnist
        A random integer shift of up to ``shift`` pixels in each direction (default 1
        for 8×8 and 2 for 28×28) and a random rotation of up to ``rotation`` degrees,
        resampled bilinearly in one affine warp. Uncovered pixels take the batch's
        per-channel minimum, the background of these dark-background images.
    cifar10, cifar100
        A random 32×32 crop of the image padded by ``shift`` pixels (default 4) and a
        horizontal flip with probability ``flip``. The padding is 0 in normalized
        units, that is the training set's mean colour.

    Parameters
    ----------
    x : torch.Tensor
        Floating-point images ``N×C×H×W`` of ``dataset`` (its channels and size).
    dataset : {"digits", "mnist", "fashion_mnist", "cifar10", "cifar100"}
        Which augmentation to apply.
    generator : torch.Generator
        Source of all randomness; the same generator state gives the same output.
    shift : int or None
        Largest shift (crop padding for CIFAR) in pixels; ``None`` for the default.
    rotation : float
        Largest rotation in degrees, 0..180 (digits and MNIST-like only).
    flip : float
        Probability of a horizontal flip, 0..1 (CIFAR only).

    Returns
    -------
    torch.Tensor
        A new tensor of the shape, dtype and device of ``x``.

    Examples
    --------
    >>> x = load_dataset("digits", train_size=128).train_x
    >>> out = augment(x, "digits", torch.Generator().manual_seed(0))
    >>> out.shape == x.shape, bool((out != x).any())
    (True, True)
    """
    check_choice("dataset", dataset, DATASETS)
    spec = _SPECS[dataset]
    expected = (spec.in_channels, spec.image_size, spec.image_size)
    if (not isinstance(x, torch.Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != expected
            or not x.is_floating_point()):
        got = (f"{x.dtype} {tuple(x.shape)}" if isinstance(x, torch.Tensor)
               else type(x).__name__)
        raise ValueError(f"x must be a floating-point tensor of shape (N, {expected[0]}, "
                         f"{expected[1]}, {expected[2]}) for dataset {dataset!r}; got {got}")
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator; got {type(generator).__name__}")
    shift = spec.shift if shift is None else check_int("shift", shift, minimum=0,
                                                       maximum=spec.image_size)
    rotation = check_float("rotation", rotation, minimum=0.0, maximum=180.0)
    flip = check_float("flip", flip, minimum=0.0, maximum=1.0)

    if len(x) == 0:
        return x.clone()
    if dataset.startswith("cifar"):
        return _crop_flip(x, shift, flip, generator)
    return _shift_rotate(x, shift, rotation, generator)


def _uniform(n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=generator.device)


def _shift_rotate(x: torch.Tensor, shift: int, rotation: float,
                  generator: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    angle = (2 * _uniform(n, generator) - 1) * math.radians(rotation)
    # Integer shifts as in torchvision's RandomAffine.
    dx = torch.randint(-shift, shift + 1, (n,), generator=generator, device=generator.device)
    dy = torch.randint(-shift, shift + 1, (n,), generator=generator, device=generator.device)
    cos, sin, dx, dy = (t.to(device=x.device, dtype=x.dtype)[:, None, None]
                        for t in (torch.cos(angle), torch.sin(angle), dx, dy))
    # The sampling grid of affine_grid (align_corners=False), written out element-wise:
    # affine_grid's multi-threaded batched matmul took 15 ms for 128 8×8 images on a
    # busy 2-core CPU, waiting for descheduled threads; this takes 0.6 ms.
    # Pixel centres sit at (2i + 1)/size - 1 in [-1, 1], so one pixel is 2/size. The
    # grid maps output to input coordinates; angles and shifts are drawn
    # symmetrically, so the sign convention does not matter.
    xs = ((2 * torch.arange(w, device=x.device, dtype=x.dtype) + 1) / w - 1)[None, None, :]
    ys = ((2 * torch.arange(h, device=x.device, dtype=x.dtype) + 1) / h - 1)[None, :, None]
    grid = torch.stack([cos * xs - sin * ys + 2 * dx / w,
                        sin * xs + cos * ys + 2 * dy / h], dim=-1)
    # grid_sample fills with 0; shifting by the background value makes the uncovered
    # border background instead of a grey frame a network could learn to detect.
    fill = x.amin(dim=(0, 2, 3), keepdim=True)
    out = F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros",
                        align_corners=False)
    return out.add_(fill)


def _crop_flip(x: torch.Tensor, pad: int, flip: float,
               generator: torch.Generator) -> torch.Tensor:
    n, c, h, w = x.shape
    top = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=generator.device)
    left = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=generator.device)
    flipped = _uniform(n, generator) < flip
    top, left, flipped = (t.to(x.device) for t in (top, left, flipped))
    # Source row and column of every output pixel in the unpadded image; a flipped
    # image reads its columns right to left, so crop and flip are one gather.
    rows = top[:, None] - pad + torch.arange(h, device=x.device)  # n×h
    columns = torch.arange(w, device=x.device)
    columns = left[:, None] - pad + torch.where(flipped[:, None], w - 1 - columns, columns)
    inside = (((rows >= 0) & (rows < h))[:, :, None]
              & ((columns >= 0) & (columns < w))[:, None, :]).view(n, 1, h * w)
    index = (rows.clamp(0, h - 1)[:, :, None] * w + columns.clamp(0, w - 1)[:, None, :])
    out = torch.gather(x.reshape(n, c, h * w), 2, index.view(n, 1, h * w).expand(n, c, h * w))
    # Padding is 0 in normalized units: the mean colour.
    return out.masked_fill_(~inside, 0).view(n, c, h, w)


def randomize_labels(y: torch.Tensor, seed: int) -> torch.Tensor:
    """Random labels: the training labels in an order fixed by ``seed``.

    Permuting rather than drawing new labels keeps the label histogram exactly while
    destroying the pairing of images and labels (Zhang et al. 2017's random labels).

    Parameters
    ----------
    y : torch.Tensor
        1-D integer labels.
    seed : int
        Seed of the permutation, >= 0.

    Returns
    -------
    torch.Tensor
        A new tensor of the dtype and device of ``y``.

    Examples
    --------
    >>> y = torch.arange(10)
    >>> shuffled = randomize_labels(y, seed=0)
    >>> sorted(shuffled.tolist()) == y.tolist(), bool((shuffled != y).any())
    (True, True)
    """
    if (not isinstance(y, torch.Tensor) or y.ndim != 1 or y.is_floating_point()
            or y.is_complex() or y.dtype == torch.bool):
        got = f"{y.dtype} {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y must be a 1-D integer tensor of labels; got {got}")
    seed = check_int("seed", seed, minimum=0)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    return y[order.to(y.device)]


# --- a reader's own data ----------------------------------------------------------------

def as_tensors(data: Any, name: str = "data") -> tuple[torch.Tensor, torch.Tensor]:
    """A reader's own data as one pair of in-memory tensors ``(x, y)``.

    The helpers that take a reader's model (:func:`helpers.train.fit_model`,
    :func:`helpers.sampling.jump_and_retrain_model`) hold the data in memory, as the
    book does with its own datasets, and batch it themselves, reproducibly from a seed.

    Parameters
    ----------
    data : pair, torch Dataset, DataLoader or iterable of pairs
        ``(x, y)``: two tensors or NumPy arrays with the same first dimension; or a
        ``torch.utils.data.Dataset`` whose items are ``(x, y)`` pairs (a
        ``TensorDataset``, say); or a ``DataLoader`` or any other iterable of ``(x, y)``
        batches, read once, in its order. A loader's batch size and shuffling do not
        matter; a loader that augments is read with one draw of its augmentation.
    name : str
        The argument's name, for error messages.

    Returns
    -------
    x, y : torch.Tensor
        NumPy floating-point arrays become float32 (the dtype of a torch model's
        parameters by default); tensors keep their dtype and are detached.

    Raises
    ------
    ValueError
        If ``data`` is none of these, is empty, or ``x`` and ``y`` differ in length.

    Examples
    --------
    >>> x, y = as_tensors((np.zeros((5, 2)), np.arange(5)))
    >>> x.dtype, y.dtype, len(x)
    (torch.float32, torch.int64, 5)
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(torch.ones(5, 2), torch.arange(5)), batch_size=2)
    >>> as_tensors(loader)[1].tolist()
    [0, 1, 2, 3, 4]
    """
    if _is_pair(data):
        x, y = (_as_tensor(part, name) for part in data)
    else:
        if isinstance(data, torch.utils.data.Dataset) and not isinstance(
                data, torch.utils.data.IterableDataset):
            data = torch.utils.data.DataLoader(data, batch_size=1024)
        try:
            batches = list(iter(data))
        except TypeError:
            raise ValueError(f"{name} must be a pair (x, y) of tensors or arrays, a torch "
                             f"Dataset or a DataLoader of (x, y) batches; got "
                             f"{type(data).__name__}") from None
        if not batches or not all(_is_pair(batch) for batch in batches):
            raise ValueError(f"{name} must yield (x, y) batches of tensors or arrays; got "
                             f"{'nothing' if not batches else type(batches[0]).__name__}")
        x = torch.cat([_as_tensor(batch[0], name) for batch in batches])
        y = torch.cat([_as_tensor(batch[1], name) for batch in batches])
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"{name} must hold x and y with the same, non-zero number of "
                         f"samples; got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    return x, y


def _is_pair(value: Any) -> bool:
    return (isinstance(value, tuple | list) and len(value) == 2
            and all(isinstance(part, torch.Tensor | np.ndarray) for part in value))


def _as_tensor(values: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        return values.detach()
    array = np.ascontiguousarray(values)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {array.dtype}")
    tensor = torch.from_numpy(array.copy())
    return tensor.float() if tensor.is_floating_point() else tensor
