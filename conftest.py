"""Shared fixtures of the tests and the doctests in helpers/: a temporary artifact cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Tests never touch the project's real cache; subprocesses inherit the variable."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LOSS_LANDSCAPE_CACHE", str(folder))
    return folder
