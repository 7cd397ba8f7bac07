"""An artificial tree: branching trajectories with known geometry, to test embeddings on.

Moon et al. (2019) compare embeddings on data sampled from a tree of random-walk
branches in many dimensions (``phate.tree.gen_dla``): every method's picture can be
checked against the structure that generated it.

Examples
--------
>>> tree = artificial_tree(n_dim=5, n_branch=3, branch_length=10, seed=0)
>>> tree.data.shape, sorted(set(tree.table["branch"].tolist()))
((30, 5), [0, 1, 2])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.checks import check_float, check_int


@dataclass
class ArtificialTree:
    """The result of :func:`artificial_tree`.

    Attributes
    ----------
    data : numpy.ndarray of float64, shape (n_branch · branch_length, n_dim)
        The tree with Gaussian noise, the points to embed.
    clean : numpy.ndarray of float64, same shape
        The same points without the noise: the "denoised" reference of DEMaP.
    table : pandas.DataFrame
        One row per point, row ``i`` for ``data[i]``: ``branch`` (0 is the trunk) and
        ``position`` (the step along its branch, 0 to ``branch_length - 1``).
    """

    data: np.ndarray
    clean: np.ndarray
    table: pd.DataFrame



def artificial_tree(n_dim: int = 100, n_branch: int = 20, branch_length: int = 100, *,
                    noise: float = 4.0, seed: int = 37) -> ArtificialTree:
    """The artificial tree of PHATE's authors (``phate.tree.gen_dla``), and its clean version.

    Diffusion-limited aggregation: the trunk is a random walk of ``branch_length`` steps
    in ``n_dim`` dimensions (each step uniform in ``[-1, 1]`` per coordinate); every
    further branch is a random walk of the same length that starts at a random point of
    the branches before it. Gaussian noise of standard deviation ``noise`` is added to
    every coordinate. Horoi et al. use this data set (their Fig. 1) to show which
    embeddings keep branches connected.

    ``phate.tree.gen_dla`` draws the noise after the tree, from NumPy's global random
    generator, so the same call with ``sigma=0`` gives the noise-free tree exactly. The
    global generator's state is restored afterwards: calling this function does not
    change what ``numpy.random`` draws next.

    Parameters
    ----------
    n_dim : int, default 100
        Dimension of the space (at least 2).
    n_branch : int, default 20
        Number of branches, the trunk included.
    branch_length : int, default 100
        Points per branch (at least 2).
    noise : float, default 4.0
        Standard deviation of the noise (``sigma`` of ``gen_dla``); 0 for none.
    seed : int, default 37
        ``gen_dla``'s seed (37 is its default).

    Returns
    -------
    ArtificialTree

    Raises
    ------
    ValueError
        If an argument is not accepted.

    Examples
    --------
    >>> tree = artificial_tree(n_dim=10, n_branch=3, branch_length=20)
    >>> tree.data.shape, sorted(tree.table["branch"].unique().tolist())
    ((60, 10), [0, 1, 2])
    >>> bool(np.all(artificial_tree(n_dim=10, n_branch=3, branch_length=20, noise=0).data
    ...             == tree.clean))
    True
    """
    n_dim = check_int("n_dim", n_dim, minimum=2)
    n_branch = check_int("n_branch", n_branch, minimum=1)
    branch_length = check_int("branch_length", branch_length, minimum=2)
    noise = check_float("noise", noise, minimum=0.0)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    from phate.tree import gen_dla

    # gen_dla seeds NumPy's global generator; put back what was there.
    state = np.random.get_state()  # noqa: NPY002
    try:
        data, branches = gen_dla(n_dim=n_dim, n_branch=n_branch, branch_length=branch_length,
                                 seed=seed, sigma=noise)
        clean, _ = gen_dla(n_dim=n_dim, n_branch=n_branch, branch_length=branch_length,
                           seed=seed, sigma=0.0)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    table = pd.DataFrame({"branch": np.asarray(branches, dtype=int),
                          "position": np.tile(np.arange(branch_length), n_branch)})
    return ArtificialTree(np.asarray(data, dtype=np.float64),
                          np.asarray(clean, dtype=np.float64), table)
