"""Class 9: misleading statistics and options that would be ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from harden_util import assert_finite_json, assert_refused, cli, write_case

BETA = {"dist": "beta", "alpha": 2, "beta": 3}


@pytest.fixture
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_case(tmp_path, success_rate=BETA)


def test_one_draw_prints_a_dash_for_mcse(case: Path) -> None:
    code, out, err = cli(["run", case, "--draws", "1", "--seed", "1"])
    assert code == 0, err
    assert "± MCSE: – (én trækning" in out
    rows = [line for line in out.splitlines() if line.startswith("I alt")]
    assert rows and rows[-1].split()[3] == "–"
    code, out, err = cli(["run", case, "--draws", "1", "--seed", "1", "--json"])
    payload = assert_finite_json(out)
    assert payload["horizon"]["total"]["mcse"] is None and payload["mcse_note"]


REFUSED = [
    (["report", "{case}", "--out", "a.html", "--xlsx", "a.html"], "name the same file"),
    (["report", "{case}", "--out", "{case}", "--force"], "is an input of this command"),
    (["run", "{case}", "--point", "mean"], "--point has no effect in a Monte Carlo run"),
    (["run", "{case}", "--deterministic", "--draws", "10"], "--draws has no effect"),
    (["run", "{case}", "--deterministic", "--seed", "1"], "--seed has no effect"),
    (["run", "{case}", "--out", ""], "--out '': expected a file or folder name"),
    (["run", "{case}", "--out", "  "], "expected a file or folder name"),
    (["run", "{case}", "--resume"], "--resume needs --out"),
    (["run", "{case}", "--workers", "2"], "--workers needs --executor dask"),
    (["run", "{case}", "--target-mcse", "0"], "expected a finite number > 0"),
    (["run", "{case}", "--draws", "0"], "expected a number >= 1"),
    (["run", "{case}", "--draws", "ten"], "expected a whole number"),
    (["run", "{case}", "--quantiles", "150"], "percentages must lie in 0..100"),
    (["run", "{case}", "--out", "x.csv"], "--out takes a netCDF file"),
    (["report", "{case}", "--seed", "1", "--results", "nope.nc"], "--seed has no effect"),
    (["report", "{case}", "--draws", "500", "--results", "a.nc"], "--draws has no effect"),
    (
        ["report", "{case}", "--design", "lhs", "--seed", "2", "--results", "a.nc"],
        "--seed, --design have no effect with --results",
    ),
]


@pytest.mark.parametrize(("args", "expected"), REFUSED)
def test_refused_options(case: Path, args: list[str], expected: str) -> None:
    assert_refused([a.replace("{case}", str(case)) for a in args], expected)
    assert case.read_text(encoding="utf-8").startswith("name")  # the input is untouched
