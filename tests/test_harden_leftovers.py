"""Class 7: an interrupted write leaves nothing; a later write sweeps stale parts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harden_util import CASES_DIR, CATALOG, ROOT, cli, write_case

from som_mc._io import sweep_parts


def test_sigterm_mid_write_leaves_no_part_files(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    case = CASES_DIR / "cool_kids.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "som_mc.cli", "run", str(case), "--catalog", CATALOG,
         "--draws", "200000", "--seed", "1", "--out", "x.nc", "--quiet"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if list(tmp_path.glob(".x.nc.*.part*")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()  # caught it while writing
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode in (143, -signal.SIGTERM, 0), err
    assert "Traceback" not in err
    assert not list(tmp_path.glob(".x.nc.*")), list(tmp_path.iterdir())
    if proc.returncode != 0:
        assert not (tmp_path / "x.nc").exists()


def test_next_run_sweeps_stale_parts(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".x.nc.{dead.pid}.abc123.part.nc"
    stale.write_bytes(b"\0" * 1000)
    live = tmp_path / f".x.nc.{os.getppid()}.abc123.part.nc"  # a running process: kept
    live.write_bytes(b"\0")
    other = tmp_path / f".y.nc.{dead.pid}.abc.part.nc"  # another output: not ours to touch
    other.write_bytes(b"\0")
    write_case(tmp_path)
    code, _o, err = cli(["run", tmp_path / "case.toml", "--draws", "20", "--seed", "1",
                         "--out", tmp_path / "x.nc"])
    assert code == 0, err
    assert not stale.exists() and live.exists() and other.exists()
    assert sweep_parts(tmp_path / "x.nc") == []
