"""The built site draws Chapter 1's charts in a real browser with no internet connection.

A small site is built from the real ``_config.yml`` around Chapter 1 executed with tiny
parameters, served on localhost and opened in headless Chromium. Every chart must be
replaced by vega's live rendering (an element of class ``marks``), the browser
console must show no errors, and in a 1280-px and a 1920-px window every chart must lie
inside the page's main column (the content box of the theme's ``article.bd-article``).
A screenshot is saved under ``_build/screenshots/``. Every exercise's solution must be
hidden until its toggle is clicked, and shown after.

With ``LOSS_LANDSCAPE_SITE`` pointing at a site built by ``make book`` (``.ci/run`` does
this after the build), every chapter page of that site is checked the same way.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from helpers.chapters import run_chapter

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Build a one-chapter site with the project's own configuration."""
    book = tmp_path_factory.mktemp("site")
    os.environ["LOSS_LANDSCAPE_CACHE"] = str(book / "cache")
    (book / "book").mkdir()
    run_chapter("01", {"epochs": 2, "train_size": 40, "seeds": [0]},
                output_dir=book / "book", html=False)
    (book / "book" / "01-training.ipynb").unlink(missing_ok=True)
    executed = next((book / "book").glob("01-training*.ipynb"))
    executed.rename(book / "book" / "01-training.ipynb")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "off"}
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/01-training\n"
        "  - file: book/api\n  - file: book/references\n")
    (book / "book" / "intro.md").write_text("# Test site\n")
    for name in ("references.bib", "references.md", "api.md", "_static", "solutions"):
        source = ROOT / "book" / name
        if source.is_dir():
            shutil.copytree(source, book / "book" / name)
        elif source.exists():
            shutil.copy(source, book / "book" / name)
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    result = subprocess.run([jupyter_book, "build", "-W", "-n",
                             "--keep-going", str(book)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return book / "_build" / "html"


def _serve(folder: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def server(site):
    yield from _serve(site)


BUILT_SITE = os.environ.get("LOSS_LANDSCAPE_SITE")
# The numbered chapters, and the pages beside them that draw charts.
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]-*.md")) + ["your-own-model"]


@pytest.fixture(scope="module")
def built_server():
    site = Path(BUILT_SITE)
    if not (site / "book").is_dir():
        pytest.fail(f"LOSS_LANDSCAPE_SITE={BUILT_SITE} holds no built book (run make book)")
    yield from _serve(site)


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are required in CI (make browser installs them)")
        pytest.skip("chromium and chromedriver are not installed (make browser installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,2400"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_static_site_serves_its_own_vega(site):
    bundle = site / "_static" / "vega-bundle.js"
    assert bundle.stat().st_size > 100_000
    page = (site / "book" / "01-training.html").read_text()
    assert "vega-bundle.js" in page
    remote = re.findall(r'<script[^>]*\bsrc="(https?://[^"]+)"', page)
    assert not [url for url in remote if "vega" in url], remote  # vega comes from the site itself


def test_chapter_01_draws_every_chart_without_console_errors(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/book/01-training.html")
    charts = browser.find_elements(By.CSS_SELECTOR, "div.vega-chart")
    assert len(charts) == 3
    _assert_every_chart_draws(browser, "01-training")


def test_chapter_01_charts_fit_the_main_column(server, browser):
    _assert_every_chart_fits(browser, f"{server}/book/01-training.html")


def test_chapter_01_solutions_are_hidden_until_their_toggle_is_clicked(server, browser):
    _assert_solutions_toggle(browser, f"{server}/book/01-training.html")


def _wait_until_drawn(browser) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    def all_drawn(driver) -> bool:
        return driver.execute_script(
            "return [...document.querySelectorAll('div.vega-chart')]"
            ".every(d => d.classList.contains('vega-embed') && d.querySelector('.marks'))")

    WebDriverWait(browser, 60).until(all_drawn)


def _assert_every_chart_draws(browser, page: str) -> None:
    _wait_until_drawn(browser)
    screenshots = ROOT / "_build" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(screenshots / f"{page}.png"))
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


#: Browser window widths at which every chart must lie inside the main column.
WINDOW_WIDTHS = (1280, 1920)

# The main column is the content box of the theme's article; a chart's box is the union
# of its element's and its drawing's (an SVG wider than its element overflows it).
_BOXES = """
const article = document.querySelector('article.bd-article');
const a = article.getBoundingClientRect(), style = getComputedStyle(article);
const column = {left: a.left + parseFloat(style.paddingLeft),
                right: a.right - parseFloat(style.paddingRight), top: a.top, bottom: a.bottom};
const charts = [...document.querySelectorAll('div.vega-chart')].map((element) => {
  const boxes = [element, ...element.querySelectorAll(':scope > svg, :scope > canvas')]
    .map((e) => e.getBoundingClientRect());
  return {id: element.id, left: Math.min(...boxes.map((b) => b.left)),
          right: Math.max(...boxes.map((b) => b.right)),
          top: Math.min(...boxes.map((b) => b.top)),
          bottom: Math.max(...boxes.map((b) => b.bottom))};
});
return {column, charts};
"""


def _assert_every_chart_fits(browser, url: str) -> None:
    """At each window width, every drawn chart's box lies inside the main column's box."""
    outside = []
    for width in WINDOW_WIDTHS:
        browser.set_window_size(width, 2400)
        browser.get(url)
        _wait_until_drawn(browser)
        boxes = browser.execute_script(_BOXES)
        column = boxes["column"]
        assert column["right"] - column["left"] > 600, column  # the theme's column was found
        for index, chart in enumerate(boxes["charts"]):
            # Half a pixel for sub-pixel rounding of the layout.
            if (chart["left"] < column["left"] - 0.5 or chart["right"] > column["right"] + 0.5
                    or chart["top"] < column["top"] - 0.5
                    or chart["bottom"] > column["bottom"] + 0.5):
                outside.append(f"window {width} px: chart {index} ({chart['id']}) spans "
                               f"x {chart['left']:.0f}-{chart['right']:.0f}, the column "
                               f"{column['left']:.0f}-{column['right']:.0f}")
    browser.set_window_size(WINDOW_WIDTHS[0], 2400)
    assert not outside, "\n".join(outside)


@pytest.mark.skipif(not BUILT_SITE, reason="set LOSS_LANDSCAPE_SITE to a site built by make book")
@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chapter_of_the_built_site_draws(page, built_server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{built_server}/book/{page}.html")
    assert browser.find_elements(By.CSS_SELECTOR, "div.vega-chart"), f"{page} has no chart"
    _assert_every_chart_draws(browser, page)


@pytest.mark.skipif(not BUILT_SITE, reason="set LOSS_LANDSCAPE_SITE to a site built by make book")
@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chart_of_the_built_site_fits_the_main_column(page, built_server, browser):
    _assert_every_chart_fits(browser, f"{built_server}/book/{page}.html")


#: Chapters with exercises: their solutions ({solution} directives of sphinx-exercise with
#: ``:class: dropdown``) are hidden behind sphinx-togglebutton's toggle.
EXERCISE_CHAPTERS = [page for page in CHAPTERS
                     if "{solution}" in (ROOT / "book" / f"{page}.md").read_text()]


def _assert_solutions_toggle(browser, url: str) -> None:
    """Every solution's code is hidden; a click on the first one's toggle shows it alone."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    solutions = browser.find_elements(By.CSS_SELECTOR, "div.solution")
    assert solutions, f"{url} has no solution"
    # togglebutton.js adds one button per solution once the page has loaded.
    WebDriverWait(browser, 30).until(lambda driver: all(
        s.find_elements(By.CSS_SELECTOR, "button.toggle-button") for s in solutions))
    codes = [s.find_element(By.CSS_SELECTOR, "div.highlight") for s in solutions]
    assert not any(code.is_displayed() for code in codes), "a solution shows before its click"
    exercise = browser.find_element(By.CSS_SELECTOR, "div.exercise")
    assert exercise.is_displayed() and exercise.text.strip()
    first = solutions[0].find_element(By.CSS_SELECTOR, "button.toggle-button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", first)
    first.click()
    WebDriverWait(browser, 10).until(lambda driver: codes[0].is_displayed())
    assert "def exercise_1(" in codes[0].text
    assert not any(code.is_displayed() for code in codes[1:])


@pytest.mark.skipif(not BUILT_SITE, reason="set LOSS_LANDSCAPE_SITE to a site built by make book")
@pytest.mark.parametrize("page", EXERCISE_CHAPTERS)
def test_every_solution_of_the_built_site_is_hidden_until_clicked(page, built_server, browser):
    _assert_solutions_toggle(browser, f"{built_server}/book/{page}.html")


def _configured_repository() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return ((config.get("repository") or {}).get("url") or "").strip()


@pytest.mark.skipif(not BUILT_SITE, reason="set LOSS_LANDSCAPE_SITE to a site built by make book")
@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chapter_of_the_built_site_offers_its_notebook(page):
    import jupytext
    import nbformat

    site = Path(BUILT_SITE)
    html = (site / "book" / f"{page}.html").read_text()
    assert re.findall(r'href="([^"]+\.ipynb)"', html) == [f"../_sources/book/{page}.ipynb"]
    notebook = nbformat.read(site / "_sources" / "book" / f"{page}.ipynb", as_version=4)
    chapter = jupytext.read(ROOT / "book" / f"{page}.md")
    assert [c.source for c in notebook.cells if c.cell_type == "code"] == [
        c.source for c in chapter.cells if c.cell_type == "code"]
    if not _configured_repository():
        assert "launch-buttons" not in html and "mybinder.org" not in html
        assert "btn-source-repository-button" not in html and "/issues/new" not in html


@pytest.mark.skipif(not BUILT_SITE, reason="set LOSS_LANDSCAPE_SITE to a site built by make book")
def test_the_built_site_instructor_page_shows_the_timings_of_its_build():
    import html as entities

    from helpers import timings, workshop

    site = Path(BUILT_SITE)
    records = timings.read_records(site.parent / "timings")
    page = entities.unescape((site / "book" / "instructors.html").read_text())
    rows = [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr.*?</tr>", page, re.S)]
    dates = sorted(r["date"] for r in records.values())
    assert dates and dates[0] in page and dates[-1] in page  # when the build measured them
    for number, title in workshop.chapter_titles().items():
        (row,) = [r for r in rows if f" {title.split(':')[0]} " in r]
        if number in records:
            assert workshop.format_duration(records[number]["seconds"]) in row, row
        else:
            assert workshop.NOT_MEASURED in row, row
