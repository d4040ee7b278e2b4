"""Results files (schema, provenance, atomic writes) and the `som-mc run` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import CASES_DIR

import som_mc
from som_mc import OutputError, ResultsFileError, load_case
from som_mc.cli import main
from som_mc.results import load_results, save_results
from som_mc.run import simulate

CASE = str(CASES_DIR / "housing_first.toml")


@pytest.fixture(scope="module")
def small_run() -> xr.Dataset:
    return simulate(load_case(CASE), draws=500, seed=42, keep_consequences=True)


def test_provenance_attributes(small_run):
    a = small_run.attrs
    assert a["seed"] == 42 and a["design"] == "random" and a["draws"] == 500
    assert a["case_sha256"] == som_mc.case_hash(load_case(CASE))
    assert a["som_mc_version"] == som_mc.__version__
    assert {"numpy_version", "numba_version"} <= set(a)
    assert small_run.net_result.attrs["units"] == "DKK"
    assert list(small_run.net_result.dims) == ["draw", "year", "actor"]
    assert "success_rate" in small_run.input.values


def test_save_load_round_trip(tmp_path: Path, small_run):
    path = save_results(small_run, tmp_path / "r.nc")
    loaded = load_results(path)
    xr.testing.assert_identical(loaded, small_run)
    with pytest.raises(OutputError, match="file exists; pass overwrite=True"):
        save_results(small_run, path)
    save_results(small_run, path, overwrite=True)


def test_load_rejects_foreign_files(tmp_path: Path, small_run):
    path = tmp_path / "bad.nc"
    small_run.drop_vars("net_result").to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ResultsFileError, match="variable 'net_result' missing"):
        load_results(path)
    with pytest.raises(ResultsFileError, match="file not found"):
        load_results(tmp_path / "none.nc")


def test_interrupted_write_leaves_nothing(tmp_path: Path, small_run, monkeypatch):
    def boom(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(KeyboardInterrupt):
        save_results(small_run, tmp_path / "r.nc")
    assert list(tmp_path.iterdir()) == []


def test_cli_run_table(capsys):
    assert main(["run", CASE, "--draws", "2000", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "Monte Carlo, 2.000 træk (random, seed 1)" in out
    assert "Akkumuleret nettoresultat i alt" in out
    assert "I alt" in out and "P(> 0)" in out


def test_cli_json_is_reproducible_and_matches_summary(capsys):
    assert main(["run", CASE, "--draws", "3000", "--seed", "9", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["run", CASE, "--draws", "3000", "--seed", "9", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert first == second
    assert first["seed"] == 9 and first["draws"] == 3000
    ds = simulate(load_case(CASE), draws=3000, seed=9)
    total = ds.net_result.sum(("year", "actor")).values
    assert first["horizon"]["total"]["mean"] == pytest.approx(total.mean(), rel=1e-12)
    assert first["horizon"]["total"]["quantiles"]["P50"] == pytest.approx(np.median(total))
    assert first["horizon"]["total"]["p_positive"] == pytest.approx((total > 0).mean())


def test_cli_out_never_overwrites_without_force(tmp_path: Path, capsys):
    out = tmp_path / "res.nc"
    assert main(["run", CASE, "--draws", "200", "--seed", "1", "--out", str(out)]) == 0
    assert load_results(out).attrs["draws"] == 200
    before = out.read_bytes()
    code = main(["run", CASE, "--draws", "300", "--seed", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"som-mc: error: {out}: file exists; use --force to overwrite it\n"
    assert out.read_bytes() == before
    assert main(["run", CASE, "--draws", "300", "--seed", "1", "--out", str(out), "--force"]) == 0
    assert load_results(out).attrs["draws"] == 300


def test_cli_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", CASE, "--draws", "0"])
    assert info.value.code == 2
    assert "expected a number >= 1, got 0" in capsys.readouterr().err


def test_cli_target_mcse(capsys):
    code = main(
        ["run", CASE, "--draws", "100000", "--seed", "3", "--target-mcse", "300000", "--json"]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["draws"] < 100_000
    assert payload["horizon"]["total"]["mcse"] < 300_000


def test_cli_deterministic_rejects_monte_carlo_options(tmp_path: Path, capsys):
    out = tmp_path / "det.nc"
    assert main(["run", CASE, "--deterministic", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "som-mc: error: --out has no effect with --deterministic (it computes on point "
        "values); drop it or --deterministic\n"
    )
    assert not out.exists()


def test_results_file_gets_the_usual_permissions(tmp_path: Path, small_run):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        path = save_results(small_run, tmp_path / "perm.nc")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_cli_argument_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", CASE, "--seed", "-1"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("som-mc run: error: argument --seed")
