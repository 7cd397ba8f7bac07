"""The instructor page: plans that fit their hours, times only from records, real messages."""

from __future__ import annotations

import re

import jupytext
import pytest
import yaml

from helpers import workshop
from helpers.book_parameters import chapter_values, check_values
from helpers.chapters import book_dir
from helpers.workshop import NOT_MEASURED, Slot

ROOT = book_dir().parent
CHAPTERS = [p.stem[:2] for p in sorted(book_dir().glob("[0-9][0-9]-*.md"))]


def _record(seconds, compute, written, cores=2):
    return {"seconds": seconds, "compute_seconds": compute, "artifacts_written": written,
            "cores": cores, "date": "2026-11-30 10:00 UTC"}


@pytest.mark.parametrize(("plan", "minutes"), [(workshop.THREE_HOURS, 180),
                                               (workshop.FULL_DAY, 480)])
def test_plans_fill_their_time(plan, minutes):
    assert sum(slot.minutes for slot in plan) == minutes


@pytest.mark.parametrize("plan", workshop.PLANS.values(), ids=list(workshop.PLANS))
def test_plans_name_real_sections(plan):
    for slot in plan:
        if slot.chapter is None:
            assert not slot.sections and slot.live is None
            continue
        headings = workshop.chapter_sections(slot.chapter)
        assert slot.sections and set(slot.sections) <= set(headings), slot.title


def test_full_day_covers_every_chapter():
    assert [s.chapter for s in workshop.FULL_DAY if s.chapter] == CHAPTERS


def test_every_live_run_is_accepted_by_its_chapter():
    sections = {}
    for plan in workshop.PLANS.values():
        for slot in plan:
            if slot.live:
                sections.setdefault(slot.chapter, {}).update(slot.live)
    check_values(chapter_values(sections))


def test_live_commands_are_what_make_chapter_reads():
    from helpers.chapters import parse_value

    command = workshop.live_command("04", {"filtration": "test_loss", "knn": 10,
                                           "zoo_settings": {"epochs": 4}})
    assert command == ('make chapter CH=04 P="-p filtration test_loss -p knn 10 '
                       "-p zoo_settings '{epochs: 4}'\"")
    assert parse_value("{seed: [0, 1]}") == {"seed": [0, 1]}
    assert workshop.live_command("01", {"bad": {"augment": False}, "seeds": None}) == (
        "make chapter CH=01 P=\"-p bad '{augment: false}' -p seeds None\"")
    assert parse_value("{augment: false}") == {"augment": False}
    assert workshop.live_command("01", {}) == "make chapter CH=01"


def test_times_come_only_from_records():
    titles = {"01": "Training", "02": "Jump", "03": "Views"}
    frame = workshop.chapter_times({"01": _record(100.0, 90.0, 9),
                                    "02": _record(10.0, 600.0, 0)}, titles)
    assert frame.loc["01", "from an empty cache"] == "1 min 40 s"  # measured: computed now
    assert frame.loc["02", "from an empty cache"] == "at most 10 min 10 s"  # estimated
    assert frame.loc["02", "results"] == "read from the cache"
    assert frame.loc["01", "results"] == "computed (9 artifacts)"
    assert frame.loc["03", "this execution"] == NOT_MEASURED
    assert frame.loc["03", "from an empty cache"] == ""


def test_plan_table_marks_runs_longer_than_half_the_slot():
    plan = (Slot(20, "Intro"), Slot(30, "A", "01", ("Training",), {"epochs": 40}),
            Slot(30, "B", "02", ("Summary",), {"retrain_lr": 0.1}),
            Slot(30, "C", "03", ("Summary",), {"phate_knn": 5}))
    table = workshop.plan_table(plan, {"01": _record(600.0, 500.0, 3),
                                       "02": _record(20.0, 1000.0, 0)}, start="13:50")
    assert table["time"].tolist() == ["13:50", "14:10", "14:40", "15:10"]
    assert table["live run takes"].tolist() == [
        "", "at most 10 min", "at most 17 min: start it before the slot", NOT_MEASURED]
    assert table.loc[1, "run live"] == '`make chapter CH=01 P="-p epochs 40"`'
    assert table.loc[1, "chapter"] == "{doc}`01-training`"


def test_measurement_sentence_says_what_was_measured():
    sentence = workshop.measurement_sentence(
        {"01": _record(9.0, 1.0, 3), "02": _record(2.0, 1.0, 3),
         "04": _record(2.0, 1.0, 0)}, ["01", "02", "03", "04"])
    assert "2 CPU cores" in sentence
    assert "Chapters 1 and 2 computed their results in this build" in sentence
    assert "Chapter 4 read every result" in sentence and "its time from an empty cache is" \
        in sentence
    assert f"Chapter 3: {NOT_MEASURED}" in sentence
    assert "No chapter recorded" in workshop.measurement_sentence({}, ["01"])


def test_setup_checklist_adds_up_the_chapters():
    sizes = {"environment": 6_800_000_000, "torch": 5_500_000_000}
    records = {"01": _record(600.0, 500.0, 3), "02": _record(60.0, 300.0, 0)}
    text = workshop.setup_checklist(records, ["01", "02"], sizes,
                                    repository="https://example.org/me/book")
    assert "at most 16 min of chapter execution on 2 cores" in text  # 600 + 60 + 300
    assert "`git clone https://example.org/me/book`" in text
    assert "3.3 GB in 183 files" in text and "6.8 GB" in text and "make book" in text
    missing = workshop.setup_checklist({"01": records["01"]}, ["01", "02"], sizes)
    assert NOT_MEASURED in missing and "git clone" not in missing
    cold = workshop.setup_checklist({"01": records["01"]}, ["01"], sizes)
    assert "10 min of chapter execution" in cold and "at most" not in cold


def test_common_errors_quote_the_code():
    frame = workshop.common_errors()
    messages = dict(zip(frame["symptom"], frame["message"], strict=True))
    assert "unknown parameter(s) ['epoch'] for chapter 01-training" in messages[
        "A parameter name is misspelt"]
    assert "epochs must be an integer >= 1; got -1" in messages["A value is out of range"]
    assert "'epoch' is no chapter's parameter" in messages["A parameter file is refused"]
    cifar = next(m for s, m in messages.items() if s.startswith("No internet"))
    assert "DatasetNotFoundError" in cifar and "download=True" in cifar
    assert "tmp" not in cifar  # the folder is the project's data/, not a temporary one
    device = next(m for s, m in messages.items() if s.startswith("No "))
    assert "is not available on this machine" in device
    assert all(frame["fix"].str.len() > 20)


def test_markdown_table_keeps_cells_apart():
    import pandas as pd

    table = workshop.markdown_table(pd.DataFrame({"a": ["x | y"], "b": ["two\nlines"]}))
    assert table.splitlines()[-1] == "| x \\| y | two lines |"


def test_built_with_names_the_parameter_file(tmp_path):
    assert workshop.built_with(tmp_path) == ""
    (tmp_path / "parameters.yaml").write_text(yaml.safe_dump(
        {"parameter_file": "params/paper.yaml",
         "chapters": {"01-training": {"preset": "paper"}}}))
    text = workshop.built_with(tmp_path)
    assert "`params/paper.yaml`" in text and "- 01-training: `preset = 'paper'`" in text


def test_no_placeholder_repository_is_configured():
    assert workshop.repository_url(ROOT) == ""


def test_instructor_page_comes_after_the_chapters_and_is_always_executed():
    toc = [entry["file"] for entry in yaml.safe_load((ROOT / "_toc.yml").read_text())["chapters"]]
    chapters = [f"book/{p.stem}" for p in book_dir().glob("[0-9][0-9]-*.md")]
    assert toc.index("book/instructors") > max(toc.index(c) for c in chapters)
    assert toc[toc.index("book/instructors") + 1] == "book/api"
    page = jupytext.read(ROOT / "book" / "instructors.md")
    assert page.metadata["mystnb"] == {"execution_mode": "force"}
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "book/instructors" in config["sphinx"]["config"]["reread_after_chapters"]
    # Sphinx reads in name order: the page is read after every chapter.
    assert all(f"book/{p.stem}" < "book/instructors"
               for p in book_dir().glob("[0-9][0-9]-*.md"))
    code = "\n".join(c.source for c in page.cells if c.cell_type == "code")
    assert not re.search(r"\d+\s*(s|min|seconds)\b", code)  # no time written into the page


def test_cold_seconds_and_durations():
    assert workshop.cold_seconds(_record(5.0, 50.0, 1)) == (5.0, True)
    assert workshop.cold_seconds(_record(5.0, 50.0, 0)) == (55.0, False)
    assert [workshop.format_duration(s) for s in (0.4, 59.6, 60, 3600, 7260)] == [
        "0 s", "1 min", "1 min", "1 h", "2 h 1 min"]
