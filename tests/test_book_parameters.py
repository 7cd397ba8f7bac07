"""Whole-book parameter files: refused before anything runs, or written into a copy of the book.

Nothing here runs jupyter-book or executes a chapter: the build step is replaced by one
that records its command, and the copy of the book is inspected as text.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import jupytext
import pytest
import yaml

from helpers import __main__ as command
from helpers import book_parameters
from helpers.book_parameters import (
    ParameterFileError,
    chapter_values,
    prepare_book,
    read_parameter_file,
    set_parameters,
)
from helpers.chapters import book_dir, chapter_parameters

ROOT = book_dir().parent


@pytest.fixture(autouse=True)
def _never_build(monkeypatch):
    calls = []

    def run(args, **kwargs):
        calls.append((args, kwargs))
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(book_parameters.subprocess, "run", run)
    return calls


def _file(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _cli(*args: str) -> int:
    return command.main(["build-book", *args])


def test_unknown_common_name_is_refused_before_anything_is_written(tmp_path, capsys,
                                                                   _never_build):
    output = tmp_path / "book"
    status = _cli(str(_file(tmp_path, "all: {preset: paper, epoch: 3}\n")),
                  "--output-dir", str(output))
    error = capsys.readouterr().err
    assert status == 2 and "'epoch' is no chapter's parameter" in error
    assert "nothing was run" in error
    assert not output.exists() and not _never_build


def test_unknown_chapter_name_is_refused_naming_the_chapter(tmp_path, capsys, _never_build):
    output = tmp_path / "book"
    status = _cli(str(_file(tmp_path, '"04": {filtration: test_loss, knn_size: 3}\n')),
                  "--output-dir", str(output))
    error = capsys.readouterr().err
    assert status == 2
    assert "chapter 04-persistence: unknown parameter(s) ['knn_size']" in error
    assert not output.exists() and not _never_build


def test_a_name_another_chapter_has_is_refused_in_a_chapter_section(tmp_path):
    # `rates` is Chapter 6's; in Chapter 1's own section it is an error, not ignored.
    with pytest.raises(ParameterFileError, match=r"chapter 01-training: unknown .*'rates'"):
        chapter_values(read_parameter_file(_file(tmp_path, '"01": {rates: [0.1]}\n')))


def test_unknown_chapter_section_is_refused(tmp_path):
    with pytest.raises(ParameterFileError, match="section '99'.*chapter must name one of"):
        chapter_values(read_parameter_file(_file(tmp_path, '"99": {epochs: 3}\n')))


def test_bad_value_is_refused_naming_chapter_and_parameter(tmp_path, capsys, _never_build):
    output = tmp_path / "book"
    status = _cli(str(_file(tmp_path, '"04": {filtration: bogus, knn: 10}\n')),
                  "--output-dir", str(output))
    error = capsys.readouterr().err
    assert status == 2
    assert "chapter 04-persistence:" in error and "filtration" in error and "bogus" in error
    assert not output.exists() and not _never_build


def test_bad_common_value_is_refused_in_every_chapter_that_has_it(tmp_path):
    with pytest.raises(ParameterFileError) as refused:
        prepare_book(_file(tmp_path, "all: {torch_threads: 0}\n"), tmp_path / "book")
    lines = str(refused.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "chapter 04-persistence", "chapter 05-classifier-table", "chapter 06-learning-rate",
        "chapter 07-loss-surfaces"]
    assert all("torch_threads" in line for line in lines)
    assert not (tmp_path / "book").exists()


def test_malformed_files_are_refused(tmp_path):
    for text, match in [("- preset\n", "must map sections"),
                        ("all: paper\n", "section 'all'.*must map parameter names"),
                        ("all: {preset: [\n", "not valid YAML")]:
        with pytest.raises(ParameterFileError, match=match):
            read_parameter_file(_file(tmp_path, text))
    with pytest.raises(ParameterFileError, match="does not exist"):
        read_parameter_file(tmp_path / "missing.yaml")


def test_common_names_go_only_to_chapters_that_have_them():
    values = chapter_values({"all": {"device": "cpu", "rates": [0.1, 0.05]},
                             "6": {"k": 5}, "04-persistence": {"knn": 10}})
    assert values["06-learning-rate"] == {"device": "cpu", "rates": [0.1, 0.05], "k": 5}
    assert values["04-persistence"] == {"device": "cpu", "knn": 10}
    assert values["01-training"] == {"device": "cpu"}
    # A chapter's own section overrides the common value.
    assert chapter_values({"all": {"device": "cpu"}, "01": {"device": "mps"}})[
        "01-training"] == {"device": "mps"}


def test_override_lands_in_the_right_chapters_parameters_cell(tmp_path, _never_build):
    file = _file(tmp_path, 'all: {download: false}\n"04": {filtration: test_loss, '
                           'zoo_settings: {epochs: 4}}\n"06": {k: 5}\n')
    book = prepare_book(file, tmp_path / "book")
    assert not _never_build  # prepared, not built
    for path in sorted((ROOT / "book").glob("[0-9][0-9]-*.md")):
        copied = chapter_parameters(jupytext.read(book / "book" / path.name))
        original = chapter_parameters(jupytext.read(path))
        changed = {k: v for k, v in copied.items() if original[k] != v}
        expected = {"04-persistence": {"filtration": "test_loss", "zoo_settings": {"epochs": 4}},
                    "06-learning-rate": {"k": 5}}.get(path.stem, {})
        assert changed == expected, path.stem
        assert set(copied) == set(original)
    text = (book / "book" / "04-persistence.md").read_text()
    assert "# download, filtration, zoo_settings: from mine.yaml" in text
    assert 'filtration = "test_loss"' in text
    # Only the parameters cell differs from the chapter.
    original = (ROOT / "book" / "04-persistence.md").read_text().splitlines()
    differing = [line for line in text.splitlines() if line not in original]
    assert len(differing) == 3
    # Every other file of the book is copied as it is.
    for name in ("_config.yml", "_toc.yml", "book/intro.md", "book/references.bib",
                 "book/_static/favicon.svg"):
        assert (book / name).read_bytes() == (ROOT / name).read_bytes()
    assert yaml.safe_load((book / "parameters.yaml").read_text())["chapters"][
        "06-learning-rate"] == {"download": False, "k": 5}


def test_build_runs_a_strict_jupyter_book_build_of_the_copy(tmp_path, _never_build,
                                                            monkeypatch):
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(tmp_path / "cache"))
    site = book_parameters.build_book(_file(tmp_path, "all: {device: cpu}\n"),
                                      tmp_path / "book")
    ((args, kwargs),) = _never_build
    assert args[1:] == ["build", "-W", "-n", "--keep-going", str(tmp_path / "book")]
    assert kwargs["env"]["LOSS_LANDSCAPE_TIMINGS"] == str(tmp_path / "book" / "_build" / "timings")
    assert kwargs["env"]["LOSS_LANDSCAPE_CACHE"] == str(tmp_path / "cache")  # shared cache
    assert site == tmp_path / "book" / "_build" / "html"


def test_executed_chapters_of_the_copy_are_discarded_when_the_code_changes(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(book_parameters, "check_values", lambda values: None)
    file = _file(tmp_path, "all: {device: cpu}\n")
    book = prepare_book(file, tmp_path / "book")
    executed = book / "_build" / ".jupyter_cache"
    executed.mkdir()
    prepare_book(file, book)
    assert executed.exists()  # same code: kept
    for stamp in (book / "_build").glob(".code-*"):
        stamp.rename(book / "_build" / ".code-older")
    prepare_book(file, book)
    assert not executed.exists()
    assert [p.name for p in (book / "_build").glob(".code-*")] == [
        f".code-{book_parameters.code_stamp(ROOT)}"]


def test_files_removed_from_the_book_leave_the_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(book_parameters, "check_values", lambda values: None)
    file = _file(tmp_path, "all: {device: cpu}\n")
    book = prepare_book(file, tmp_path / "book")
    (book / "book" / "old-page.md").write_text("# gone\n")
    prepare_book(file, book)
    assert not (book / "book" / "old-page.md").exists()


def test_comments_and_multiline_values_keep_their_place():
    source = 'a = 1      # one\nb = {"x": [1,\n     2]}   # two\nc = "z"'
    written = set_parameters(source, {"b": {"x": [3]}, "c": "w"}, "f.yaml")
    assert written.splitlines() == ['# b, c: from f.yaml', 'a = 1      # one',
                                    'b = {"x": [3]}  # two', 'c = "w"']
    with pytest.raises(ParameterFileError, match="assigns no"):
        set_parameters(source, {"d": 1}, "f.yaml")


@pytest.mark.parametrize("name", ["paper.yaml", "workshop-quick.yaml"])
def test_shipped_parameter_files_name_only_real_parameters(name):
    values = chapter_values(read_parameter_file(ROOT / "params" / name))
    assert values


def test_workshop_quick_values_are_accepted_and_smaller_than_the_defaults():
    values = chapter_values(read_parameter_file(ROOT / "params" / "workshop-quick.yaml"))
    book_parameters.check_values(values)
    assert values["01-training"]["epochs"] < 150 and values["04-persistence"]["train_epochs"] < 50


def test_paper_file_is_refused_on_a_machine_without_cuda(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    status = _cli(str(ROOT / "params" / "paper.yaml"), "--output-dir", str(tmp_path / "b"))
    error = capsys.readouterr().err
    assert status == 2 and "chapter 01-training: device 'cuda' is not available" in error
    assert not (tmp_path / "b").exists()
