"""Sweeps: computed once, resumed after an interrupt, failures isolated, same on Dask."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap

import numpy as np
import pytest

import helpers.sweep
from helpers.cache import ArtifactCache
from helpers.config import TrainConfig
from helpers.sweep import SweepFailure, SweepResult, random_walk, run_sweep

# Toy tasks live at module level so that Dask can ship them by reference: worker
# processes are spawned with this process's sys.path, which holds pytest's entry for
# tests/, so they import this module as we do (no cloudpickle by-value needed).
CALLS: list[int] = []
SWITCHES = {"fail_at": None, "interrupt_at": None}


def square_task(config):
    """Arrays depend on every field; records its calls in-process."""
    CALLS.append(config["n"])
    if config["n"] == SWITCHES["interrupt_at"]:
        raise KeyboardInterrupt
    if config["n"] == SWITCHES["fail_at"]:
        raise ValueError(f"n={config['n']} is unlucky")
    rng = np.random.default_rng(config["seed"])
    values = rng.normal(size=config["n"] + 1) ** 2
    return ({"values": values, "index": np.arange(config["n"] + 1)},
            {"total": float(values.sum()), "label": f"n{config['n']}", "pid": os.getpid(),
             "shape": list(values.shape)})


def bad_output_task(config):
    return {"values": np.arange(3)}


def failing_task(config):
    raise RuntimeError(f"no luck with {config}")


def trainconfig_task(config):
    return {"seed": np.array([config.seed])}, {"epochs": config.epochs}


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    SWITCHES.update(fail_at=None, interrupt_at=None)


def configs(count=4, seed=0):
    return [{"n": n, "seed": seed} for n in range(count)]


def test_second_run_is_served_from_cache():
    first = run_sweep(configs(), square_task, progress=False)
    assert isinstance(first, SweepResult) and first.failures == {}
    assert first.table["status"].tolist() == ["computed"] * 4 and CALLS == [0, 1, 2, 3]
    assert [not art.from_cache for art in first.results] == [True] * 4

    second = run_sweep(configs(), square_task, progress=False)
    assert CALLS == [0, 1, 2, 3]  # not called again
    assert second.table["status"].tolist() == ["cached"] * 4
    for a, b in zip(first.results, second.results, strict=True):
        assert b.from_cache
        np.testing.assert_array_equal(a["values"], b["values"])
    assert second.results[2].path.parent.name == "sweep-square_task"
    assert "4 cached" in repr(second)


def test_table_has_fields_status_seconds_and_scalar_meta():
    table = run_sweep(configs(3), square_task, progress=False).table
    assert list(table.columns) == ["n", "seed", "status", "seconds", "error", "total", "label",
                                   "pid"]  # the list-valued "shape" is left out
    assert table["n"].tolist() == [0, 1, 2] and table["label"].tolist() == ["n0", "n1", "n2"]
    assert (table["seconds"] >= 0).all() and table["error"].isna().all()


def test_trainconfig_fields_form_the_table():
    cfgs = [TrainConfig(seed=0, epochs=3), TrainConfig(seed=1, epochs=3)]
    sweep = run_sweep(cfgs, trainconfig_task, progress=False)
    assert sweep.table["seed"].tolist() == [0, 1]
    assert sweep.table["milestones"].tolist() == [cfgs[0].milestones] * 2
    # "epochs" is both a field and a meta entry; the meta copy gets a prefix.
    assert sweep.table["meta.epochs"].tolist() == [3, 3]
    assert sweep.results[1]["seed"].tolist() == [1]


def test_failure_is_reported_and_others_complete_then_retried_alone():
    SWITCHES["fail_at"] = 2
    with pytest.warns(UserWarning, match=r"1 of 4 configurations failed.*ValueError"):
        sweep = run_sweep(configs(), square_task, progress=False)
    assert sweep.table["status"].tolist() == ["computed", "computed", "failed", "computed"]
    assert sweep.results[2] is None and all(sweep.results[i] for i in (0, 1, 3))
    failure = sweep.failures[2]
    assert isinstance(failure, SweepFailure) and failure.config == {"n": 2, "seed": 0}
    assert (failure.error_type, failure.message) == ("ValueError", "n=2 is unlucky")
    assert "square_task" in failure.traceback and "raise ValueError" in failure.traceback
    assert sweep.table["error"][2] == "ValueError: n=2 is unlucky"

    CALLS.clear()
    SWITCHES["fail_at"] = None
    retry = run_sweep(configs(), square_task, progress=False)
    assert CALLS == [2] and retry.failures == {}
    assert retry.table["status"].tolist() == ["cached", "cached", "computed", "cached"]


def test_bad_task_output_is_a_failure():
    with pytest.warns(UserWarning):
        sweep = run_sweep(configs(1), bad_output_task, progress=False)
    assert sweep.failures[0].error_type == "TypeError"
    assert "tuple (arrays, meta)" in sweep.failures[0].message


def test_interrupted_sweep_resumes_without_recomputing():
    SWITCHES["interrupt_at"] = 2
    with pytest.raises(KeyboardInterrupt):
        run_sweep(configs(), square_task, progress=False)
    assert CALLS == [0, 1, 2]

    CALLS.clear()
    SWITCHES["interrupt_at"] = None
    resumed = run_sweep(configs(), square_task, progress=False)
    assert CALLS == [2, 3]
    assert resumed.table["status"].tolist() == ["cached", "cached", "computed", "computed"]


def test_editing_the_task_module_recomputes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    source = textwrap.dedent("""
        import numpy as np

        def task(config):
            return {"x": np.full(2, OFFSET + config["n"])}, {}

        OFFSET = {offset}
    """)
    module_file = tmp_path / "sweep_toy_module.py"
    module_file.write_text(source.replace("{offset}", "0"))
    module = importlib.import_module("sweep_toy_module")
    try:
        assert run_sweep([{"n": 1}], module.task, progress=False).results[0]["x"].tolist() == [1, 1]
        assert run_sweep([{"n": 1}], module.task, progress=False).table["status"][0] == "cached"

        module_file.write_text(source.replace("{offset}", "100  # edited"))
        module = importlib.reload(module)
        again = run_sweep([{"n": 1}], module.task, progress=False)
        assert again.table["status"][0] == "computed"
        assert again.results[0]["x"].tolist() == [101, 101]
    finally:
        sys.modules.pop("sweep_toy_module", None)


def test_depends_on_is_part_of_the_key():
    run_sweep(configs(2), square_task, progress=False)
    assert run_sweep(configs(2), square_task, progress=False,
                     depends_on=["v2"]).table["status"].tolist() == ["computed"] * 2


def test_progress_bar_only_when_asked(capsys):
    run_sweep(configs(2), square_task, progress=None)  # stderr is not a terminal here
    assert capsys.readouterr().err == ""
    run_sweep(configs(2, seed=1), square_task, progress=True)
    assert "sweep square_task" in capsys.readouterr().err


def test_dask_local_cluster_matches_in_process(tmp_path):
    cfgs = configs(5)
    local = run_sweep(cfgs, square_task, cache=ArtifactCache(tmp_path / "a"), progress=False)
    CALLS.clear()
    remote = run_sweep(cfgs, square_task, executor="dask", n_workers=2,
                       cache=ArtifactCache(tmp_path / "b"), progress=False)
    assert CALLS == []  # it ran in the worker processes
    assert remote.table["status"].tolist() == ["computed"] * 5 and remote.failures == {}
    assert os.getpid() not in set(remote.table["pid"])
    for a, b in zip(local.results, remote.results, strict=True):
        for name in ("values", "index"):
            np.testing.assert_array_equal(a[name], b[name])
            assert a[name].dtype == b[name].dtype
        assert {**a.meta, "pid": 0} == {**b.meta, "pid": 0}


def test_dask_client_address_or_cluster_is_used_and_left_running():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with pytest.warns(UserWarning, match="RuntimeError"):
            sweep = run_sweep(configs(1), failing_task, executor=client, progress=False)
        failure = sweep.failures[0]
        assert (failure.error_type, failure.message) == ("RuntimeError",
                                                         "no luck with {'n': 0, 'seed': 0}")
        assert "in failing_task" in failure.traceback
        done = run_sweep(configs(2), square_task, executor=client, progress=False)
        assert done.table["status"].tolist() == ["computed"] * 2
        assert client.status == "running"
        by_address = run_sweep(configs(3), square_task, executor=cluster.scheduler_address,
                               progress=False)
        assert by_address.table["status"].tolist() == ["cached", "cached", "computed"]
        by_cluster = run_sweep(configs(4), square_task, executor=cluster, progress=False)
        assert by_cluster.table["status"].tolist() == ["cached"] * 3 + ["computed"]
        assert client.status == "running"


def test_interrupted_dask_sweep_keeps_what_arrived_and_cancels_the_rest(monkeypatch):
    distributed = pytest.importorskip("distributed")
    store = helpers.sweep._Sweep.store
    stored = []

    def store_then_interrupt(self, index, outcome):
        if len(stored) == 2:
            raise KeyboardInterrupt
        stored.append(index)
        store(self, index, outcome)

    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with monkeypatch.context() as patch:
            patch.setattr(helpers.sweep._Sweep, "store", store_then_interrupt)
            with pytest.raises(KeyboardInterrupt):
                run_sweep(configs(6), square_task, executor=client, progress=False)
        resumed = run_sweep(configs(6), square_task, executor=client, progress=False)
    statuses = resumed.table["status"]
    assert sorted(statuses[stored]) == ["cached", "cached"]
    assert (statuses.drop(stored) == "computed").all()


def test_everything_cached_needs_no_cluster(monkeypatch):
    run_sweep(configs(2), square_task, progress=False)
    monkeypatch.setattr(helpers.sweep, "_run_dask", lambda *a: pytest.fail("started Dask"))
    sweep = run_sweep(configs(2), square_task, executor="dask", progress=False)
    assert sweep.table["status"].tolist() == ["cached"] * 2


def _closure_task():
    def task(config):
        return {}, {}
    return task


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(configs=[]), "configs must not be empty"),
    (dict(configs={"n": 1}), "configs must be a list"),
    (dict(configs=[1, 2]), r"configs\[0\] must have a to_dict"),
    (dict(configs=[{"n": 0}, {"n": 1}, {"n": 0}]), r"configs\[2\] repeats configs\[0\]"),
    (dict(configs=[{"n": object()}]), r"configs\[0\] must have JSON-compatible"),
    (dict(task=3), "task must be a callable"),
    (dict(task=lambda config: ({}, {})), "task must be a function defined at module level"),
    (dict(task=_closure_task()), "task must be a function defined at module level"),
    (dict(executor="threads"), "executor must be 'local', 'dask'"),
    (dict(executor=4), "executor must be"),
    (dict(executor="dask", n_workers=0), "n_workers must be an integer >= 1"),
    (dict(n_workers=2), "n_workers applies only to executor='dask'"),
    (dict(progress="yes"), "progress must be True or False"),
    (dict(cache="/tmp"), "cache must be an ArtifactCache"),
    (dict(depends_on="helpers"), "depends_on must be a sequence"),
])
def test_bad_arguments_raise_before_any_work(kwargs, message):
    arguments = {"configs": configs(2), "task": square_task, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        run_sweep(**arguments)
    assert CALLS == []


def test_random_walk_example_task():
    arrays, meta = random_walk({"seed": 3, "steps": 20, "scale": 0.5})
    assert arrays["walk"][0] == 0.0 and meta["maximum"] == arrays["walk"].max()
