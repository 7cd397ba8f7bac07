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
import vl_convert

from helpers.checks import check_choice

BUNDLE_NAME = "vega-bundle.js"



_counter = itertools.count()



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
