"""Altair chart specs of the book: learning curves, retraining curves, embeddings.

Every function returns an Altair chart that fits the page column
(:data:`helpers.render.PAGE_WIDTH` pixels, legends included): charts of several panels
narrow their panels (:func:`fit_width`) or wrap them onto more lines (:func:`row`) as
the page needs. Persistence diagrams and merge trees are in
:mod:`helpers.topology_charts`. Charts render with no internet connection once
:func:`helpers.render.enable` has run.

Examples
--------
>>> optimum_color().to_dict()["scale"]["domain"]
['good', 'bad', 'memorization']
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import altair as alt
import numpy as np
import pandas as pd

from helpers.checks import check_choice, check_int
from helpers.config import OPTIMA
from helpers.embedding import LINEAR_METHODS, METHOD_LABELS
from helpers.render import PAGE_WIDTH, chart_size

ChartT = TypeVar("ChartT", bound=alt.TopLevelMixin)

#: One colour per optimum kind, in :data:`helpers.config.OPTIMA` order.
_PALETTE = dict(zip(OPTIMA, ("#1b9e77", "#d95f02", "#7570b3"), strict=True))


def optimum_color(title: str = "optimum") -> alt.Color:
    """The book's one colour code for good / bad / memorization optima."""
    return alt.Color("optimum:N", title=title,
                     scale=alt.Scale(domain=list(OPTIMA), range=list(_PALETTE.values())))


def fit_width(build: Callable[[int], ChartT], width: int, columns: int, *,
              page_width: int = PAGE_WIDTH, minimum: int = 60) -> ChartT:
    """``build(w)`` for the widest panel width ``w <= width`` at which it fits the page.

    The chart is measured as drawn (:func:`helpers.render.chart_size`: axes, legends,
    titles and spacing included); when it is wider than ``page_width``, each of the
    ``columns`` panels of its widest line gives up an equal share of the excess and it
    is built again.

    Parameters
    ----------
    build : callable
        ``build(panel_width)`` returns the chart.
    width : int
        The panel width wanted, in pixels (the largest used).
    columns : int
        Panels side by side in the chart's widest line.
    page_width : int, default :data:`helpers.render.PAGE_WIDTH`
    minimum : int, default 60
        Narrowest panel accepted.

    Returns
    -------
    chart
        What ``build`` returned, no wider than ``page_width``.

    Raises
    ------
    ValueError
        If the chart cannot fit with panels at least ``minimum`` wide.

    Examples
    --------
    >>> data = pd.DataFrame({"x": [1, 2], "panel": ["a", "b"]})
    >>> def build(w):
    ...     return alt.Chart(data).mark_point().encode(x="x:Q").properties(width=w).facet(
    ...         column="panel:N")
    >>> chart = fit_width(build, 400, columns=2)
    >>> chart.to_dict()["spec"]["width"] < 400
    True
    """
    width = check_int("width", width, minimum=1)
    columns = check_int("columns", columns, minimum=1)
    chart = build(width)
    for _ in range(4):  # tick labels may change with the width: converge in a few steps
        total = chart_size(chart)[0]
        if total <= page_width:
            return chart
        width -= math.ceil((total - page_width) / columns)
        if width < minimum:
            break
        chart = build(width)
    raise ValueError(f"columns: {columns} panels side by side do not fit {page_width} px "
                     f"with panels at least {minimum} px wide; use fewer columns")


def learning_curves(history: pd.DataFrame, metric: str = "loss", log_loss: bool = True,
                    width: int = 280, height: int = 220) -> alt.FacetChart:
    """Train and test curves of each optimum and seed, side by side.

    Parameters
    ----------
    history : DataFrame
        Long table from :func:`helpers.train.histories` (optimum, seed, epoch, split,
        metric, value).
    metric : {"loss", "accuracy"}
    log_loss : bool
        Logarithmic y axis for the loss (memorization drives it towards 0).
    width, height : int
        Size of one panel in pixels; panels narrow to fit the page (:func:`fit_width`).

    Notes
    -----
    Clicking an optimum in the legend shows only its curves (shift-click for more);
    hovering a curve shows its optimum, seed, epoch and value.
    """
    check_choice("metric", metric, ("loss", "accuracy"))
    data = history[history["metric"] == metric]
    scale = alt.Scale(type="log") if (metric == "loss" and log_loss) else alt.Scale(zero=False)

    def build(panel_width: int) -> alt.FacetChart:
        pick = alt.selection_point(fields=["optimum"], bind="legend")
        return (
            alt.Chart(data)
            .mark_line(strokeWidth=1.5)
            .encode(
                x=alt.X("epoch:Q", title="epoch"),
                y=alt.Y("value:Q", title=metric, scale=scale),
                color=optimum_color().legend(orient="bottom"),  # under both panels
                detail="seed:N",
                opacity=alt.condition(pick, alt.value(0.9), alt.value(0.08)),
                tooltip=["optimum:N", "seed:N", "epoch:Q",
                         alt.Tooltip("value:Q", format=".4g")],
            )
            .properties(width=panel_width, height=height)
            .facet(column=alt.Column("split:N", title=None, sort=["train", "test"]))
            .add_params(pick)
            .properties(title=f"{metric} during training (click the legend to filter)")
        )

    return fit_width(build, width, columns=data["split"].nunique() or 1)


def final_accuracy(summary: pd.DataFrame) -> alt.LayerChart:
    """Final train and test accuracy per optimum, mean over seeds with ±1 std bars.

    ``summary`` is the table of :func:`helpers.train.summarize`.
    """
    rows = []
    for optimum, row in summary.iterrows():
        for split in ("train", "test"):
            mean, std = row[(f"{split}_accuracy", "mean")], row[(f"{split}_accuracy", "std")]
            std = 0.0 if pd.isna(std) else std
            rows.append({"optimum": optimum, "split": split, "mean": mean,
                         "low": mean - std, "high": mean + std})
    data = pd.DataFrame(rows)
    base = alt.Chart(data).encode(
        y=alt.Y("optimum:N", sort=list(OPTIMA), title=None),
        yOffset=alt.YOffset("split:N", sort=["train", "test"]),
    )
    bars = base.mark_bar().encode(
        x=alt.X("mean:Q", title="accuracy", scale=alt.Scale(domain=[0, 1])),
        color=optimum_color(),
        opacity=alt.Opacity("split:N", sort=["train", "test"],
                            scale=alt.Scale(range=[0.45, 1.0]), title="split"),
        tooltip=["optimum:N", "split:N", alt.Tooltip("mean:Q", format=".3f"),
                 alt.Tooltip("low:Q", format=".3f"), alt.Tooltip("high:Q", format=".3f")],
    )
    errors = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
    return (bars + errors).properties(width=420, height=180,
                                      title="final accuracy (mean ± std over seeds)")


def retraining_curves(table: pd.DataFrame, metric: str = "train_loss",
                      width: int = 150, height: int = 180) -> alt.FacetChart:
    """Loss (or accuracy) against optimizer steps since the jump, one line per seed,
    coloured by step size.

    ``table`` is a jump-and-retrain sample table with an ``optimum`` column (one facet
    each, side by side, narrowed to fit the page: :func:`fit_width`); the optimum's own
    value is drawn as a dashed rule.
    """
    check_choice("metric", metric, ("train_loss", "train_accuracy", "test_loss", "test_accuracy"))
    log = metric.endswith("loss")
    data = table.assign(run=table["seed"].astype(str) + "/" + table["step_size"].astype(str))
    # Layers without data of their own take the facet's rows: one optimum per panel.
    lines = alt.Chart().transform_filter("datum.kind != 'optimum'").mark_line(
        strokeWidth=1.2, point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("steps:Q", title="optimizer steps since the jump"),
        y=alt.Y(f"{metric}:Q", title=metric.replace("_", " "),
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("step_size:O", title="step size", scale=alt.Scale(scheme="viridis"),
                        legend=alt.Legend(orient="bottom")),  # under the panels: wider panels
        detail="run:N",
        tooltip=["optimum:N", "seed:N", "step_size:Q", "epoch:Q", "steps:Q",
                 alt.Tooltip(f"{metric}:Q", format=".4g")],
    )
    rule = alt.Chart().transform_filter("datum.kind == 'optimum'").mark_rule(
        strokeDash=[4, 3], color="black").encode(y=f"{metric}:Q")

    def build(panel_width: int) -> alt.FacetChart:
        return (alt.layer(lines, rule, data=data).properties(width=panel_width, height=height)
                .facet(column=alt.Column("optimum:N", sort=list(OPTIMA), title=None))
                .resolve_scale(y="independent")
                .properties(title=f"{metric.replace('_', ' ')} while retraining after each jump"))

    return fit_width(build, width, columns=max(data["optimum"].nunique(), 1))


def trajectories(points: pd.DataFrame, title: str = "", width: int = 230,
                 height: int = 230) -> alt.LayerChart:
    """Embedded J&R samples as in Horoi et al. (2022), Fig. 2, bottom row.

    ``points`` is a sample table with embedding coordinates ``x`` and ``y``.
    Retraining trajectories are coloured by seed, fading towards white as retraining
    proceeds; jump-init points are diamonds coloured by step size; the optimum is a
    black star. Hover for seed, step size, epoch and loss. At the default size, with its
    legends, two fit side by side on the page (:func:`row`).
    """
    tooltip = ["seed:N", "step_size:Q", "epoch:Q", alt.Tooltip("train_loss:Q", format=".4g")]
    axis = dict(axis=None)
    retrain = points[points["kind"] == "retrain"].copy()
    last = max(int(retrain["epoch"].max()), 1) if len(retrain) else 1
    retrain["fade"] = 1.0 - 0.8 * (retrain["epoch"] - 1) / last
    paths = alt.Chart(retrain).mark_line(strokeWidth=0.8, opacity=0.5).encode(
        x=alt.X("x:Q", **axis), y=alt.Y("y:Q", **axis), detail=["seed:N", "step_size:Q"],
        order="epoch:Q", color=alt.Color("seed:N", title="seed", scale=alt.Scale(scheme="set1")))
    dots = alt.Chart(retrain).mark_circle(size=28).encode(
        x="x:Q", y="y:Q", color=alt.Color("seed:N", scale=alt.Scale(scheme="set1")),
        opacity=alt.Opacity("fade:Q", legend=None, scale=alt.Scale(domain=[0, 1])),
        tooltip=tooltip)
    jumps = alt.Chart(points[points["kind"] == "jump"]).mark_point(
        shape="diamond", filled=True, size=90, stroke="black", strokeWidth=0.5).encode(
        x="x:Q", y="y:Q", fill=alt.Fill("step_size:O", title="jump step",
                                        scale=alt.Scale(scheme="oranges")), tooltip=tooltip)
    optimum = alt.Chart(points[points["kind"] == "optimum"]).mark_point(
        shape="cross", filled=True, size=220, color="black").encode(x="x:Q", y="y:Q",
                                                                    tooltip=tooltip)
    # Retraining dots over the diamonds: short retrains would otherwise hide under them.
    return (paths + jumps + dots + optimum).properties(width=width, height=height, title=title
                                                       ).resolve_scale(color="shared")


def landscape_points(points: pd.DataFrame, title: str = "", width: int = 190,
                     height: int = 190) -> alt.LayerChart:
    """Embedded samples coloured by log training loss (Horoi et al. 2022, Fig. 2, top row).

    The colour bar lies under the points, so the chart is as wide as its panel: three fit
    side by side on the page at the default size (:func:`row`).
    """
    data = points.assign(log10_loss=np.log10(points["train_loss"].clip(lower=1e-12)))
    legend = alt.Legend(orient="bottom", direction="horizontal", titleOrient="left",
                        titleAnchor="middle", gradientLength=max(40, width - 125))
    dots = alt.Chart(data).mark_circle(size=26, opacity=0.85).encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None),
        color=alt.Color("log10_loss:Q", title="log10 train loss", legend=legend,
                        scale=alt.Scale(scheme="viridis")),
        tooltip=["kind:N", "seed:N", "step_size:Q", "epoch:Q",
                 alt.Tooltip("train_loss:Q", format=".4g")])
    optimum = alt.Chart(data[data["kind"] == "optimum"]).mark_point(
        shape="cross", filled=True, size=220, color="red").encode(x="x:Q", y="y:Q")
    return (dots + optimum).properties(width=width, height=height, title=title)


def toy_schematic(surface: pd.DataFrame, paths: pd.DataFrame, width: int = 320,
                  height: int = 320) -> alt.LayerChart:
    """Jump and retrain on a two-parameter toy loss (:mod:`helpers.toy_landscape`).

    ``surface`` has columns ``u, v, loss`` on a square grid (drawn as a heat map of
    log loss); ``paths`` is :func:`helpers.toy_landscape.toy_jump_and_retrain`'s table: dotted
    jumps from the minimum, retraining paths coloured by seed, diamonds at the jumps.
    """
    side = int(round(len(surface) ** 0.5))
    half = float(surface["u"].max() - surface["u"].min()) / max(side - 1, 1) / 2
    extent = float(surface["u"].abs().max())
    scale = alt.Scale(domain=[-extent - half, extent + half], nice=False, zero=False)
    cells = surface.assign(log10_loss=np.log10(surface["loss"] + 1e-3), u0=surface["u"] - half,
                           u1=surface["u"] + half, v0=surface["v"] - half, v1=surface["v"] + half)
    background = alt.Chart(cells).mark_rect().encode(
        x=alt.X("u0:Q", title="parameter 1", scale=scale), x2="u1:Q",
        y=alt.Y("v0:Q", title="parameter 2", scale=scale), y2="v1:Q",
        color=alt.Color("log10_loss:Q", title="log10 loss",
                        scale=alt.Scale(scheme="greys", reverse=True)))
    moves = paths[paths["kind"] != "optimum"]
    jumps = moves[moves["kind"] == "jump"]
    origin = paths[paths["kind"] == "optimum"]
    jump_lines = pd.concat([origin.assign(seed=s, step_size=t, order=0)
                            for s, t in zip(jumps["seed"], jumps["step_size"], strict=True)]
                           + [jumps.assign(order=1)])
    tooltip = ["seed:N", "step_size:Q", "epoch:Q", alt.Tooltip("loss:Q", format=".3g")]
    seed_color = alt.Color("seed:N", title="seed", scale=alt.Scale(scheme="set1"))
    dashed = alt.Chart(jump_lines).mark_line(strokeDash=[2, 3], color="black", opacity=0.6
                                             ).encode(x="u:Q", y="v:Q", order="order:Q",
                                                      detail=["seed:N", "step_size:Q"])
    retrain = alt.Chart(moves).mark_line(strokeWidth=2).encode(
        x="u:Q", y="v:Q", order="epoch:Q", detail="step_size:Q", color=seed_color,
        tooltip=tooltip)
    diamonds = alt.Chart(jumps).mark_point(shape="diamond", filled=True, size=90,
                                           stroke="black").encode(
        x="u:Q", y="v:Q", fill=alt.Fill("seed:N", scale=alt.Scale(scheme="set1"), legend=None),
        tooltip=tooltip)
    optimum = alt.Chart(origin).mark_point(shape="cross", filled=True, size=220,
                                           color="red").encode(x="u:Q", y="v:Q")
    return (background + dashed + retrain + diamonds + optimum).properties(
        width=width, height=height, title="jump (dotted) and retrain (coloured) on a toy valley")


def row(charts: list[alt.TopLevelMixin], title: str = "", *, columns: int | None = None,
        page_width: int = PAGE_WIDTH) -> alt.ConcatChart:
    """Charts side by side, each keeping its own scales and legends, wrapped to fit the page.

    Parameters
    ----------
    charts : list of Altair charts
        In reading order.
    title : str
    columns : int, optional
        Charts per line. By default the most that fit ``page_width``, measured as drawn
        (:func:`helpers.render.chart_size`): all on one line when they fit, else wrapped
        onto as few lines as the widest charts allow.
    page_width : int, default :data:`helpers.render.PAGE_WIDTH`

    Returns
    -------
    altair.ConcatChart
        ``concat`` of the charts with ``columns`` per line.

    Raises
    ------
    ValueError
        If ``charts`` is empty or a single chart is wider than ``page_width``.

    Examples
    --------
    >>> data = pd.DataFrame({"x": [1, 2]})
    >>> square = alt.Chart(data).mark_point().encode(x="x:Q").properties(width=250, height=50)
    >>> row([square, square, square]).to_dict()["columns"]  # two lines: 2 + 1
    2
    """
    if not charts:
        raise ValueError("charts must hold at least one chart")
    if columns is not None:
        columns = check_int("columns", columns, minimum=1)
        return _concat(charts, title, columns)
    widths = [chart_size(chart)[0] for chart in charts]
    too_wide = [i for i, w in enumerate(widths) if w > page_width]
    if too_wide:
        raise ValueError(f"charts[{too_wide[0]}] is {widths[too_wide[0]]:.0f} px wide, wider "
                         f"than the page ({page_width} px): make it narrower")
    for columns in range(len(charts), 0, -1):
        # Columns as wide as their widest chart, 20 px apart (Vega-Lite's spacing).
        grid = [max(widths[i::columns]) for i in range(columns)]
        if sum(grid) + 20 * (columns - 1) > page_width:
            continue
        chart = _concat(charts, title, columns)
        if columns == 1 or chart_size(chart)[0] <= page_width:
            return chart
    return _concat(charts, title, 1)  # pragma: no cover - one column always fits


def _concat(charts: list[alt.TopLevelMixin], title: str, columns: int) -> alt.ConcatChart:
    return alt.concat(*charts, columns=columns, title=title, align="each").resolve_scale(
        color="independent", fill="independent", shape="independent")


def embedding_panels(embeddings: dict[Any, Any], table: pd.DataFrame) -> pd.DataFrame:
    """One long table of several embeddings of the same points, ready for small multiples.

    Parameters
    ----------
    embeddings : mapping
        Panel key to coordinates: an :class:`helpers.embedding.Embedding` or an array of
        shape ``(len(table), 2)`` or more (the first two columns are drawn). A key
        ``(method, metric)``, as in :func:`helpers.comparison.compare_embeddings`, is
        named like "PHATE · cosine" (a linear method by its name alone); any other key
        by ``str(key)``.
    table : pandas.DataFrame
        One row per point (e.g. a :class:`helpers.sample_table.Samples` table), row ``i``
        for coordinate row ``i``.

    Returns
    -------
    pandas.DataFrame
        ``len(table) · len(embeddings)`` rows: ``panel`` (the name), ``sample`` (the row
        of ``table``, the same in every panel), ``x``, ``y`` and the columns of
        ``table``. ``frame.attrs["panels"]`` lists the panels in order.

    Examples
    --------
    >>> import numpy as np
    >>> points = embedding_panels({("pca", "euclidean"): np.eye(3, 2),
    ...                            ("umap", "cosine"): np.ones((3, 2))},
    ...                           pd.DataFrame({"seed": [0, 1, 2]}))
    >>> points.attrs["panels"], len(points)
    (['PCA', 'UMAP · cosine'], 6)
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame; got {type(table).__name__}")
    if not embeddings:
        raise ValueError("embeddings must hold at least one embedding")
    clashes = sorted({"panel", "sample", "x", "y"} & set(table.columns))
    if clashes:
        raise ValueError(f"table must not have the columns {clashes}: they are added here")
    frames, names = [], []
    base = table.reset_index(drop=True)
    for key, value in embeddings.items():
        coordinates = np.asarray(getattr(value, "coordinates", value), dtype=np.float64)
        if coordinates.ndim != 2 or coordinates.shape[0] != len(base) or coordinates.shape[1] < 2:
            raise ValueError(f"embeddings[{key!r}] must have shape ({len(base)}, 2 or more); "
                             f"got {coordinates.shape}")
        name = panel_name(key)
        if name in names:
            raise ValueError(f"embeddings must have distinct panel names; {name!r} repeats")
        names.append(name)
        frames.append(base.assign(panel=name, sample=np.arange(len(base)),
                                  x=coordinates[:, 0], y=coordinates[:, 1]))
    points = pd.concat(frames, ignore_index=True)
    points.attrs["panels"] = names
    return points


def panel_name(key: Any) -> str:
    """ "PHATE · cosine" for ``("phate", "cosine")``, "PCA" for ``("pca", "euclidean")``.

    Examples
    --------
    >>> panel_name(("tsne", "euclidean")), panel_name(("random_plane", "euclidean"))
    ('t-SNE · euclidean', 'random plane')
    """
    if isinstance(key, tuple) and len(key) == 2 and key[0] in METHOD_LABELS:
        method, metric = key
        if method in LINEAR_METHODS:
            return METHOD_LABELS[method]
        return f"{METHOD_LABELS[method]} · {metric}"
    return str(key)


def _check_fields(points: pd.DataFrame, **fields: Any) -> None:
    if not isinstance(points, pd.DataFrame) or not {"panel", "x", "y"} <= set(points.columns):
        raise ValueError("points must be a table of embedding_panels (columns panel, x, y)")
    for name, value in fields.items():
        listed = [value] if isinstance(value, str) else list(value or [])
        for column in listed:
            if column.split(":")[0] not in points.columns:
                raise ValueError(f"{name} must name columns of points; {column!r} is not "
                                 f"among {list(points.columns)}")


def _colour(points: pd.DataFrame, color: str) -> alt.Color:
    """Nominal colours from tableau10 (tableau20 beyond 10 values); viridis otherwise."""
    field, _, kind = color.partition(":")
    kind = kind or "N"
    if kind == "N":
        scheme = "tableau10" if points[field].nunique() <= 10 else "tableau20"
    else:
        scheme = "viridis"
    return alt.Color(f"{field}:{kind}", title=field, scale=alt.Scale(scheme=scheme))


def _used_columns(points: pd.DataFrame, *fields: str | None) -> pd.DataFrame:
    """Only the columns a chart draws: keeps the data inlined in the page small."""
    names = ["panel", "sample", "x", "y", *(f.split(":")[0] for f in fields if f)]
    kept = [c for c in dict.fromkeys(names) if c in points.columns]
    return points[kept]


def _panels(points: pd.DataFrame) -> list[str]:
    return list(points.attrs.get("panels") or pd.unique(points["panel"]))


def _tooltip(points: pd.DataFrame, tooltip: list[str] | None) -> list[Any]:
    listed = ["panel", *(tooltip or [])]
    out = []
    for column in listed:
        field = column.split(":")[0]
        if ":" in column:
            out.append(column)
        elif pd.api.types.is_float_dtype(points[field]):
            out.append(alt.Tooltip(f"{field}:Q", format=".4g"))
        elif pd.api.types.is_numeric_dtype(points[field]):
            out.append(f"{field}:Q")
        else:
            out.append(f"{field}:N")
    return out


def embedding_grid(points: pd.DataFrame, color: str, *, fade: str | None = None,
                   path: list[str] | None = None, order: str | None = None,
                   emphasize: str | None = None, tooltip: list[str] | None = None,
                   columns: int = 3, width: int = 170, height: int = 170,
                   title: str = "") -> alt.ConcatChart:
    """Small multiples: the same points in several embeddings, one panel each.

    As in Horoi et al. (2021), Fig. 1. Every panel has its own axes (embeddings have no
    common scale), hidden because their units mean nothing; colours are shared.

    Parameters
    ----------
    points : pandas.DataFrame
        From :func:`embedding_panels`.
    color : str
        Column for the colour, with an optional Altair type (``"seed:N"``,
        ``"epoch:Q"``); nominal when no type is given.
    fade : str, optional
        Numeric column for the opacity: points fade from opaque at its smallest value
        to light at its largest (e.g. the retraining epoch).
    path : list of str, optional
        Columns that identify a trajectory; its points are joined by a thin line in
        ``order``.
    order : str, optional
        Column ordering the points of a path (required with ``path``).
    emphasize : str, optional
        Boolean column: those points are drawn on top as black crosses (e.g. the optimum).
    tooltip : list of str, optional
        Columns shown on hover, after the panel's name.
    columns : int, default 3
        Panels per row.
    width, height : int
        Size of one panel in pixels; panels narrow so that the grid fits the page
        (:func:`fit_width`).
    title : str

    Returns
    -------
    altair.ConcatChart
        One subchart per panel, in the order of ``points.attrs["panels"]``.

    Examples
    --------
    >>> import numpy as np
    >>> points = embedding_panels({"A": np.eye(4, 2), "B": np.ones((4, 2))},
    ...                           pd.DataFrame({"seed": [0, 0, 1, 1]}))
    >>> len(embedding_grid(points, "seed").to_dict()["concat"])
    2
    """
    _check_fields(points, color=color, fade=fade, path=path, order=order,
                  emphasize=emphasize, tooltip=tooltip)
    if (path is None) != (order is None):
        raise ValueError("path and order must be given together")
    columns = check_int("columns", columns, minimum=1)
    colour = _colour(points, color)
    tips = _tooltip(points, tooltip)
    data = _used_columns(points, color, fade, order, emphasize, *(path or []), *(tooltip or []))
    names = _panels(points)

    def build(panel_width: int) -> alt.ConcatChart:
        panels = []
        for name in names:
            base = alt.Chart(data).transform_filter(alt.datum.panel == name)
            encoding = dict(x=alt.X("x:Q", axis=None, scale=alt.Scale(zero=False)),
                            y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False)),
                            color=colour, tooltip=tips)
            if fade is not None:
                encoding["opacity"] = alt.Opacity(f"{fade}:Q", title=fade,
                                                  scale=alt.Scale(range=[1.0, 0.2]))
            layers = []
            if path is not None:
                layers.append(base.mark_line(strokeWidth=0.7, opacity=0.45).encode(
                    x=encoding["x"], y=encoding["y"], color=colour, order=f"{order}:Q",
                    detail=[f"{c}:N" for c in path]))
            layers.append(base.mark_circle(size=16).encode(**encoding))
            if emphasize is not None:
                layers.append(base.transform_filter(f"datum['{emphasize}']").mark_point(
                    shape="cross", filled=True, size=160, color="black").encode(
                    x="x:Q", y="y:Q", tooltip=tips))
            panels.append(alt.layer(*layers).properties(width=panel_width, height=height,
                                                        title=name))
        return (alt.concat(*panels, columns=columns, title=title)
                .resolve_scale(x="independent", y="independent", color="shared"))

    return fit_width(build, width, columns=min(columns, len(names)))


def linked_embeddings(points: pd.DataFrame, color: str, *, tooltip: list[str] | None = None,
                      columns: int = 3, width: int = 170, height: int = 170,
                      title: str = "") -> alt.ConcatChart:
    """Several embeddings of the same points, linked: hover a point to find it in all.

    One selection, ``alt.selection_point(on="pointerover", fields=["sample"])``, is
    shared by every panel: the hovered sample grows and gets a black ring in every
    embedding, and the other points dim. Moving off the point clears it.

    Parameters
    ----------
    points : pandas.DataFrame
        From :func:`embedding_panels` (its ``sample`` column links the panels).
    color : str
        Column for the colour, optionally with an Altair type (nominal by default).
    tooltip : list of str, optional
        Columns shown on hover, after the panel's name and the sample.
    columns, width, height, title
        As in :func:`embedding_grid`.

    Returns
    -------
    altair.ConcatChart
        One subchart per panel; the spec's single selection parameter lists every
        subchart among its views.

    Examples
    --------
    >>> import numpy as np
    >>> points = embedding_panels({"A": np.eye(4, 2), "B": np.ones((4, 2))},
    ...                           pd.DataFrame({"seed": [0, 0, 1, 1]}))
    >>> spec = linked_embeddings(points, "seed").to_dict()
    >>> [p["select"]["on"] for p in spec["params"]], len(spec["params"][0]["views"])
    (['pointerover'], 2)
    """
    _check_fields(points, color=color, tooltip=tooltip)
    if "sample" not in points.columns:
        raise ValueError("points must have a sample column (from embedding_panels)")
    columns = check_int("columns", columns, minimum=1)
    hovered = alt.selection_point(name="hovered", on="pointerover", fields=["sample"],
                                  clear="pointerout")
    colour = _colour(points, color)
    tips = _tooltip(points, ["sample", *(c for c in (tooltip or []) if c != "sample")])
    data = _used_columns(points, color, *(tooltip or []))
    names = _panels(points)

    def build(panel_width: int) -> alt.ConcatChart:
        panels = [
            alt.Chart(data).transform_filter(alt.datum.panel == name)
            .mark_circle(stroke="black")
            .encode(x=alt.X("x:Q", axis=None, scale=alt.Scale(zero=False)),
                    y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False)),
                    color=colour, tooltip=tips,
                    size=alt.when(hovered, empty=False).then(alt.value(180))
                    .otherwise(alt.value(18)),
                    strokeWidth=alt.when(hovered, empty=False).then(alt.value(2))
                    .otherwise(alt.value(0)),
                    opacity=alt.when(hovered).then(alt.value(0.9)).otherwise(alt.value(0.15)),
                    order=alt.when(hovered, empty=False).then(alt.value(1))
                    .otherwise(alt.value(0)))
            .properties(width=panel_width, height=height, title=name)
            for name in names]
        with warnings.catch_warnings():
            # Altair warns that it merged the one selection added to every panel: intended.
            warnings.filterwarnings("ignore", message="Automatically deduplicated selection")
            chart = alt.concat(*panels, columns=columns, title=title).add_params(hovered)
        return chart.resolve_scale(x="independent", y="independent", color="shared")

    return fit_width(build, width, columns=min(columns, len(names)))


# --- persistence diagrams, total persistence against test loss, merge trees (Chapter 4) ---


