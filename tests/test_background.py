"""A job started early in a forked process gives the value computed here, whatever happens."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from som_mc import load_case
from som_mc.present.background import Background
from som_mc.sensitivity import sobol_base_values

CASE = Path(__file__).resolve().parents[1] / "benchmarks" / "reference.toml"

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
#: A fork happens only while no other thread runs (pytest-xdist or a plugin may run one).
FORKS = sys.platform.startswith("linux") and threading.active_count() == 1

_PARENT = os.getpid()


def _pid_and_square(v: int) -> tuple[int, int]:
    return os.getpid(), v * v


def _fails_in_the_child(v: int) -> int:
    if os.getpid() != _PARENT:
        raise RuntimeError("only in the forked process")
    return v + 1


def _dies_in_the_child(v: int) -> int:
    if os.getpid() != _PARENT:
        os._exit(3)
    return v - 1


def _raises(v: int) -> int:
    raise ValueError(f"bad value {v}")


def _sleeps() -> None:
    time.sleep(60)


def _one(fn, *args, fork=None):  # type: ignore[no-untyped-def]
    return Background({"job": (fn, args)}, fork=fork)


@linux
def test_the_value_comes_from_the_forked_process():
    job = Background({"a": (_pid_and_square, (12,)), "b": (_pid_and_square, (3,))}, fork=True)
    assert job.forked == FORKS
    assert "a" in job and "c" not in job
    assert job.result("b")[1] == 9  # out of order: "a" is received and kept meanwhile
    assert not job.forked  # both received: the process is gone
    pid, value = job.result("a")
    assert value == 144
    assert (pid != os.getpid()) == FORKS


def test_without_a_fork_the_value_is_computed_here():
    job = _one(_pid_and_square, 5, fork=False)
    assert not job.forked
    assert job.result("job") == (os.getpid(), 25)


@linux
def test_a_job_that_fails_or_dies_in_the_forked_process_is_computed_here():
    assert _one(_fails_in_the_child, 1, fork=True).result("job") == 2
    assert _one(_dies_in_the_child, 1, fork=True).result("job") == 0
    # a job after one the process died on is computed here too
    job = Background(
        {"dies": (_dies_in_the_child, (5,)), "after": (_pid_and_square, (2,))}, fork=True
    )
    assert job.result("after") == (os.getpid(), 4)
    assert job.result("dies") == 4


@linux
@pytest.mark.parametrize("fork", [True, False])
def test_an_error_of_the_job_is_raised_here(fork):
    with pytest.raises(ValueError, match="bad value 4"):
        _one(_raises, 4, fork=fork).result("job")


@linux
def test_close_stops_a_running_process():
    job = _one(_sleeps, fork=True)
    proc = job._proc
    job.close()
    assert not job.forked
    if proc is not None:
        assert not proc.is_alive()


def _big_after_a_while() -> bytes:
    time.sleep(0.5)
    return b"x" * (1 << 20)  # more than a pipe holds: sent only while the parent reads


class _Stopped(KeyboardInterrupt):
    pass


def _raise_stopped(signum, frame):  # type: ignore[no-untyped-def]
    raise _Stopped  # as the command's SIGTERM handler does (the forked process inherits it)


@linux
@pytest.mark.parametrize("wait", [0.0, 0.2, 1.5])
def test_close_ends_the_process_whatever_it_is_doing_under_the_commands_sigterm_handler(wait):
    # the command ends early (e.g. an unknown --actor) while the forked process computes a
    # job or sends a large value: stopped by SIGTERM under the handler the command had
    # installed, it must neither take the signal for a failed job and go on to the next
    # one, nor wait for ever to send a value nobody reads
    import signal

    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        job = Background(
            {"a": (_big_after_a_while, ()), "b": (_big_after_a_while, ())}, fork=True
        )
        proc = job._proc
        time.sleep(wait)
        closing = threading.Thread(target=job.close, daemon=True)
        closing.start()
        closing.join(30)
        hung = closing.is_alive()
        if hung and proc is not None:
            proc.kill()  # free the test run
        assert not hung, "close() waited for a process that never ended"
        if proc is not None:
            assert not proc.is_alive()
    finally:
        signal.signal(signal.SIGTERM, previous)


@linux
def test_sobol_base_values_from_the_forked_process_are_the_same_bit_for_bit():
    case = load_case(CASE)
    here = sobol_base_values(case, 256, 9)
    there = _one(sobol_base_values, case, 256, 9, fork=True).result("job")
    for a, b in zip(here, there, strict=True):
        np.testing.assert_array_equal(a, b)


@linux
def test_sobol_command_gives_the_same_tables_with_the_values_computed_early(tmp_path, monkeypatch):
    from som_mc.cli import main
    from som_mc.present import background

    def run(out: Path) -> dict[str, bytes]:
        args = ["sensitivity", str(CASE), "--method", "sobol", "--n-base", "64"]
        assert main([*args, "--draws", "500", "--seed", "3", "--out", str(out)]) == 0
        return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}  # 4 tables

    early = run(tmp_path / "early")
    started: list[bool] = []
    original = background.Background.__init__

    def no_fork(self, jobs, fork=None):  # type: ignore[no-untyped-def]
        original(self, jobs, fork=False)
        started.append(self.forked)

    monkeypatch.setattr(background.Background, "__init__", no_fork)
    here = run(tmp_path / "here")
    assert started == [False]  # the second run computed the values itself
    assert early.keys() == here.keys()
    assert {"sobol.csv", "rank_correlations.csv", "downside_drivers.csv"} <= early.keys()
    assert early == here


@linux
def test_keep_freed_memory_sets_glibcs_thresholds_in_the_process():
    import subprocess

    code = (
        "import numpy as np\n"
        "from som_mc.present.background import keep_freed_memory\n"
        "ok = keep_freed_memory()\n"
        "a = np.arange(8_000_000.0); s = a.sum(); del a\n"
        "b = np.arange(8_000_000.0); assert b.sum() == s\n"
        "print(ok)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(CASE.parents[1])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"


def test_collector_paused_until_the_imports_are_settled_then_restored():
    import gc

    from som_mc.present.background import collector_paused, settle_imports

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()  # importing: no collections
        kept = [object() for _ in range(10)]
        settle_imports()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(kept)  # what exists is frozen
        cycle: list[object] = []
        cycle.append(cycle)  # garbage made afterwards is still collected
        del cycle
        assert gc.collect() >= 1
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # released to the collector again
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # the state before the block, not "on"
    finally:
        gc.enable()


def test_the_sensitivity_command_leaves_the_collector_as_it_found_it(tmp_path):
    import gc

    from som_mc.cli import main

    args = ["sensitivity", str(CASE), "--method", "tornado", "--actor", "total"]
    assert main([*args, "--seed", "1", "--out", str(tmp_path)]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert main([*args, "--seed", "1", "--out", str(tmp_path)]) == 2  # files exist: error
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_huge_pages_off_inside_the_block_and_restored_after():
    from som_mc.present.background import huge_pages_off

    setter = np._core.multiarray._set_madvise_hugepage
    before = setter(True)
    try:
        with huge_pages_off():
            assert setter(False) is False  # off inside
            a = np.arange(2_000_000.0)  # 16 MB: the same numbers either way
            assert a.sum() == 1_999_999.0 * 2_000_000.0 / 2
        assert setter(True) is True  # the previous setting is back
    finally:
        setter(before)


def test_the_run_command_draws_without_the_huge_page_hint_and_restores_it(monkeypatch, capsys):
    import som_mc.run
    from som_mc.cli import main

    setter = np._core.multiarray._set_madvise_hugepage
    original = som_mc.run.run_many
    seen: list[bool] = []

    def recording(*args, **kwargs):
        state = setter(False)  # reading the switch sets it: put the state back
        setter(state)
        seen.append(state)
        return original(*args, **kwargs)

    monkeypatch.setattr(som_mc.run, "run_many", recording)
    before = setter(True)
    try:
        assert main(["run", str(CASE), "--draws", "2000", "--seed", "1", "--json"]) == 0
        assert seen == [False]  # off while the run draws
        assert setter(True) is True  # the previous setting is back afterwards
    finally:
        setter(before)
    assert json.loads(capsys.readouterr().out)["draws"] == 2000


@pytest.mark.parametrize("cached", [True, False])
def test_the_run_command_loads_the_kernels_before_it_draws_and_freezes_them(
    monkeypatch, capsys, cached
):
    """With compiled draws and a warm cache, `som-mc run` loads the kernels (warm_up) before
    run_many, with the collector off, and freezes what that made; with an empty cache it
    leaves compiling (and its notice) to run_many."""
    import gc

    import som_mc.engine.kernel as kernel_module
    import som_mc.run
    from som_mc.cli import main

    calls: list[str] = []
    original_run_many, original_warm_up = som_mc.run.run_many, kernel_module.warm_up

    def warm_up(model):
        calls.append(f"warm_up, collector {'on' if gc.isenabled() else 'off'}")
        original_warm_up(model)

    def run_many(*args, **kwargs):
        calls.append(f"run_many, frozen {gc.get_freeze_count() > 0}")
        return original_run_many(*args, **kwargs)

    monkeypatch.setattr(kernel_module, "warm_up", warm_up)
    monkeypatch.setattr(kernel_module, "kernels_cached", lambda: cached)
    monkeypatch.setattr(som_mc.run, "run_many", run_many)
    draws = kernel_module.NUMPY_MAX_DRAWS + 1
    assert main(["run", str(CASE), "--draws", str(draws), "--seed", "1", "--json"]) == 0
    if cached:
        assert calls == ["warm_up, collector off", "run_many, frozen True"]
    else:
        assert calls == ["run_many, frozen True"]
    assert gc.isenabled()
    assert json.loads(capsys.readouterr().out)["draws"] == draws


def test_fault_in_ahead_runs_a_thread_only_when_there_is_memory_to_touch():
    from som_mc.present.background import fault_in_ahead

    assert fault_in_ahead(0) is None
    thread = fault_in_ahead(8 << 20)
    if sys.platform.startswith("linux"):
        assert thread is not None and thread.daemon
        thread.join(timeout=30)
        assert not thread.is_alive()


@pytest.mark.parametrize("draws", [20_000, 5_000])
def test_the_run_command_faults_in_the_rows_it_keeps_before_it_draws(monkeypatch, capsys, draws):
    """An exact-quantile run on the compiled kernels keeps one float64 per summary row and
    draw (92 rows for the reference case: 2·10·4 + 3·4); the command has that memory faulted
    in (plus a tenth) by a thread it joins before drawing. A run on the NumPy twins keeps
    nothing to fault in."""
    import som_mc.present.background as background
    import som_mc.run
    from som_mc.cli import main

    events: list[str] = []

    class Recorded(threading.Thread):
        def join(self, timeout=None):
            events.append("joined")
            super().join(timeout)

    def fault_in_ahead(nbytes):
        events.append(f"fault in {nbytes}")
        if nbytes <= 0:
            return None
        thread = Recorded(target=lambda: None)
        thread.start()
        return thread

    original = som_mc.run.run_many

    def run_many(*args, **kwargs):
        events.append("run_many")
        return original(*args, **kwargs)

    monkeypatch.setattr(background, "fault_in_ahead", fault_in_ahead)
    monkeypatch.setattr(som_mc.run, "run_many", run_many)
    assert main(["run", str(CASE), "--draws", str(draws), "--seed", "1", "--json"]) == 0
    if draws > 10_000:
        assert events == [f"fault in {int(1.1 * 92 * draws * 8)}", "joined", "run_many"]
    else:
        assert events == ["fault in 0", "run_many"]
    assert json.loads(capsys.readouterr().out)["draws"] == draws
