"""The sentences that state a computed verdict.

A chapter never prints a fixed sentence beside a number that could contradict it: each
verdict comes from a function here, with one branch per outcome, and every branch has a
unit test (``tests/test_report.py``). The functions take numbers and return Markdown;
they compute nothing that a chapter's reader does not see computed. Some first decide
an *outcome* (a short label a table can hold, e.g. ``"reproduces"``), then write the
sentence for it:

* :func:`~helpers.verdicts.correlation_outcome`, :func:`~helpers.verdicts.correlation_verdict` —
  does a correlation (or partial correlation) from :mod:`helpers.statistics` reproduce a
  paper's trend?
* :func:`~helpers.verdicts.relation_outcome`, :func:`~helpers.verdicts.ordering_outcome`,
  :func:`~helpers.verdicts.ordering_verdict` — does the classifier table
  (:mod:`helpers.classify`) order the feature sets as Horoi et al. (2022, Table 1) found:
  J&R > naive ≈ grid > randomized?

Examples
--------
>>> good_vs_bad(3.25, "WRN-10-1", 1.0, 0.1, 0.1).startswith("The good optimum beats")
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from helpers.embedding import METHOD_LABELS
from helpers.statistics import CorrelationResult
from helpers.verdicts import correlation_outcome, correlation_verdict, format_p

# --- Chapter 1 -----------------------------------------------------------------------


def good_vs_bad(gap: float, scale: str, memorization_train_accuracy: float,
                memorization_test_accuracy: float, chance: float) -> str:
    """Does the good optimum beat the bad one on the test set, and does memorization fail?

    Parameters
    ----------
    gap : float
        Test accuracy of the good optimum minus the bad one's, in points (percent).
    scale : str
        What was trained, e.g. the configuration's label.
    memorization_train_accuracy, memorization_test_accuracy, chance : float
        Fractions in [0, 1].

    Examples
    --------
    >>> good_vs_bad(-1.0, "WRN-10-1", 1.0, 0.1, 0.1)[:40]
    'At these settings the good optimum does '
    """
    if gap > 0:
        verdict = (f"The good optimum beats the bad one by **{gap:.1f} points** of test accuracy "
                   "(the paper reports about 10 points on CIFAR-10).")
    else:
        verdict = (f"At these settings the good optimum does **not** beat the bad one "
                   f"({gap:.1f} points of test accuracy; the paper reports about +10 on "
                   "CIFAR-10).")
    return (
        f"{verdict} The run above is {scale}, far smaller than the paper's WRN-28-2 on 50,000 "
        "CIFAR-10 images, and digits are an easy task: a network that generalizes "
        "badly still gets most of them right, so the gap is narrower than on CIFAR-10. "
        f"The memorization optimum reaches {100 * memorization_train_accuracy:.1f} % training "
        f"accuracy on random labels and {100 * memorization_test_accuracy:.1f} % on the test "
        f"set, close to chance ({100 * chance:.0f} %), as in the paper."
    )


def learning_curves_reading(summary: pd.DataFrame) -> str:
    """What the learning curves show at their end, read from the final metrics.

    ``summary`` is :func:`helpers.train.summarize`'s table (optimum kinds as rows,
    ``(metric, "mean")`` columns).

    Examples
    --------
    >>> summary = pd.DataFrame({("train_loss", "mean"): [0.01, 0.001, 0.002],
    ...                         ("test_loss", "mean"): [0.1, 0.3, 5.0]},
    ...                        index=["good", "bad", "memorization"])
    >>> "settles higher than the good optimum's" in learning_curves_reading(summary)
    True
    """
    train_loss, test_loss = summary[("train_loss", "mean")], summary[("test_loss", "mean")]
    parts = []
    if "memorization" in summary.index:
        parts.append(
            f"The memorization optimum ends at training loss "
            f"{train_loss['memorization']:.3g} and test loss {test_loss['memorization']:.3g}"
            + (": it learns a lookup table of the training images."
               if test_loss["memorization"] > 10 * max(train_loss["memorization"], 1e-12)
               else "."))
    if {"good", "bad"} <= set(summary.index):
        higher = test_loss["bad"] > test_loss["good"]
        parts.append(
            f"The bad optimum ends at training loss {train_loss['bad']:.3g} (good: "
            f"{train_loss['good']:.3g}); its test loss, {test_loss['bad']:.3g}, settles "
            + ("higher than the good optimum's" if higher else
               "**no higher** than the good optimum's")
            + f" ({test_loss['good']:.3g}).")
    return " ".join(parts)


def training_summary(summary: pd.DataFrame, chance: float) -> str:
    """Chapter 1's summary: which optima fit their training sets and which generalize.

    Examples
    --------
    >>> summary = pd.DataFrame({("train_accuracy", "mean"): [1.0, 1.0, 1.0],
    ...                         ("test_accuracy", "mean"): [0.97, 0.95, 0.1]},
    ...                        index=["good", "bad", "memorization"])
    >>> "the good one generalizes best" in training_summary(summary, 0.1)
    True
    """
    train_acc = summary[("train_accuracy", "mean")]
    test_acc = summary[("test_accuracy", "mean")]
    fitted = [k for k in summary.index if train_acc[k] >= 0.99]
    best = test_acc.idxmax()
    near_chance = [k for k in summary.index if test_acc[k] < chance + 0.05]
    lines = ["- Three kinds of optimum, same architecture: **good** (weight decay, "
             "augmentation, small batches), **bad** (none of them, full batch at the workshop "
             "scale) and **memorization** (random labels)."]
    lines.append(
        ("- All of them fit their training sets (≥ 99 % training accuracy)"
         if len(fitted) == len(summary) else
         f"- {', '.join(fitted) or 'None'} fit their training sets (≥ 99 % training accuracy)")
        + f"; the {best} one generalizes best ({100 * test_acc[best]:.1f} % test accuracy)"
        + (f", and the {', '.join(near_chance)} one is near chance ({100 * chance:.0f} %)."
           if near_chance else "."))
    lines.append("- Everything above is cached: later chapters load these networks instead "
                 "of training them.")
    return "\n".join(lines)


# --- Chapter 2 -----------------------------------------------------------------------


def sample_counts(n_directions: int, n_steps: int, samples_per_retrain: int) -> str:
    """What a J&R table's row count includes, beside the paper's 640 samples.

    Examples
    --------
    >>> sample_counts(4, 4, 40)[:60]
    '**657 rows per optimum**: the optimum itself, 16 jump points'
    """
    runs = n_directions * n_steps
    retraining = runs * samples_per_retrain
    return (f"**{1 + runs + retraining} rows per optimum**: the optimum itself, {runs} jump "
            f"points ({n_directions} directions × {n_steps} step sizes, before any "
            f"retraining) and {retraining} retraining samples ({runs} retrains × "
            f"{samples_per_retrain}). The paper's 4 × 4 × 40 = 640 samples count the "
            "retraining samples alone; with the optimum and the jump points its table "
            "would have 657 rows.")


def return_distance(ratio: Mapping[str, float], loss_fall: Mapping[str, float]) -> str:
    """How far retraining ends from the optimum, and how far its loss falls meanwhile.

    ``ratio`` is the final distance from the optimum over the jump's, ``loss_fall`` the
    jump point's training loss over the last sample's (a median over retrains), per
    optimum.

    Examples
    --------
    >>> return_distance({"good": 0.998}, {"good": 250.0})[:60]
    'After retraining, the samples end on average **99.8 %** (goo'
    >>> "orders of magnitude" in return_distance({"good": 0.998}, {"good": 3.0})
    False
    """
    falls = ", ".join(f"**{f:.3g}×** ({k})" for k, f in loss_fall.items())
    size = ("by orders of magnitude" if min(loss_fall.values()) >= 100 else
            "by a factor of more than ten" if min(loss_fall.values()) >= 10 else
            "but less than tenfold for some" if max(loss_fall.values()) >= 10 else
            "less than tenfold")
    return ("After retraining, the samples end on average "
            + ", ".join(f"**{100 * r:.1f} %** ({k})" for k, r in ratio.items())
            + " as far from the optimum as the jump took them. Meanwhile their training loss "
            f"falls {size}: the median retrain divides it by {falls}. So both hold: the "
            "loss comes back down, while the distance barely changes. A small learning rate "
            "moves a network little, but near a jump point the loss is so steep that a short "
            "move brings it down to other low-loss points around the optimum, as on the toy "
            "valley; retraining does not bring the network back to $\\theta^*$.")


def star_scores(star: Mapping[str, float], chance: float,
                components: Mapping[str, int]) -> str:
    """The star score of each optimum, beside its value at random, and disconnected graphs.

    Examples
    --------
    >>> "disconnected" in star_scores({"good": 1.0}, 0.2, {"good": 3})
    True
    """
    return (
        "{cite:t}`horoi2022exploring` describe J&R around an optimum as a **star**: each "
        "seed's trajectories leave the optimum in their own direction and the directions stay "
        "apart. A simple number for it is the *star score* "
        "({func}`helpers.sample_table.star_score`): for each sample, is its nearest neighbour "
        "among the *other* retrains one of the same seed? (1: each seed keeps to its own arm; "
        f"about {chance:.2f} here if retrains were placed at random.) This run: "
        + ", ".join(f"**{s:.2f}** ({k})" for k, s in star.items()) + "."
        + (" The score is within 0.1 for every optimum: it shows that J&R samples form "
           "arms, but it does **not** tell the optima apart."
           if len(star) > 1 and max(star.values()) - min(star.values()) < 0.1 else "")
        + ("" if max(components.values()) == 1 else
           " **The kNN graph is disconnected** for "
           + ", ".join(k for k, n in components.items() if n > 1)
           + ": PHATE places its pieces arbitrarily, so read the arms there with care.")
    )


def lowest_loss_sampler(median: Mapping[str, float],
                        jump_and_retrain: str = "jump & retrain") -> str:
    """Which sampler's samples have the lowest median training loss, against the paper.

    Examples
    --------
    >>> "as the paper argues" in lowest_loss_sampler({"jump & retrain": 0.1, "grid": 2.0})
    True
    """
    lowest = min(median, key=median.get)
    return (
        "Median training loss of the samples: "
        + ", ".join(f"**{v:.3g}** ({k})" for k, v in median.items())
        + f". The lowest is {lowest}'s"
        + (", as the paper argues: a random direction leaves the low-loss region quickly and "
           "nothing brings the grid or the naive samples back, while J&R spends its samples in "
           "the low-loss region around the optimum, where optima differ."
           if lowest == jump_and_retrain else
           ", which is **not** what the paper reports (J&R should stay at lower loss than the "
           "grid and naive samples); at these settings the jumps are too long for retraining "
           "to come back, or the grid too small to leave the basin.")
    )


def jump_and_retrain_summary(ratio: Mapping[str, float], loss_fall: Mapping[str, float],
                             star: Mapping[str, float], chance: float,
                             median: Mapping[str, float]) -> str:
    """Chapter 2's summary, each bullet stated as this run measured it.

    Examples
    --------
    >>> text = jump_and_retrain_summary({"good": 0.99}, {"good": 50.0}, {"good": 0.3}, 0.2,
    ...                                 {"jump & retrain": 2.0, "grid": 1.0})
    >>> "do not keep to arms" in text, "grid's" in text
    (True, True)
    """
    arms = [k for k, s in star.items() if s >= (1 + chance) / 2]
    lowest = min(median, key=median.get)
    distance = ", ".join(f"{100 * r:.0f} %" for r in ratio.values())
    return "\n".join([
        "- J&R samples the landscape around an optimum by jumping along random "
        "filter-normalized directions and retraining with the optimum's own optimizer; every "
        "sample keeps its metrics, parameters and BatchNorm statistics "
        "({class}`helpers.sample_table.Samples`, one table row per matrix row).",
        f"- Retraining brings the loss down (median factor {min(loss_fall.values()):.3g} to "
        f"{max(loss_fall.values()):.3g}) but not back to the optimum: the samples end at "
        f"{distance} of the jump's distance from it.",
        ("- In cosine PHATE the samples keep to one arm per direction around the "
         + (", ".join(arms) + " optim" + ("a" if len(arms) > 1 else "um")
            if len(arms) < len(star) else "optima")
         + f" (star score at least halfway from chance, {chance:.2f}, to 1)."
         + ("" if len(arms) == len(star) else
            f" The samples of the {', '.join(k for k in star if k not in arms)} "
            "optimum do not keep to arms.")
         if arms else
         "- In cosine PHATE the samples do not keep to arms: no star score is halfway "
         f"from chance ({chance:.2f}) to 1."),
        f"- With the same number of points, the lowest median training loss is {lowest}'s"
        + (": grid and naive sampling mostly see higher loss."
           if lowest == "jump & retrain" else
           ", not J&R's, unlike in the paper."),
    ])


# --- Chapter 3 -----------------------------------------------------------------------


def demap_coverage(pairs: Mapping[str, float], knn: int) -> str:
    """The share of pairs that DEMaP's kNN graph connects, per data set.

    Examples
    --------
    >>> demap_coverage({"tree": 1.0}, 10)[:55]
    'The kNN graph (10 neighbours) on which DEMaP measures g'
    """
    return (
        f"The kNN graph ({knn} neighbours) on which DEMaP measures geodesics connects "
        + " and ".join(f"**{100 * share:.0f} %** of the pairs of the {name}"
                       for name, share in pairs.items())
        + ". DEMaP uses only connected pairs: where that share is below 100 %, the data fall "
        "apart into pieces at this neighbourhood size, and how an embedding places the pieces "
        "relative to each other is not judged.")


def phate_pieces(components_by_knn: Mapping[int, int], phate_knn: int) -> str:
    """Whether PHATE's kNN graph stays connected at each neighbourhood size tried.

    Examples
    --------
    >>> phate_pieces({5: 3, 30: 1}, 30)[:50]
    "With knn = 5, PHATE's graph falls into as many as "
    >>> phate_pieces({5: 1}, 5)[:40]
    "At every knn tried, PHATE's graph stays "
    """
    broken = [int(k) for k, n in components_by_knn.items() if n > 1]
    return (
        (f"With knn = {', '.join(map(str, broken))}, PHATE's graph falls into as many as "
         f"{int(max(components_by_knn.values()))} pieces, and DEMaP drops with it. "
         if broken else "At every knn tried, PHATE's graph stays connected. ")
        + f"The comparison above runs PHATE with knn = {phate_knn}.")


def embedding_comparison(agreement: Mapping[tuple[str, str], str],
                         continuity: Mapping[str, pd.DataFrame], *,
                         label: Any, pca_variance: float | None = None,
                         n_parameters: int | None = None) -> str:
    """DEMaP beside the published ordering, continuity best first, and PCA's variance.

    Parameters
    ----------
    agreement : mapping of (data name, metric) to str
        The sentence of :func:`helpers.comparison.ordering_agreement` for each.
    continuity : mapping of data name to DataFrame
        Tables of :func:`helpers.comparison.compare_embeddings` with a ``continuity`` column.
    label : callable
        Names a panel from ``(method, metric)``.
    pca_variance : float, optional
        Share of variance in the first two principal components of the J&R samples.
    n_parameters : int, optional
        Length of the parameter vectors.

    Examples
    --------
    >>> frame = pd.DataFrame({"method": ["pca"], "metric": ["euclidean"], "continuity": [1.0]})
    >>> "**tree** — pca 1.00." in embedding_comparison({}, {"tree": frame},
    ...                                                label=lambda key: key[0])
    True
    """
    def ranked(frame: pd.DataFrame) -> str:
        ordered = frame.sort_values("continuity", ascending=False)
        return ", ".join(f"{label((m, k))} {v:.2f}" for m, k, v in
                         zip(ordered["method"], ordered["metric"], ordered["continuity"],
                             strict=True))

    lines = [f"- **{name}, {metric} distance** — {text}"
             for (name, metric), text in agreement.items()]
    ranks = [f"- **{name}** — {ranked(frame)}." for name, frame in continuity.items()]
    linear = ""
    if pca_variance is not None:
        linear = (f"\n\nHow linear are the J&R samples? Their first two principal components "
                  f"hold **{100 * pca_variance:.0f} %** of the variance of the "
                  f"{n_parameters:,}-dimensional parameter vectors. ")
    return ("**DEMaP, ours beside the published ordering** (PCA's one row enters both "
            "comparisons):\n\n" + "\n".join(lines)
            + "\n\n**Continuity, best first** (the paper's claim, measured):\n\n"
            + "\n".join(ranks) + linear)


def settings_orderings(agreements: Mapping[str, Mapping[str, Any]]) -> str:
    """Which DEMaP ordering holds under which settings, beside the published one.

    ``agreements`` maps a name for the settings to the result of
    :func:`helpers.comparison.ordering_agreement` under them.

    Examples
    --------
    >>> result = {"our_order": ["tsne", "phate"], "agree": 0, "total": 1}
    >>> settings_orderings({"defaults": result})
    '- **defaults**: t-SNE > PHATE (0 of 1 pairwise comparisons agree with the published ordering).'
    """
    lines = []
    for name, result in agreements.items():
        order = " > ".join(METHOD_LABELS.get(m, m) for m in result["our_order"])
        lines.append(f"- **{name}**: {order or 'no method scored'} ({result['agree']} of "
                     f"{result['total']} pairwise comparisons agree with the published "
                     "ordering).")
    orders = {tuple(r["our_order"]) for r in agreements.values()}
    if len(agreements) > 1:
        lines.append("The ordering is the same under every setting." if len(orders) == 1 else
                     "The ordering **depends on the settings**: a claim that one method "
                     "keeps structure better than another holds only with the settings it "
                     "was measured at.")
    return "\n".join(lines)


# --- Chapter 4 -----------------------------------------------------------------------


def path_persistence(minima: Any, saddles: Any, h0: np.ndarray, total: float) -> str:
    """The worked example of a path: its minima, saddles and total persistence.

    Examples
    --------
    >>> h0 = np.array([[0.0, 2.0], [1.0, np.inf]])
    >>> "(2 − 0)² = **4**" in path_persistence([0, 3], [1], h0, 4.0)
    True
    """
    finite = h0[np.isfinite(h0[:, 1])]
    return (
        f"The path has **{len(minima)} local minima** (vertices "
        f"{', '.join(map(str, sorted(np.asarray(minima).tolist())))}), so {len(h0)} components "
        f"are born; {len(finite)} of them die at the **saddles** (vertices "
        f"{', '.join(map(str, sorted(set(np.asarray(saddles).tolist()))))}) where they merge "
        "into an older one. The **total persistence** of a diagram is "
        "$\\operatorname{pers}(\\mathcal D) = \\sum_{(b, d)} (d - b)^2$ over its finite points "
        "(Cohen-Steiner et al. 2010): here "
        + " + ".join(f"({d:g} − {b:g})²" for b, d in finite)
        + f" = **{total:g}**. It grows with the number of separate low basins and with "
        "the height of the barriers between them; a landscape with a single basin has total "
        "persistence 0. Moving any value by ε moves each point of the diagram by at most ε "
        "(stability), so a small change of the losses changes it little."
    )


def retraining_rate(comparison: pd.DataFrame, *, paper_lr: float, lr: float,
                    trajectories: int, optima_with_points: int, n_optima: int) -> str:
    """What the paper's slow retraining does at this scale, beside the chapter's rate.

    ``comparison`` is :func:`helpers.pipeline.retraining_rate_comparison`'s table: one
    column per rate (the paper's first), rows ``paths whose loss only falls``, ``graph
    components``, ``finite H0 points`` and ``total persistence H0``.

    Examples
    --------
    >>> table = pd.DataFrame({"slow": [1.0, 8, 0, 0.0], "fast": [0.5, 1, 3, 0.2]},
    ...     index=["paths whose loss only falls", "graph components", "finite H0 points",
    ...            "total persistence H0"])
    >>> "nothing merges" in retraining_rate(table, paper_lr=0.001, lr=0.1, trajectories=8,
    ...                                     optima_with_points=2, n_optima=3)
    True
    """
    slow, fast = (comparison.iloc[:, i] for i in (0, 1))
    components = int(slow["graph components"])
    empty = slow["finite H0 points"] == 0
    return (
        f"The paper retrains at learning rate {paper_lr:g} for 40 epochs of CIFAR-10, about "
        "390 SGD steps each. Here an epoch of 300 digits is 5 steps. At the paper's rate, "
        f"around the good optimum, {100 * slow['paths whose loss only falls']:.0f} % of the "
        f"{trajectories} retraining paths only descend, the kNN graph has {components} "
        f"component{'s' if components > 1 else ''} for {trajectories} paths, "
        f"and the H0 diagram has **{int(slow['finite H0 points'])} finite points** "
        f"(total persistence {slow['total persistence H0']:.3g}). "
        + ("A path that only descends has one minimum, at its end; where each path is "
           "a chain of its own in the graph, nothing merges, and there is nothing to measure. "
           if empty else "")
        + f"This chapter retrains at the optimum's initial rate, {lr:g}, "
        f"where {100 * fast['paths whose loss only falls']:.0f} % of the paths "
        f"around the good optimum only descend and its diagram has "
        f"{int(fast['finite H0 points'])} finite points; "
        f"{optima_with_points} of the {n_optima} optima above have any. Keep this in mind when "
        "reading the numbers below: they describe the landscape as seen by a faster "
        "retraining than the paper's, and many of them are small.")


def _result(row: Any) -> CorrelationResult:
    """A :class:`CorrelationResult` back from a row of :func:`correlation_frame`."""
    return CorrelationResult(**{f.name: row[f.name] for f in dataclasses.fields(CorrelationResult)})


def _convention_label(filtration: str, essential: str) -> str:
    mark = {("train_loss", "drop"): " (the book's)", ("test_loss", "max"): " (the paper's code)"}
    bar = "dropped" if essential == "drop" else "closed at the largest value"
    return (f"filtered by {filtration.replace('_', ' ')}, essential bar {bar}"
            f"{mark.get((filtration, essential), '')}")


def _rows(correlations: pd.DataFrame, summary: str, given: str = "") -> pd.DataFrame:
    chosen = correlations[(correlations["summary"] == summary)
                          & (correlations["given"] == given)]
    if chosen.empty:
        raise ValueError(f"correlations has no row for summary {summary!r} given {given!r}; "
                         "pass helpers.zoo_statistics.persistence_correlations' table")
    return chosen


def zoo_persistence_verdicts(correlations: pd.DataFrame, *, alpha: float = 0.05) -> str:
    """Fig. 3B's verdict under each convention, as a Markdown list.

    ``correlations`` is :func:`helpers.zoo_statistics.persistence_correlations`' table;
    each bullet is :func:`helpers.verdicts.correlation_verdict` of total persistence (H0)
    against the test loss under one convention, then a line on whether the conventions
    agree.

    Examples
    --------
    >>> from helpers.statistics import correlation_frame
    >>> t = pd.DataFrame({"tp": range(12), "test_loss": range(12)})
    >>> rows = correlation_frame(t, "test_loss", ["tp"], n_bootstrap=0).assign(
    ...     summary="total_persistence_h0", filtration="train_loss", essential="drop")
    >>> "**reproduces**" in zoo_persistence_verdicts(rows)
    True
    """
    rows = _rows(correlations, "total_persistence_h0")
    lines, outcomes = [], {}
    for row in rows.itertuples(index=False):
        result = _result(row._asdict())
        label = _convention_label(row.filtration, row.essential)
        outcomes[label] = correlation_outcome(result, alpha=alpha)
        lines.append(f"- **{label}:** " + correlation_verdict(
            result, x_label="total persistence (H0)", y_label="test loss",
            claim="the paper's positive trend", alpha=alpha))
    if len(outcomes) > 1:
        distinct = set(outcomes.values())
        lines.append("" if len(distinct) == 1 else "")
        lines[-1] = (f"The conventions agree: every one {next(iter(distinct))}."
                     .replace("every one reproduces", "every one reproduces the trend")
                     if len(distinct) == 1 else
                     "The conventions **disagree**: "
                     + "; ".join(f"{label}: {outcome}" for label, outcome in outcomes.items())
                     + ". Which convention is used decides what this figure shows.")
    return "\n".join(lines)


def essential_share(share: float) -> str:
    """What closing the essential bar does to total persistence, from its median share.

    Examples
    --------
    >>> essential_share(0.8)[:62]
    'With the essential bar closed at the largest filtration value,'
    """
    opening = ("With the essential bar closed at the largest filtration value, the bar alone "
               f"is a median **{share:.0%}** of a network's total persistence (filtered by "
               "train loss): ").replace("%", " %")
    if share >= 0.5:
        return opening + ("under the public code's convention Fig. 3B mostly plots the "
                          "spread of the sampled losses, a sharpness, rather than the "
                          "landscape's basins.")
    return opening + ("the finite points, the landscape's basins, carry most of it under "
                      "either convention.")


def sharpness_verdicts(correlations: pd.DataFrame, *, alpha: float = 0.05) -> str:
    """Does total persistence say more than sharpness? One bullet per convention.

    Each bullet states the partial Spearman correlation of total persistence with the
    test loss given the sharpness baseline (Freedman–Lane test), after the plain
    correlation of sharpness itself.

    Examples
    --------
    >>> from helpers.statistics import correlation_frame
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"sharpness": rng.normal(size=15)})
    >>> t["test_loss"] = t["sharpness"] + 0.1 * rng.normal(size=15)
    >>> t["tp"] = t["sharpness"] + 0.1 * rng.normal(size=15)
    >>> plain = correlation_frame(t, "test_loss", ["sharpness"], n_bootstrap=0).assign(
    ...     summary="sharpness", filtration="", essential="")
    >>> partial = correlation_frame(t, "test_loss", ["tp"], given="sharpness",
    ...                             n_bootstrap=0).assign(
    ...     summary="total_persistence_h0", filtration="train_loss", essential="drop")
    >>> "**inconclusive**" in sharpness_verdicts(pd.concat([plain, partial]))
    True
    """
    baseline = _result(_rows(correlations, "sharpness").iloc[0].to_dict())
    lines = ["- **the sharpness baseline itself:** " + correlation_verdict(
        baseline, x_label="sharpness", y_label="test loss",
        claim="a link between sharpness and generalization", alpha=alpha)]
    for row in _rows(correlations, "total_persistence_h0", "sharpness").itertuples(index=False):
        lines.append(f"- **{_convention_label(row.filtration, row.essential)}:** "
                     + correlation_verdict(
                         _result(row._asdict()), x_label="total persistence (H0)",
                         y_label="test loss", given_label="sharpness",
                         claim="a positive link beyond sharpness", alpha=alpha))
    return "\n".join(lines)


def finite_points_reading(diagnostics: pd.DataFrame, *, aim: int = 5, knn: int | None = None,
                          steps_per_sample: int | None = None) -> str:
    """How many finite H0 points the median network's diagram has, and why.

    ``diagnostics`` is :func:`helpers.zoo_statistics.finite_points`' table. A graph's
    H0 diagram has one point per local minimum of the filtration, and the lowest
    minimum of each connected component never dies: finite points = minima −
    components. The sentence gives both medians and, for a filtration that falls short
    of ``aim``, which of the two keeps the count low.

    Examples
    --------
    >>> d = pd.DataFrame({"n_samples": [57, 57], "n_components": [1, 1],
    ...                   "n_h0_finite_train": [1, 2], "n_minima_train": [2, 3],
    ...                   "monotone_paths_train": [0.9, 0.8], "n_h0_finite_test": [6, 7],
    ...                   "n_minima_test": [7, 8], "monotone_paths_test": [0.2, 0.1]})
    >>> print(finite_points_reading(d, knn=10, steps_per_sample=5))
    ... # doctest: +NORMALIZE_WHITESPACE
    The median network's H0 diagram has **1.5** finite points filtered by train loss and
    **6.5** filtered by test loss (the aim: at least 5). Each local minimum of the graph
    starts a point, and the lowest minimum of each connected component never dies, so
    finite points = minima − components. Filtered by train loss the median graph of 57
    vertices has 2.5 local minima in 1 component: too few minima. 85 % of the retraining
    paths (median) never rise in train loss from one sample to the next (5 optimizer
    steps apart), so they hold no minimum but their end.
    """
    aim = int(aim)
    medians = diagnostics.median(numeric_only=True)
    text = (f"The median network's H0 diagram has **{medians['n_h0_finite_train']:.3g}** "
            f"finite points filtered by train loss and **{medians['n_h0_finite_test']:.3g}** "
            f"filtered by test loss (the aim: at least {aim}).")
    short = [s for s in ("train", "test") if medians[f"n_h0_finite_{s}"] < aim]
    if not short:
        return text + " Both filtrations reach it."
    text += (" Each local minimum of the graph starts a point, and the lowest minimum of "
             "each connected component never dies, so finite points = minima − components.")
    components = medians["n_components"]
    spacing = f" ({steps_per_sample} optimizer steps apart)" if steps_per_sample else ""
    for split in short:
        minima = medians[f"n_minima_{split}"]
        monotone = medians[f"monotone_paths_{split}"]
        text += (f" Filtered by {split} loss the median graph of {medians['n_samples']:.0f} "
                 f"vertices has {minima:.3g} local minima in {components:.3g} "
                 f"component{'s' if components != 1 else ''}: ")
        if components > 1 and components >= minima / 2:
            text += ("the graph's pieces take many of the minima as essential bars; a "
                     "larger k joins them.")
        else:
            text += "too few minima."
        if monotone >= 0.5:
            text += (f" {monotone:.0%} of the retraining paths (median) never rise in "
                     f"{split} loss from one sample to the next{spacing}, so they hold no "
                     "minimum but their end.")
        else:
            neighbours = f"its k = {knn} nearest samples" if knn else "its nearest samples"
            text += (f" Only {monotone:.0%} of the retraining paths (median) never rise in "
                     f"{split} loss{spacing}; a sample where a path rises is still no local "
                     f"minimum of the graph when one of {neighbours}, on this or another "
                     "path, is lower.")
    return text.replace("%", " %")


def merge_tree_summary(tree: Any, optimum: str, correlations: pd.DataFrame) -> str:
    """One merge tree's minima, saddles and average persistence, and their zoo correlations.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from helpers.statistics import correlation_frame
    >>> tree = SimpleNamespace(values=np.zeros(5), minima=np.array([0, 4]), n_saddles=1,
    ...                        n_components=1, average_persistence=0.5)
    >>> t = pd.DataFrame({"s": [1, 3, 2, 5, 4, 6], "test_loss": range(6)})
    >>> rows = correlation_frame(t, "test_loss", ["s"], n_bootstrap=0)
    >>> rows = pd.concat([rows.assign(summary=s, filtration="train_loss", essential=e)
    ...                   for s, e in (("n_saddles", ""), ("average_persistence", "drop"))])
    >>> merge_tree_summary(tree, "good", rows)[:59]
    "Around the good optimum the graph's 5 samples have **2 loca"
    """
    def rho(summary: str) -> str:
        row = _rows(correlations, summary).iloc[0]
        return f"ρ = {row['statistic']:.2f} ({format_p(row['p_value'])}, {row['n']} networks)"

    return (
        f"Around the {optimum} optimum the graph's {tree.values.size} samples have "
        f"**{tree.minima.size} local minima** and **{tree.n_saddles} saddles** "
        f"({tree.n_components} component{'s' if tree.n_components > 1 else ''}); the average "
        f"persistence of its finite H0 points is **{tree.average_persistence:.3g}**. Over the "
        f"zoo, filtered by train loss, the test loss correlates with the number of saddles "
        f"with {rho('n_saddles')} and with the average persistence with "
        f"{rho('average_persistence')}. Xie et al. find, on 2-D loss surfaces of ResNet-20, "
        "more saddles and lower average persistence without residual connections, the "
        "worse-generalizing network."
    )


def persistence_beside_paper(*, networks: str, sampling: str, panels: Mapping[str, Any],
                             correlations: pd.DataFrame, by_decay: pd.DataFrame) -> pd.DataFrame:
    """Chapter 4's results beside Horoi et al. (2022), one row per claim.

    Parameters
    ----------
    networks, sampling : str
        The zoo's networks and how each was sampled (J&R settings).
    panels : mapping of optimum name to LandscapeFeatures
        Fig. 3A's optima.
    correlations : pandas.DataFrame
        :func:`helpers.zoo_statistics.persistence_correlations`.
    by_decay : pandas.DataFrame
        Median total persistence per weight decay (rows) and convention (columns).

    Examples
    --------
    >>> from helpers.statistics import correlation_frame
    >>> t = pd.DataFrame({"tp": [1, 3, 2, 5, 4, 6], "test_loss": range(6)})
    >>> rows = correlation_frame(t, "test_loss", ["tp"], n_bootstrap=0).assign(
    ...     summary="total_persistence_h0", filtration="train_loss", essential="drop")
    >>> table = persistence_beside_paper(networks="6 WRN-10-1", sampling="8 paths",
    ...                                  panels={}, correlations=rows,
    ...                                  by_decay=pd.DataFrame())
    >>> table.loc["Fig. 3B, filtered by train loss, essential bar dropped (the book's)",
    ...           "this run"][:8]
    'ρ = 0.89'
    """
    rows = {
        "networks": ("108 WRNs (depth × width × batch × weight decay × augmentation), CIFAR-10",
                     networks),
        "J&R per network": ("4 directions × 4 steps × 40 epochs, retrain lr 0.001", sampling),
        "Fig. 3A": ("poorly generalizing optima: more high-persistence points",
                    "; ".join(f"{name}: TP(H0) {f.summary['total_persistence_h0']:.3g}, "
                              f"test loss {f.summary['test_loss']:.3g}"
                              for name, f in panels.items()) or "not drawn"),
    }
    for row in _rows(correlations, "total_persistence_h0").itertuples(index=False):
        rows[f"Fig. 3B, {_convention_label(row.filtration, row.essential)}"] = (
            "positive: high total persistence ↔ high test loss",
            f"ρ = {row.statistic:.2f} [{row.low:.2f}, {row.high:.2f}], {format_p(row.p_value)}")
    rows["weight decay (median TP per decay)"] = (
        "1e-3 lowest total persistence, 0 highest",
        "; ".join(f"{column}: " + ", ".join(f"{w:g} → {v:.3g}" for w, v in by_decay[column].items())
                  for column in by_decay.columns) or "not varied")
    return pd.DataFrame(rows, index=["paper (Horoi et al. 2022)", "this run"]).T


# --- Chapter 3: the published ordering ---------------------------------------------------


def ordering_sentence(scores: pd.Series, reference: Mapping[str, float], common: list[str],
                    pairs: pd.DataFrame, agree: int, total: int, missing: list[str],
                    column: str) -> str:
    """The sentence of :func:`helpers.comparison.ordering_agreement`: our ordering beside the
    reference."""
    if not common:
        return "no method is scored both here and in the reference."
    ours = " > ".join(f"{METHOD_LABELS.get(m, m)} {scores[m]:.2f}" for m in scores.index
                      if m in common)
    if agree == total:
        verdict = f"all {total} pairwise comparisons agree with the reference"
    else:
        label = METHOD_LABELS.get
        flipped = [f"{label(p.lower, p.lower)} {'ties' if p.ours_higher == 'tie' else 'beats'}"
                   f" {label(p.higher, p.higher)}" for p in pairs.itertuples() if not p.agree]
        verdict = (f"{agree} of {total} pairwise comparisons agree with the reference; "
                   f"reversed: {', '.join(flipped)}")
    text = f"{column}: {ours}; {verdict}"
    if missing:
        text += f" ({', '.join(METHOD_LABELS.get(m, m) for m in missing)} not compared)"
    return text + "."
