"""A job started early in a forked process gives the value computed here, whatever happens."""

from __future__ import annotations

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


@linux
def test_the_value_comes_from_the_forked_process():
    job = Background(_pid_and_square, 12, fork=True)
    assert job.forked == FORKS
    pid, value = job.result()
    assert value == 144
    assert (pid != os.getpid()) == FORKS
    assert not job.forked  # done: the process is gone


def test_without_a_fork_the_value_is_computed_here():
    job = Background(_pid_and_square, 5, fork=False)
    assert not job.forked
    assert job.result() == (os.getpid(), 25)


@linux
def test_a_job_that_fails_or_dies_in_the_forked_process_is_computed_here():
    assert Background(_fails_in_the_child, 1, fork=True).result() == 2
    assert Background(_dies_in_the_child, 1, fork=True).result() == 0


@linux
@pytest.mark.parametrize("fork", [True, False])
def test_an_error_of_the_job_is_raised_here(fork):
    with pytest.raises(ValueError, match="bad value 4"):
        Background(_raises, 4, fork=fork).result()


@linux
def test_close_stops_a_running_process():
    job = Background(_sleeps, fork=True)
    proc = job._proc
    job.close()
    assert not job.forked
    if proc is not None:
        assert not proc.is_alive()


@linux
def test_sobol_base_values_from_the_forked_process_are_the_same_bit_for_bit():
    case = load_case(CASE)
    here = sobol_base_values(case, 256, 9)
    there = Background(sobol_base_values, case, 256, 9, fork=True).result()
    for a, b in zip(here, there, strict=True):
        np.testing.assert_array_equal(a, b)


@linux
def test_sobol_command_gives_the_same_tables_with_the_values_computed_early(tmp_path, monkeypatch):
    from som_mc.cli import main
    from som_mc.present import background

    def run(out: Path) -> dict[str, bytes]:
        args = ["sensitivity", str(CASE), "--method", "sobol", "--n-base", "64"]
        assert main([*args, "--draws", "500", "--seed", "3", "--out", str(out)]) == 0
        return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}

    early = run(tmp_path / "early")
    started: list[bool] = []
    original = background.Background.__init__

    def no_fork(self, fn, *args, fork=None):  # type: ignore[no-untyped-def]
        original(self, fn, *args, fork=False)
        started.append(self.forked)

    monkeypatch.setattr(background.Background, "__init__", no_fork)
    here = run(tmp_path / "here")
    assert started == [False]  # the second run computed the values itself
    assert early.keys() == here.keys() and "sobol.csv" in early
    assert early == here
