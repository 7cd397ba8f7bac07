"""Configurations: every field refuses bad values by name; keys are stable; presets expand."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers.cache import stable_hash
from helpers.config import TrainConfig, field_names
from helpers.presets import PAPER_GRID, optimum_config, paper_grid, preset

BAD_VALUES = [
    ("dataset", "imagenet"), ("dataset", None),
    ("train_size", 0), ("train_size", 2.5), ("train_size", "300"),
    ("model", "vgg"),
    ("depth", 11), ("depth", 4), ("depth", 10.0),
    ("widen_factor", 0), ("widen_factor", True),
    ("residual", "yes"),
    ("optimizer", "rmsprop"),
    ("lr", 0.0), ("lr", -0.1), ("lr", float("nan")), ("lr", "0.1"),
    ("momentum", 1.0), ("momentum", -0.1),
    ("weight_decay", -1e-4), ("weight_decay", float("inf")),
    ("milestones", (5, 3)), ("milestones", (0,)), ("milestones", (500,)), ("milestones", "50"),
    ("lr_factor", 0.0), ("lr_factor", 1.5),
    ("batch_size", 0),
    ("augment", 1), ("random_labels", "False"),
    ("epochs", 0), ("epochs", 1.5),
    ("seed", -1),
    ("device", "tpu"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_each_field_refuses_bad_values_naming_itself(name, value):
    with pytest.raises(ValueError, match=name):
        TrainConfig(**{name: value})


def test_every_field_has_a_bad_value_tested():
    assert {name for name, _ in BAD_VALUES} == set(field_names())


def test_cross_field_rules():
    with pytest.raises(ValueError, match="widen_factor"):
        TrainConfig(model="resnet", depth=20, widen_factor=2)
    with pytest.raises(ValueError, match="residual"):
        TrainConfig(model="wrn", residual=False)
    with pytest.raises(ValueError, match="depth"):
        TrainConfig(model="resnet", depth=10)  # 6n+4 is not 6n+2
    assert TrainConfig(model="resnet", depth=20, residual=False).residual is False


def test_lists_are_normalized_so_keys_match():
    a = TrainConfig(milestones=[75, 112])
    b = TrainConfig(milestones=(75, 112))
    assert a == b and a.key() == b.key() and isinstance(a.milestones, tuple)


def test_key_changes_with_every_field():
    base = TrainConfig()
    changed = {"dataset": "mnist", "train_size": 301, "model": "resnet", "depth": 16,
               "widen_factor": 2, "optimizer": "adam", "lr": 0.05, "momentum": 0.5,
               "weight_decay": 1e-4, "milestones": (10,), "lr_factor": 0.5, "batch_size": 32,
               "augment": True, "random_labels": True, "epochs": 151, "seed": 1,
               "device": "cuda"}
    keys = {base.key()}
    for name, value in changed.items():
        extra = {"depth": 20} if name == "model" else {}
        keys.add(base.replace(**{name: value, **extra}).key())
    assert len(keys) == len(changed) + 1


def test_key_is_stable_across_processes():
    code = "from helpers.config import TrainConfig; print(TrainConfig(seed=3).key())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert other == TrainConfig(seed=3).key()


def test_replace_refuses_unknown_fields_listing_valid_ones():
    with pytest.raises(ValueError, match="valid fields are .*weight_decay"):
        TrainConfig().replace(wd=1e-4)


def test_stable_hash_ignores_key_order_but_not_values():
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1.0}) != stable_hash({"a": 1.0000001})


def test_paper_preset_matches_the_paper():
    base = preset("paper").config()
    assert (base.dataset, base.depth, base.widen_factor) == ("cifar10", 28, 2)
    assert (base.optimizer, base.lr, base.momentum) == ("sgd_momentum", 0.1, 0.9)
    assert base.batch_size == 128
    assert base.milestones == (100, 150, 185) and base.lr_factor == 0.1 and base.epochs == 200
    good = optimum_config("good", "paper")
    assert good.weight_decay == 1e-4 and good.augment
    bad = optimum_config("bad", "paper")
    assert bad.weight_decay == 0.0 and not bad.augment
    assert optimum_config("memorization", "paper").random_labels


def test_workshop_optima_differ_as_described():
    good, bad, memo = (optimum_config(k) for k in ("good", "bad", "memorization"))
    assert good.weight_decay > 0 and good.augment and good.batch_size < bad.batch_size
    assert bad.weight_decay == 0 and not bad.augment and bad.batch_size >= bad.train_size
    assert memo.random_labels and not good.random_labels and not bad.random_labels
    assert optimum_config("good", seed=2, epochs=3).epochs == 3


def test_schedule_follows_epochs_unless_given():
    assert optimum_config("good").milestones == (75, 112)
    assert optimum_config("good", epochs=40).milestones == (20, 30)
    assert optimum_config("good", epochs=1).milestones == (1,)
    assert optimum_config("good", epochs=40, milestones=()).milestones == ()
    assert optimum_config("good", epochs=40, milestones=[5]).milestones == (5,)


def test_paper_grid_has_108_distinct_configs_covering_the_grid():
    configs = paper_grid()
    assert len(configs) == 108 == len({c.key() for c in configs})
    for name, values in PAPER_GRID.items():
        assert {getattr(c, name) for c in configs} == set(values)


def test_bad_preset_and_kind():
    with pytest.raises(ValueError, match="preset"):
        preset("huge")
    with pytest.raises(ValueError, match="kind"):
        optimum_config("ugly")
    with pytest.raises(ValueError, match="grid"):
        paper_grid(grid={"wd": (0.0,)})
