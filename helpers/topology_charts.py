"""Charts of persistence: diagrams, landscapes beside their diagrams, merge trees, Fig. 3B.

Examples
--------
>>> import numpy as np
>>> frame = diagram_frame([np.array([[0.0, 1.0], [0.5, np.inf]])])
>>> frame["dimension"].tolist()
['H0', 'H0']
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from helpers.charts import landscape_points

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
        :func:`helpers.topology.total_persistence`) of each dimension and its number of
        finite points in the subtitle (two lines: "total persistence (finite points)",
        then "H0: ... (n), H1: ... (m)").

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
    # Legends below the chart, side by side, so that a row of diagrams stays narrow.
    corner = alt.Legend(orient="bottom", direction="vertical")
    points = alt.Chart(frame).mark_point(filled=True, size=40, opacity=0.8).encode(
        x=alt.X("birth:Q", axis=axis), y=alt.Y("y:Q", axis=axis),
        color=alt.Color("dimension:N", title="dimension", legend=corner, scale=alt.Scale(
            domain=dimension_names[:max(len(dims), 2)],
            range=list(DIMENSION_COLORS.values())[:max(len(dims), 2)])),
        shape=alt.Shape("infinite:N", title="never dies", legend=corner,
                        scale=alt.Scale(domain=[False, True], range=["circle", "triangle-up"])),
        tooltip=["dimension:N", alt.Tooltip("birth:Q", format=".4g"),
                 alt.Tooltip("death_text:N", title="death"),
                 alt.Tooltip("persistence:Q", format=".4g")])
    subtitle = ""
    if total:
        parts = [f"{d}: {total_persistence(rows[['birth', 'death']], essential='drop'):.3g} "
                 f"({int((~rows['infinite']).sum())})"
                 for d in dims for rows in [frame[frame["dimension"] == d]]]
        # Two lines: one would make a small diagram wider than its plot.
        subtitle = ["total persistence (finite points)", ", ".join(parts)]
    return alt.layer(diagonal, infinity_rule, infinity_text, points).properties(
        width=width, height=height,
        title=alt.TitleParams(title, subtitle=subtitle) if subtitle else title)



def landscape_with_diagram(points: pd.DataFrame, diagrams: Any, title: str = "",
                           size: int = 140) -> alt.VConcatChart:
    """Horoi et al. (2022), Fig. 3A, one column: a PHATE view above its persistence diagram.

    ``points`` is a sample table with embedding coordinates ``x, y`` (see
    :func:`helpers.charts.landscape_points`); ``diagrams`` its ``[H0, H1]`` (see
    :func:`persistence_diagram`, whose subtitle gives the total persistence). Legends
    lie under each panel, so at the default ``size`` three columns fit side by side on
    the page (:func:`helpers.charts.row`).
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
        One row per network, e.g. :func:`helpers.pipeline.feature_sweep`'s table.
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
    # The legend under the tree: beside a diagram, a legend on the right would not fit.
    legend = alt.Legend(orient="bottom", direction="horizontal")
    vertices = alt.Chart(nodes).mark_point(filled=True, size=60, opacity=0.9).encode(
        x="x:Q", y="value:Q",
        shape=alt.Shape("kind:N", title="vertex", legend=legend, scale=alt.Scale(
            domain=kinds, range=["circle", "diamond", "square"])),
        color=alt.Color("kind:N", title="vertex", legend=legend, scale=alt.Scale(
            domain=kinds, range=["#1f77b4", "#d62728", "black"])),
        tooltip=["vertex:Q", alt.Tooltip("value:Q", format=".4g"), "kind:N"])
    return alt.layer(lines, vertices).properties(width=width, height=height, title=title)


def conventions_chart(table: pd.DataFrame, summary: str = "total_persistence_h0",
                      x: str = "test_loss", color: str = "weight_decay",
                      shape: str | None = "augment", *, title: str = "",
                      width: int = 250, height: int = 170) -> alt.FacetChart:
    """Fig. 3B under every convention: a summary against the test loss, one panel each.

    Rows are the filtration (train or test loss), columns the essential-bar convention
    (``"drop"``, ``"max"``; :func:`helpers.zoo_statistics.conventions`); each panel has
    its own y scale (closing the essential bar adds a large constant). Points are
    networks, coloured by ``color`` (the paper: weight decay), shaped by ``shape``.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`helpers.zoo.ZooResult.table`.
    summary : {"total_persistence_h0", "average_persistence"}
    """
    from helpers.charts import fit_width
    from helpers.zoo_statistics import conventions, summary_column

    columns = [x, color] + ([shape] if shape else [])
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {missing}; it has {list(table.columns)}")
    frames = []
    for filtration, essential in conventions():
        column = summary_column(summary, filtration, essential)
        frames.append(table[columns].assign(
            value=table[column], filtration=f"filtered by {filtration.replace('_', ' ')}",
            essential=f"essential bar: {essential}"))
    data = pd.concat(frames, ignore_index=True).dropna(subset=["value", x])
    if shape:
        data[shape] = data[shape].astype(str)
    label = summary.replace("_", " ")

    def build(panel: int) -> alt.FacetChart:
        encoding = dict(
            x=alt.X(f"{x}:Q", title=x.replace("_", " "), scale=alt.Scale(zero=False),
                    axis=alt.Axis(tickCount=4)),
            y=alt.Y("value:Q", title=label, scale=alt.Scale(zero=False),
                    axis=alt.Axis(format="~g", tickCount=4)),
            color=alt.Color(f"{color}:O", title=color.replace("_", " "),
                            scale=alt.Scale(scheme="viridis")),
            tooltip=[alt.Tooltip(f"{c}:N") for c in columns[1:]]
            + [alt.Tooltip(f"{x}:Q", format=".4g"), alt.Tooltip("value:Q", format=".4g",
                                                                 title=label)])
        if shape:
            encoding["shape"] = alt.Shape(f"{shape}:N", title=shape.replace("_", " "))
        return alt.Chart(data).mark_point(filled=True, size=45, opacity=0.8).encode(
            **encoding).properties(width=panel, height=height).facet(
            row=alt.Row("filtration:N", title=None, sort=[f"filtered by {f.replace('_', ' ')}"
                                                         for f in ("train_loss", "test_loss")]),
            column=alt.Column("essential:N", title=None),
            title=title).resolve_scale(y="independent")

    return fit_width(build, width, columns=2)
