"""Charts of the learning-rate study (Chapter 6): curves with seed bands, persistence images.

Every chart takes the tables of :class:`helpers.lr_study.StudyResult` and fits the
page column (at most :data:`helpers.render.PAGE_WIDTH` px wide): grids wrap into rows
instead of growing sideways.
Rates are coloured the same way everywhere (:func:`rate_color`), annealing epochs are
dashed vertical rules, and a band spans the lowest to the highest seed.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"lr": [0.1, 0.1, 0.01, 0.01], "seed": [0, 0, 0, 0],
...                       "epoch": [1, 2, 1, 2], "value": [1.0, 0.5, 0.8, 0.6]})
>>> chart = band_panel(table, "value", milestones=(1,), title="demo")
>>> [layer.mark.type for layer in chart.layer]
['area', 'line', 'rule']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from scipy import sparse

from helpers.checks import check_choice, check_int
from helpers.render import PAGE_WIDTH

_RATE_COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"]
_VARIANT_TITLES = {"loss": "losses as measured", "shuffle": "shuffled over the vertices",
                   "rank": "ranks"}


def rate_color(rates: Sequence[float]) -> alt.Color:
    """One colour per initial learning rate, the largest first (red), in every chart.

    Examples
    --------
    >>> rate_color([0.01, 0.1]).to_dict()["scale"]["domain"]
    ['0.1', '0.01']
    """
    domain = [f"{r:g}" for r in sorted(set(float(r) for r in rates), reverse=True)]
    colors = (_RATE_COLORS * (len(domain) // len(_RATE_COLORS) + 1))[:len(domain)]
    return alt.Color("rate:N", title="initial lr", scale=alt.Scale(domain=domain, range=colors),
                     sort=domain)


def band_panel(table: pd.DataFrame, value: str, *, milestones: Sequence[int] = (),
               title: str = "", y_title: str | None = None, log: bool = False,
               width: int = 300, height: int = 160) -> alt.LayerChart:
    """Mean over seeds (line) and lowest-to-highest seed (band) of ``value`` per epoch and rate.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``lr, seed, epoch`` and ``value``.
    value : str
        The column drawn.
    milestones : sequence of int
        Annealing epochs, drawn as dashed rules.
    log : bool
        Logarithmic y axis (values must be positive).

    Returns
    -------
    altair.LayerChart
        Band (area), mean (line) and the annealing rules (rule).
    """
    missing = [c for c in ("lr", "seed", "epoch", value) if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {missing}")
    stats = (table.groupby(["lr", "epoch"])[value].agg(["mean", "min", "max"]).reset_index())
    if log and not (stats["min"] > 0).all():
        raise ValueError(f"log needs positive values of {value!r}")
    stats["rate"] = stats["lr"].map("{:g}".format)
    color = rate_color(stats["lr"].unique())
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    x = alt.X("epoch:Q", title="epoch")
    band = alt.Chart(stats).mark_area(opacity=0.25).encode(
        x=x, y=alt.Y("min:Q", scale=scale, title=y_title or value.replace("_", " ")),
        y2="max:Q", color=color)
    line = alt.Chart(stats).mark_line(strokeWidth=1.6).encode(
        x=x, y="mean:Q", color=color,
        tooltip=["rate:N", "epoch:Q", alt.Tooltip("mean:Q", format=".4g"),
                 alt.Tooltip("min:Q", format=".4g"), alt.Tooltip("max:Q", format=".4g")])
    rules = alt.Chart(pd.DataFrame({"epoch": list(milestones)})).mark_rule(
        strokeDash=[4, 3], color="grey").encode(x="epoch:Q")
    return alt.layer(band, line, rules).properties(width=width, height=height, title=title)


def _grid(panels: list[alt.TopLevelMixin], columns: int, title: str = "") -> alt.ConcatChart:
    return alt.concat(*panels, columns=columns, title=title).resolve_scale(y="independent")


def _panel_width(columns: int) -> int:
    # Vega-Lite adds ~65 px of axis and padding per panel, the legend ~80 px.
    return max(80, (PAGE_WIDTH - 80) // columns - 70)


def learning_curves(history: pd.DataFrame, milestones: Sequence[int] = ()) -> alt.ConcatChart:
    """Thesis Figs. 7.1–7.2: train and test loss and accuracy per rate, with seed bands.

    ``history`` is :meth:`helpers.lr_study.StudyResult.history` (lr, seed, epoch,
    split, metric, value). Two columns (train, test), two rows (loss on a log axis,
    accuracy).
    """
    panels = []
    for metric in ("loss", "accuracy"):
        for split in ("train", "test"):
            rows = history[(history["metric"] == metric) & (history["split"] == split)]
            panels.append(band_panel(rows, "value", milestones=milestones,
                                     title=f"{split} {metric}", y_title=metric,
                                     log=metric == "loss" and bool((rows["value"] > 0).all()),
                                     width=_panel_width(2)))
    return _grid(panels, 2, "learning curves (line: mean over seeds; band: lowest to highest)")


def tree_set_curves(table: pd.DataFrame, value: str, milestones: Sequence[int] = (), *,
                    title: str = "", first_epoch: int = 1) -> alt.ConcatChart:
    """One panel per tree and set (thesis Figs. 7.3–7.6 and 7.31–7.34) of ``value`` per epoch.

    ``table`` is :meth:`helpers.lr_study.StudyResult.topology_table` restricted to one
    variant; epochs before ``first_epoch`` are left out (epoch 0 is the untrained
    network).
    """
    check_choice("value", value, ("total_persistence", "wasserstein", "n_points"))
    check_int("first_epoch", first_epoch, minimum=0)
    data = table[table["epoch"] >= first_epoch]
    keys = list(dict.fromkeys(zip(data["tree"], data["set"], strict=True)))
    panels = [band_panel(data[(data["tree"] == tree) & (data["set"] == which)], value,
                         milestones=milestones, title=f"{tree} tree, {which} set",
                         width=_panel_width(2))
              for tree, which in keys]
    return _grid(panels, 2, title)


def control_curves(table: pd.DataFrame, milestones: Sequence[int] = (), *,
                   first_epoch: int = 1) -> alt.ConcatChart:
    """Total persistence per epoch of the losses and of each control, side by side.

    One row per tree and set, one column per variant (``"loss"``, ``"shuffle"``,
    ``"rank"``), each panel on its own y scale.
    """
    data = table[table["epoch"] >= first_epoch]
    variants = [v for v in _VARIANT_TITLES if v in set(data["variant"])]
    keys = list(dict.fromkeys(zip(data["tree"], data["set"], strict=True)))
    panels = [band_panel(data[(data["variant"] == variant) & (data["tree"] == tree)
                              & (data["set"] == which)], "total_persistence",
                         milestones=milestones, title=f"{tree}/{which}: {_VARIANT_TITLES[variant]}",
                         y_title="total persistence",
                         width=_panel_width(len(variants)) - 45, height=120)
              for tree, which in keys for variant in variants]
    return _grid(panels, len(variants), "controls: total persistence per epoch")


def heatmaps(frame: pd.DataFrame, row: str | None, column: str, *, title: str = "",
             row_title: str | None = None, column_title: str | None = None,
             width: int | None = None,
             subtitle: str = "x: birth (loss), y: persistence") -> alt.FacetChart:
    """Persistence images on one shared grid and colour scale (thesis Figs. 7.7–7.30).

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`helpers.loss_fields.heatmap_frame` (pixel edges ``birth``,
        ``birth_end``, ``persistence``, ``persistence_end`` and ``intensity``).
    row : str or None
        Column of ``frame`` laid out as rows of the grid (``None``: one row).
    column : str
        Column of ``frame`` laid out as columns of the grid.
    width : int, optional
        Side of one (square) panel; by default the widest that fits the page.

    Returns
    -------
    altair.FacetChart
        Rectangles coloured by intensity on a square-root scale shared by every panel;
        x is the birth (loss at the minimum or maximum), y the persistence.
    """
    needed = [c for c in (row, column) if c is not None] + [
        "birth", "birth_end", "persistence", "persistence_end", "intensity"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"frame must have the columns {missing}")
    data = frame[needed].copy()
    for name in (row, column):
        if name is not None:
            data[name] = data[name].map(_label)
    n_columns = data[column].nunique()
    width = width or max(40, (PAGE_WIDTH - 200) // n_columns - 6)
    axis = alt.Axis(format="~g", tickCount=3, labelFontSize=9, grid=False, title=None)
    chart = alt.Chart(data).mark_rect(strokeWidth=0).encode(
        x=alt.X("birth:Q", axis=axis, scale=alt.Scale(nice=False, zero=False)),
        x2="birth_end:Q",
        y=alt.Y("persistence:Q", axis=axis, scale=alt.Scale(nice=False)),
        y2="persistence_end:Q",
        color=alt.Color("intensity:Q", scale=alt.Scale(type="sqrt", scheme="viridis"),
                        title="intensity", legend=alt.Legend(gradientLength=80)),
        tooltip=[alt.Tooltip("birth:Q", format=".3g"), alt.Tooltip("persistence:Q", format=".3g"),
                 alt.Tooltip("intensity:Q", format=".3g")],
    ).properties(width=width, height=width)
    facets = {"column": alt.Column(f"{column}:N", sort=list(dict.fromkeys(data[column])),
                                   title=column_title if column_title is not None else column)}
    if row is not None:
        facets["row"] = alt.Row(f"{row}:N", sort=list(dict.fromkeys(data[row])),
                                title=row_title if row_title is not None else row)
    return chart.facet(**facets, spacing=4).properties(title=alt.TitleParams(
        title, subtitle=subtitle))


def heatmap_groups(frame: pd.DataFrame, group: str, column: str, *, columns: int = 2,
                   title: str = "") -> alt.ConcatChart:
    """One row of :func:`heatmaps` per value of ``group``, each with its own grid and colours.

    For images whose scales differ between groups (e.g. trees and sets), side by side
    ``columns`` at a time.
    """
    if group not in frame.columns:
        raise ValueError(f"frame must have the column {group!r}")
    n_panels = frame[column].nunique() * columns
    width = max(40, (PAGE_WIDTH - 150 * columns) // n_panels)
    charts = [heatmaps(rows, None, column, title=str(name), column_title="", width=width)
              for name, rows in frame.groupby(group, sort=False)]
    return alt.concat(*charts, columns=columns, title=title).resolve_scale(
        color="independent", x="independent", y="independent")


def _label(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "with skips" if value else "without skips"
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)


def degree_histogram(graphs: Mapping[str, sparse.spmatrix]) -> alt.Chart:
    """How many vertices have each degree, one step line per set's graph.

    Examples
    --------
    >>> from scipy import sparse
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(4, 4), format="csr")
    >>> chart = degree_histogram({"train": path})
    >>> chart.data[["degree", "vertices"]].values.tolist()
    [[1, 2], [2, 2]]
    """
    rows = []
    for name, graph in graphs.items():
        degree = np.diff(sparse.csr_matrix(graph).indptr)
        counts = np.bincount(degree)
        rows += [{"set": name, "degree": int(d), "vertices": int(counts[d])}
                 for d in range(int(degree.min()), int(degree.max()) + 1)]
    return alt.Chart(pd.DataFrame(rows)).mark_line(interpolate="step", point=True).encode(
        x=alt.X("degree:Q", title="degree (neighbours of a vertex)", scale=alt.Scale(zero=False)),
        y=alt.Y("vertices:Q", title="vertices"),
        color=alt.Color("set:N", title="set"),
        tooltip=["set:N", "degree:Q", "vertices:Q"],
    ).properties(width=PAGE_WIDTH - 140, height=150,
                 title="degree of the vertices of each graph")
