"""Computed sentences of the page "Your own model": what the helpers found around it.

Each function turns numbers the page computed into the sentence a reader sees, so that
no sentence of the page states a result it did not compute; each branch has a unit test
(``tests/test_own_model.py``).

Examples
--------
>>> print(retraining_sentence(pd.DataFrame({"jump_train_loss": [2.0], "final_train_loss": [0.5],
...                                         "diverged": [False]}), 0.1))
... # doctest: +NORMALIZE_WHITESPACE
Retraining lowered the training loss in the one retrain, from a median of 2 at the jump to
0.5 at its last sample (the optimum: 0.1); none diverged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from helpers.checks import check_float


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def retraining_sentence(summary: pd.DataFrame, optimum_loss: float) -> str:
    """Whether retraining after each jump brought the training loss back down.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`helpers.sample_table.retraining_summary` of the samples: one row per
        retrain with ``jump_train_loss``, ``final_train_loss`` and ``diverged``.
    optimum_loss : float
        The optimum's own training loss.

    Examples
    --------
    >>> summary = pd.DataFrame({"jump_train_loss": [2.0, 1.0], "final_train_loss": [0.5, 1.5],
    ...                         "diverged": [False, True]})
    >>> retraining_sentence(summary, 0.1)  # doctest: +NORMALIZE_WHITESPACE
    'Retraining lowered the training loss in 1 of the 2 retrains, from a median of 1.5 at the
    jump to 1 at their last sample (the optimum: 0.1); 1 retrain diverged and kept only the
    samples before it.'
    """
    needed = {"jump_train_loss", "final_train_loss", "diverged"}
    if not isinstance(summary, pd.DataFrame) or not needed <= set(summary.columns) \
            or summary.empty:
        raise ValueError(f"summary must be a non-empty retraining_summary table with columns "
                         f"{sorted(needed)}")
    optimum_loss = check_float("optimum_loss", optimum_loss, minimum=0.0)
    n = len(summary)
    lowered = int((summary["final_train_loss"] < summary["jump_train_loss"]).sum())
    verb = "lowered" if lowered else "did not lower"
    if n == 1:
        which = "in the one retrain"
    elif lowered == n:
        which = f"in all {n} retrains"
    elif lowered == 0:
        which = f"in any of the {n} retrains"
    else:
        which = f"in {lowered} of the {n} retrains"
    diverged = int(summary["diverged"].sum())
    ending = ("none diverged." if diverged == 0 else
              f"{_count(diverged, 'retrain')} diverged and kept only the samples before it.")
    return (f"Retraining {verb} the training loss {which}, from a median of "
            f"{summary['jump_train_loss'].median():.3g} at the jump to "
            f"{summary['final_train_loss'].median():.3g} at "
            f"{'its' if n == 1 else 'their'} last sample (the optimum: {optimum_loss:.3g}); "
            f"{ending}")


def persistence_sentence(summary: Mapping[str, Any]) -> str:
    """What the kNN graph of the samples and its H0 diagram say.

    Parameters
    ----------
    summary : mapping
        :attr:`helpers.pipeline.LandscapeFeatures.summary` (``n_samples``, ``knn_used``,
        ``n_components``, ``n_h0_finite``, ``total_persistence_h0``, ``n_h1_finite``,
        ``total_persistence_h1``).

    Examples
    --------
    >>> persistence_sentence({"n_samples": 81, "knn_used": 10, "n_components": 1,
    ...                       "n_h0_finite": 0, "total_persistence_h0": 0.0,
    ...                       "n_h1_finite": 0, "total_persistence_h1": 0.0})
    ... # doctest: +NORMALIZE_WHITESPACE
    'The graph joining each of the 81 samples to its 10 nearest is connected. Its H0 diagram
    has no finite point: every sample but the lowest has a neighbour of lower loss, so as the
    loss threshold rises no second basin ever forms, and the total persistence of H0 is 0.
    H1 has no finite point.'
    """
    fields = ("n_samples", "knn_used", "n_components", "n_h0_finite", "total_persistence_h0",
              "n_h1_finite", "total_persistence_h1")
    if not isinstance(summary, Mapping) or not set(fields) <= set(summary):
        raise ValueError(f"summary must be a LandscapeFeatures summary with {list(fields)}")
    pieces = int(summary["n_components"])
    graph = (f"The graph joining each of the {summary['n_samples']} samples to its "
             f"{summary['knn_used']} nearest ")
    graph += ("is connected." if pieces == 1 else
              f"falls into {pieces} pieces, each an H0 point that never dies.")
    h0 = int(summary["n_h0_finite"])
    if h0 == 0:
        lowest = "the lowest" if pieces == 1 else "the lowest of its piece"
        zero = (f"Its H0 diagram has no finite point: every sample but {lowest} has a "
                f"neighbour of lower loss, so as the loss threshold rises no second basin "
                f"ever forms, and the total persistence of H0 is 0.")
    else:
        zero = (f"Its H0 diagram has {_count(h0, 'finite point')}: "
                f"{_count(h0, 'basin')} of the samples' loss that "
                f"{'merges' if h0 == 1 else 'merge'} into a deeper one as the threshold "
                f"rises, with total persistence "
                f"{float(summary['total_persistence_h0']):.3g}.")
    h1 = int(summary["n_h1_finite"])
    one = ("H1 has no finite point." if h1 == 0 else
           f"H1 has {_count(h1, 'finite point')} (total persistence "
           f"{float(summary['total_persistence_h1']):.3g}).")
    return f"{graph} {zero} {one}"


def surface_sentence(metrics: Mapping[str, Any], center_loss: float, lowest_loss: float,
                     top_eigenvalue: float, trace: float, trace_stderr: float) -> str:
    """The loss surface's merge tree and the curvature at its centre, in one paragraph.

    Parameters
    ----------
    metrics : mapping
        :func:`helpers.surfaces.tree_metrics` of the surface (``n_minima``,
        ``n_saddles``, ``loss_range``).
    center_loss, lowest_loss : float
        The loss at the centre (the trained model) and the lowest on the grid.
    top_eigenvalue, trace, trace_stderr : float
        The Hessian's largest eigenvalue, and its Hutchinson trace with standard error.

    Examples
    --------
    >>> print(surface_sentence({"n_minima": 1, "n_saddles": 0, "loss_range": 2.0}, 0.1, 0.1,
    ...                        5.0, 20.0, 1.0))  # doctest: +NORMALIZE_WHITESPACE
    On this plane the surface is a single basin (its merge tree has one minimum and no
    saddle), and the trained model is its lowest point. The Hessian's largest eigenvalue is
    5 and its trace 20 ± 1: positive, the loss curves upward around the model on average.
    """
    if not isinstance(metrics, Mapping) or not {"n_minima", "n_saddles"} <= set(metrics):
        raise ValueError("metrics must be tree_metrics of a surface (n_minima, n_saddles)")
    values = [check_float(name, value) for name, value in
              (("center_loss", center_loss), ("lowest_loss", lowest_loss),
               ("top_eigenvalue", top_eigenvalue), ("trace", trace))]
    center_loss, lowest_loss, top_eigenvalue, trace = values
    trace_stderr = check_float("trace_stderr", trace_stderr, minimum=0.0)
    minima, saddles = int(metrics["n_minima"]), int(metrics["n_saddles"])
    if minima == 1:
        shape = (f"a single basin (its merge tree has one minimum and "
                 f"{'no saddle' if saddles == 0 else _count(saddles, 'saddle')})")
    else:
        shape = (f"{minima} basins (its merge tree has {minima} minima, joined at "
                 f"{_count(saddles, 'saddle')})")
    lowest = ("the trained model is its lowest point" if np.isclose(center_loss, lowest_loss)
              else f"the trained model (loss {center_loss:.3g}) is not its lowest point "
                   f"({lowest_loss:.3g}): the plane passes lower ground within its extent")
    if trace - 2 * trace_stderr > 0:
        curvature = "positive, the loss curves upward around the model on average"
    elif trace + 2 * trace_stderr < 0:
        curvature = ("negative: on average the loss curves downward around the model, "
                     "which is not at a minimum")
    else:
        curvature = "within two standard errors of 0: more probes would tell its sign"
    return (f"On this plane the surface is {shape}, and {lowest}. The Hessian's largest "
            f"eigenvalue is {top_eigenvalue:.3g} and its trace {trace:.3g} ± "
            f"{trace_stderr:.2g}: {curvature}.")
