"""Scale out: bit-identity across executors and chunk sizes, Zarr stores, resume, worker kill."""

from __future__ import annotations

import json
import os
import signal
import threading

import numpy as np
import pytest
import xarray as xr
from conftest import CASES_DIR

from som_mc import load_case, simulate
from som_mc.errors import ResultsFileError
from som_mc.results import load_results, validate_results
from som_mc.results.store import COMPLETE_VAR, open_store
from som_mc.run import RunSpec, run_many, summarize_stream
from som_mc.sampling import BLOCK_SIZE
from som_mc.stats import summarize

DRAWS = 3 * BLOCK_SIZE + 17  # four chunks of one block, the last one short


@pytest.fixture(scope="module")
def case():
    return load_case(CASES_DIR / "housing_first.toml")


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def summaries(*args, **kwargs):
    return [r.summary for r in run_many(*args, **kwargs)]


def _assert_same_summary(a, b):
    assert set(a.data_vars) == set(b.data_vars)
    for var in a.data_vars:
        np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)


def _assert_same_draws(a, b):
    for var in ("net_result", "cost", "consequence_value", "net_result_pv", "inputs"):
        np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)
    for var in ("successes", "participants"):
        np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)


def test_local_dask_and_chunk_sizes_are_bit_identical(case, client, tmp_path):
    local_spec = RunSpec.make(case, draws=DRAWS, seed=7, chunk_draws=BLOCK_SIZE)
    [local] = summaries([local_spec], [tmp_path / "local.zarr"])
    [on_dask] = summaries([local_spec], [tmp_path / "dask.zarr"], executor="dask", client=client)
    big_spec = RunSpec.make(case, draws=DRAWS, seed=7, chunk_draws=2 * BLOCK_SIZE)
    [big] = summaries([big_spec], [tmp_path / "big.zarr"], executor="dask", client=client)
    _assert_same_summary(local, on_dask)
    _assert_same_summary(local, big)
    # the same numbers as the in-process streaming summary and the in-memory simulation
    _assert_same_summary(local, summarize_stream(case, draws=DRAWS, seed=7, chunk_size=BLOCK_SIZE))
    full = simulate(case, draws=DRAWS, seed=7)
    for name in ("local", "dask", "big"):
        _assert_same_draws(open_store(tmp_path / f"{name}.zarr").load(), full)


def test_store_opens_with_plain_xarray_and_validates(case, tmp_path):
    spec = RunSpec.make(case, draws=2000, seed=1, chunk_draws=1)
    assert spec.chunk_draws == BLOCK_SIZE  # rounded up to whole blocks
    run_many([spec], [tmp_path / "r.zarr"])
    ds = xr.open_zarr(tmp_path / "r.zarr")
    validate_results(ds)
    assert ds.net_result.chunks[0] == (2000,)
    assert ds.attrs["seed"] == 1 and ds.attrs["case_sha256"] == spec.identity()["case_sha256"]
    assert json.loads(ds.attrs["run_identity"])["chunk_draws"] == BLOCK_SIZE
    assert int(ds[COMPLETE_VAR].sum()) == 1


class _StopError(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_result(case, tmp_path):
    store = tmp_path / "r.zarr"
    spec = RunSpec.make(case, draws=DRAWS, seed=3, chunk_draws=BLOCK_SIZE)

    def stop_after_two_chunks(done: int) -> None:
        if done >= 2 * BLOCK_SIZE:
            raise _StopError

    with pytest.raises(_StopError):
        run_many([spec], [store], progress=stop_after_two_chunks)
    incomplete = r"incomplete \(2 of 4 chunks missing\).*resume=True"
    with pytest.raises(ResultsFileError, match=incomplete):
        open_store(store)
    exists = "exists; pass overwrite=True to replace it or resume=True"
    with pytest.raises(ResultsFileError, match=exists):
        run_many([spec], [store])
    other = RunSpec.make(case, draws=DRAWS, seed=4, chunk_draws=BLOCK_SIZE)
    with pytest.raises(ResultsFileError, match="different run: seed 3 \\(now 4\\)"):
        run_many([other], [store], resume=True)
    seen = []
    [resumed] = summaries([spec], [store], resume=True, progress=seen.append)
    assert seen[0] == 2 * BLOCK_SIZE  # the two stored chunks were not simulated again
    [fresh] = summaries([spec], [tmp_path / "fresh.zarr"])
    _assert_same_summary(resumed, fresh)
    _assert_same_draws(open_store(store).load(), open_store(tmp_path / "fresh.zarr").load())


def test_force_replaces_a_store_but_never_a_foreign_folder(case, tmp_path):
    spec = RunSpec.make(case, draws=100, seed=1)
    run_many([spec], [tmp_path / "r.zarr"])
    run_many([spec], [tmp_path / "r.zarr"], overwrite=True)
    foreign = tmp_path / "mine.zarr"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ResultsFileError, match="not a som_mc results store; refusing to delete"):
        run_many([spec], [foreign], overwrite=True)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_killed_worker_does_not_corrupt_the_store(case, client, tmp_path):
    n_chunks = 16  # enough that some are still queued when the first is reported, under load
    spec = RunSpec.make(case, draws=n_chunks * BLOCK_SIZE, seed=5, chunk_draws=BLOCK_SIZE)
    pids = client.run(os.getpid)  # worker address -> process id
    first_done = threading.Event()
    done_at_kill: list[int] = []

    def progress(done: int) -> None:
        first_done.set()

    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["summary"] = summaries(
                [spec], [tmp_path / "r.zarr"], executor="dask", client=client, progress=progress
            )[0]
        except BaseException as exc:  # reported by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    assert first_done.wait(120)
    victim = sorted(pids.values())[0]
    done_at_kill.append(sum(1 for v in client.processing().values() for _ in v))
    os.kill(victim, signal.SIGKILL)
    thread.join(300)
    assert not thread.is_alive()
    assert "error" not in result, result.get("error")
    assert done_at_kill[0] > 0  # chunks were still queued or running when the worker died
    [reference] = summaries([spec], [tmp_path / "local.zarr"])
    _assert_same_summary(result["summary"], reference)
    _assert_same_draws(
        open_store(tmp_path / "r.zarr").load(), open_store(tmp_path / "local.zarr").load()
    )


def test_cli_runs_several_cases_into_a_folder(tmp_path, capsys):
    import csv

    from som_mc.cli import main

    cases = [str(CASES_DIR / "housing_first.toml"), str(CASES_DIR / "cool_kids.toml")]
    out = tmp_path / "runs"
    args = ["run", *cases, "--draws", "3000", "--seed", "2", "--out", str(out), "--quiet"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "housing_first" in text and "cool_kids" in text and "summary.csv" in text
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["case"] for r in rows] == ["housing_first", "cool_kids"]
    single = summarize_stream(load_case(cases[1]), draws=3000, seed=2)
    assert float(rows[1]["mean"]) == float(single.horizon_mean.sel(actor="total"))
    assert open_store(out / "cool_kids.zarr").sizes["draw"] == 3000
    assert main(args) == 2  # summary.csv and the stores exist: never overwritten silently
    assert "exists; use --force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --executor dask"),
        (["--out", "x.txt"], "--out takes a netCDF file NAME.nc or a Zarr store NAME.zarr"),
        (["--resume"], "--resume needs --out"),
        (["--target-mcse", "1000", "--out", "x.zarr"], "--target-mcse stops a run early"),
        (["--deterministic", "--draws", "5"], "--draws has no effect with --deterministic"),
        (["--point", "median"], "--point has no effect in a Monte Carlo run"),
        (["--out", ""], "--out '': expected a file or folder name"),
    ],
)
def test_cli_scale_errors_are_one_line(extra, message, capsys):
    from som_mc.cli import main

    assert main(["run", str(CASES_DIR / "housing_first.toml"), "--draws", "100", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_load_results_reads_a_finished_store(case, tmp_path):
    from som_mc.results import load_results

    run_many([RunSpec.make(case, draws=500, seed=2)], [tmp_path / "r.zarr"])
    ds = load_results(tmp_path / "r.zarr")
    assert COMPLETE_VAR not in ds and ds.sizes["draw"] == 500
    _assert_same_draws(ds, simulate(case, draws=500, seed=2))


def test_force_never_deletes_a_zarr_store_that_som_mc_did_not_write(case, tmp_path):
    theirs = tmp_path / "mydata.zarr"
    xr.Dataset({"a": ("x", np.arange(5))}).to_zarr(theirs, zarr_format=2)
    with pytest.raises(ResultsFileError, match="not a som_mc results store; refusing to delete"):
        run_many([RunSpec.make(case, draws=100, seed=1)], [theirs], overwrite=True)
    np.testing.assert_array_equal(xr.open_zarr(theirs).a.values, np.arange(5))


def test_relative_store_path_works_on_workers_with_another_directory(
    case, client, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the cluster's workers were started elsewhere
    spec = RunSpec.make(case, draws=300, seed=1)
    run_many([spec], ["rel.zarr"], executor="dask", client=client)
    assert open_store(tmp_path / "rel.zarr").sizes["draw"] == 300


def test_every_store_is_checked_before_any_is_created(case, tmp_path):
    spec = RunSpec.make(case, draws=100, seed=1)
    run_many([spec], [tmp_path / "b.zarr"])
    with pytest.raises(ResultsFileError, match=r"b\.zarr: exists"):
        run_many([spec, spec], [tmp_path / "a.zarr", tmp_path / "b.zarr"])
    assert not (tmp_path / "a.zarr").exists()


def test_runspec_refuses_chunks_that_are_not_whole_blocks(case):
    with pytest.raises(ValueError, match="whole number of blocks"):
        RunSpec(case=case, draws=100, seed=1, design="random", chunk_draws=1000)


def test_cli_out_paths_that_are_folders_or_files_are_refused(tmp_path, capsys):
    from som_mc.cli import main

    one = str(CASES_DIR / "cool_kids.toml")
    folder = tmp_path / "existing"
    folder.mkdir()
    afile = tmp_path / "afile"
    afile.write_text("mine")
    for args, message in (
        ([one, "--out", str(folder), "--force"], "--out takes a netCDF file NAME.nc"),
        ([one, "--out", str(tmp_path / "runs") + "/"], "--out takes a netCDF file NAME.nc"),
        ([one, "--out", str(tmp_path / "out.txt")], "--out takes a netCDF file NAME.nc"),
        ([one, str(CASES_DIR / "recidivism.toml"), "--out", str(afile)], "is a file"),
        ([one, one], "have the same file name 'cool_kids'"),
    ):
        assert main(["run", *args, "--draws", "100", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert afile.read_text() == "mine" and not list(folder.iterdir())


def test_cli_json_is_identical_whatever_the_executor_chunking_and_output(tmp_path, capsys):
    """One run pipeline: the printed numbers depend only on case, seed, draws and design."""
    from som_mc.cli import main

    base = ["run", str(CASES_DIR / "recidivism.toml"), "--draws", "40000", "--seed", "5"]
    variants = {
        "default": [],
        "dask": ["--executor", "dask", "--workers", "2"],
        "one-block chunks": ["--chunk-draws", str(BLOCK_SIZE)],
        "three-block chunks": ["--chunk-draws", str(3 * BLOCK_SIZE)],
        "netcdf": ["--out", str(tmp_path / "r.nc")],
        "zarr": ["--out", str(tmp_path / "r.zarr")],
        "dask + netcdf": ["--executor", "dask", "--workers", "2", "--out", str(tmp_path / "d.nc")],
    }
    outputs = {}
    for name, extra in variants.items():
        assert main([*base, *extra, "--json", "--quiet"]) == 0, name
        outputs[name] = capsys.readouterr().out
    reference = outputs.pop("default")
    assert json.loads(reference)["quantile_method"] == "exact"
    for name, text in outputs.items():
        assert text == reference, name
    # the kept draws summarise to the same numbers
    kept = summarize(load_results(tmp_path / "r.nc"))
    assert float(kept.horizon_mean.sel(actor="total")) == json.loads(reference)["horizon"][
        "total"
    ]["mean"]
