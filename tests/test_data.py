"""Datasets: the fixed digits split, balanced subsets, torchvision files, augmentation.

The torchvision datasets are tested offline: each test writes a tiny dataset in
torchvision's own on-disk format into ``tmp_path`` and loads it through
``load_dataset``, so the real torchvision readers (and, for CIFAR, its MD5 check) run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets as tvd
from sklearn.datasets import load_digits

from helpers.data import (
    DATASETS,
    DatasetNotFoundError,
    augment,
    load_dataset,
    randomize_labels,
)

# --- digits ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _raw(data, x: torch.Tensor) -> np.ndarray:
    """Undo the normalization: the original integer pixels."""
    mean = torch.tensor(data.mean).view(1, -1, 1, 1)
    std = torch.tensor(data.std).view(1, -1, 1, 1)
    raw = (x.double() * std + mean).numpy()
    assert np.abs(raw - raw.round()).max() < 1e-3  # normalization is an exact affine map
    return raw.round().astype(np.uint8)


def _pairs(images: np.ndarray, labels) -> Counter:
    """The multiset of (image bytes, label) pairs."""
    labels = labels.tolist()
    return Counter(zip((image.tobytes() for image in images), labels, strict=True))


def test_digits_split_sizes_and_stratified_test_set(digits):
    assert (digits.n_train, digits.n_test) == (1197, 600)
    assert digits.test_y.bincount(minlength=10).tolist() == [60] * 10
    assert (digits.num_classes, digits.in_channels, digits.image_size) == (10, 1, 8)
    assert digits.train_x.dtype == torch.float32 and digits.train_y.dtype == torch.int64
    assert tuple(digits.test_x.shape) == (600, 1, 8, 8)


def test_digits_train_and_test_partition_the_dataset(digits):
    # The 1797 images of scikit-learn are pairwise distinct, so image bytes identify
    # the index: train and test must be disjoint and together hold every image once.
    source = load_digits()
    everything = _pairs(source.images.astype(np.uint8)[:, None], source.target)
    assert len(everything) == 1797
    train = _pairs(_raw(digits, digits.train_x), digits.train_y)
    test = _pairs(_raw(digits, digits.test_x), digits.test_y)
    assert not set(train) & set(test)
    assert train + test == everything  # images keep their own labels


def test_digits_are_deterministic_and_subsets_are_prefixes(digits):
    again = load_dataset("digits")
    assert torch.equal(again.train_x, digits.train_x) and torch.equal(again.test_y, digits.test_y)
    small = load_dataset("digits", train_size=300)
    assert torch.equal(small.train_x, digits.train_x[:300])
    assert torch.equal(small.train_y, digits.train_y[:300])
    # The test set never depends on train_size.
    assert torch.equal(small.test_x, digits.test_x) and torch.equal(small.test_y, digits.test_y)


def test_digits_split_is_pinned():
    # The split is part of every cached result's definition: a library update that
    # changed it would silently change all experiments.
    data = load_dataset("digits", train_size=20)
    assert data.test_y[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    fingerprint = hashlib.sha256(_raw(data, data.test_x).tobytes()
                                 + _raw(data, data.train_x).tobytes()).hexdigest()[:16]
    assert fingerprint == DIGITS_FINGERPRINT


DIGITS_FINGERPRINT = "e177dfcd4f94ba49"


@pytest.mark.parametrize("n", [10, 15, 300, 1000])
def test_digits_subsets_are_class_balanced(n):
    counts = load_dataset("digits", train_size=n).train_y.bincount(minlength=10)
    assert int(counts.sum()) == n and int(counts.max() - counts.min()) <= 1
    if n == 300:
        assert counts.tolist() == [30] * 10


def test_digits_are_normalized_by_the_pool(digits):
    assert abs(float(digits.train_x.mean())) < 1e-5
    assert abs(float(digits.train_x.std()) - 1) < 1e-3
    raw = _raw(digits, digits.train_x)
    assert raw.min() == 0 and raw.max() == 16  # digits pixels are 0..16
    # A subset keeps the pool's statistics, so its mean is near but not exactly zero.
    assert load_dataset("digits", train_size=100).mean == digits.mean


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match=r"train_size.*1197.*2000"):
        load_dataset("digits", train_size=2000)
    with pytest.raises(ValueError, match="train_size"):
        load_dataset("digits", train_size=0)
    with pytest.raises(ValueError, match="train_size"):
        load_dataset("digits", train_size=3.5)
    with pytest.raises(ValueError, match="name.*'cifar10'"):
        load_dataset("svhn")
    with pytest.raises(ValueError, match="download"):
        load_dataset("digits", download="yes")
    with pytest.raises(ValueError, match="root"):
        load_dataset("digits", root=3)


def test_dataset_refuses_labels_that_do_not_fit(digits):
    with pytest.raises(ValueError, match="train_y"):
        dataclasses.replace(digits, train_y=digits.train_y[:-1])
    with pytest.raises(ValueError, match="train_y"):
        dataclasses.replace(digits, train_y=digits.train_y + 10)
    assert "digits" in repr(digits) and len(repr(digits)) < 200


# --- torchvision datasets, written offline in torchvision's own format --------------


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _pickle(path: Path, obj: dict) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def _images(rng: np.random.Generator, n: int) -> np.ndarray:
    # CIFAR rows: 1024 red, then 1024 green, then 1024 blue values, row-major. The
    # channels get different ranges so that a channel mix-up shows.
    planes = [rng.integers(lo, hi, size=(n, 1024)) for lo, hi in ((0, 256), (50, 120), (200, 256))]
    return np.concatenate(planes, axis=1).astype(np.uint8)


def _write_cifar(root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Write a tiny CIFAR-10/100 and register its checksums with torchvision.

    torchvision verifies every CIFAR file against the MD5 of the official archive,
    listed in the class attributes ``train_list``, ``test_list`` and ``meta``. The test
    lists the MD5 of the files it wrote instead, so torchvision's integrity check
    still runs, unchanged, against these files (see the corruption test).
    """
    rng = np.random.default_rng(7)
    classes = 10 if name == "cifar10" else 100
    cls = tvd.CIFAR10 if name == "cifar10" else tvd.CIFAR100
    folder = root / cls.base_folder
    folder.mkdir(parents=True)
    key = "labels" if name == "cifar10" else "fine_labels"
    train_labels = rng.permutation(np.arange(3 * classes) % classes)
    test_labels = rng.integers(0, classes, size=20)
    train_x, test_x = _images(rng, len(train_labels)), _images(rng, len(test_labels))

    if name == "cifar10":
        train_files = [f"data_batch_{i}" for i in range(1, 6)]
        test_file, meta_file = "test_batch", "batches.meta"
        meta = {"label_names": [f"class{i}" for i in range(10)], "num_vis": 3072}
    else:
        train_files, test_file, meta_file = ["train"], "test", "meta"
        meta = {"fine_label_names": [f"f{i}" for i in range(100)],
                "coarse_label_names": [f"c{i}" for i in range(20)]}
    for file, rows in zip(train_files, np.array_split(np.arange(len(train_labels)),
                                                      len(train_files)), strict=True):
        _pickle(folder / file, {"data": train_x[rows], key: train_labels[rows].tolist(),
                                "batch_label": file})
    _pickle(folder / test_file, {"data": test_x, key: test_labels.tolist()})
    _pickle(folder / meta_file, meta)

    monkeypatch.setattr(cls, "train_list", [[f, _md5(folder / f)] for f in train_files])
    monkeypatch.setattr(cls, "test_list", [[test_file, _md5(folder / test_file)]])
    monkeypatch.setattr(cls, "meta", {**cls.meta, "filename": meta_file,
                                      "md5": _md5(folder / meta_file)})
    return {"folder": folder, "train_x": train_x.reshape(-1, 3, 32, 32),
            "train_y": train_labels, "test_x": test_x.reshape(-1, 3, 32, 32),
            "test_y": test_labels}


def _write_idx(path: Path, array: np.ndarray) -> None:
    # IDX: zero bytes, type 0x08 (unsigned byte), number of dimensions, then each
    # dimension as a big-endian int32, then the data.
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def _write_mnist(root: Path, name: str) -> dict:
    rng = np.random.default_rng(3)
    folder = root / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw"
    folder.mkdir(parents=True)
    written = {"folder": folder, "train_y": rng.permutation(np.arange(40) % 10),
               "test_y": rng.integers(0, 10, size=15)}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        images = rng.integers(0, 256, size=(len(written[f"{part}_y"]), 28, 28)).astype(np.uint8)
        written[f"{part}_x"] = images[:, None]
        _write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte", written[f"{part}_y"])
    return written


def _write(root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    if name.startswith("cifar"):
        return _write_cifar(root, name, monkeypatch)
    return _write_mnist(root, name)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10", "cifar100"])
def test_torchvision_files_load_as_written(tmp_path, monkeypatch, name):
    written = _write(tmp_path, name, monkeypatch)
    data = load_dataset(name, root=tmp_path)
    n_train, n_test = len(written["train_y"]), len(written["test_y"])
    channels, size = (3, 32) if name.startswith("cifar") else (1, 28)
    assert tuple(data.train_x.shape) == (n_train, channels, size, size)
    assert tuple(data.test_x.shape) == (n_test, channels, size, size)
    assert data.train_x.dtype == data.test_x.dtype == torch.float32
    assert data.train_y.dtype == data.test_y.dtype == torch.int64
    assert data.num_classes == (100 if name == "cifar100" else 10)
    # The full test set in file order, pixel for pixel (channels in the right place).
    assert data.test_y.tolist() == written["test_y"].tolist()
    np.testing.assert_array_equal(_raw(data, data.test_x), written["test_x"])
    # The training pool is reordered but every (image, label) pair is kept.
    assert _pairs(_raw(data, data.train_x), data.train_y) == _pairs(written["train_x"],
                                                                   written["train_y"])
    # Normalized by the written pool's own per-channel statistics.
    np.testing.assert_allclose(data.mean, written["train_x"].mean(axis=(0, 2, 3)), rtol=1e-9)
    np.testing.assert_allclose(data.train_x.mean(dim=(0, 2, 3)).numpy(), 0, atol=1e-4)


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_torchvision_subsets_are_balanced_prefixes(tmp_path, monkeypatch, name):
    _write(tmp_path, name, monkeypatch)
    full = load_dataset(name, root=tmp_path)
    subset = load_dataset(name, root=tmp_path, train_size=10)
    assert subset.train_y.bincount(minlength=10).tolist() == [1] * 10
    assert torch.equal(subset.train_x, full.train_x[:10])
    assert torch.equal(subset.test_x, full.test_x)
    with pytest.raises(ValueError, match=rf"train_size.*{full.n_train}"):
        load_dataset(name, root=tmp_path, train_size=full.n_train + 1)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10", "cifar100"])
def test_missing_files_name_the_folder_and_download(tmp_path, name):
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset(name, root=tmp_path / "empty")
    folder = {"mnist": "MNIST/raw", "fashion_mnist": "FashionMNIST/raw",
              "cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python"}[name]
    message = str(caught.value)
    assert str(tmp_path / "empty" / folder) in message and "download=True" in message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, FileNotFoundError)
    assert not (tmp_path / "empty").exists()  # nothing was downloaded


def test_corrupted_cifar_file_fails_torchvisions_integrity_check(tmp_path, monkeypatch):
    written = _write(tmp_path, "cifar10", monkeypatch)
    batch = written["folder"] / "data_batch_3"
    damaged = bytearray(batch.read_bytes())
    damaged[-20] ^= 0xFF  # a pixel byte: the pickle still loads, only the MD5 tells
    batch.write_bytes(bytes(damaged))
    with pytest.raises(DatasetNotFoundError, match="corrupted"):
        load_dataset("cifar10", root=tmp_path)


# --- augmentation ------------------------------------------------------------------

SHAPES = {"digits": (1, 8), "mnist": (1, 28), "fashion_mnist": (1, 28),
          "cifar10": (3, 32), "cifar100": (3, 32)}


def _batch(dataset: str, n: int = 64, dtype=torch.float32) -> torch.Tensor:
    c, s = SHAPES[dataset]
    return torch.randn(n, c, s, s, generator=torch.Generator().manual_seed(5), dtype=dtype)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("dataset", DATASETS)
def test_augment_keeps_shape_and_is_reproducible(dataset):
    x = _batch(dataset)
    out = augment(x, dataset, _gen(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.equal(out, augment(x, dataset, _gen(1)))
    assert not torch.equal(out, augment(x, dataset, _gen(2)))
    changed = (out != x).flatten(1).any(dim=1).float().mean()
    assert changed > 0.8  # nearly every image moves (CIFAR: 1/162 stay as they are)
    assert augment(x.double(), dataset, _gen(1)).dtype == torch.float64
    assert torch.equal(x, _batch(dataset))  # the input is left alone


def test_augment_changes_real_digits_within_their_value_range(digits):
    x = digits.train_x[:256]
    out = augment(x, "digits", _gen(0))
    assert float((out - x).abs().mean()) > 0.1
    # Bilinear resampling mixes neighbouring pixels and fills with the background,
    # so no value leaves the batch's range (a grey zero fill would not show here,
    # but the whole-pixel test below catches it).
    assert float(out.min()) >= float(x.min()) - 1e-5 and float(out.max()) <= float(x.max()) + 1e-5
    # Rotation alone changes nearly every image; shift alone moves most of them.
    rotated = augment(x, "digits", _gen(0), shift=0)
    assert float((rotated != x).flatten(1).any(dim=1).float().mean()) > 0.95
    shifted = augment(x, "digits", _gen(0), rotation=0.0)
    assert float((shifted - x).abs().flatten(1).amax(dim=1).gt(1e-4).float().mean()) > 0.8


def test_cifar_flip_is_an_exact_mirror_and_crops_are_windows():
    x = _batch("cifar10", 16)
    assert torch.equal(augment(x, "cifar10", _gen(0), shift=0, flip=1.0), x.flip(-1))
    assert torch.equal(augment(x, "cifar10", _gen(0), shift=0, flip=0.0), x)
    out = augment(x, "cifar10", _gen(0), flip=0.0)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for image, source in zip(out, padded, strict=True):
        windows = source.unfold(1, 32, 1).unfold(2, 32, 1)  # C×9×9×32×32
        assert (windows == image[:, None, None]).flatten(3).all(dim=3).all(dim=0).any()


def test_digit_shifts_are_whole_pixels_with_background_fill(digits):
    x = digits.train_x[:64]
    out = augment(x, "digits", _gen(3), rotation=0.0)
    background = float(x.min())
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1), value=background)
    windows = padded.unfold(2, 8, 1).unfold(3, 8, 1)  # N×1×3×3×8×8
    close = ((windows - out[:, :, None, None]).abs().flatten(4).amax(dim=4) < 1e-5)
    assert close[:, 0].flatten(1).any(dim=1).all()  # each is a shift by at most 1 px
    assert not close[:, 0, 1, 1].all()  # and not all of them are unshifted


def test_augment_refuses_bad_arguments():
    x = _batch("digits")
    with pytest.raises(ValueError, match="dataset"):
        augment(x, "svhn", _gen(0))
    with pytest.raises(ValueError, match=r"x .*\(N, 3, 32, 32\)"):
        augment(x, "cifar10", _gen(0))
    with pytest.raises(ValueError, match="x "):
        augment(x.long(), "digits", _gen(0))
    with pytest.raises(ValueError, match="generator"):
        augment(x, "digits", 0)
    with pytest.raises(ValueError, match="flip"):
        augment(x, "digits", _gen(0), flip=1.5)
    with pytest.raises(ValueError, match="shift"):
        augment(x, "digits", _gen(0), shift=-1)


# --- random labels -----------------------------------------------------------------


def test_randomize_labels_keeps_the_histogram_and_breaks_the_pairing(digits):
    y = digits.train_y
    shuffled = randomize_labels(y, seed=0)
    assert shuffled.dtype == y.dtype and shuffled.shape == y.shape
    assert torch.equal(shuffled.bincount(minlength=10), y.bincount(minlength=10))
    assert float((shuffled != y).float().mean()) > 0.8  # ~90% for 10 balanced classes
    assert torch.equal(shuffled, randomize_labels(y, seed=0))
    assert not torch.equal(shuffled, randomize_labels(y, seed=1))
    assert torch.equal(y, load_dataset("digits").train_y)  # the input is left alone


def test_randomize_labels_refuses_bad_arguments():
    with pytest.raises(ValueError, match="y "):
        randomize_labels(torch.rand(5), seed=0)
    with pytest.raises(ValueError, match="seed"):
        randomize_labels(torch.arange(5), seed=-1)


# --- a reader's own data ----------------------------------------------------------------------

def test_as_tensors_reads_pairs_datasets_and_loaders_alike():
    from torch.utils.data import DataLoader, TensorDataset

    from helpers.data import as_tensors

    x = np.random.default_rng(0).normal(size=(7, 3))
    y = np.arange(7)
    pair = as_tensors((x, y))
    assert pair[0].dtype == torch.float32 and pair[1].dtype == torch.int64
    dataset = TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y))
    for data in (dataset, DataLoader(dataset, batch_size=3), [(pair[0][:4], pair[1][:4]),
                                                              (pair[0][4:], pair[1][4:])]):
        x_read, y_read = as_tensors(data)
        assert torch.equal(x_read, pair[0]) and torch.equal(y_read, pair[1])
    double = torch.zeros(2, 1, dtype=torch.float64)
    assert as_tensors((double, double))[0].dtype == torch.float64  # tensors keep their dtype


@pytest.mark.parametrize("data", ["points", 3, [], (np.zeros((3, 2)), np.zeros(2)),
                                  (np.zeros((0, 2)), np.zeros(0)),
                                  (np.array(["a", "b"]), np.zeros(2))])
def test_as_tensors_refuses_what_is_not_data(data):
    from helpers.data import as_tensors

    with pytest.raises(ValueError, match="^train_data must"):
        as_tensors(data, "train_data")
