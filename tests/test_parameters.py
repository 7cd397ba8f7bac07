"""Every parameter of every chapter, fed a wrong type and an out-of-range value, through
the re-run command: refused with a ValueError that names it, before any long work.

"Before any long work" is asserted by construction: :func:`helpers.chapters.check_parameters`
(which the re-run command calls first) replaces every function of
:data:`helpers.chapters.WORK` — training, sampling, embedding, sweeps — by one that
stops the check. A refusal therefore means the chapter raised its error before the first
of them; a value that reaches one is accepted, and papermill (patched here) then fails the
test instead of executing the chapter.
"""

from __future__ import annotations

import jupytext
import pytest

from helpers import __main__ as command
from helpers import chapters
from helpers.chapters import chapter_parameters


def _bad_values(default):
    """A value of the wrong type and one of the right type but out of range, as typed."""
    if isinstance(default, bool):
        return ["abc", "2"]
    if isinstance(default, int | float):
        return ["abc", "-1"]
    if isinstance(default, str):
        return ["3", "bogus"]
    if isinstance(default, list):
        return ["abc", "[-1]"]
    if isinstance(default, dict):
        return ["abc", "{bogus: 1}"]
    return ["abc", "-1"]  # None: "the preset's value", of any type


CASES = [(path.stem[:2], name, value)
         for path in sorted(chapters.book_dir().glob("[0-9][0-9]-*.md"))
         for name, default in chapter_parameters(jupytext.read(path)).items()
         for value in _bad_values(default)]


@pytest.fixture(autouse=True)
def _never_execute(monkeypatch):
    import papermill

    def accepted(*args, **kwargs):
        raise AssertionError(f"the value was accepted: {kwargs.get('parameters')}")

    monkeypatch.setattr(papermill, "execute_notebook", accepted)


def test_every_chapter_parameter_is_fuzzed():
    fuzzed = {(chapter, name) for chapter, name, _ in CASES}
    assert len(fuzzed) >= 60 and len(CASES) == 2 * len(fuzzed)


@pytest.mark.parametrize(("chapter", "name", "value"), CASES,
                         ids=[f"{c}-{n}-{v}" for c, n, v in CASES])
def test_bad_value_is_refused_naming_the_parameter(chapter, name, value, capsys, tmp_path):
    status = command.main(["run-chapter", chapter, "-p", name, value, "--no-html",
                           "--output-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert status == 2, error
    assert name in error, error
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_cuda_without_a_gpu_is_refused_naming_device(capsys, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    status = command.main(["run-chapter", "01", "-p", "device", "cuda", "--no-html",
                           "--output-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert status == 2 and "device 'cuda' is not available" in error and "'cpu'" in error


def test_checking_leaves_every_function_in_place():
    import importlib

    def current():
        return {path: getattr(importlib.import_module(path.rsplit(".", 1)[0]),
                              path.rsplit(".", 1)[1]) for path in chapters.WORK}

    before = current()
    for chapter in ("01", "04"):
        chapters.check_parameters(chapter, {})
    assert current() == before
    import helpers.sampling
    import helpers.train

    assert helpers.sampling.fit is helpers.train.fit is before["helpers.train.fit"]
    assert before["helpers.train.fit"].__name__ == "fit"
