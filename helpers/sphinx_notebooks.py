"""Sphinx extension: the chapters' notebooks for download, and buttons only for a real repository.

- **Notebooks.** Every page written as a MyST-Markdown notebook offers its ``.ipynb`` in
  the download menu (``_sources/<page>.ipynb``), converted from the page's source with
  jupytext: the chapter's cells without their outputs, to run in the book's environment
  (``.venv``, where ``helpers`` is installed). The theme alone offers it only when launch
  buttons are on, and then the executed notebook, several megabytes of chart data.
- **Repository buttons.** The repository, issues and launch (Binder) buttons appear only
  when ``repository.url`` in ``_config.yml`` names the book's repository; it is empty by
  default, so no button points to a repository that does not exist.
- **Pages that read the chapters' results.** The pages named in the Sphinx setting
  ``reread_after_chapters`` are read again whenever a chapter is, after it (Sphinx reads
  in name order and the chapters' names start with digits): the instructor page shows
  the timings the chapters just recorded, never those of an earlier build.

Enable it in ``_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: A chapter's document name: ``book/04-persistence``.
CHAPTER = re.compile(r"(^|/)\d\d-[^/]*$")

#: The buttons that need the repository's address.
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button")


def _configure_buttons(app: Any, config: Any) -> None:
    options = config.html_theme_options
    if (options.get("repository_url") or "").strip():
        # Jupyter Book passes its defaults (false) for these, so they are set, not defaulted.
        for button in REPOSITORY_BUTTONS:
            options[button] = True
        return
    options.pop("repository_url", None)
    options.pop("launch_buttons", None)
    for button in (*REPOSITORY_BUTTONS, "use_edit_page_button"):
        options[button] = False


def _is_markdown_notebook(app: Any, pagename: str, context: dict[str, Any]) -> bool:
    metadata = app.env.metadata.get(pagename, {})
    return "kernelspec" in metadata and context.get("page_source_suffix") == ".md"


def _offer_notebook(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                    doctree: Any) -> None:
    # Before the theme builds its download menu (priority 501).
    if doctree is not None and _is_markdown_notebook(app, pagename, context):
        context["ipynb_source"] = f"{pagename}.ipynb"


def notebook_of(source: str | Path) -> Any:
    """The notebook a participant downloads for a MyST-Markdown page: cells, no outputs."""
    import jupytext

    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def _write_notebook(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                    doctree: Any) -> None:
    # After the theme, which copies the executed notebook to the same place when launch
    # buttons are on.
    if context.get("ipynb_source") != f"{pagename}.ipynb" \
            or not _is_markdown_notebook(app, pagename, context):
        return
    import nbformat

    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook_of(app.env.doc2path(pagename)), target)


def _reread_after_chapters(app: Any, env: Any, added: set[str], changed: set[str],
                           removed: set[str]) -> list[str]:
    if not any(CHAPTER.search(name) for name in added | changed):
        return []
    return [name for name in app.config.reread_after_chapters if name in env.found_docs]


def setup(app: Any) -> dict[str, Any]:
    """Register the download, the buttons' condition and the re-reading."""
    app.add_config_value("reread_after_chapters", [], "env")
    app.connect("config-inited", _configure_buttons)
    app.connect("html-page-context", _offer_notebook, priority=400)
    app.connect("html-page-context", _write_notebook, priority=900)
    app.connect("env-get-outdated", _reread_after_chapters)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
