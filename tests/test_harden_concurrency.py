"""Class 6: one writer per output. Two processes writing one output: one succeeds, the other
is refused with one line naming the other process (or the file it wrote)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from harden_util import ROOT, assert_refused, write_case

from som_mc._io import atomic_write_text, output_lock
from som_mc.errors import OutputError

BETA = {"dist": "beta", "alpha": 2, "beta": 3}


def _som(*args: object, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "som_mc.cli", *map(str, args)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("out", ["x.nc", "x.zarr"])
def test_two_processes_one_output(tmp_path: Path, out: str) -> None:
    if out.endswith(".zarr"):
        pytest.importorskip("zarr")
    write_case(tmp_path, success_rate=BETA)
    procs = [_som("run", "case.toml", "--draws", "60000", "--seed", "1", "--out", out,
                  "--quiet", cwd=tmp_path) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], results
    err = next(e for p, (_o, e) in zip(procs, results, strict=True) if p.returncode == 2)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "another som-mc process (pid" in err or "exists" in err, err
    assert not list(tmp_path.glob(".*.lock")) and not list(tmp_path.glob(".*.part*"))


def test_lock_names_the_live_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".x.nc.lock").write_text(str(holder.pid))
        write_case(tmp_path)
        line = assert_refused(["run", tmp_path / "case.toml", "--draws", "20",
                               "--out", tmp_path / "x.nc"], f"(pid {holder.pid})")
        assert "is writing this output" in line
        with pytest.raises(OutputError, match=f"pid {holder.pid}"):
            atomic_write_text(tmp_path / "x.nc", "x")
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".x.txt.lock").write_text(str(dead.pid))
    atomic_write_text(tmp_path / "x.txt", "hello")
    assert (tmp_path / "x.txt").read_text() == "hello"
    assert not (tmp_path / ".x.txt.lock").exists()


def test_lock_is_reentrant_and_released(tmp_path: Path) -> None:
    with output_lock(tmp_path / "y"):
        with output_lock(tmp_path / "y"):
            assert (tmp_path / ".y.lock").read_text() == str(os.getpid())
    assert not (tmp_path / ".y.lock").exists()


def test_no_clobber_without_force(tmp_path: Path) -> None:
    target = tmp_path / "z.txt"

    def sneaky(tmp: Path) -> None:  # another process creates the file meanwhile
        target.write_text("theirs")
        tmp.write_text("mine")

    from som_mc._io import atomic_write

    with pytest.raises(OutputError, match="exists"):
        atomic_write(target, sneaky)
    assert target.read_text() == "theirs"
    assert not list(tmp_path.glob(".z.txt.*"))
