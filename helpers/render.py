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

Every chart of the book fits the page: :data:`PAGE_WIDTH` is the widest a chart may
be, and :func:`chart_size` measures a chart as vega lays it out (vl-convert runs the
same vega as the browser, so the sizes agree to the pixel).

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
import re
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert

from helpers.checks import check_choice

BUNDLE_NAME = "vega-bundle.js"

#: The widest a chart may be, in CSS pixels. Measured in the built book
#: (sphinx-book-theme 1.3), the main column is 688 px wide in a 1280-px browser window,
#: 676 px beside a 12-px scrollbar, and 790 px (its largest) in a 1920-px one; 16 px
#: are kept for the widths of fonts that differ from one machine to another.
PAGE_WIDTH = 660



_counter = itertools.count()
# The SVGs of the last specs drawn or measured, by the SHA-256 of their JSON (see _svg).
_SVGS: dict[str, str] = {}



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
    svg = _svg(spec, spec_json)
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



def _svg(spec: dict[str, Any], spec_json: str) -> str:
    """vl-convert's SVG of ``spec``, remembered for the last few specs.

    A chart fitted to the page (:func:`chart_size`) is then displayed: its SVG is drawn
    once, not twice.
    """
    key = hashlib.sha256(spec_json.encode()).hexdigest()
    if key not in _SVGS:
        _SVGS[key] = vl_convert.vegalite_to_svg(spec, vl_version=_vl_version())
        while len(_SVGS) > 8:
            _SVGS.pop(next(iter(_SVGS)))
    return _SVGS[key]


def _vl_version() -> str:
    return "_".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])



def chart_size(chart: alt.TopLevelMixin | dict[str, Any]) -> tuple[float, float]:
    """Width and height in pixels of ``chart`` as drawn, legends and titles included.

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    >>> width, height = chart_size(chart.properties(width=200, height=100))
    >>> 200 < width < 240 and 100 < height < 150
    True
    """
    if isinstance(chart, dict):
        spec = chart
    else:
        # Measuring must not fail on Altair's row limit, which enable() lifts for display.
        with alt.data_transformers.enable(max_rows=None):
            spec = chart.to_dict()
    svg = _svg(spec, json.dumps(spec, sort_keys=True))
    root = re.search(r"<svg\b[^>]*>", svg).group(0)
    sizes = [float(re.search(rf'\b{name}="([0-9.]+)"', root).group(1))
             for name in ("width", "height")]
    return sizes[0], sizes[1]



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
