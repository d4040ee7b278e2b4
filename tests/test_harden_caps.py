"""Class 5: runs too large for memory are refused before allocating, with the estimate, the
cap (``SOM_MC_MAX_MEMORY``) and what to do; the draws cap; Sobol's size."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import minimal_case
from harden_util import assert_finite_json, assert_refused, cli, write_case

from som_mc.case import parse_case
from som_mc.run.spec import RunSpec, estimate_memory, max_memory

BETA = {"dist": "beta", "alpha": 2, "beta": 3}


def test_draws_cap(tmp_path: Path) -> None:
    path = write_case(tmp_path)
    assert_refused(["run", path, "--draws", str(10**12)], "draws must be at most 2_000_000_000")


def test_netcdf_of_two_billion_draws_is_refused(tmp_path: Path) -> None:
    path = write_case(tmp_path)
    line = assert_refused(["run", path, "--draws", "2000000000", "--out", tmp_path / "x.nc"],
                          "GiB of memory")
    assert "--out NAME.zarr" in line and "SOM_MC_MAX_MEMORY" in line
    assert not (tmp_path / "x.nc").exists()


def test_cap_can_be_lowered_and_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_case(tmp_path, success_rate=BETA)
    monkeypatch.setenv("SOM_MC_MAX_MEMORY", "1K")
    assert_refused(["run", path, "--draws", "1000"], "more than the cap of 1.0 KiB")
    monkeypatch.setenv("SOM_MC_MAX_MEMORY", "1G")
    code, out, err = cli(["run", path, "--draws", "1000", "--seed", "1", "--json"])
    assert code == 0, err
    assert_finite_json(out)
    monkeypatch.setenv("SOM_MC_MAX_MEMORY", "lots")
    assert_refused(["run", path, "--draws", "10"], "SOM_MC_MAX_MEMORY must be a size")


def test_many_actors_are_refused_by_the_estimate(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    actors = [f"a{i}" for i in range(2000)]
    data = minimal_case(actors=actors, consequences=[
        {"name": "h", "unit": "d", "profile": [-2, -1], "price": {"a1": 100}}
    ], costs=[{"name": "o", "actor": "a0", "kind": "one_off", "amount": 3}])
    path = write_case(tmp_path, data=data)
    monkeypatch.setenv("SOM_MC_MAX_MEMORY", "64M")
    assert_refused(["run", path, "--draws", "20000"], "of memory")


def test_estimate_grows_with_draws_and_kept_draws() -> None:
    case = parse_case(minimal_case(success_rate=BETA))
    small = RunSpec.make(case, draws=1000, seed=1)
    big = RunSpec.make(case, draws=100_000, seed=1)
    assert estimate_memory(big) > estimate_memory(small)
    assert estimate_memory(big, keep_draws=True) > estimate_memory(big) + 100_000 * 8 * 9
    assert max_memory() > 0


def test_binomial_table_under_lhs(tmp_path: Path) -> None:
    path = write_case(tmp_path, participants={
        "per_year": [{"dist": "binomial", "n": 10**12, "p": 0.5}], "course_years": 1.0})
    assert_refused(["run", path, "--design", "lhs", "--draws", "20"], "binomial n")


def test_target_mcse_never_runs_past_draws(tmp_path: Path) -> None:
    path = write_case(tmp_path, success_rate=BETA)
    code, out, err = cli(["run", path, "--draws", "3000", "--target-mcse", "1e-9", "--seed", "1",
                          "--json"])
    assert code == 0, err
    assert assert_finite_json(out)["draws"] == 3000


def test_sobol_n_base_cap(tmp_path: Path) -> None:
    path = write_case(tmp_path, success_rate=BETA)
    assert_refused(["sensitivity", path, "--n-base", str(2**40), "--out", tmp_path / "s"],
                   "model evaluations")
    assert not (tmp_path / "s").exists()


def test_sensitivity_without_uncertain_inputs(tmp_path: Path) -> None:
    path = write_case(tmp_path)
    assert_refused(["sensitivity", path, "--out", tmp_path / "s"], "every input is a fixed number")
