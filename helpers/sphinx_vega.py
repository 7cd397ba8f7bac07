"""Sphinx extension: serve the vega JavaScript from the site itself.

Adds ``_static/vega-bundle.js`` (vega, vega-lite and vega-embed from vl-convert,
see :func:`helpers.render.javascript_bundle`) to every page as a module script, so
the charts drawn by :func:`helpers.render.enable` work with no internet connection.
It also drops scripts registered twice (see ``_drop_duplicate_scripts``), whose
errors would hide real ones in the browser console. Enable it in ``_config.yml``
under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.render import BUNDLE_NAME, write_bundle


def _write(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        write_bundle(Path(app.outdir) / "_static")


def _drop_duplicate_scripts(app: Any, pagename: str, templatename: str,
                            context: dict[str, Any], doctree: Any) -> None:
    # sphinx-thebe registers its inline configuration once per read pass, and Jupyter Book
    # reads twice: the second copy re-declares a `const` and logs an error in every page.
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        identity = (getattr(script, "filename", script) or "", tuple(sorted(attributes.items())))
        if identity not in seen:
            seen.add(identity)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, Any]:
    """Register the bundle with every HTML page."""
    # A module script runs after the page is parsed and before the charts' own module
    # scripts, which come later in document order.
    app.add_js_file(BUNDLE_NAME, type="module")
    app.connect("build-finished", _write)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
