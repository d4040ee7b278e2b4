"""Start-up and first-run behaviour: what each command imports, the compile notice.

No wall times are asserted (speed is shown by ``benchmarks/run_all.py``); these tests pin
the behaviour the start-up figures rest on: commands that only read a case do not import
the heavy libraries, a local run does not import ``dask.array``, and the first run on an
empty kernel cache says that it compiles.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import cli_imports, minimal_case

from som_mc import load_case, parse_case, simulate, summarize
from som_mc.engine.kernel import compile_notice, kernels_cached, warm_up
from som_mc.results.schema import xarray_without_dask
from som_mc.run import RunSpec
from som_mc.run.driver import run

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "benchmarks" / "reference.toml"
HEAVY = ("numba", "xarray", "scipy.stats", "scipy.optimize", "openpyxl", "dask")


def _imported_by(*argv: str) -> dict[str, object]:
    """Run the CLI in a fresh interpreter; return its exit status and the heavy modules."""
    got = cli_imports(argv, (*HEAVY, "dask.array"))
    imported = got["imported"]
    return {
        "status": got["status"],
        "heavy": [m for m in imported if m in HEAVY],
        "dask_array": "dask.array" in imported,
        "dask": "dask" in imported,
    }


def _last_json(code: str) -> object:
    """Run `code` in a fresh interpreter (this checkout first); return its last line's JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_help_validate_and_catalog_list_import_no_heavy_library():
    for argv in (["--help"], ["validate", str(CASE)], ["catalog", "list"]):
        got = _imported_by(*argv)
        assert got["status"] == 0, argv
        assert got["heavy"] == [], (argv, got["heavy"])


def test_small_run_imports_no_numba_and_a_large_one_does():
    # at most NUMPY_MAX_DRAWS draws run on the kernels' NumPy twins (the same numbers)
    small = _imported_by("run", str(CASE), "--draws", "1000", "--seed", "1", "--json", "--quiet")
    assert small["status"] == 0
    assert "numba" not in small["heavy"]
    large = _imported_by("run", str(CASE), "--draws", "20000", "--seed", "1", "--json", "--quiet")
    assert large["status"] == 0
    assert "numba" in large["heavy"]


def test_local_run_without_store_does_not_import_dask_array():
    got = _imported_by("run", str(CASE), "--draws", "200", "--seed", "1", "--json", "--quiet")
    assert got["status"] == 0
    assert got["dask_array"] is False
    assert got["dask"] is False  # not even dask.base, to ask what is a dask collection


def test_library_simulate_and_summarize_do_not_import_dask():
    # a notebook's first simulate + summarize: every dataset is made of NumPy arrays
    code = (
        "import json, sys\n"
        "import som_mc\n"
        f"case = som_mc.load_case({str(CASE)!r})\n"
        "for n in (200, 20_000):  # the NumPy twins, then the compiled kernels\n"
        "    summary = som_mc.summarize(som_mc.simulate(case, draws=n, seed=1))\n"
        "print(json.dumps({'dask': 'dask' in sys.modules,"
        " 'n': int(summary.attrs['n_draws']),"
        " 'mean': float(summary.cumulative_mean.isel(year=-1).sel(actor='total'))}))\n"
    )
    got = _last_json(code)
    assert got["dask"] is False
    assert got["n"] == 20_000
    # the same summary as in this process (where dask may be imported): nothing changes
    case = load_case(CASE)
    here = summarize(simulate(case, draws=20_000, seed=1))
    assert got["mean"] == float(here.cumulative_mean.isel(year=-1).sel(actor="total"))


def test_rank_analysis_does_not_import_dask():
    # the Sobol command's second process: a run of NumPy arrays, ranked and regressed
    code = (
        "import json, sys\n"
        "from som_mc import load_case\n"
        "from som_mc.sensitivity import rank_analysis\n"
        f"ranks, down = rank_analysis(load_case({str(CASE)!r}), draws=2000, seed=1)\n"
        "print(json.dumps({'dask': 'dask' in sys.modules,"
        " 'srrc': float(ranks.srrc.sel(actor='total').max())}))\n"
    )
    got = _last_json(code)
    assert got["dask"] is False
    from som_mc.sensitivity import rank_analysis

    ranks, _ = rank_analysis(load_case(CASE), draws=2000, seed=1)
    assert got["srrc"] == float(ranks.srrc.sel(actor="total").max())


def test_sensitivity_plots_import_neither_the_case_model_nor_the_statistics():
    # what the tornado's figure process imports while the command loads the case: the
    # plot module and matplotlib, not pydantic's case schema or the kernels' modules
    code = (
        "import json, sys\n"
        "import som_mc.present.plotting.sensitivity\n"
        "print(json.dumps(sorted(m for m in ('som_mc.case', 'som_mc.model', 'pydantic',"
        " 'som_mc.stats', 'som_mc.engine', 'numba', 'scipy') if m in sys.modules)))\n"
    )
    assert _last_json(code) == []
    # the package's names are still there, imported on first use
    import som_mc.present.plotting as plotting
    from som_mc.present.plotting.compare import comparison_figure

    assert plotting.comparison_figure is comparison_figure
    with pytest.raises(AttributeError, match="no attribute 'plot_nothing'"):
        _ = plotting.plot_nothing


def test_xarray_without_dask_builds_datasets_and_restores_xarray():
    from xarray.namedarray import pycompat, utils

    before = dict(pycompat._cached_duck_array_modules)
    original = utils.is_dask_collection
    with xarray_without_dask():
        ds = xr.Dataset({"a": (("x",), np.arange(3.0))}, coords={"x": [1, 2, 3]})
        inside = utils.is_dask_collection
    assert ds["a"].values.tolist() == [0.0, 1.0, 2.0]
    # no stand-in for dask is left in xarray's cache of array modules
    assert pycompat._cached_duck_array_modules.get("dask") is before.get("dask")
    assert utils.is_dask_collection is original
    # where dask is imported already (this test process), nothing is patched
    assert inside is original or "dask" not in sys.modules


def test_compile_notice_says_once_that_it_compiles():
    out = io.StringIO()
    with compile_notice(out):
        pass
    text = out.getvalue()
    assert text.startswith("Kompilerer beregningskernen (kun første gang) …")
    assert text.count("Kompilerer") == 1
    assert "færdig (" in text and text.endswith(" s)\n")


def test_warm_up_leaves_every_kernel_compiled():
    model = RunSpec.make(parse_case(minimal_case()), draws=10, seed=1).model()
    warm_up(model)
    assert kernels_cached()


def test_warm_up_compiles_both_layouts_of_the_sample_that_runs_use(monkeypatch):
    import numba

    import som_mc.engine.kernel as kernel_module

    real = kernel_module.compiled_kernels()
    layouts: list[str] = []

    class Recording:
        def __getattr__(self, name):
            return getattr(real, name)

        @staticmethod
        def simulate_chunk(x, *args):
            layouts.append(numba.typeof(x).layout)
            return real.simulate_chunk(x, *args)

    monkeypatch.setattr(kernel_module, "compiled_kernels", lambda: Recording())
    from som_mc import load_case

    for case in (parse_case(minimal_case()), load_case(CASE)):  # 0 and 69 sampled inputs
        layouts.clear()
        warm_up(RunSpec.make(case, draws=10, seed=1).model())
        assert sorted(layouts) == ["A", "C"]


def test_kernels_cached_needs_both_layouts_of_the_sample(monkeypatch):
    """A cache with only one layout of simulate_chunk (written by an earlier version) is not
    enough: the run would compile the other one without the notice."""
    import types

    import numba

    import som_mc.engine.kernel as kernel_module

    real = kernel_module.compiled_kernels()
    c_rows, a_rows = numba.typeof(np.zeros((2, 2))), numba.typeof(np.zeros((2, 4))[:, :2])

    def fake(index):
        cache_file = types.SimpleNamespace(_load_index=lambda: index)
        return types.SimpleNamespace(
            overloads={}, _cache=types.SimpleNamespace(_cache_file=cache_file)
        )

    def module(index):
        kernels = {name: fake({("sig",): "file"}) for name in kernel_module._KERNEL_NAMES}
        kernels["simulate_chunk"] = fake(index)
        return types.SimpleNamespace(**kernels)

    target = ("cpu",)
    only_c = {((c_rows, "int64"), target): "f1"}
    both = {**only_c, ((a_rows, "int64"), target): "f2"}
    monkeypatch.setattr(kernel_module, "compiled_kernels", lambda: module(only_c))
    assert kernels_cached() is False
    monkeypatch.setattr(kernel_module, "compiled_kernels", lambda: module(both))
    assert kernels_cached() is True
    monkeypatch.setattr(kernel_module, "compiled_kernels", lambda: module({}))
    assert kernels_cached() is False
    assert real is not None


def test_draws_without_summary_equal_draws_with_summary():
    # three chunks, the last one short: each written into its slice of the buffers
    spec = RunSpec.make(parse_case(minimal_case()), draws=40_000, seed=4, chunk_draws=16_384)
    plain = run(spec, keep_draws=True, summary=False)
    full = run(spec, keep_draws=True)
    assert plain.summary is None and full.summary is not None
    assert plain.draws is not None and full.draws is not None
    for var in ("net_result", "net_result_pv", "inputs", "cost", "successes"):
        np.testing.assert_array_equal(plain.draws[var].values, full.draws[var].values)


@pytest.mark.parametrize(
    "toml",
    [
        {"dist": "normal", "mean": 3.0, "sd": 2.0},
        {"dist": "lognormal", "mu": 1.0, "sigma": 0.5},
        {"dist": "poisson", "mean": 40.0},
        {"dist": "poisson", "mean": 1e7},
        {"dist": "gamma", "shape": 2.0, "scale": 3.0},
    ],
)
def test_validation_tail_bounds_match_scipy(toml):
    """The closed-form tail bounds validate uses (without scipy) equal or exceed the ppf."""
    from som_mc.case.load import _tail_bounds
    from som_mc.distributions import from_toml

    dist = from_toml(toml)
    lo, hi = _tail_bounds(dist)
    q_lo, q_hi = (float(v) for v in dist.ppf(np.array([1e-9, 1 - 1e-9])))
    if dist.kind == "poisson":  # a bound beyond the quantile, not the quantile
        assert lo <= q_lo and q_hi <= hi <= q_hi + 10 * np.sqrt(dist.mean()) + 30
    elif dist.kind == "lognormal":
        assert lo <= q_lo and hi == pytest.approx(q_hi, rel=1e-7)  # scipy: ~2e-9
    else:
        assert (lo, hi) == pytest.approx((q_lo, q_hi), rel=1e-9)


@pytest.mark.parametrize(
    "toml",
    [
        {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0},
        {"dist": "pert", "low": 1.0, "mode": 2.0, "high": 6.0},
        {"dist": "pert", "low": 1.0, "mode": 5.0, "high": 6.0, "shape": 2.5},
        {"dist": "uniform", "low": -1.0, "high": 6.0},
        {"dist": "normal", "mean": -3.0, "sd": 2.0},
        {"dist": "lognormal", "mu": 1.0, "sigma": 0.5},
    ],
)
def test_validation_cheap_mean_equals_mean(toml):
    from som_mc.case.load import _cheap_mean
    from som_mc.distributions import from_toml

    dist = from_toml(toml)
    assert _cheap_mean(dist) == pytest.approx(dist.mean(), rel=1e-12)
