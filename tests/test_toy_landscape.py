"""The toy valley behind Chapter 2's schematic: its gradient and its J&R paths."""

import numpy as np
import pytest

from helpers.toy_landscape import ToyValley, toy_jump_and_retrain


def test_gradient_matches_finite_differences() -> None:
    valley = ToyValley(stiffness=7.0, bend=0.8)
    rng = np.random.default_rng(0)
    eps = 1e-6
    for point in rng.uniform(-1.5, 1.5, size=(20, 2)):
        numeric = [(valley.loss(point + eps * e) - valley.loss(point - eps * e)) / (2 * eps)
                   for e in np.eye(2)]
        np.testing.assert_allclose(valley.gradient(point), numeric, rtol=1e-5, atol=1e-6)


def test_minimum_is_the_origin() -> None:
    valley = ToyValley()
    surface = valley.surface(extent=1.0, resolution=41)
    assert surface["loss"].min() == 0.0
    best = surface.loc[surface["loss"].idxmin()]
    assert (best["u"], best["v"]) == (0.0, 0.0)


def test_paths_jump_to_step_times_unit_direction_and_descend() -> None:
    paths = toy_jump_and_retrain(ToyValley(), seeds=[0, 1], step_sizes=[0.5, 1.0], epochs=40)
    assert len(paths) == 1 + 2 * 2 * 41
    jumps = paths[paths["kind"] == "jump"]
    np.testing.assert_allclose(np.hypot(jumps["u"], jumps["v"]), jumps["step_size"])
    last = paths[paths["kind"] == "retrain"].groupby(["seed", "step_size"]).last()
    first = jumps.set_index(["seed", "step_size"])
    assert (last["loss"] < first.loc[last.index, "loss"]).all()


@pytest.mark.parametrize(("argument", "value"), [("epochs", 0), ("lr", -1.0), ("step_sizes", []),
                                                  ("momentum", 1.5)])
def test_bad_arguments_are_named(argument: str, value: object) -> None:
    with pytest.raises(ValueError, match=argument):
        toy_jump_and_retrain(ToyValley(), **{argument: value})
