"""Altair charts of Chapter 7: loss surfaces, their slices, and Hessian spectra.

Every chart fits the page column (at most 680 px wide in all). Vega-Lite has no
contour mark, so :func:`contour_segments` computes contour lines by marching squares
and the heat map draws them as line segments.

Examples
--------
>>> import numpy as np
>>> from helpers.surfaces import Surface
>>> t = np.linspace(-1, 1, 5)
>>> loss = 0.1 + t[:, None] ** 2 + t[None, :] ** 2
>>> chart = surface_heatmap(Surface("random", t, t, loss, np.ones_like(loss)), "bowl")
>>> chart.to_dict()["width"]
220
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

import helpers.hessian
import helpers.surface_study
from helpers.checks import check_int

#: Colours of the two architectures of 002's comparison.
ARCHITECTURE_COLORS = {"residual": "#1b9e77", "plain": "#d95f02"}


# --- tables behind the charts ----------------------------------------------------------------

def network_name(key: Any) -> str:
    """A short name for a network's key: ``("plain", 1)`` → ``"plain, seed 1"``.

    Examples
    --------
    >>> network_name(("residual", 0)), network_name("good")
    ('residual, seed 0', 'good')
    """
    if isinstance(key, tuple) and len(key) == 2:
        return f"{key[0]}, seed {key[1]}"
    return ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def slices_frame(analyses: Mapping[Any, Any]) -> pd.DataFrame:
    """Every surface's two 1-D slices through the optimum, in one long table.

    ``analyses`` maps keys to :class:`helpers.surface_study.SurfaceAnalysis`. Columns
    ``network, kind, direction, t, loss`` and ``model``: the quadratic model of
    :func:`helpers.surface_study.quadratic_slices` for Hessian surfaces evaluated on the
    Hessian's own samples (``NaN`` elsewhere).
    """
    frames = []
    for key, analysis in analyses.items():
        same_data = analysis.settings.eval_samples == analysis.settings.hessian_samples
        for kind, surface in analysis.surfaces.items():
            frame = (helpers.surface_study.quadratic_slices(analysis)
                     if kind == "hessian" and same_data
                     else surface.slices().assign(model=np.nan))
            frames.append(frame.assign(network=network_name(key), kind=kind))
    return pd.concat(frames, ignore_index=True)


def estimates_frame(analyses: Mapping[Any, Any]) -> pd.DataFrame:
    """The spread of the Hessian estimates: columns ``network, quantity, value``.

    Quantities: ``"trace (Hutchinson probe)"``, one row per probe, and ``"top eigenvalue
    (SLQ probe)"``, the largest node of each SLQ probe's Lanczos run: an estimate of
    the top eigenvalue from another start vector than :func:`helpers.hessian.top_eigenvalues`'s.
    """
    rows = []
    for key, analysis in analyses.items():
        name = network_name(key)
        rows += [{"network": name, "quantity": "trace (Hutchinson probe)", "value": v}
                 for v in analysis.spectrum.trace_samples_.tolist()]
        rows += [{"network": name, "quantity": "top eigenvalue (SLQ probe)", "value": v}
                 for v in np.nanmax(analysis.spectrum.density_nodes_, axis=1).tolist()]
    return pd.DataFrame(rows, columns=["network", "quantity", "value"])


def densities_frame(analyses: Mapping[Any, Any], n_points: int = 300
                    ) -> pd.DataFrame:
    """Each SLQ probe's smoothed density on one grid shared by every network.

    Columns ``network, probe, eigenvalue, density``; the kernel width is 1 % of the
    common range of the nodes, so the curves compare (:func:`helpers.hessian.density_curve`).
    """
    nodes = np.concatenate([a.spectrum.density_nodes_.ravel() for a in analyses.values()])
    nodes = nodes[np.isfinite(nodes)]
    span = float(np.ptp(nodes)) if nodes.size and np.ptp(nodes) > 0 else 1.0
    sigma = 0.01 * span
    grid = np.linspace(nodes.min() - 5 * sigma, nodes.max() + 5 * sigma, n_points)
    frames = []
    for key, analysis in analyses.items():
        spectrum = analysis.spectrum
        for probe in range(spectrum.density_nodes_.shape[0]):
            _, density = helpers.hessian.density_curve(
                spectrum.density_nodes_[probe:probe + 1],
                spectrum.density_weights_[probe:probe + 1], sigma=sigma, grid=grid)
            frames.append(pd.DataFrame({"network": network_name(key), "probe": probe,
                                        "eigenvalue": grid, "density": density}))
    return pd.concat(frames, ignore_index=True)


# --- charts --------------------------------------------------------------------------------

def contour_segments(values: Any, x: Any, y: Any, levels: Sequence[float]) -> pd.DataFrame:
    """Contour lines of a grid of values, as straight segments (marching squares).

    Parameters
    ----------
    values : array_like, shape (nx, ny)
        ``values[i, j]`` at ``(x[i], y[j])``; finite.
    x, y : array_like
        Increasing coordinates of the rows and columns.
    levels : sequence of float
        The values to draw.

    Returns
    -------
    pandas.DataFrame
        ``level, x, y, x2, y2``: one row per segment. Each end lies on a cell edge where
        the values, interpolated linearly along the edge, equal the level. In a cell
        whose corners alternate above and below the level, the mean of the corners
        decides which corners the lines separate.

    Examples
    --------
    >>> grid = np.add.outer([0.0, 1.0, 2.0], [0.0, 1.0, 2.0])  # values x + y
    >>> segments = contour_segments(grid, [0, 1, 2], [0, 1, 2], [1.5])
    >>> bool(np.allclose(segments.x + segments.y, 1.5)), len(segments)  # three cells cross it
    (True, 3)
    """
    v = np.asarray(values, dtype=np.float64)
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if v.ndim != 2 or v.shape != (xs.size, ys.size):
        raise ValueError(f"values must have shape (len(x), len(y)) = ({xs.size}, {ys.size}); "
                         f"got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    rows = []
    # Corners of a cell in order around it, and the edges between consecutive ones.
    corners = ((0, 0), (1, 0), (1, 1), (0, 1))
    for level in levels:
        above = v > level
        for i in range(v.shape[0] - 1):
            for j in range(v.shape[1] - 1):
                flags = [above[i + di, j + dj] for di, dj in corners]
                if all(flags) or not any(flags):
                    continue
                points = []
                for edge in range(4):
                    (pi, pj), (qi, qj) = corners[edge], corners[(edge + 1) % 4]
                    if flags[edge] != flags[(edge + 1) % 4]:
                        vp, vq = v[i + pi, j + pj], v[i + qi, j + qj]
                        t = (level - vp) / (vq - vp)
                        points.append((xs[i + pi] + t * (xs[i + qi] - xs[i + pi]),
                                       ys[j + pj] + t * (ys[j + qj] - ys[j + pj])))
                if len(points) == 2:
                    pairs = [(points[0], points[1])]
                else:  # four crossings: a saddle cell
                    centre_above = np.mean([v[i + di, j + dj] for di, dj in corners]) > level
                    if centre_above == flags[0]:  # corners 0 and 2 connected: cut off 1 and 3
                        pairs = [(points[0], points[1]), (points[2], points[3])]
                    else:
                        pairs = [(points[3], points[0]), (points[1], points[2])]
                rows.extend({"level": float(level), "x": p[0], "y": p[1], "x2": q[0], "y2": q[1]}
                            for p, q in pairs)
    return pd.DataFrame(rows, columns=["level", "x", "y", "x2", "y2"])


def _critical_points(surface: Any, tree: Any) -> pd.DataFrame:
    """Grid positions of a merge tree's minima and (distinct) saddles."""
    shape = surface.loss.shape
    rows = []
    for kind, vertices in (("minimum", np.asarray(tree.minima)),
                           ("saddle", np.unique(np.asarray(tree.saddles)))):
        for vertex in vertices.tolist():
            i, j = np.unravel_index(vertex, shape)
            rows.append({"kind": kind, "a": float(surface.a[i]), "b": float(surface.b[j]),
                         "loss": float(surface.loss[i, j])})
    return pd.DataFrame(rows, columns=["kind", "a", "b", "loss"])


def surface_heatmap(surface: Any, title: str = "", *, tree: Any = None, n_levels: int = 8,
                    color_domain: tuple[float, float] | None = None, width: int = 220,
                    height: int = 220) -> alt.LayerChart:
    """A loss surface as a heat map of log10 loss with contour lines.

    Parameters
    ----------
    surface : helpers.surfaces.Surface
    title : str
    tree : helpers.topology.MergeTree, optional
        The surface's merge tree: its minima (white circles) and saddles (red diamonds)
        are marked.
    n_levels : int, default 8
        Contours at evenly spaced values of log10 loss between its minimum and maximum.
    color_domain : (float, float), optional
        The log10-loss range of the colour scale, to share it between panels.

    Returns
    -------
    altair.LayerChart
        Cells (rect), contours (rule segments), the optimum (black cross) and, with a
        tree, its critical points.
    """
    n_levels = check_int("n_levels", n_levels, minimum=1)
    loss = np.where(np.isfinite(surface.loss), surface.loss, np.nan)
    log_loss = np.log10(np.clip(loss, 1e-12, None))
    log_loss = np.where(np.isfinite(log_loss), log_loss, np.nanmax(log_loss))
    step_a = (surface.a[1] - surface.a[0]) / 2 if surface.a.size > 1 else 0.5
    step_b = (surface.b[1] - surface.b[0]) / 2 if surface.b.size > 1 else 0.5
    a, b = np.meshgrid(surface.a, surface.b, indexing="ij")
    cells = pd.DataFrame({"a": a.ravel(), "b": b.ravel(), "loss": surface.loss.ravel(),
                          "log10_loss": log_loss.ravel()})
    cells = cells.assign(a0=cells.a - step_a, a1=cells.a + step_a, b0=cells.b - step_b,
                         b1=cells.b + step_b)
    low, high = (float(log_loss.min()), float(log_loss.max())) if color_domain is None \
        else color_domain
    x_scale = alt.Scale(domain=[float(surface.a[0] - step_a), float(surface.a[-1] + step_a)],
                        nice=False, zero=False)
    y_scale = alt.Scale(domain=[float(surface.b[0] - step_b), float(surface.b[-1] + step_b)],
                        nice=False, zero=False)
    # Every layer states the same axes without grid lines: Vega-Lite merges the layers'
    # axes, and one layer's default grid would draw over the heat map.
    plain_axis = alt.Axis(grid=False)

    def x(field: str) -> alt.X:
        return alt.X(field, title="direction 1", scale=x_scale, axis=plain_axis)

    def y(field: str) -> alt.Y:
        return alt.Y(field, title="direction 2", scale=y_scale, axis=plain_axis)

    heat = alt.Chart(cells).mark_rect().encode(
        x=x("a0:Q"), x2="a1:Q", y=y("b0:Q"), y2="b1:Q",
        color=alt.Color("log10_loss:Q", title="log10 loss",
                        scale=alt.Scale(scheme="viridis", domain=[low, high], clamp=True)),
        tooltip=[alt.Tooltip("a:Q", format=".3f"), alt.Tooltip("b:Q", format=".3f"),
                 alt.Tooltip("loss:Q", format=".4g")])
    levels = np.linspace(log_loss.min(), log_loss.max(), n_levels + 2)[1:-1] \
        if np.ptp(log_loss) > 0 else []
    segments = contour_segments(log_loss, surface.a, surface.b, levels)
    contours = alt.Chart(segments).mark_rule(color="white", strokeWidth=0.8, opacity=0.7).encode(
        x=x("x:Q"), y=y("y:Q"), x2="x2:Q", y2="y2:Q")
    optimum = alt.Chart(pd.DataFrame({"a": [0.0], "b": [0.0]})).mark_point(
        shape="cross", filled=True, size=120, color="black").encode(x=x("a:Q"), y=y("b:Q"))
    layers = [heat, contours, optimum]
    if tree is not None:
        critical = _critical_points(surface, tree)
        layers.append(alt.Chart(critical).mark_point(filled=True, size=55, stroke="black",
                                                     strokeWidth=0.6).encode(
            x=x("a:Q"), y=y("b:Q"),
            shape=alt.Shape("kind:N", title="merge tree", scale=alt.Scale(
                domain=["minimum", "saddle"], range=["circle", "diamond"])),
            fill=alt.Fill("kind:N", legend=None, scale=alt.Scale(
                domain=["minimum", "saddle"], range=["white", "#d62728"])),
            tooltip=["kind:N", alt.Tooltip("loss:Q", format=".4g")]))
    return alt.layer(*layers).properties(width=width, height=height, title=title)


def surface_panels(panels: Mapping[str, tuple[Any, Any]], *, columns: int = 2,
                   shared_colors: bool = True, size: int = 220) -> alt.VConcatChart:
    """Several :func:`surface_heatmap` panels, ``columns`` per row (2 fit the page).

    Parameters
    ----------
    panels : mapping
        Title to ``(surface, tree)`` (``tree`` may be ``None``).
    columns : int, default 2
    shared_colors : bool, default True
        One colour scale (log10 loss) for all panels, so colours compare across them.
    """
    columns = check_int("columns", columns, minimum=1)
    if not panels:
        raise ValueError("panels must hold at least one surface")
    domain = None
    if shared_colors:
        logs = [np.log10(np.clip(s.loss[np.isfinite(s.loss)], 1e-12, None))
                for s, _ in panels.values()]
        domain = (float(min(x.min() for x in logs)), float(max(x.max() for x in logs)))
    charts = [surface_heatmap(surface, title, tree=tree, color_domain=domain, width=size,
                              height=size) for title, (surface, tree) in panels.items()]
    rows = [alt.hconcat(*charts[i:i + columns]) for i in range(0, len(charts), columns)]
    resolve = "shared" if shared_colors else "independent"
    return alt.vconcat(*rows).resolve_scale(color=resolve, shape="shared", fill="shared")


def slices_chart(slices: pd.DataFrame, *, color: str = "network", log_scale: bool = True,
                 width: int = 220, height: int = 180) -> alt.FacetChart:
    """1-D slices through the optimum, one panel per direction kind and axis.

    Parameters
    ----------
    slices : pandas.DataFrame
        Rows of :meth:`helpers.surfaces.Surface.slices` with ``kind`` and ``color``
        columns added (e.g. ``network``); an optional ``model`` column of the same
        shape holds a quadratic model drawn dashed (see
        :func:`helpers.surface_study.quadratic_slices`).
    """
    needed = {"kind", "direction", "t", "loss", color}
    missing = sorted(needed - set(slices.columns))
    if missing:
        raise ValueError(f"slices must have the columns {missing}")
    data = slices.assign(panel=slices["kind"] + " direction " + slices["direction"].astype(str))
    y = alt.Y("loss:Q", title="loss", scale=alt.Scale(type="log" if log_scale else "linear"))
    lines = alt.Chart().mark_line(strokeWidth=1.5).encode(
        x=alt.X("t:Q", title="distance along the direction"), y=y,
        color=alt.Color(f"{color}:N", title=color), detail=f"{color}:N",
        tooltip=[f"{color}:N", alt.Tooltip("t:Q", format=".3f"),
                 alt.Tooltip("loss:Q", format=".4g")])
    layers = [lines]
    if "model" in slices.columns:
        layers.append(alt.Chart().transform_filter("isValid(datum.model)").mark_line(
            strokeDash=[4, 3], strokeWidth=1).encode(
            x="t:Q", y="model:Q", color=alt.Color(f"{color}:N"), detail=f"{color}:N"))
    return (alt.layer(*layers, data=data).properties(width=width, height=height)
            .facet(facet=alt.Facet("panel:N", title=None), columns=2)
            .resolve_scale(x="independent"))


def density_chart(densities: pd.DataFrame, *, floor: float = 1e-6, width: int = 460,
                  height: int = 220) -> alt.Chart:
    """Eigenvalue densities (stochastic Lanczos quadrature), one line per network and probe.

    ``densities`` has columns ``network, probe, eigenvalue, density``; the density axis is
    logarithmic (PyHessian's plots): a few large outliers sit on a bulk near 0. Values
    below ``floor`` times the largest density are left out (the kernels' far tails).
    """
    data = densities[densities["density"] > floor * densities["density"].max()]
    return alt.Chart(data).mark_line(strokeWidth=1.2, opacity=0.8).encode(
        x=alt.X("eigenvalue:Q", title="eigenvalue"),
        y=alt.Y("density:Q", title="density", scale=alt.Scale(type="log")),
        color=alt.Color("network:N", title="network"),
        detail="probe:N", strokeDash=alt.StrokeDash("probe:N", title="probe"),
        tooltip=["network:N", "probe:N", alt.Tooltip("eigenvalue:Q", format=".3g"),
                 alt.Tooltip("density:Q", format=".3g")]
    ).properties(width=width, height=height,
                 title="eigenvalue density of the Hessian (one line per SLQ probe)")


def estimates_chart(estimates: pd.DataFrame, *, width: int = 250,
                    height: int = 60) -> alt.FacetChart:
    """The spread of the Hessian estimates: one dot per probe, the mean as a bar.

    ``estimates`` has columns ``network, quantity, value`` (e.g. every Hutchinson probe
    of the trace; the top eigenvalue of each SLQ probe). Each quantity is a panel
    with its own axis.
    """
    dots = alt.Chart().mark_tick(thickness=1.5, size=14, opacity=0.6).encode(
        x=alt.X("value:Q", title=None, scale=alt.Scale(zero=False)),
        y=alt.Y("network:N", title=None), color=alt.Color("network:N", legend=None),
        tooltip=["network:N", alt.Tooltip("value:Q", format=".4g")])
    means = alt.Chart().mark_point(shape="diamond", filled=True, size=70, color="black").encode(
        x="mean(value):Q", y="network:N")
    return (alt.layer(dots, means, data=estimates).properties(width=width, height=height)
            .facet(facet=alt.Facet("quantity:N", title=None), columns=2)
            .resolve_scale(x="independent"))


def tree_grid(trees: Mapping[str, Any], *, columns: int = 2, log_scale: bool = True,
              width: int = 225, height: int = 170) -> alt.VConcatChart:
    """Merge trees (:func:`helpers.topology_charts.merge_tree_chart`) in rows of ``columns``,
    one legend.

    Parameters
    ----------
    trees : mapping
        Title to :class:`helpers.topology.MergeTree`.
    columns : int, default 2
        Two panels of the default width and one legend fit the page.
    """
    from helpers.topology_charts import merge_tree_chart

    columns = check_int("columns", columns, minimum=1)
    if not trees:
        raise ValueError("trees must hold at least one merge tree")
    charts = [merge_tree_chart(tree, title, log_scale=log_scale, width=width, height=height)
              for title, tree in trees.items()]
    rows = [alt.hconcat(*charts[i:i + columns]) for i in range(0, len(charts), columns)]
    return alt.vconcat(*rows).resolve_scale(color="shared", shape="shared", y="independent")


def comparison_chart(table: pd.DataFrame, metrics: Sequence[str], *, group: str = "architecture",
                     width: int = 105, height: int = 120) -> alt.FacetChart:
    """One panel per metric: each network a dot (hover for its seed), by ``group``.

    ``table`` has a ``group`` column, ``seed`` and the ``metrics`` columns.
    """
    missing = [c for c in (group, "seed", *metrics) if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {missing}")
    long = table.melt(id_vars=[group, "seed"], value_vars=list(metrics), var_name="metric")
    domain = list(ARCHITECTURE_COLORS) if group == "architecture" else None
    colors = (alt.Scale(domain=domain, range=list(ARCHITECTURE_COLORS.values()))
              if domain else alt.Scale())
    return alt.Chart(long).mark_point(filled=True, size=70, opacity=0.85).encode(
        x=alt.X(f"{group}:N", title=None, sort=domain),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color(f"{group}:N", scale=colors, legend=None),
        tooltip=[f"{group}:N", "seed:N", alt.Tooltip("value:Q", format=".4g")]
    ).properties(width=width, height=height).facet(
        facet=alt.Facet("metric:N", title=None, sort=list(metrics)), columns=4
    ).resolve_scale(y="independent")
