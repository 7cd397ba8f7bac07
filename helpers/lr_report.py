"""What the learning-rate study found: summary numbers, and the sentences that state them.

Each ``*_summary``/``rate_gap``/``crossing`` function reduces the tables of
:class:`helpers.lr_study.StudyResult` to a few numbers; each ``*_sentence`` function
turns those numbers into the sentence Chapter 6 prints, with one branch per outcome,
so that no text in the chapter can contradict its own cells. "Large" and "small"
are the largest and smallest initial learning rates; a difference is *clear* when it
exceeds twice the seed spread (the larger of the two rates' standard deviations over
seeds).

Examples
--------
>>> count_phrase(3, 3), count_phrase(0, 4), count_phrase(2, 5)
('all 3', 'none of the 4', '2 of 5')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from helpers.checks import check_choice

__all__ = [
    "control_summary",
    "controls_sentence",
    "count_phrase",
    "crossing",
    "crossing_sentence",
    "end_comparison",
    "end_sentence",
    "gap_sentence",
    "heatmap_sentence",
    "heatmap_summary",
    "paper_comparison",
    "rate_gap",
    "skip_sentence",
    "trend_sentence",
    "persistence_trends",
    "wasserstein_sentence",
    "wasserstein_sync",
]

METRICS = ("test_accuracy", "test_loss", "train_accuracy", "train_loss")


def count_phrase(count: int, total: int) -> str:
    """"all 3", "none of the 4" or "2 of 5"."""
    if count == total:
        return f"all {total}"
    if count == 0:
        return f"none of the {total}"
    return f"{count} of {total}"


#: A curve "falls" (or "rises") when Spearman's correlation of its values with the
#: epoch is at most -TREND (at least TREND); otherwise it has no clear trend.
TREND = 0.5


def _direction(rho: float) -> str:
    if rho <= -TREND:
        return "falls"
    if rho >= TREND:
        return "rises"
    return "mixed"


def _rho(x: Any, y: Any) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


# ------------------------------------------------------------------- learning curves


def rate_gap(final: pd.DataFrame, metric: str = "test_accuracy") -> dict[str, Any]:
    """The large rate's advantage at the last epoch and the seed spread.

    Parameters
    ----------
    final : pandas.DataFrame
        :meth:`helpers.lr_study.StudyResult.final`: one row per run with ``lr``,
        ``seed`` and the metric.
    metric : {"test_accuracy", "test_loss", "train_accuracy", "train_loss"}

    Returns
    -------
    dict
        ``large, small`` (rates), ``mean_large, mean_small, std_large, std_small``,
        ``advantage`` (large minus small for an accuracy, small minus large for a
        loss: positive when the large rate is better), ``spread`` (the larger std,
        NaN with one seed), ``n_seeds`` and ``clear`` (``advantage`` beyond twice
        ``spread`` in either direction).

    Examples
    --------
    >>> final = pd.DataFrame({"lr": [0.1, 0.1, 0.01, 0.01], "seed": [0, 1, 0, 1],
    ...                       "test_accuracy": [0.98, 0.97, 0.95, 0.96]})
    >>> gap = rate_gap(final)
    >>> round(gap["advantage"], 3), round(gap["spread"], 4), gap["clear"]
    (0.02, 0.0071, True)
    """
    metric = check_choice("metric", metric, METRICS)
    per = final.groupby("lr")[metric].agg(["mean", "std", "count"])
    large, small = float(per.index.max()), float(per.index.min())
    sign = 1.0 if metric.endswith("accuracy") else -1.0
    advantage = sign * float(per.loc[large, "mean"] - per.loc[small, "mean"])
    n_seeds = int(per["count"].min())
    spread = float(max(per.loc[large, "std"], per.loc[small, "std"])) if n_seeds > 1 \
        else float("nan")
    return {"metric": metric, "large": large, "small": small,
            "mean_large": float(per.loc[large, "mean"]),
            "mean_small": float(per.loc[small, "mean"]),
            "std_large": float(per.loc[large, "std"]), "std_small": float(per.loc[small, "std"]),
            "advantage": advantage, "spread": spread, "n_seeds": n_seeds,
            "clear": bool(n_seeds > 1 and abs(advantage) > 2 * spread)}


def _amount(value: float, metric: str) -> str:
    return f"{100 * value:.1f} points" if metric.endswith("accuracy") else f"{value:.3g}"


def gap_sentence(gap: dict[str, Any]) -> str:
    """The verdict on the rates' gap at the last epoch (see :func:`rate_gap`).

    Examples
    --------
    >>> gap = {"metric": "test_accuracy", "large": 0.1, "small": 0.01,
    ...        "advantage": 0.02, "spread": 0.005, "n_seeds": 3, "clear": True}
    >>> print(gap_sentence(gap))  # doctest: +NORMALIZE_WHITESPACE
    The large rate (0.1) ends ahead of the small one (0.01) by 2.0 points of test accuracy, more
    than twice the seed spread (0.5 points): a clear gap at this scale.
    """
    metric, adv = gap["metric"], gap["advantage"]
    what = metric.replace("_", " ")
    who = "ahead of" if adv > 0 else "behind"
    head = (f"The large rate ({gap['large']:g}) ends {who} the small one ({gap['small']:g}) "
            f"by {_amount(abs(adv), metric)} of {what}")
    if adv == 0:
        return (f"The large rate ({gap['large']:g}) and the small one ({gap['small']:g}) end "
                f"with the same {what}.")
    if gap["n_seeds"] < 2:
        return head + "; with one seed per rate there is no seed spread to judge it by."
    spread = _amount(gap["spread"], metric)
    if gap["clear"]:
        return head + f", more than twice the seed spread ({spread}): a clear gap at this scale."
    return (head + f", within twice the seed spread ({spread}): at this scale the two rates "
            "cannot be told apart.")


def crossing(history: pd.DataFrame, metric: str = "accuracy", split: str = "test"
             ) -> dict[str, Any]:
    """When the large rate's mean curve overtakes the small one's.

    Parameters
    ----------
    history : pandas.DataFrame
        :meth:`helpers.lr_study.StudyResult.history`.
    metric : {"accuracy", "loss"}
    split : {"train", "test"}

    Returns
    -------
    dict
        ``ends_ahead`` (the large rate is better at the last epoch), ``last_behind``
        (the last epoch >= 1 at which it was worse, or ``None``), ``final_epoch``
        and ``advantage`` (at the last epoch, positive = large better).

    Examples
    --------
    >>> h = pd.DataFrame({"lr": [0.1, 0.1, 0.1, 0.01, 0.01, 0.01], "seed": 0,
    ...                   "epoch": [1, 2, 3] * 2, "split": "test", "metric": "accuracy",
    ...                   "value": [0.5, 0.7, 0.9, 0.6, 0.8, 0.85]})
    >>> result = crossing(h)
    >>> result["ends_ahead"], result["last_behind"]
    (True, 2)
    """
    check_choice("metric", metric, ("accuracy", "loss"))
    check_choice("split", split, ("train", "test"))
    rows = history[(history["metric"] == metric) & (history["split"] == split)
                   & (history["epoch"] >= 1)]
    curves = rows.groupby(["epoch", "lr"])["value"].mean().unstack("lr")
    large, small = curves.columns.max(), curves.columns.min()
    sign = 1.0 if metric == "accuracy" else -1.0
    difference = sign * (curves[large] - curves[small])
    behind = difference.index[difference < 0]
    return {"ends_ahead": bool(difference.iloc[-1] > 0),
            "last_behind": int(behind.max()) if len(behind) else None,
            "final_epoch": int(difference.index.max()),
            "advantage": float(difference.iloc[-1]), "metric": metric, "split": split}


def _anneal_phrase(epoch: int, milestones: Sequence[int]) -> str:
    before = [m for m in milestones if m < epoch]
    if not before:
        return "before the first anneal"
    ordinal = ["first", "second", "third"][len(before) - 1] if len(before) <= 3 \
        else f"{len(before)}th"
    return f"after the {ordinal} anneal (epoch {before[-1]})"


def crossing_sentence(result: dict[str, Any], milestones: Sequence[int] = ()) -> str:
    """When (and whether) the large rate overtakes the small one (see :func:`crossing`).

    Examples
    --------
    >>> result = {"ends_ahead": True, "last_behind": 9, "final_epoch": 30,
    ...           "advantage": 0.02, "metric": "accuracy", "split": "test"}
    >>> print(crossing_sentence(result, (9, 19)))  # doctest: +NORMALIZE_WHITESPACE
    On mean test accuracy the small rate leads until epoch 9; the large rate is ahead from epoch
    10 on, after the first anneal (epoch 9), and ends ahead.
    """
    what = f"mean {result['split']} {result['metric']}"
    if result["ends_ahead"] and result["last_behind"] is None:
        return f"On {what} the large rate is ahead at every epoch and ends ahead."
    if result["ends_ahead"]:
        start = result["last_behind"] + 1
        return (f"On {what} the small rate leads until epoch {result['last_behind']}; the "
                f"large rate is ahead from epoch {start} on, "
                f"{_anneal_phrase(start, milestones)}, and ends ahead.")
    return (f"On {what} the large rate does not end ahead of the small one "
            f"(at epoch {result['final_epoch']}: "
            f"{_amount(abs(result['advantage']), result['metric'])} "
            f"{'behind' if result['advantage'] < 0 else 'apart'}).")


# ------------------------------------------------------------- persistence per epoch


def persistence_trends(table: pd.DataFrame, variant: str = "loss") -> pd.DataFrame:
    """How total persistence moves over epochs 1 to the last, per tree, set and rate.

    Returns a table indexed by ``tree, set, lr`` with ``first``, ``peak`` and ``last``
    (of the mean over seeds), ``rho`` (Spearman correlation of the mean curve with
    the epoch) and ``direction``: "falls" (``rho <= -TREND``), "rises"
    (``rho >= TREND``) or "mixed".

    Examples
    --------
    >>> t = pd.DataFrame({"variant": "loss", "tree": "join", "set": "train", "lr": 0.1,
    ...                   "seed": 0, "epoch": [0, 1, 2, 3],
    ...                   "total_persistence": [0.0, 3.0, 2.0, 1.0]})
    >>> persistence_trends(t)["direction"].tolist()
    ['falls']
    """
    rows = table[(table["variant"] == variant) & (table["epoch"] >= 1)]
    out = []
    for (tree, which, lr), group in rows.groupby(["tree", "set", "lr"], sort=False):
        curve = group.groupby("epoch")["total_persistence"].mean()
        rho = _rho(curve.index, curve)
        out.append({"tree": tree, "set": which, "lr": lr, "first": float(curve.iloc[0]),
                    "peak": float(curve.max()), "last": float(curve.iloc[-1]), "rho": rho,
                    "direction": _direction(rho)})
    return pd.DataFrame(out).set_index(["tree", "set", "lr"])


def trend_sentence(trends: pd.DataFrame) -> str:
    """Whether total persistence falls during training, as the thesis found in all four cases.

    Examples
    --------
    >>> trends = pd.DataFrame({"direction": ["falls", "rises"]}, index=pd.MultiIndex.from_tuples(
    ...     [("join", "train", 0.1), ("split", "test", 0.1)], names=["tree", "set", "lr"]))
    >>> print(trend_sentence(trends))  # doctest: +NORMALIZE_WHITESPACE
    Total persistence falls over training (Spearman's ρ with the epoch ≤ -0.5) in 1 of 2 curves
    (tree × set × rate); it rises for split/test at 0.1.
    """
    falls = trends["direction"] == "falls"
    head = (f"Total persistence falls over training (Spearman's ρ with the epoch ≤ -{TREND:g}) "
            f"in {count_phrase(int(falls.sum()), len(trends))} curves (tree × set × rate)")
    if falls.all():
        return head + ", as the thesis found for all four trees and sets."
    parts = []
    for direction in ("rises", "mixed"):
        keys = trends.index[trends["direction"] == direction]
        if len(keys):
            verb = "it rises for" if direction == "rises" else "it has no clear direction for"
            parts.append(f"{verb} " + ", ".join(f"{t}/{s} at {lr:g}" for t, s, lr in keys))
    return head + "; " + "; ".join(parts) + "."


def end_comparison(table: pd.DataFrame, variant: str = "loss") -> pd.DataFrame:
    """Total persistence of the large and the small rate at the last epoch, per tree and set.

    Columns ``large, small`` (means over seeds), ``spread`` (larger std; NaN with
    one seed) and ``lower``: "large", "small" (clearly lower: by more than twice the
    spread) or "neither".

    Examples
    --------
    >>> t = pd.DataFrame({"variant": "loss", "tree": "join", "set": "test", "epoch": 5,
    ...                   "lr": [0.1, 0.1, 0.01, 0.01], "seed": [0, 1, 0, 1],
    ...                   "total_persistence": [1.0, 1.1, 2.0, 2.1]})
    >>> end_comparison(t)["lower"].tolist()
    ['large']
    """
    rows = table[table["variant"] == variant]
    rows = rows[rows["epoch"] == rows["epoch"].max()]
    out = []
    for (tree, which), group in rows.groupby(["tree", "set"], sort=False):
        per = group.groupby("lr")["total_persistence"].agg(["mean", "std", "count"])
        large, small = per.index.max(), per.index.min()
        spread = float(per["std"].max()) if per["count"].min() > 1 else float("nan")
        difference = float(per.loc[large, "mean"] - per.loc[small, "mean"])
        lower = ("neither" if not np.isfinite(spread) or abs(difference) <= 2 * spread
                 else "large" if difference < 0 else "small")
        out.append({"tree": tree, "set": which, "large": float(per.loc[large, "mean"]),
                    "small": float(per.loc[small, "mean"]), "spread": spread, "lower": lower})
    return pd.DataFrame(out).set_index(["tree", "set"])


def end_sentence(comparison: pd.DataFrame) -> str:
    """Which rate ends with the lower total persistence (the thesis: the large one, on test).

    Examples
    --------
    >>> comparison = pd.DataFrame({"lower": ["large", "neither"]}, index=pd.MultiIndex.from_tuples(
    ...     [("join", "test"), ("split", "test")], names=["tree", "set"]))
    >>> print(end_sentence(comparison))  # doctest: +NORMALIZE_WHITESPACE
    At the last epoch the large rate has clearly lower total persistence for join/test, the
    small rate for none, and neither is clearly lower for split/test.
    """
    def listed(which: str) -> str:
        keys = comparison.index[comparison["lower"] == which]
        return ", ".join(f"{t}/{s}" for t, s in keys) if len(keys) else "none"

    if (comparison["lower"] == "neither").all():
        return ("At the last epoch neither rate has clearly lower total persistence for any "
                "tree and set (within twice the seed spread, or a single seed).")
    text = (f"At the last epoch the large rate has clearly lower total persistence for "
            f"{listed('large')}, the small rate for {listed('small')}")
    neither = listed("neither")
    return text + (f", and neither is clearly lower for {neither}." if neither != "none" else ".")


def heatmap_summary(points: pd.DataFrame) -> pd.DataFrame:
    """What the persistence images show, in numbers, per tree and set.

    Parameters
    ----------
    points : pandas.DataFrame
        :meth:`helpers.lr_study.StudyResult.points_table` at the heatmap epochs
        (``tree, set, lr, seed, epoch, birth, persistence``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``tree, set``: ``towards_origin`` (both the median birth and the
        median persistence are lower at the last epoch than at the first, pooling
        rates and seeds), ``threshold`` (the median persistence of every point
        drawn), and ``high_large``, ``high_small``: points above it at the last
        epoch, per seed, for the large and the small rate.

    Examples
    --------
    >>> points = pd.DataFrame({"tree": "join", "set": "test", "seed": 0,
    ...     "lr": [0.1, 0.1, 0.01, 0.01, 0.1, 0.01], "epoch": [1, 1, 1, 1, 9, 9],
    ...     "birth": [1.0, 2.0, 1.0, 2.0, 0.1, 0.5], "persistence": [1.0, 2.0, 1.0, 2.0, 0.1, 1.2]})
    >>> summary = heatmap_summary(points)
    >>> high = summary[["high_large", "high_small"]].iloc[0].tolist()
    >>> bool(summary["towards_origin"].iloc[0]), high
    (True, [0.0, 1.0])
    """
    out = []
    for (tree, which), group in points.groupby(["tree", "set"], sort=False):
        first, last = group["epoch"].min(), group["epoch"].max()
        at_first, at_last = group[group["epoch"] == first], group[group["epoch"] == last]
        threshold = float(group["persistence"].median())
        large, small = group["lr"].max(), group["lr"].min()
        out.append({"tree": tree, "set": which,
                    "towards_origin": bool(at_last["birth"].median() < at_first["birth"].median()
                                           and at_last["persistence"].median()
                                           < at_first["persistence"].median()),
                    "threshold": threshold,
                    "high_large": _high_points(group, at_last, large, threshold),
                    "high_small": _high_points(group, at_last, small, threshold)})
    return pd.DataFrame(out).set_index(["tree", "set"])


def _high_points(group: pd.DataFrame, at_last: pd.DataFrame, lr: float,
                 threshold: float) -> float:
    """Points above ``threshold`` at the last epoch, per seed, for one rate."""
    seeds = max(1, group.loc[group["lr"] == lr, "seed"].nunique())
    return float((at_last.loc[at_last["lr"] == lr, "persistence"] > threshold).sum() / seeds)


def heatmap_sentence(summary: pd.DataFrame) -> str:
    """The thesis's two readings of its heatmaps, checked (see :func:`heatmap_summary`).

    Examples
    --------
    >>> summary = pd.DataFrame({"towards_origin": [True], "high_large": [1.0],
    ...     "high_small": [3.0]}, index=pd.MultiIndex.from_tuples([("join", "test")],
    ...     names=["tree", "set"]))
    >>> print(heatmap_sentence(summary))  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    From the first to the last epoch drawn, the points move towards the origin (lower median
    birth and persistence) for all 1 trees and sets; ...
    """
    def listed(mask: Any) -> str:
        keys = summary.index[mask]
        return ", ".join(f"{t}/{s}" for t, s in keys) if len(keys) else "none"

    origin = summary["towards_origin"].to_numpy(dtype=bool)
    text = ("From the first to the last epoch drawn, the points move towards the origin "
            f"(lower median birth and persistence) for "
            f"{count_phrase(int(origin.sum()), len(summary))} trees and sets")
    if 0 < origin.sum() < len(summary):
        text += f" ({listed(origin)})"
    fewer = (summary["high_large"] < summary["high_small"]).to_numpy()
    more = (summary["high_large"] > summary["high_small"]).to_numpy()
    return (text + "; at the last epoch the large rate has fewer high-persistence points "
            f"(above the median persistence of all points drawn) than the small one for "
            f"{listed(fewer)}, more for {listed(more)}, as many for {listed(~fewer & ~more)}.")


def wasserstein_sync(table: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Does the distance to the last diagram follow the loss? Spearman's ρ per curve.

    For each tree, set and rate: the correlation over epochs >= 1 between the mean
    Wasserstein distance to the last epoch and the mean loss of the same set.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": "loss", "tree": "join", "set": "train", "lr": 0.1,
    ...                   "seed": 0, "epoch": [1, 2, 3], "wasserstein": [2.0, 1.0, 0.0]})
    >>> h = pd.DataFrame({"lr": 0.1, "seed": 0, "epoch": [1, 2, 3], "split": "train",
    ...                   "metric": "loss", "value": [0.9, 0.5, 0.1]})
    >>> wasserstein_sync(t, h)["rho"].tolist()
    [1.0]
    """
    rows = table[(table["variant"] == "loss") & (table["epoch"] >= 1)]
    losses = history[(history["metric"] == "loss") & (history["epoch"] >= 1)]
    out = []
    for (tree, which, lr), group in rows.groupby(["tree", "set", "lr"], sort=False):
        distance = group.groupby("epoch")["wasserstein"].mean()
        loss = losses[(losses["split"] == which) & (losses["lr"] == lr)].groupby(
            "epoch")["value"].mean().reindex(distance.index)
        out.append({"tree": tree, "set": which, "lr": lr, "rho": _rho(distance, loss)})
    return pd.DataFrame(out).set_index(["tree", "set", "lr"])


def wasserstein_sentence(sync: pd.DataFrame, threshold: float = 0.5) -> str:
    """How often the distance to the last epoch moves with the loss (ρ >= ``threshold``).

    Examples
    --------
    >>> sync = pd.DataFrame({"rho": [0.9, 0.2]})
    >>> print(wasserstein_sentence(sync))  # doctest: +NORMALIZE_WHITESPACE
    The Wasserstein distance to the last epoch moves with the set's mean loss (Spearman's ρ ≥
    0.5) in 1 of 2 curves (median ρ 0.55).
    """
    rho = sync["rho"].to_numpy(dtype=float)
    if not np.isfinite(rho).any():
        return ("The Wasserstein distance to the last epoch is constant (or there are too few "
                "epochs), so its relation to the loss is undefined here.")
    strong = int(np.sum(rho >= threshold))
    text = (f"The Wasserstein distance to the last epoch moves with the set's mean loss "
            f"(Spearman's ρ ≥ {threshold:g}) in {count_phrase(strong, len(rho))} curves "
            f"(median ρ {np.nanmedian(rho):.2f})")
    return text + (", as the thesis describes." if strong == len(rho) else ".")


# ------------------------------------------------------------------------- controls


def control_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Direction of every curve under each variant, and the graph's smoothing.

    Returns a table indexed by ``variant, tree, set, lr`` with the columns of
    :func:`persistence_trends` plus ``below_shuffle``: the share of epochs >= 1 at
    which the measured losses have lower mean total persistence than their shuffle
    (NaN for the variants themselves or without a shuffle control).

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["loss"] * 3 + ["shuffle"] * 3, "tree": "join",
    ...                   "set": "train", "lr": 0.1, "seed": 0, "epoch": [1, 2, 3] * 2,
    ...                   "total_persistence": [3.0, 2.0, 1.0, 5.0, 4.0, 3.0]})
    >>> control_summary(t).loc["loss", "below_shuffle"].tolist()
    [1.0]
    """
    frames = []
    for variant in dict.fromkeys(table["variant"]):
        trends = persistence_trends(table, variant)
        frames.append(pd.concat({variant: trends}, names=["variant"]))
    summary = pd.concat(frames).sort_index()  # sorted: fast, warning-free lookups
    summary["below_shuffle"] = np.nan
    if "shuffle" in set(table["variant"]):
        rows = table[table["epoch"] >= 1]
        means = rows.groupby(["variant", "tree", "set", "lr", "epoch"])["total_persistence"].mean()
        for tree, which, lr in summary.loc["loss"].index:
            real = means.loc["loss", tree, which, lr]
            shuffled = means.loc["shuffle", tree, which, lr]
            summary.loc[("loss", tree, which, lr), "below_shuffle"] = float(
                np.mean(real.to_numpy() < shuffled.to_numpy()))
    return summary


def controls_sentence(summary: pd.DataFrame) -> str:
    """What survives the controls (see :func:`control_summary`).

    Examples
    --------
    >>> index = pd.MultiIndex.from_tuples([("loss", "join", "train", 0.1),
    ...     ("shuffle", "join", "train", 0.1)], names=["variant", "tree", "set", "lr"])
    >>> summary = pd.DataFrame({"direction": ["falls", "falls"], "below_shuffle": [0.9, np.nan]},
    ...                        index=index)
    >>> print(controls_sentence(summary))  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Shuffled over the vertices, total persistence moves as it does on the measured losses in all
    1 curves: ...
    """
    real = summary.loc["loss", "direction"]
    parts = []
    variants = summary.index.get_level_values("variant")
    if "shuffle" in variants:
        same = int((summary.loc["shuffle", "direction"] == real).sum())
        lead = (f"Shuffled over the vertices, total persistence moves as it does on the "
                f"measured losses in {count_phrase(same, len(real))} curves: ")
        if same == len(real):
            lead += ("its trend comes from the changing values alone, wherever they sit on "
                     "the graph.")
        elif same == 0:
            lead += "the trend depends on where the losses sit on the graph."
        else:
            lead += "part of the trend comes from the values alone, part from the graph."
        below = summary.loc["loss", "below_shuffle"].groupby(level="tree").mean()
        for tree, share in below.items():
            lead += (f" For the {tree} tree the measured field has lower total persistence "
                     f"than its shuffle at {100 * share:.0f} % of the epochs: ")
            lead += ("neighbouring images have similar losses, and the graph makes the field "
                     "smoother than chance." if share > 0.5 else
                     "the graph does not make it smoother than chance.")
        parts.append(lead)
    if "rank" in variants:
        ranked = summary.loc["rank", "direction"]
        same = int((ranked == real).sum())
        counts = ", ".join(f"{word} in {int((ranked == direction).sum())}"
                           for direction, word in (("falls", "falls"), ("rises", "rises"),
                                                   ("mixed", "has no clear trend"))
                           if (ranked == direction).any())
        text = (f"Replaced by their ranks, which keep the arrangement on the graph and drop "
                f"the falling scale of the losses, total persistence {counts}, and moves as "
                f"measured in {count_phrase(same, len(real))} curves: ")
        if same == len(real):
            text += "the arrangement alone carries the trend."
        elif same:
            text += ("the arrangement carries the trend of those curves; the others owe theirs "
                     "to the scale of the losses.")
        else:
            text += "the trends come from the scale of the losses, not from their arrangement."
        parts.append(text)
    return " ".join(parts) if parts else "No control was computed."


# ------------------------------------------------------------------ skip connections


def skip_sentence(table: pd.DataFrame) -> str:
    """Do the ResNet's peaks persist longer without skip connections, as the thesis saw?

    ``table`` is :meth:`helpers.lr_study.StudyResult.skip_table`. The split tree
    (peaks of the loss, the thesis's "maxima") is compared where computed, else the
    join tree.

    Examples
    --------
    >>> t = pd.DataFrame({"skip connections": [True, False], "tree": "split", "set": "test",
    ...                   "test_accuracy": [0.97, 0.95], "total_persistence": [1.0, 2.0],
    ...                   "n_points": [10, 8], "mean_persistence": [0.1, 0.25]})
    >>> print(skip_sentence(t))  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Without skip connections the peaks of the loss persist longer on average for test (0.25
    against 0.1), as the thesis found...
    """
    if table.empty:
        return "The comparison of skip connections was not run."
    tree = "split" if "split" in set(table["tree"]) else "join"
    rows = table[table["tree"] == tree].set_index(["set", "skip connections"])
    sets = list(dict.fromkeys(rows.index.get_level_values("set")))
    longer = [s for s in sets
              if rows.loc[(s, False), "mean_persistence"] > rows.loc[(s, True), "mean_persistence"]]
    detail = ", ".join(f"{s} ({rows.loc[(s, False), 'mean_persistence']:.3g} against "
                       f"{rows.loc[(s, True), 'mean_persistence']:.3g})" for s in sets)
    kind = "peaks" if tree == "split" else "basins"
    accuracy = (f" Test accuracy: {100 * rows.loc[(sets[0], True), 'test_accuracy']:.1f} % with "
                f"skips, {100 * rows.loc[(sets[0], False), 'test_accuracy']:.1f} % without.")
    if len(longer) == len(sets):
        return (f"Without skip connections the {kind} of the loss persist longer on average "
                f"for {detail}, as the thesis found.{accuracy}")
    if not longer:
        return (f"Without skip connections the {kind} of the loss do not persist longer on "
                f"average ({detail}, without against with): the thesis's difference does not "
                f"appear at this scale.{accuracy}")
    return (f"Without skip connections the {kind} of the loss persist longer on average for "
            f"{', '.join(longer)} only ({detail}, without against with).{accuracy}")


# ------------------------------------------------------------------------- the table


def paper_comparison(gap: dict[str, Any], cross: dict[str, Any], trends: pd.DataFrame,
                     ends: pd.DataFrame, sync: pd.DataFrame, skip: pd.DataFrame,
                     setup: str) -> pd.DataFrame:
    """The thesis's claims beside this run's numbers, one row per claim.

    Examples
    --------
    >>> gap = {"metric": "test_accuracy", "mean_large": 0.98, "mean_small": 0.96,
    ...        "std_large": 0.01, "std_small": 0.01, "large": 0.1, "small": 0.01}
    >>> cross = {"ends_ahead": True, "last_behind": None}
    >>> trends = pd.DataFrame({"direction": ["falls"]})
    >>> ends = pd.DataFrame({"lower": ["large"]}, index=pd.MultiIndex.from_tuples(
    ...     [("join", "test")], names=["tree", "set"]))
    >>> table = paper_comparison(gap, cross, trends, ends, pd.DataFrame({"rho": [0.8]}),
    ...                          pd.DataFrame(), "WRN")
    >>> list(table.columns)
    ['thesis (Meena 2024)', 'this run']
    """
    on_test = ends[ends.index.get_level_values("set") == "test"]
    rows = {
        "setup": ("WRN-16, CIFAR-10, 200 epochs, anneal at 60/125/150, one run per rate",
                  setup),
        "final test accuracy": (
            "large rate ahead at epoch 200 (Fig. 2.1)",
            f"{gap['large']:g}: {100 * gap['mean_large']:.1f} ± {100 * gap['std_large']:.1f} %, "
            f"{gap['small']:g}: {100 * gap['mean_small']:.1f} ± {100 * gap['std_small']:.1f} %"),
        "when the large rate takes the lead": (
            "after the second anneal (about epoch 125)",
            "it does not end ahead" if not cross["ends_ahead"] else
            "ahead at every epoch" if cross["last_behind"] is None else
            f"from epoch {cross['last_behind'] + 1}"),
        "total persistence over training": (
            "falls in all four tree/set cases",
            f"falls in {int((trends['direction'] == 'falls').sum())} of {len(trends)} "
            "tree/set/rate curves"),
        "last epoch, test set": (
            "large rate lower (fewer high-persistence points)",
            ", ".join(f"{t}: {lower} lower" if lower != "neither" else f"{t}: neither clearly"
                      for (t, _), lower in on_test["lower"].items()) or "test set not computed"),
        "Wasserstein distance to the last epoch": (
            "moves with training performance",
            f"median Spearman ρ with the loss {np.nanmedian(sync['rho']):.2f}"
            if np.isfinite(sync["rho"]).any() else "undefined"),
    }
    if not skip.empty:
        split = skip[skip["tree"] == ("split" if "split" in set(skip["tree"]) else "join")]
        means = split.groupby("skip connections")["mean_persistence"].mean()
        rows["skip connections (ResNet)"] = (
            "ResNet-56 without skips: more high-persistence maxima",
            f"mean persistence {means.get(False, np.nan):.3g} without, "
            f"{means.get(True, np.nan):.3g} with")
    return pd.DataFrame(rows, index=["thesis (Meena 2024)", "this run"]).T
