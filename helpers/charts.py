"""Altair charts of the book, drawn with no internet connection.

Altair's default HTML loads vega from a CDN when the page is viewed, which leaves
blank charts offline. :func:`enable` registers a renderer that emits, for every
chart, a ``<div>`` holding a static SVG rendering (made by vl-convert at execution
time: what a printed page or a reader without JavaScript sees) and a small module
script that replaces it with the interactive chart through ``window.vegaEmbed``.
``vegaEmbed`` comes from one JavaScript bundle per site, which
``helpers.sphinx_vega`` writes from vl-convert's copy of vega into the site's
``_static`` folder; no CDN is involved. The bundle also carries the chart's
Vega-Lite spec under Jupyter's own mimetype, so JupyterLab draws it natively.

Examples
--------
>>> import altair as alt, pandas as pd
>>> enable()
>>> chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x")
>>> bundle = offline_renderer(chart.to_dict())
>>> "vegaEmbed" in bundle["text/html"] and "<svg" in bundle["text/html"]
True
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert

from helpers._checks import check_choice
from helpers.embedding import METHOD_LABELS

BUNDLE_NAME = "vega-bundle.js"
_counter = itertools.count()
_PALETTE = {"good": "#1b9e77", "bad": "#d95f02", "memorization": "#7570b3"}
OPTIMUM_ORDER = list(_PALETTE)


def javascript_bundle() -> str:
    """The vega, vega-lite and vega-embed JavaScript as one script setting ``window.vegaEmbed``."""
    return vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;")


def write_bundle(folder: str | Path) -> Path:
    """Write :func:`javascript_bundle` into ``folder`` and return the file's path."""
    path = Path(folder) / BUNDLE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(javascript_bundle())
    return path


def offline_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    """Altair renderer: a static SVG that an inline script upgrades to the live chart."""
    spec_json = json.dumps(spec, sort_keys=True)
    digest = hashlib.sha256(spec_json.encode()).hexdigest()[:10]
    element = f"vega-chart-{digest}-{next(_counter)}"
    svg = vl_convert.vegalite_to_svg(spec, vl_version=_vl_version())
    page = (
        f'<div class="vega-chart" id="{element}">{svg}</div>\n'
        '<script type="module">\n'
        f'  const element = document.getElementById("{element}");\n'
        f"  const spec = {spec_json};\n"
        "  if (window.vegaEmbed) {\n"
        '    window.vegaEmbed(element, spec, {renderer: "svg", actions: false})\n'
        "      .catch((error) => console.error(error));\n"
        "  }\n"
        "</script>"
    )
    major = alt.VEGALITE_VERSION.split(".")[0]
    return {"text/html": page, f"application/vnd.vegalite.v{major}+json": spec}


def _vl_version() -> str:
    return "_".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def enable() -> None:
    """Draw every Altair chart with :func:`offline_renderer` from now on.

    Also lifts Altair's 5,000-row limit on inline data: the book's tables are
    small, and a silent failure at build time would be worse.
    """
    alt.renderers.register("offline", offline_renderer)
    alt.renderers.enable("offline")
    alt.data_transformers.disable_max_rows()


def save(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Save ``chart`` as a static ``.svg`` or ``.png`` (no internet needed)."""
    path = Path(path)
    check_choice("path suffix", path.suffix, (".svg", ".png"))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".svg":
        path.write_text(vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=_vl_version()))
    else:
        path.write_bytes(vl_convert.vegalite_to_png(chart.to_dict(), vl_version=_vl_version(),
                                                    scale=2))
    return path


def optimum_color(title: str = "optimum") -> alt.Color:
    """The book's one colour code for good / bad / memorization optima."""
    return alt.Color("optimum:N", title=title,
                     scale=alt.Scale(domain=OPTIMUM_ORDER, range=list(_PALETTE.values())))


def learning_curves(history: pd.DataFrame, metric: str = "loss", log_loss: bool = True,
                    width: int = 300, height: int = 220) -> alt.Chart:
    """Train and test curves of each optimum and seed, side by side.

    Parameters
    ----------
    history : DataFrame
        Long table from :func:`helpers.train.histories` (optimum, seed, epoch, split,
        metric, value).
    metric : {"loss", "accuracy"}
    log_loss : bool
        Logarithmic y axis for the loss (memorization drives it towards 0).

    Notes
    -----
    Clicking an optimum in the legend shows only its curves (shift-click for more);
    hovering a curve shows its optimum, seed, epoch and value.
    """
    check_choice("metric", metric, ("loss", "accuracy"))
    data = history[history["metric"] == metric]
    pick = alt.selection_point(fields=["optimum"], bind="legend")
    scale = alt.Scale(type="log") if (metric == "loss" and log_loss) else alt.Scale(zero=False)
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X("epoch:Q", title="epoch"),
            y=alt.Y("value:Q", title=metric, scale=scale),
            color=optimum_color(),
            detail="seed:N",
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.08)),
            tooltip=["optimum:N", "seed:N", "epoch:Q", alt.Tooltip("value:Q", format=".4g")],
        )
        .properties(width=width, height=height)
        .facet(column=alt.Column("split:N", title=None, sort=["train", "test"]))
        .add_params(pick)
        .properties(title=f"{metric} during training (click the legend to filter)")
    )


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
        y=alt.Y("optimum:N", sort=OPTIMUM_ORDER, title=None),
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
                      width: int = 220, height: int = 180) -> alt.FacetChart:
    """Loss (or accuracy) against retraining epoch, one line per seed, coloured by step size.

    ``table`` is a jump-and-retrain sample table with an ``optimum`` column (one facet
    each); the optimum's own value is drawn as a dashed rule.
    """
    check_choice("metric", metric, ("train_loss", "train_accuracy", "test_loss", "test_accuracy"))
    log = metric.endswith("loss")
    data = table.assign(run=table["seed"].astype(str) + "/" + table["step_size"].astype(str))
    # Layers without data of their own take the facet's rows: one optimum per panel.
    lines = alt.Chart().transform_filter("datum.kind != 'optimum'").mark_line(
        strokeWidth=1.2, point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("epoch:Q", title="retraining epoch (0 = jump)"),
        y=alt.Y(f"{metric}:Q", title=metric.replace("_", " "),
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("step_size:O", title="step size", scale=alt.Scale(scheme="viridis")),
        detail="run:N",
        tooltip=["optimum:N", "seed:N", "step_size:Q", "epoch:Q",
                 alt.Tooltip(f"{metric}:Q", format=".4g")],
    )
    rule = alt.Chart().transform_filter("datum.kind == 'optimum'").mark_rule(
        strokeDash=[4, 3], color="black").encode(y=f"{metric}:Q")
    return (alt.layer(lines, rule, data=data).properties(width=width, height=height)
            .facet(column=alt.Column("optimum:N", sort=OPTIMUM_ORDER, title=None))
            .resolve_scale(y="independent")
            .properties(title=f"{metric.replace('_', ' ')} while retraining after each jump"))


def trajectories(points: pd.DataFrame, title: str = "", width: int = 260,
                 height: int = 260) -> alt.LayerChart:
    """Embedded J&R samples as in Horoi et al. (2022), Fig. 2, bottom row.

    ``points`` is a sample table with embedding coordinates ``x`` and ``y``.
    Retraining trajectories are coloured by seed, fading towards white as retraining
    proceeds; jump-init points are diamonds coloured by step size; the optimum is a
    black star. Hover for seed, step size, epoch and loss.
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


def landscape_points(points: pd.DataFrame, title: str = "", width: int = 240,
                     height: int = 240) -> alt.LayerChart:
    """Embedded samples coloured by log training loss (Horoi et al. 2022, Fig. 2, top row)."""
    data = points.assign(log10_loss=np.log10(points["train_loss"].clip(lower=1e-12)))
    dots = alt.Chart(data).mark_circle(size=26, opacity=0.85).encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None),
        color=alt.Color("log10_loss:Q", title="log10 train loss",
                        scale=alt.Scale(scheme="viridis")),
        tooltip=["kind:N", "seed:N", "step_size:Q", "epoch:Q",
                 alt.Tooltip("train_loss:Q", format=".4g")])
    optimum = alt.Chart(data[data["kind"] == "optimum"]).mark_point(
        shape="cross", filled=True, size=220, color="red").encode(x="x:Q", y="y:Q")
    return (dots + optimum).properties(width=width, height=height, title=title)


def toy_schematic(surface: pd.DataFrame, paths: pd.DataFrame, width: int = 320,
                  height: int = 320) -> alt.LayerChart:
    """Jump and retrain on a two-parameter toy loss (:mod:`helpers.toy`).

    ``surface`` has columns ``u, v, loss`` on a square grid (drawn as a heat map of
    log loss); ``paths`` is :func:`helpers.toy.toy_jump_and_retrain`'s table: dotted
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


def row(charts: list[alt.TopLevelMixin], title: str = "") -> alt.HConcatChart:
    """Charts side by side, each keeping its own scales and legends."""
    if not charts:
        raise ValueError("charts must hold at least one chart")
    return alt.hconcat(*charts, title=title).resolve_scale(color="independent",
                                                           fill="independent",
                                                           shape="independent")




def embedding_panels(embeddings: dict[Any, Any], table: pd.DataFrame) -> pd.DataFrame:
    """One long table of several embeddings of the same points, ready for small multiples.

    Parameters
    ----------
    embeddings : mapping
        Panel key to coordinates: an :class:`helpers.embedding.Embedding` or an array of
        shape ``(len(table), 2)`` or more (the first two columns are drawn). A key
        ``(method, metric)``, as in :func:`helpers.embedding.compare_embeddings`, is
        named like "PHATE · cosine" (a linear method by its name alone); any other key
        by ``str(key)``.
    table : pandas.DataFrame
        One row per point (e.g. a :class:`helpers.sampling.Samples` table), row ``i``
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
        if method in ("pca", "random_plane"):
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


def _check_columns(columns: Any) -> int:
    from helpers._checks import check_int

    return check_int("columns", columns, minimum=1)


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
                   columns: int = 4, width: int = 170, height: int = 170,
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
    columns : int, default 4
        Panels per row.
    width, height : int
        Size of one panel in pixels.
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
    columns = _check_columns(columns)
    colour = _colour(points, color)
    tips = _tooltip(points, tooltip)
    data = _used_columns(points, color, fade, order, emphasize, *(path or []), *(tooltip or []))
    panels = []
    for name in _panels(points):
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
        panels.append(alt.layer(*layers).properties(width=width, height=height, title=name))
    return (alt.concat(*panels, columns=columns, title=title)
            .resolve_scale(x="independent", y="independent", color="shared"))


def linked_embeddings(points: pd.DataFrame, color: str, *, tooltip: list[str] | None = None,
                      columns: int = 4, width: int = 170, height: int = 170,
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
    columns = _check_columns(columns)
    hovered = alt.selection_point(name="hovered", on="pointerover", fields=["sample"],
                                  clear="pointerout")
    colour = _colour(points, color)
    tips = _tooltip(points, ["sample", *(c for c in (tooltip or []) if c != "sample")])
    data = _used_columns(points, color, *(tooltip or []))
    panels = []
    for name in _panels(points):
        panels.append(
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
            .properties(width=width, height=height, title=name))
    import warnings

    with warnings.catch_warnings():
        # Altair warns that it merged the one selection added to every panel: intended.
        warnings.filterwarnings("ignore", message="Automatically deduplicated selection")
        chart = alt.concat(*panels, columns=columns, title=title).add_params(hovered)
    return chart.resolve_scale(x="independent", y="independent", color="shared")


# --- persistence diagrams, total persistence against test loss, merge trees (Chapter 4) ---

#: Colour of each homology dimension in persistence diagrams.
DIMENSION_COLORS = {"H0": "#1f77b4", "H1": "#d62728", "H2": "#2ca02c"}


def diagram_frame(diagrams: Any) -> pd.DataFrame:
    """Persistence diagrams as one table, with infinite deaths placed on an "∞" line.

    Parameters
    ----------
    diagrams : ndarray of shape (m, 2), or a sequence of them
        ``[H0, H1, ...]`` as from :func:`helpers.topology.lower_star_persistence`; a
        single array is H0. Rows are ``(birth, death)``; a death of ``inf`` is a class
        that never dies.

    Returns
    -------
    pandas.DataFrame
        One row per point: ``dimension`` ("H0", "H1", ...), ``birth``, ``death``
        (``inf`` kept), ``persistence`` (``inf`` for infinite points), ``infinite``, and
        ``y``: the death, or for infinite points the height of the "∞" line, which lies
        above every finite death and birth (``frame.attrs["infinity"]``;
        ``frame.attrs["low"]`` and ``["high"]`` give the range of finite values).

    Examples
    --------
    >>> frame = diagram_frame([np.array([[0.0, np.inf], [1.0, 3.0]]), np.empty((0, 2))])
    >>> frame[["dimension", "birth", "death", "infinite", "y"]].values.tolist()
    [['H0', 0.0, inf, True, 3.3], ['H0', 1.0, 3.0, False, 3.0]]
    """
    if isinstance(diagrams, np.ndarray) and diagrams.ndim == 2:
        diagrams = [diagrams]
    if isinstance(diagrams, str) or not isinstance(diagrams, list | tuple) or not diagrams:
        raise ValueError("diagrams must be an (m, 2) array or a non-empty list of them")
    rows = []
    for dim, diagram in enumerate(diagrams):
        points = np.asarray(diagram, dtype=np.float64).reshape(-1, 2) if np.size(diagram) \
            else np.empty((0, 2))
        if np.isnan(points).any():
            raise ValueError(f"diagrams[{dim}] must not contain NaN")
        for birth, death in points.tolist():
            rows.append({"dimension": f"H{dim}", "birth": birth, "death": death})
    frame = pd.DataFrame(rows, columns=["dimension", "birth", "death"])
    finite_values = np.concatenate([frame["birth"].to_numpy(),
                                    frame["death"].to_numpy()]) if len(frame) else np.empty(0)
    finite_values = finite_values[np.isfinite(finite_values)]
    low = float(finite_values.min()) if finite_values.size else 0.0
    high = float(finite_values.max()) if finite_values.size else 1.0
    span = high - low if high > low else max(abs(high), 1.0)
    infinity = high + span / 10
    frame["infinite"] = ~np.isfinite(frame["death"].to_numpy(dtype=np.float64))
    frame["persistence"] = (frame["death"] - frame["birth"]).abs()
    frame["y"] = np.where(frame["infinite"], infinity, frame["death"])
    frame["death_text"] = [("∞" if np.isposinf(d) else "-∞") if inf else f"{d:.4g}"
                           for d, inf in zip(frame["death"], frame["infinite"], strict=True)]
    frame.attrs.update(infinity=infinity, low=low, high=high,
                       dimensions=[f"H{dim}" for dim in range(len(diagrams))])
    return frame


def persistence_diagram(diagrams: Any, title: str = "", *, total: bool = True,
                        width: int = 240, height: int = 240) -> alt.LayerChart:
    """A persistence diagram: H0 and H1 points above the diagonal, infinite bars on "∞".

    Parameters
    ----------
    diagrams : ndarray of shape (m, 2), or a sequence of them
        ``[H0, H1, ...]``; see :func:`diagram_frame`.
    title : str
        Drawn above the chart.
    total : bool, default True
        Write the total persistence (``p = 2``, finite points;
        :func:`helpers.topology.total_persistence`) of each dimension in the subtitle.

    Returns
    -------
    altair.LayerChart
        Four layers: the diagonal (line), the dashed "∞" line (rule), its "∞" label
        (text), and the points (circles for finite, triangles for infinite points,
        coloured by dimension, with birth, death and persistence in the tooltip).

    Examples
    --------
    >>> chart = persistence_diagram([np.array([[0.0, np.inf], [1.0, 3.0]])], "path")
    >>> [layer.mark.type if hasattr(layer.mark, "type") else layer.mark
    ...  for layer in chart.layer]
    ['line', 'rule', 'text', 'point']
    """
    from helpers.topology import total_persistence

    frame = diagram_frame(diagrams)
    low, infinity = frame.attrs["low"], frame.attrs["infinity"]
    scale = alt.Scale(domain=[low - 0.02 * (infinity - low), infinity + 0.03 * (infinity - low)],
                      nice=False, zero=False)
    dims = frame.attrs["dimensions"]
    axis = alt.Axis(format="~g", tickCount=4, labelOverlap="greedy")
    diagonal = alt.Chart(pd.DataFrame({"x": [low, infinity], "y": [low, infinity]})).mark_line(
        color="grey", strokeWidth=1).encode(x=alt.X("x:Q", scale=scale, title="birth", axis=axis),
                                            y=alt.Y("y:Q", scale=scale, title="death", axis=axis))
    edge = pd.DataFrame({"y": [infinity], "label": ["∞"], "x": [low]})
    infinity_rule = alt.Chart(edge).mark_rule(strokeDash=[4, 3], color="black").encode(y="y:Q")
    infinity_text = alt.Chart(edge).mark_text(align="left", dx=2, dy=-7, fontSize=13).encode(
        x="x:Q", y="y:Q", text="label:N")
    dimension_names = list(DIMENSION_COLORS)
    points = alt.Chart(frame).mark_point(filled=True, size=40, opacity=0.8).encode(
        x=alt.X("birth:Q", axis=axis), y=alt.Y("y:Q", axis=axis),
        color=alt.Color("dimension:N", title="dimension", scale=alt.Scale(
            domain=dimension_names[:max(len(dims), 2)],
            range=list(DIMENSION_COLORS.values())[:max(len(dims), 2)])),
        shape=alt.Shape("infinite:N", title="never dies",
                        scale=alt.Scale(domain=[False, True], range=["circle", "triangle-up"])),
        tooltip=["dimension:N", alt.Tooltip("birth:Q", format=".4g"),
                 alt.Tooltip("death_text:N", title="death"),
                 alt.Tooltip("persistence:Q", format=".4g")])
    subtitle = ""
    if total:
        parts = [f"{d}: {total_persistence(rows[['birth', 'death']]):.3g}"
                 for d in dims for rows in [frame[frame["dimension"] == d]]]
        subtitle = "total persistence " + ", ".join(parts)
    return alt.layer(diagonal, infinity_rule, infinity_text, points).properties(
        width=width, height=height,
        title=alt.TitleParams(title, subtitle=subtitle) if subtitle else title)


def landscape_with_diagram(points: pd.DataFrame, diagrams: Any, title: str = "",
                           size: int = 220) -> alt.VConcatChart:
    """Horoi et al. (2022), Fig. 3A, one column: a PHATE view above its persistence diagram.

    ``points`` is a sample table with embedding coordinates ``x, y`` (see
    :func:`landscape_points`); ``diagrams`` its ``[H0, H1]`` (see
    :func:`persistence_diagram`, whose subtitle gives the total persistence).
    """
    return alt.vconcat(landscape_points(points, title=title, width=size, height=size),
                       persistence_diagram(diagrams, "persistence diagram", width=size,
                                           height=size)
                       ).resolve_scale(color="independent", shape="independent")


def persistence_vs_test_loss(table: pd.DataFrame, x: str = "test_loss",
                             y: str = "total_persistence_h0", color: str = "weight_decay",
                             shape: str | None = "augment", *, tooltip: list[str] | None = None,
                             log_x: bool = False, log_y: bool = False, title: str = "",
                             width: int = 360, height: int = 260) -> alt.LayerChart:
    """Horoi et al. (2022), Fig. 3B: a landscape summary against the test loss at the optimum.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per network, e.g. :func:`helpers.features.feature_sweep`'s table.
    x, y : str
        Columns on the axes; the defaults are the paper's.
    color : str
        Column coding the colour, as an ordered category (the paper: weight decay).
    shape : str or None
        Column coding the point shape.
    tooltip : list of str, optional
        Further columns shown on hover (``x``, ``y``, ``color`` and ``shape`` always are).
    log_x, log_y : bool
        Logarithmic axes (every value must then be positive).

    Returns
    -------
    altair.LayerChart
        Two layers: the networks (points) and the least-squares line of ``y`` on
        ``x`` (a line with a Vega-Lite regression transform).
    """
    columns = [x, y, color] + ([shape] if shape else []) + list(tooltip or [])
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {missing}; it has {list(table.columns)}")
    data = table[list(dict.fromkeys(columns))].copy()
    for name, flag in ((x, log_x), (y, log_y)):
        if flag and not (data[name] > 0).all():
            raise ValueError(f"log axis for {name!r} needs positive values")
    label = {c: c.replace("_", " ") for c in columns}
    xs = alt.X(f"{x}:Q", title=label[x], scale=alt.Scale(type="log" if log_x else "linear",
                                                         zero=False))
    ys = alt.Y(f"{y}:Q", title=label[y], scale=alt.Scale(type="log" if log_y else "linear",
                                                         zero=False))
    tips = [alt.Tooltip(f"{c}:Q", format=".4g") if pd.api.types.is_numeric_dtype(data[c])
            and not pd.api.types.is_bool_dtype(data[c]) else alt.Tooltip(f"{c}:N")
            for c in dict.fromkeys(columns)]
    encoding = dict(x=xs, y=ys, color=alt.Color(f"{color}:O", title=label[color],
                                                  scale=alt.Scale(scheme="viridis")),
                    tooltip=tips)
    if shape:
        data[shape] = data[shape].astype(str)
        encoding["shape"] = alt.Shape(f"{shape}:N", title=label[shape])
    points = alt.Chart(data).mark_point(filled=True, size=80, opacity=0.85).encode(**encoding)
    line = alt.Chart(data).transform_regression(x, y).mark_line(
        color="black", strokeDash=[5, 3]).encode(x=f"{x}:Q", y=f"{y}:Q")
    return alt.layer(points, line).properties(width=width, height=height, title=title)


def merge_tree_layout(tree: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Positions of a merge tree's critical vertices, for drawing it.

    Leaves get x = 0, 1, 2, ... in the order of a depth-first walk from each root
    (children by value, lowest first); a saddle or root sits at the mean x of its
    children; the y of every vertex is its value.

    Parameters
    ----------
    tree : helpers.topology.MergeTree

    Returns
    -------
    nodes : pandas.DataFrame
        ``vertex, x, value, kind``: "minimum" (a leaf), "saddle" (where components
        merge) or "root" (the top of a component where nothing merges).
    edges : pandas.DataFrame
        ``child, parent, x, value, x2, value2``: one segment per critical edge.

    Examples
    --------
    >>> from scipy import sparse
    >>> from helpers.topology import merge_tree
    >>> path = sparse.diags([1.0, 1.0], [-1, 1], shape=(5, 5), format="csr")
    >>> nodes, edges = merge_tree_layout(merge_tree(path, [0.0, 3.0, 1.0, 4.0, 2.0]))
    >>> nodes.sort_values("vertex")[["x", "kind"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[1.0, 'minimum'], [1.5, 'saddle'], [2.0, 'minimum'], [0.75, 'saddle'],
     [0.0, 'minimum']]
    """
    critical = np.asarray(tree.critical_edges(), dtype=np.int64).reshape(-1, 2)
    values = np.asarray(tree.values, dtype=np.float64)
    children: dict[int, list[int]] = {}
    has_parent = set()
    for child, parent in critical.tolist():
        children.setdefault(parent, []).append(child)
        has_parent.add(child)
    minima = [int(v) for v in np.asarray(tree.minima).tolist()]
    nodes_set = set(minima) | set(children) | has_parent
    roots = sorted((v for v in nodes_set if v not in has_parent), key=lambda v: values[v])
    x: dict[int, float] = {}
    leaf = 0
    for root in roots:
        stack = [(root, False)]
        while stack:
            vertex, done = stack.pop()
            kids = sorted(children.get(vertex, []), key=lambda v: (values[v], v))
            if not kids:
                x[vertex] = float(leaf)
                leaf += 1
            elif done:
                x[vertex] = float(np.mean([x[k] for k in kids]))
            else:
                stack.append((vertex, True))
                stack.extend((k, False) for k in reversed(kids))
    saddles = set(np.asarray(tree.saddles).tolist())
    kinds = {v: ("minimum" if v not in children else "saddle" if v in saddles else "root")
             for v in x}
    nodes = pd.DataFrame({"vertex": list(x), "x": list(x.values()),
                          "value": [float(values[v]) for v in x],
                          "kind": [kinds[v] for v in x]})
    edges = pd.DataFrame({"child": critical[:, 0], "parent": critical[:, 1]})
    edges["x"] = [x[v] for v in edges["child"]]
    edges["value"] = values[edges["child"].to_numpy()] if len(edges) else []
    edges["x2"] = [x[v] for v in edges["parent"]]
    edges["value2"] = values[edges["parent"].to_numpy()] if len(edges) else []
    return nodes, edges


def merge_tree_chart(tree: Any, title: str = "", *, log_scale: bool = False,
                     value_title: str = "loss", width: int = 420,
                     height: int = 260) -> alt.LayerChart:
    """A merge tree drawn as in Xie et al.: minima at the bottom, merging at saddles.

    Only critical vertices are drawn (:meth:`helpers.topology.MergeTree.critical_edges`):
    local minima (circles), saddles (diamonds) and the root of each component
    (squares), at the height of their value, joined by straight edges. Hover a vertex
    for its index, value and kind.

    Parameters
    ----------
    tree : helpers.topology.MergeTree
    title : str
    log_scale : bool
        Logarithmic value axis (values must be positive, as losses are).
    value_title : str
        Title of the value axis.

    Returns
    -------
    altair.LayerChart
        Two layers: edges (rule from ``x, value`` to ``x2, value2``) and vertices
        (points shaped by kind).
    """
    nodes, edges = merge_tree_layout(tree)
    if log_scale and not (nodes["value"] > 0).all():
        raise ValueError("log_scale needs positive values")
    y_scale = alt.Scale(type="log" if log_scale else "linear", zero=False)
    kinds = ["minimum", "saddle", "root"]
    lines = alt.Chart(edges).mark_rule(color="grey", strokeWidth=1.2).encode(
        x=alt.X("x:Q", axis=None), x2="x2:Q",
        y=alt.Y("value:Q", title=value_title, scale=y_scale), y2="value2:Q")
    vertices = alt.Chart(nodes).mark_point(filled=True, size=60, opacity=0.9).encode(
        x="x:Q", y="value:Q",
        shape=alt.Shape("kind:N", title="vertex", scale=alt.Scale(
            domain=kinds, range=["circle", "diamond", "square"])),
        color=alt.Color("kind:N", title="vertex", scale=alt.Scale(
            domain=kinds, range=["#1f77b4", "#d62728", "black"])),
        tooltip=["vertex:Q", alt.Tooltip("value:Q", format=".4g"), "kind:N"])
    return alt.layer(lines, vertices).properties(width=width, height=height, title=title)
