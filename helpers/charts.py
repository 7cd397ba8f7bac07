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
    runs = table[table["kind"] != "optimum"]
    optima = table[table["kind"] == "optimum"]
    log = metric.endswith("loss")
    lines = alt.Chart(runs).mark_line(strokeWidth=1.2, point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("epoch:Q", title="retraining epoch (0 = jump)"),
        y=alt.Y(f"{metric}:Q", title=metric.replace("_", " "),
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("step_size:O", title="step size", scale=alt.Scale(scheme="viridis")),
        detail="seed:N",
        tooltip=["optimum:N", "seed:N", "step_size:Q", "epoch:Q",
                 alt.Tooltip(f"{metric}:Q", format=".4g")],
    )
    rule = alt.Chart(optima).mark_rule(strokeDash=[4, 3], color="black").encode(y=f"{metric}:Q")
    return (alt.layer(lines, rule, data=table).properties(width=width, height=height)
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
    return (paths + dots + jumps + optimum).properties(width=width, height=height, title=title
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
