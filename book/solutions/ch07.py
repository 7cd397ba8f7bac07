"""Solutions to the exercises of Chapter 7 (loss surfaces, merge trees and curvature).

Each ``exercise_N`` is shown under its exercise in ``book/07-loss-surfaces.md`` and runs
at a tiny scale in ``tests/test_solutions.py``. Its defaults are the chapter's, and it
imports what it uses (the chapter's notebook has ``pd``), so that it runs as shown.
"""

from __future__ import annotations

import pandas as pd


def exercise_1(budgets: tuple[int, ...] = (2, 5, 10, 20, 40), images: int = 64,
               hidden: int = 8) -> pd.DataFrame:
    """Top eigenvalue of the tiny network's Hessian by Lanczos and power iteration per budget."""
    import numpy as np
    import torch

    from helpers import hessian, hessian_check
    from helpers.data import load_dataset

    digits = load_dataset("digits", train_size=images)
    torch.manual_seed(0)
    tiny = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, hidden), torch.nn.Tanh(),
                               torch.nn.Linear(hidden, 10)).double()
    operator = hessian.HessianOperator(tiny, digits.train_x.double(), digits.train_y)
    exact = np.linalg.eigvalsh(hessian_check.dense_hessian(operator))[-1]
    rows = {}
    for budget in budgets:
        row = {}
        for method in ("lanczos", "power"):
            before = operator.n_products
            # A tiny tol: each method spends the whole budget unless it has converged.
            value = hessian.top_eigenvalues(operator, 1, method=method, max_iter=budget,
                                            tol=1e-12)[0][0]
            row[f"{method} products"] = operator.n_products - before
            row[f"{method} error"] = abs(value - exact) / abs(exact)
        rows[budget] = row
    return pd.DataFrame(rows).T.rename_axis("budget").assign(dense=exact)


def exercise_2(preset: str = "workshop", depth: int | None = None,
               train_epochs: int | None = None, seed: int | None = None,
               resolution: int | None = None, extent: float | None = None,
               eval_samples: int | None = None,
               train_size: int | None = None) -> pd.DataFrame:
    """Minima and saddles of each architecture's random-direction surface, 4 and 8 neighbours."""
    from helpers import config, surface_study, surfaces, train

    chosen = surface_study.preset_settings(preset, depth=depth, train_epochs=train_epochs,
                                           resolution=resolution, extent=extent,
                                           eval_samples=eval_samples)
    seed = chosen["seeds"][0] if seed is None else seed
    configs = surface_study.residual_configs(
        preset, depth=chosen["depth"], seeds=[seed],
        **config.overrides(epochs=chosen["train_epochs"], train_size=train_size))
    rows = []
    for (architecture, _), network in configs.items():
        surface = surface_study.optimum_surface(train.train(network), chosen["settings"],
                                                "random")
        for connectivity in (4, 8):
            tree = surfaces.surface_merge_tree(surface.loss, connectivity)
            rows.append({"architecture": architecture, "connectivity": connectivity,
                         "minima": tree.minima.size, "saddles": tree.n_saddles})
    return pd.DataFrame(rows).set_index(["architecture", "connectivity"])


def exercise_3(probes: tuple[int, ...] = (10, 50, 200), images: int = 64,
               hidden: int = 8) -> pd.DataFrame:
    """Hutchinson's trace of the tiny network's Hessian and its standard error per probe count."""
    import numpy as np
    import torch

    from helpers import hessian, hessian_check
    from helpers.data import load_dataset

    digits = load_dataset("digits", train_size=images)
    torch.manual_seed(0)
    tiny = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, hidden), torch.nn.Tanh(),
                               torch.nn.Linear(hidden, 10)).double()
    operator = hessian.HessianOperator(tiny, digits.train_x.double(), digits.train_y)
    exact = float(np.trace(hessian_check.dense_hessian(operator)))
    rows = {}
    for n in probes:
        samples = hessian.hutchinson_trace(operator, n)
        stderr = samples.std(ddof=1) / np.sqrt(n)
        rows[n] = {"estimate": samples.mean(), "standard error": stderr,
                   "error": samples.mean() - exact,
                   "error / standard error": (samples.mean() - exact) / stderr}
    return pd.DataFrame(rows).T.rename_axis("probes").assign(dense=exact)
