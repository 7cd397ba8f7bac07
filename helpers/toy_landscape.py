"""Jump and retrain on a two-parameter toy loss, to draw what the method does.

The toy loss is a curved valley with its minimum at the origin,

.. math:: L(u, v) = \\tfrac{1}{2}\\left(s\\,(v - b\\,u^2)^2 + u^2\\right),

with stiffness :math:`s` and bend :math:`b`: steep across the valley and flat along it,
as the low-loss regions of trained networks are (flat in most directions, sharp in a
few). Jumping away from the minimum and descending again returns along the steep
directions first, then creeps along the valley: the retraining paths are what
jump-and-retrain samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.checks import check_float, check_int, check_sequence


class ToyValley:
    """A curved valley ``L(u, v)`` with its minimum ``L = 0`` at the origin.

    Parameters
    ----------
    stiffness : float
        Curvature across the valley relative to along it (> 0).
    bend : float
        How strongly the valley curves.

    Examples
    --------
    >>> valley = ToyValley()
    >>> float(valley.loss(np.zeros(2)))
    0.0
    >>> valley.gradient(np.array([1.0, 0.0])).round(3).tolist()
    [11.0, -10.0]
    """

    def __init__(self, stiffness: float = 20.0, bend: float = 0.5) -> None:
        self.stiffness = check_float("stiffness", stiffness, minimum=0.0, strict_minimum=True)
        self.bend = check_float("bend", bend)

    def loss(self, points: np.ndarray) -> np.ndarray:
        """Loss at ``points`` of shape ``(..., 2)``."""
        u, v = np.moveaxis(np.asarray(points, dtype=float), -1, 0)
        return 0.5 * (self.stiffness * (v - self.bend * u**2) ** 2 + u**2)

    def gradient(self, points: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`loss` at ``points`` of shape ``(..., 2)``."""
        u, v = np.moveaxis(np.asarray(points, dtype=float), -1, 0)
        across = self.stiffness * (v - self.bend * u**2)
        return np.stack([u - 2 * self.bend * u * across, across], axis=-1)

    def surface(self, extent: float = 1.5, resolution: int = 60) -> pd.DataFrame:
        """The loss on a square grid, for a contour or heat-map background.

        Returns a table with columns ``u, v, loss``.
        """
        extent = check_float("extent", extent, minimum=0.0, strict_minimum=True)
        resolution = check_int("resolution", resolution, minimum=2)
        axis = np.linspace(-extent, extent, resolution)
        u, v = np.meshgrid(axis, axis, indexing="ij")
        grid = np.stack([u.ravel(), v.ravel()], axis=1)
        return pd.DataFrame({"u": grid[:, 0], "v": grid[:, 1], "loss": self.loss(grid)})


def toy_jump_and_retrain(valley: ToyValley, seeds: Sequence[int] = (0, 1, 2, 3),
                         step_sizes: Sequence[float] = (0.5, 1.0), epochs: int = 60,
                         lr: float = 0.01, momentum: float = 0.5) -> pd.DataFrame:
    """Jump from the valley's minimum along random unit directions and descend again.

    Each seed draws one direction ``d`` (a unit vector); for each step size ``s`` the
    point jumps to ``s·d`` and takes ``epochs`` steps of gradient descent with heavy-ball
    momentum, as jump-and-retrain does with SGD on a network.

    Returns
    -------
    pandas.DataFrame
        One row per point: ``seed, step_size, epoch`` (0 = the jump), ``u, v, loss``,
        ``kind`` ("optimum", "jump" or "retrain"); the first row is the minimum.

    Examples
    --------
    >>> paths = toy_jump_and_retrain(ToyValley(), seeds=[0], step_sizes=[1.0], epochs=50)
    >>> paths["kind"].iloc[:3].tolist()
    ['optimum', 'jump', 'retrain']
    >>> bool(paths["loss"].iloc[-1] < paths["loss"].iloc[1])
    True
    """
    seeds = check_sequence("seeds", seeds, item="int", minimum=0, unique=True)
    step_sizes = check_sequence("step_sizes", step_sizes, minimum=0.0, strict_minimum=True,
                                unique=True)
    epochs = check_int("epochs", epochs, minimum=1)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0)
    rows = [{"seed": -1, "step_size": 0.0, "epoch": -1, "u": 0.0, "v": 0.0, "loss": 0.0,
             "kind": "optimum"}]
    for seed in seeds:
        direction = np.random.default_rng(seed).standard_normal(2)
        direction /= np.linalg.norm(direction)
        for step in step_sizes:
            point, velocity = step * direction, np.zeros(2)
            for epoch in range(epochs + 1):
                rows.append({"seed": seed, "step_size": step, "epoch": epoch, "u": point[0],
                             "v": point[1], "loss": float(valley.loss(point)),
                             "kind": "jump" if epoch == 0 else "retrain"})
                velocity = momentum * velocity - lr * valley.gradient(point)
                point = point + velocity
    return pd.DataFrame(rows)
