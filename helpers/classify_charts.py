"""Charts of the classifier table (:mod:`helpers.classify`): heatmaps and Table 1 itself.

* :func:`accuracy_heatmap` — one task: classifiers × feature sets, coloured by
  accuracy, the value written in each cell, the fold spread on hover.
* :func:`accuracy_heatmaps` — one heatmap per task, stacked (each fits the 680-pixel
  page column).
* :func:`table_chart` — Table 1 as a coloured grid: "mean ± s.e." per feature set and
  task, coloured by the gain over chance, with the classifier range, the fold spread,
  the paper's value and the permutation p-value on hover.

Examples
--------
>>> per_classifier = pd.DataFrame({"task": "augment", "feature_set": ["jr", "jr", "grid", "grid"],
...     "classifier": ["knn", "lda"] * 2, "mean": [0.7, 0.6, 0.55, 0.5],
...     "std": [0.1, 0.2, 0.1, 0.1], "min": [0.5, 0.3, 0.4, 0.3], "max": [0.9, 0.9, 0.7, 0.6],
...     "n_folds": 10})
>>> chart = accuracy_heatmap(per_classifier, "augment", chance=0.5)
>>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
['rect', 'text']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from helpers.classifiers import CLASSIFIER_LABELS
from helpers.render import PAGE_WIDTH

__all__ = ["accuracy_heatmap", "accuracy_heatmaps", "table_chart"]

# Room left of and right of the cells: row names (cut at _LABELS_PX - 20 pixels) and the
# colour legend; what is left is shared by the cells.
_LABELS_PX, _LEGEND_PX = 190, 100
_PER_CLASSIFIER = ("task", "feature_set", "classifier", "mean", "std", "min", "max",
                   "n_folds")
_TABLE = ("task", "feature_set", "mean", "sem", "low", "high", "n_classifiers", "chance")


def accuracy_heatmap(per_classifier: pd.DataFrame, task: str, *,
                     chance: float | None = None, title: str | None = None,
                     feature_set_labels: Mapping[str, str] | None = None) -> alt.LayerChart:
    """Classifiers × feature sets for one task, coloured by cross-validated accuracy.

    Parameters
    ----------
    per_classifier : pandas.DataFrame
        :attr:`helpers.classify.ClassifierTable.per_classifier_` (``task``,
        ``feature_set``, ``classifier``, ``mean``, ``std``, ``min``, ``max``,
        ``n_folds``).
    task : str
        The task drawn.
    chance : float, optional
        The colour scale starts here (one over the number of classes); without it, at
        the lowest accuracy drawn. Values below it take its colour.
    title : str, optional
        Default: the task's name.
    feature_set_labels : mapping, optional
        Column headers for the feature sets (default: their names).

    Returns
    -------
    altair.LayerChart
        Rectangles and their text; the tooltip gives the classifier, feature set, mean,
        fold standard deviation, lowest and highest fold and number of folds. Feature
        sets keep their order in the frame; classifiers follow
        :data:`helpers.classifiers.CLASSIFIERS`.
    """
    data = _rows(per_classifier, _PER_CLASSIFIER, "per_classifier")
    if task not in set(data["task"]):
        raise ValueError(f"task must be one of {list(dict.fromkeys(data['task']))}; "
                         f"got {task!r}")
    data = data[data["task"] == task].copy()
    labels = dict(feature_set_labels or {})
    data["features"] = [labels.get(s, s) for s in data["feature_set"]]
    data["name"] = [CLASSIFIER_LABELS.get(c, c) for c in data["classifier"]]
    columns = list(dict.fromkeys(data["features"]))
    rows = [CLASSIFIER_LABELS.get(c, c) for c in
            sorted(dict.fromkeys(data["classifier"]), key=_classifier_order)]
    cell = max(24, min(70, (PAGE_WIDTH - _LABELS_PX - _LEGEND_PX) // len(columns)))
    low = chance if chance is not None else float(data["mean"].min())
    color = alt.Color("mean:Q", title="accuracy", legend=alt.Legend(format=".0%"),
                      scale=alt.Scale(scheme="blues", domain=[low, 1.0], clamp=True))
    base = alt.Chart(data).encode(
        x=alt.X("features:N", sort=columns, title=None, axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("name:N", sort=rows, title=None, axis=alt.Axis(labelLimit=_LABELS_PX - 20)))
    tooltip = ["name:N", "features:N", alt.Tooltip("mean:Q", format=".1%", title="accuracy"),
               alt.Tooltip("std:Q", format=".1%", title="fold std"),
               alt.Tooltip("min:Q", format=".1%", title="lowest fold"),
               alt.Tooltip("max:Q", format=".1%", title="highest fold"),
               alt.Tooltip("n_folds:Q", title="folds")]
    rects = base.mark_rect().encode(color=color, tooltip=tooltip)
    midpoint = low + (1.0 - low) / 2
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("mean:Q", format=".0%"), tooltip=tooltip,
        color=alt.condition(f"datum.mean > {midpoint}", alt.value("white"), alt.value("black")))
    return alt.layer(rects, text).properties(
        width=cell * len(columns), height=18 * len(rows),
        title=title if title is not None else task.replace("_", " "))


def accuracy_heatmaps(per_classifier: pd.DataFrame, *, tasks: Sequence[str] | None = None,
                      chance: Mapping[str, float] | None = None,
                      titles: Mapping[str, str] | None = None,
                      feature_set_labels: Mapping[str, str] | None = None) -> alt.VConcatChart:
    """:func:`accuracy_heatmap` for each task, stacked vertically, independent colour scales.

    ``chance`` and ``titles`` map a task to its chance level and title
    (:attr:`helpers.classify.ClassifierTable.chance_`).

    Examples
    --------
    >>> rows = pd.DataFrame({"task": ["a", "b"], "feature_set": "jr", "classifier": "knn",
    ...                      "mean": 0.6, "std": 0.1, "min": 0.5, "max": 0.7, "n_folds": 5})
    >>> [panel["title"] for panel in accuracy_heatmaps(rows).to_dict()["vconcat"]]
    ['a', 'b']
    """
    data = _rows(per_classifier, _PER_CLASSIFIER, "per_classifier")
    available = list(dict.fromkeys(data["task"]))
    chosen = available if tasks is None else list(tasks)
    for task in chosen:
        if task not in available:
            raise ValueError(f"tasks must name tasks of per_classifier {available}; "
                             f"got {task!r}")
    charts = [accuracy_heatmap(data, task, chance=(chance or {}).get(task),
                               title=(titles or {}).get(task),
                               feature_set_labels=feature_set_labels) for task in chosen]
    return alt.vconcat(*charts).resolve_scale(color="independent")


def table_chart(table: pd.DataFrame, *, paper: Mapping[str, Mapping[str, Any]] | None = None,
                p_values: pd.DataFrame | None = None,
                per_classifier: pd.DataFrame | None = None,
                task_labels: Mapping[str, str] | None = None,
                feature_set_labels: Mapping[str, str] | None = None) -> alt.LayerChart:
    """Table 1 as a grid: feature sets × tasks, "mean ± s.e." (%), coloured by gain over chance.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`helpers.classify.ClassifierTable.table_`.
    paper : mapping, optional
        ``paper[feature_set][task] = (mean %, s.e. %)``, e.g.
        :data:`helpers.classify.PAPER_TABLE`; shown on hover where present.
    p_values : pandas.DataFrame, optional
        :meth:`helpers.classify.ClassifierTable.permutation_test`'s frame; its
        ``p_value`` shown on hover.
    per_classifier : pandas.DataFrame, optional
        :attr:`helpers.classify.ClassifierTable.per_classifier_`; the fold spread shown on
        hover: the classifiers' mean fold standard deviation, and the lowest and highest
        fold accuracy of any classifier.
    task_labels, feature_set_labels : mapping, optional
        Column and row headers.

    Returns
    -------
    altair.LayerChart
        Rectangles coloured by accuracy minus chance (points), with the text on top.

    Examples
    --------
    >>> table = pd.DataFrame({"task": "augment", "feature_set": ["jr", "grid"],
    ...     "mean": [0.72, 0.62], "sem": [0.05, 0.05], "low": [0.6, 0.5], "high": [0.8, 0.7],
    ...     "n_classifiers": 11, "chance": 0.5})
    >>> spec = table_chart(table, paper={"jr": {"augment": (72.1, 5.4)}}).to_dict()
    >>> [(row["text"], row["paper"]) for row in spec["datasets"][spec["data"]["name"]]]
    [('72.0 ± 5.0', '72.1 ± 5.4'), ('62.0 ± 5.0', '—')]
    """
    data = _rows(table, _TABLE, "table").copy()
    tasks, sets = dict(task_labels or {}), dict(feature_set_labels or {})
    data["column"] = [tasks.get(t, t) for t in data["task"]]
    data["row"] = [sets.get(s, s) for s in data["feature_set"]]
    data["gain"] = 100 * (data["mean"] - data["chance"])
    data["text"] = [f"{100 * m:.1f}" + ("" if pd.isna(s) else f" ± {100 * s:.1f}")
                    for m, s in zip(data["mean"], data["sem"], strict=True)]
    data["classifier_range"] = [f"{100 * lo:.1f} – {100 * hi:.1f}"
                                for lo, hi in zip(data["low"], data["high"], strict=True)]
    reference = paper or {}
    data["paper"] = [_paper_cell(reference, s, t) for s, t in
                     zip(data["feature_set"], data["task"], strict=True)]
    tooltip = [alt.Tooltip("row:N", title="features"), alt.Tooltip("column:N", title="task"),
               alt.Tooltip("text:N", title="mean ± s.e. (%)"),
               alt.Tooltip("classifier_range:N", title="classifiers (%)"),
               alt.Tooltip("n_classifiers:Q", title="classifiers"),
               alt.Tooltip("chance:Q", format=".1%"), alt.Tooltip("paper:N", title="paper (%)")]
    if p_values is not None:
        p = _rows(p_values, ("task", "feature_set", "p_value"), "p_values")
        data = data.merge(p[["task", "feature_set", "p_value"]], on=["task", "feature_set"],
                          how="left")
        tooltip.append(alt.Tooltip("p_value:Q", format=".3g", title="permutation p"))
    if per_classifier is not None:
        folds = _rows(per_classifier, _PER_CLASSIFIER, "per_classifier")
        spread = (folds.groupby(["task", "feature_set"], sort=False)
                  .agg(fold_std=("std", "mean"), fold_low=("min", "min"),
                       fold_high=("max", "max")).reset_index())
        spread["fold_range"] = [f"{100 * lo:.1f} – {100 * hi:.1f}" for lo, hi in
                                zip(spread["fold_low"], spread["fold_high"], strict=True)]
        data = data.merge(spread[["task", "feature_set", "fold_std", "fold_range"]],
                          on=["task", "feature_set"], how="left")
        tooltip += [alt.Tooltip("fold_std:Q", format=".1%",
                                title="fold std (mean over classifiers)"),
                    alt.Tooltip("fold_range:N", title="folds, lowest – highest (%)")]
    columns, rows = list(dict.fromkeys(data["column"])), list(dict.fromkeys(data["row"]))
    base = alt.Chart(data).encode(x=alt.X("column:N", sort=columns, title=None,
                                          axis=alt.Axis(orient="top", labelAngle=0)),
                                  y=alt.Y("row:N", sort=rows, title=None,
                                          axis=alt.Axis(labelLimit=_LABELS_PX - 20)))
    rects = base.mark_rect(opacity=0.6).encode(  # light enough to read the text on
        color=alt.Color("gain:Q", title=["points", "above chance"],
                        scale=alt.Scale(scheme="redblue", domainMid=0, reverse=True)),
        tooltip=tooltip)
    text = base.mark_text(fontSize=12).encode(text="text:N", tooltip=tooltip)
    width = min(130 * len(columns), PAGE_WIDTH - _LABELS_PX - _LEGEND_PX)
    return alt.layer(rects, text).properties(width=width, height=28 * len(rows))


def _rows(frame: Any, columns: Sequence[str], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} must have the columns {list(columns)}; missing {missing}")
    if frame.empty:
        raise ValueError(f"{name} must not be empty")
    return frame


def _classifier_order(name: str) -> int:
    order = list(CLASSIFIER_LABELS)
    return order.index(name) if name in order else len(order)


def _paper_cell(paper: Mapping[str, Mapping[str, Any]], feature_set: str, task: str) -> str:
    value = paper.get(feature_set, {}).get(task)
    if value is None:
        return "—"
    mean, sem = value
    return f"{mean:.1f}" if sem is None else f"{mean:.1f} ± {sem:.1f}"
