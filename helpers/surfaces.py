"""Two-dimensional loss surfaces around an optimum, and the merge trees of their grids.

Xie et al. ("Evaluating loss landscapes from a topology perspective") draw a loss
surface the way Li et al. (2018) and Yao et al. (2020, PyHessian) do: the loss at
``θ* + a d₁ + b d₂`` on a square grid of ``(a, b)`` (:func:`loss_surface`), for two
kinds of directions:

``"random"``
    filter-normalized Gaussian directions (:func:`helpers.directions.random_directions`,
    biases and BatchNorm parameters left out): a step of 1 moves every filter by its
    own norm (Li et al.);
``"hessian"``
    the Hessian's top two eigenvectors (:func:`helpers.hessian.top_eigenvalues`), unit
    vectors, so that coordinates are distances in parameter space (PyHessian's
    convention): the directions of largest curvature.

Losses are evaluated in evaluation mode (BatchNorm's running statistics; see
:mod:`helpers.directions`).

The grid is then a graph (:func:`grid_graph`: 4 or 8 neighbours) whose vertices carry
the loss; its merge tree (:func:`surface_merge_tree`, i.e.
:func:`helpers.topology.merge_tree` on that graph) counts minima and saddles and gives
the average persistence (:func:`tree_metrics`): 002's summaries of a landscape.
:mod:`helpers.surface_study` applies all this to trained networks, cached.

Examples
--------
>>> graph = grid_graph((3, 3))
>>> graph.shape, graph.nnz // 2
((9, 9), 12)
>>> tree = surface_merge_tree(np.array([[1.0, 2.0, 0.5], [3.0, 4.0, 3.0], [0.0, 2.0, 1.0]]))
>>> sorted(tree.minima.tolist()), tree.n_saddles  # four corner basins merge three times
([0, 2, 6, 8], 3)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import sparse

import helpers.directions
import helpers.flat_parameters
import helpers.topology
from helpers.checks import check_choice, check_float, check_int
from helpers.losses import LossFunction

DIRECTION_KINDS = ("random", "hessian")
CONNECTIVITIES = (4, 8)

def grid_coordinates(resolution: int, extent: float) -> np.ndarray:
    """``resolution`` evenly spaced coordinates from ``-extent`` to ``extent``; 0 in the middle.

    Examples
    --------
    >>> grid_coordinates(5, 1.0).tolist()
    [-1.0, -0.5, 0.0, 0.5, 1.0]
    """
    resolution = check_int("resolution", resolution, minimum=1)
    extent = check_float("extent", extent, minimum=0.0, strict_minimum=True)
    coordinates = np.linspace(-extent, extent, resolution)
    if resolution % 2:
        coordinates[resolution // 2] = 0.0  # exactly the optimum, not -1e-17
    return coordinates


def grid_graph(shape: tuple[int, int], connectivity: int = 4) -> sparse.csr_matrix:
    """The grid of a surface as a graph: vertex ``i * n_cols + j`` is grid point ``(i, j)``.

    The vertex order is that of ``loss.ravel()`` for a ``loss`` of this shape, so
    ``merge_tree(grid_graph(loss.shape), loss.ravel())`` is the surface's merge tree.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns, each ``>= 1``.
    connectivity : {4, 8}, default 4
        4: horizontal and vertical neighbours; 8: diagonal ones as well.

    Returns
    -------
    scipy.sparse.csr_matrix
        Symmetric; the sparsity structure is the graph, as in :mod:`helpers.topology`;
        stored values are the edge lengths in grid steps (1, or √2 for diagonals).

    Examples
    --------
    >>> grid_graph((2, 3)).toarray().astype(int)
    array([[0, 1, 0, 1, 0, 0],
           [1, 0, 1, 0, 1, 0],
           [0, 1, 0, 0, 0, 1],
           [1, 0, 0, 0, 1, 0],
           [0, 1, 0, 1, 0, 1],
           [0, 0, 1, 0, 1, 0]])
    >>> grid_graph((3, 3), connectivity=8).nnz // 2
    20
    """
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise ValueError(f"shape must be a pair (rows, columns); got {shape!r}")
    rows = check_int("shape[0]", shape[0], minimum=1)
    cols = check_int("shape[1]", shape[1], minimum=1)
    connectivity = check_choice("connectivity", connectivity, CONNECTIVITIES)
    index = np.arange(rows * cols).reshape(rows, cols)
    # Offsets (down, right) and, for 8 neighbours, the two diagonals.
    pieces = [(index[:-1, :], index[1:, :], 1.0), (index[:, :-1], index[:, 1:], 1.0)]
    if connectivity == 8:
        pieces += [(index[:-1, :-1], index[1:, 1:], np.sqrt(2.0)),
                   (index[:-1, 1:], index[1:, :-1], np.sqrt(2.0))]
    first = np.concatenate([a.ravel() for a, _, _ in pieces])
    second = np.concatenate([b.ravel() for _, b, _ in pieces])
    lengths = np.concatenate([np.full(a.size, w) for a, _, w in pieces])
    graph = sparse.csr_matrix((np.r_[lengths, lengths], (np.r_[first, second],
                                                         np.r_[second, first])),
                              shape=(rows * cols, rows * cols))
    graph.sort_indices()
    return graph


def surface_merge_tree(loss: Any, connectivity: int = 4) -> helpers.topology.MergeTree:
    """The join tree of a loss grid on its :func:`grid_graph`.

    Parameters
    ----------
    loss : array_like, shape (rows, cols)
        Finite values; ``loss[i, j]`` is vertex ``i * cols + j``.
    connectivity : {4, 8}, default 4

    Returns
    -------
    helpers.topology.MergeTree
        ``minima`` and ``saddles`` are flat vertex indices (``np.unravel_index`` gives
        the grid point).

    Examples
    --------
    >>> surface_merge_tree(np.array([[0.0, 1.0, 0.0]])).pairs.tolist()
    [[0.0, inf], [0.0, 1.0]]
    """
    values = np.asarray(loss, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"loss must be a 2-D grid of values; got shape {values.shape}")
    return helpers.topology.merge_tree(grid_graph(values.shape, connectivity), values.ravel())


def closed_pairs(tree: helpers.topology.MergeTree) -> np.ndarray:
    """The tree's pairs with each component's essential pair closed at its maximum.

    In :func:`helpers.topology.merge_tree` (and ripser) the oldest minimum of each
    connected component never dies: its pair is ``(minimum, inf)``. Merge-tree tools
    such as the Topology ToolKit close it at the component's maximum instead, the root
    of the tree, so that a landscape with a single basin has one pair, of persistence
    equal to its loss range, rather than none.

    Returns
    -------
    ndarray, shape (m, 2)
        The finite pairs, then one ``(minimum, maximum)`` row per component.

    Examples
    --------
    >>> closed_pairs(surface_merge_tree(np.array([[0.0, 2.0, 1.0]]))).tolist()
    [[1.0, 2.0], [0.0, 2.0]]
    """
    if not isinstance(tree, helpers.topology.MergeTree):
        raise ValueError(f"tree must be a helpers.topology.MergeTree; got {type(tree).__name__}")
    n = tree.values.size
    # Follow parent pointers to each vertex's root by pointer jumping.
    up = np.where(tree.parent >= 0, tree.parent, np.arange(n))
    while True:
        jumped = up[up]
        if np.array_equal(jumped, up):
            break
        up = jumped
    roots = np.unique(up)
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    np.minimum.at(low, up, tree.values)
    np.maximum.at(high, up, tree.values)
    finite = tree.pairs[np.isfinite(tree.pairs[:, 1])]
    return np.concatenate([finite, np.column_stack([low[roots], high[roots]])])


def tree_metrics(tree: helpers.topology.MergeTree) -> dict[str, float]:
    """002's summaries of a merge tree, and the loss range they live in.

    Returns
    -------
    dict
        ``n_minima``; ``n_saddles`` (with multiplicity); ``average_persistence`` and
        ``max_persistence`` of the finite pairs (0 if none; the convention of
        :mod:`helpers.topology`); ``closed_average_persistence``, the mean persistence of
        :func:`closed_pairs` (each component's essential pair closed at its maximum);
        ``loss_range`` (max − min of the values).

    Examples
    --------
    >>> metrics = tree_metrics(surface_merge_tree(np.array([[0.0, 2.0, 1.0]])))
    >>> metrics["n_minima"], metrics["n_saddles"], metrics["average_persistence"]
    (2, 1, 1.0)
    >>> metrics["closed_average_persistence"]  # (1 + 2) / 2
    1.5
    """
    if not isinstance(tree, helpers.topology.MergeTree):
        raise ValueError(f"tree must be a helpers.topology.MergeTree; got {type(tree).__name__}")
    pairs = tree.pairs[np.isfinite(tree.pairs[:, 1])]
    lifetimes = np.abs(pairs[:, 1] - pairs[:, 0])
    closed = closed_pairs(tree)
    return {"n_minima": int(tree.minima.size), "n_saddles": tree.n_saddles,
            "average_persistence": tree.average_persistence,
            "closed_average_persistence": float(np.mean(np.abs(closed[:, 1] - closed[:, 0]))),
            "max_persistence": float(lifetimes.max()) if lifetimes.size else 0.0,
            "loss_range": float(np.ptp(tree.values))}


@dataclass(frozen=True, eq=False)
class Surface:
    """The loss on a square grid around an optimum.

    Attributes
    ----------
    kind : {"random", "hessian"}
    a, b : ndarray, shape (resolution,)
        Coordinates along the first and second direction; 0 at the centre.
    loss, accuracy : ndarray, shape (resolution, resolution)
        ``loss[i, j]`` at ``θ* + a[i] d₁ + b[j] d₂`` (the mean loss, cross-entropy unless
        another was given; ``inf`` where the network overflows).
    seconds : float
        Time of the evaluation when it was computed.
    """

    kind: str
    a: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    seconds: float = 0.0

    @property
    def center_loss(self) -> float:
        """The loss at ``(0, 0)``: the optimum's."""
        return float(self.loss[len(self.a) // 2, len(self.b) // 2])

    def frame(self) -> pd.DataFrame:
        """One row per grid point: ``a, b, loss, accuracy`` (``a`` varies slowest)."""
        a, b = np.meshgrid(self.a, self.b, indexing="ij")
        return pd.DataFrame({"a": a.ravel(), "b": b.ravel(), "loss": self.loss.ravel(),
                             "accuracy": self.accuracy.ravel()})

    def slices(self) -> pd.DataFrame:
        """The two 1-D slices through the optimum: ``direction`` (1 or 2), ``t``, ``loss``."""
        i, j = len(self.a) // 2, len(self.b) // 2
        return pd.concat([pd.DataFrame({"direction": 1, "t": self.a, "loss": self.loss[:, j]}),
                          pd.DataFrame({"direction": 2, "t": self.b, "loss": self.loss[i, :]})],
                         ignore_index=True)


def loss_surface(model: torch.nn.Module, x: Any, y: Any, directions: Any, *,
                 resolution: int = 21, extent: float = 1.0, kind: str = "random",
                 batch_size: int = 512, evaluation: str = "loop",
                 device: str = "cpu", loss: LossFunction | None = None) -> Surface:
    """Evaluate the loss of ``model`` on a ``resolution × resolution`` grid of two directions.

    Parameters
    ----------
    model : torch.nn.Module
        The network at the optimum (its parameters are the centre, its BatchNorm
        buffers are used at every point).
    x, y : tensor or array_like
        Inputs and integer labels (with a ``loss``, the targets it takes).
    directions : array_like, shape (2, P)
        Flat directions (:func:`helpers.directions.random_directions` or Hessian
        eigenvectors).
    resolution : int, default 21
        Odd, so that the optimum is the centre point.
    extent : float, default 1.0
        The grid spans ``[-extent, extent]`` in the directions' units.
    kind : {"random", "hessian"}
        A label kept with the result.
    batch_size : int, default 512
        Images per forward pass.
    evaluation : {"loop", "vmap"}
        See :func:`helpers.directions.evaluate_along`.
    device : str
    loss : callable, optional
        ``loss(outputs, targets)`` (:mod:`helpers.losses`); cross-entropy by default.

    Returns
    -------
    Surface

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> x, y = torch.randn(12, 4), torch.randint(0, 3, (12,))
    >>> d = helpers.directions.random_directions(net, [0, 1])
    >>> surface = loss_surface(net, x, y, d, resolution=5)
    >>> surface.loss.shape, bool(np.isclose(surface.center_loss,
    ...                                     nn.functional.cross_entropy(net(x), y).item()))
    ((5, 5), True)
    """
    resolution = check_int("resolution", resolution, minimum=3)
    if resolution % 2 == 0:
        raise ValueError(f"resolution must be an odd integer >= 3 (the optimum is the "
                         f"centre); got {resolution}")
    check_choice("kind", kind, DIRECTION_KINDS)
    pair = np.asarray(directions, dtype=np.float32)
    n_params = helpers.flat_parameters.parameter_count(model)
    if pair.shape != (2, n_params):
        raise ValueError(f"directions must have shape (2, {n_params}); got {pair.shape}")
    coordinates = grid_coordinates(resolution, extent)
    a, b = np.meshgrid(coordinates, coordinates, indexing="ij")
    started = time.perf_counter()
    loss, accuracy = helpers.directions.evaluate_along(
        model, helpers.flat_parameters.flatten_parameters(model), pair,
        np.column_stack([a.ravel(), b.ravel()]), x, y, batch_size=batch_size,
        method=evaluation, device=device, loss=loss)
    shape = (resolution, resolution)
    return Surface(kind, coordinates, coordinates.copy(), loss.reshape(shape),
                   accuracy.reshape(shape), time.perf_counter() - started)
