"""Notebook downloads and repository buttons (helpers.sphinx_notebooks).

The unit tests call the extension's handlers on stand-ins; the slow test builds a
two-page book with the project's ``_config.yml`` (execution off) with and without a
repository URL and reads the pages it wrote.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jupytext
import nbformat
import pytest
import yaml

from helpers import sphinx_notebooks
from helpers.chapters import book_dir

ROOT = book_dir().parent


def _options(url: str) -> dict:
    return {"repository_url": url, "launch_buttons": {"binderhub_url": "https://mybinder.org"}}


def test_without_a_repository_no_button_points_to_one():
    config = SimpleNamespace(html_theme_options=_options(""))
    sphinx_notebooks._configure_buttons(None, config)
    options = config.html_theme_options
    assert "launch_buttons" not in options and "repository_url" not in options
    assert not options["use_repository_button"] and not options["use_issues_button"]


def test_a_repository_url_turns_the_buttons_on():
    config = SimpleNamespace(html_theme_options=_options("https://github.com/me/book"))
    sphinx_notebooks._configure_buttons(None, config)
    options = config.html_theme_options
    assert options["launch_buttons"] and options["repository_url"]
    assert options["use_repository_button"] and options["use_issues_button"]


def test_pages_after_chapters_are_read_again_with_any_chapter():
    app = SimpleNamespace(config=SimpleNamespace(
        reread_after_chapters=["book/intro", "book/instructors", "book/gone"]))
    env = SimpleNamespace(found_docs={"book/intro", "book/instructors", "book/04-persistence"})
    reread = sphinx_notebooks._reread_after_chapters
    assert reread(app, env, set(), {"book/04-persistence"}, set()) == [
        "book/intro", "book/instructors"]
    assert reread(app, env, {"book/api"}, set(), set()) == []


def test_the_notebook_offered_is_the_chapter_without_outputs():
    path = book_dir() / "04-persistence.md"
    notebook = sphinx_notebooks.notebook_of(path)
    nbformat.validate(notebook)
    source = jupytext.read(path)
    assert [c.source for c in notebook.cells] == [c.source for c in source.cells]
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert "jupytext" not in notebook.metadata
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    assert any("parameters" in c.metadata.get("tags", []) for c in notebook.cells)


def _build(book: Path, url: str) -> Path:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "off"}
    config["repository"]["url"] = url
    config["sphinx"]["config"]["reread_after_chapters"] = []
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n"
                                   "  - file: book/01-tiny\n  - file: book/references\n")
    (book / "book").mkdir(exist_ok=True)
    (book / "book" / "intro.md").write_text("# Test site\n")
    (book / "book" / "01-tiny.md").write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "# 1. Tiny\n\n```{code-cell} ipython3\n:tags: [parameters]\n\nx = 1\n```\n")
    for name in ("references.bib", "references.md", "_static"):
        source, target = ROOT / "book" / name, book / "book" / name
        if source.is_dir() and not target.exists():
            import shutil

            shutil.copytree(source, target)
        elif source.is_file():
            target.write_bytes(source.read_bytes())
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    result = subprocess.run([jupyter_book, "build", "-W", "-n", "--keep-going", "--all",
                             str(book)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return book / "_build" / "html"


@pytest.mark.slow
def test_built_pages_offer_the_notebook_and_buttons_only_with_a_repository(tmp_path):
    site = _build(tmp_path, "")
    page = (site / "book" / "01-tiny.html").read_text()
    links = re.findall(r'href="([^"]+\.ipynb)"', page)
    assert links == ["../_sources/book/01-tiny.ipynb"]
    notebook = nbformat.read(site / "_sources" / "book" / "01-tiny.ipynb", as_version=4)
    assert notebook.cells[-1].source == "x = 1"
    assert "launch-buttons" not in page and "mybinder" not in page
    assert "btn-source-repository-button" not in page and "issues/new" not in page

    site = _build(tmp_path, "https://github.com/someone/some-book")
    page = (site / "book" / "01-tiny.html").read_text()
    assert "https://mybinder.org/v2/gh/someone/some-book/main" in page
    assert "https://github.com/someone/some-book/issues/new" in page
    assert re.findall(r'href="([^"]+\.ipynb)"', page) == ["../_sources/book/01-tiny.ipynb"]
    # Still the chapter's cells, not the theme's copy of an executed notebook.
    notebook = nbformat.read(site / "_sources" / "book" / "01-tiny.ipynb", as_version=4)
    assert "jupytext" not in notebook.metadata
