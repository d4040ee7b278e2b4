"""Summaries: the numba reduction against hand computation and the plain NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES_DIR, minimal_case

from som_mc import load_case, parse_case
from som_mc.engine._kernels import row_moments, summary_rows
from som_mc.engine.kernel import set_kernel_threads
from som_mc.model import compile_case
from som_mc.run import simulate, summarize_stream
from som_mc.sampling import BLOCK_SIZE
from som_mc.stats import summarize
from som_mc.stats.cells import HistogramEdges, exact_quantiles
from som_mc.stats.reference import summarize_numpy
from som_mc.stats.summary import Summary, pilot_edges, summary_part


def _rows(net, pv, participants, kernel=summary_rows):
    n, n_t, n_a = net.shape
    rows = np.empty((2 * n_t * (n_a + 1) + 3 * (n_a + 1), n))
    first = np.empty((n_a + 1, n), dtype=np.int64)
    kernel(net, pv, participants, rows, first, 0, n)
    return rows, first


def test_summary_rows_by_hand():
    # one draw, 2 years, 2 actors; participants 3 + 1 = 4
    net = np.array([[[-10.0, 4.0], [6.0, 2.0]]])
    pv = np.array([[-5.0, 5.5]])
    rows, first = _rows(net, pv, np.array([[3.0, 1.0]]))
    col = rows[:, 0]
    # yearly, year-major with the total last: (-10, 4, -6), (6, 2, 8)
    np.testing.assert_array_equal(col[0:6], [-10, 4, -6, 6, 2, 8])
    # cumulative: (-10, 4, -6), (-4, 6, 2)
    np.testing.assert_array_equal(col[6:12], [-10, 4, -6, -4, 6, 2])
    np.testing.assert_array_equal(col[12:15], [-4, 6, 2])  # horizon
    np.testing.assert_array_equal(col[15:18], [-5, 5.5, 0.5])  # discounted
    np.testing.assert_array_equal(col[18:21], [-1, 1.5, 0.5])  # per participant (/4)
    # first year with cumulative >= 0: never (2 = T), year 0, year 1
    np.testing.assert_array_equal(first[:, 0], [2, 0, 1])


def test_summary_rows_zero_participants_gives_zero_per_participant():
    rows, _ = _rows(np.ones((1, 1, 1)), np.ones((1, 1)), np.zeros((1, 2)))
    np.testing.assert_array_equal(rows[-2:, 0], [0.0, 0.0])


def test_row_moments_by_hand_and_py_func():
    rows = np.array([[1.0, 2.0, 3.0, -4.0], [0.0, 0.0, 0.0, 0.5]])
    out = [np.empty(2), np.empty(2), np.empty(2, dtype=np.int64)]
    # bins of width 2 from -4: [-4, -2), [-2, 0), [0, 2), [2, 4) (and beyond, the edge bins)
    edges = (np.full(2, -4.0), np.full(2, 2.0))
    counts = np.zeros((2, 4), dtype=np.int32)
    row_moments(rows, 0, 4, *out, *edges, counts)
    np.testing.assert_array_equal(counts, [[1, 0, 1, 2], [0, 0, 4, 0]])
    np.testing.assert_allclose(out[0], [0.5, 0.125], rtol=1e-15)
    np.testing.assert_allclose(out[1], [0.25 + 2.25 + 6.25 + 20.25, 3 * 0.125**2 + 0.375**2])
    np.testing.assert_array_equal(out[2], [3, 1])
    again = [np.empty(2), np.empty(2), np.empty(2, dtype=np.int64)]
    row_moments.py_func(rows, 0, 4, *again, np.empty(0), np.empty(0), np.zeros((0, 0), np.int32))
    for a, b in zip(out, again, strict=True):
        np.testing.assert_array_equal(a, b)
    # columns 1:3 only (a block inside a chunk): [2, 3] and [0, 0]
    part = [np.empty(2), np.empty(2), np.empty(2, dtype=np.int64)]
    row_moments(rows, 1, 3, *part, np.empty(0), np.empty(0), np.zeros((0, 0), np.int32))
    np.testing.assert_array_equal(part[0], [2.5, 0.0])
    np.testing.assert_array_equal(part[1], [0.5, 0.0])
    np.testing.assert_array_equal(part[2], [2, 0])


def test_summary_rows_py_func_is_bitwise_equal():
    rng = np.random.default_rng(3)
    net = rng.normal(size=(150, 4, 3))
    pv = rng.normal(size=(150, 3))
    part = rng.integers(0, 3, size=(150, 2)).astype(float)
    rows, first = _rows(net, pv, part)
    rows_py, first_py = _rows(net, pv, part, kernel=summary_rows.py_func)
    np.testing.assert_array_equal(rows, rows_py)
    np.testing.assert_array_equal(first, first_py)


def test_row_quantiles_equal_numpy():
    rows = np.random.default_rng(1).lognormal(size=(6, 1001))
    q = [0.0, 0.05, 0.5, 0.9, 1.0]
    expected = np.quantile(rows, q, axis=1)
    np.testing.assert_allclose(exact_quantiles(rows.copy(), q), expected, rtol=1e-14)


def _assert_summaries_equal(a, b, *, rtol=1e-12):
    assert set(a.data_vars) == set(b.data_vars)
    for var in a.data_vars:
        x, y = a[var].values, b[var].values
        # relative to the variable's scale, so values near zero compare sensibly
        scale = max(float(np.max(np.abs(y))), 1e-300)
        np.testing.assert_allclose(x, y, rtol=0, atol=rtol * scale, err_msg=var)


@pytest.mark.parametrize("name", ["housing_first", "recidivism"])
def test_summarize_equals_numpy_reference(name):
    ds = simulate(load_case(CASES_DIR / f"{name}.toml"), draws=3000, seed=9)
    _assert_summaries_equal(summarize(ds), summarize_numpy(ds))


def test_summarize_equals_reference_with_noise_and_custom_quantiles():
    data = minimal_case(
        horizon_years=5,
        success_rate={"dist": "beta", "alpha": 2, "beta": 3},
        participants={"per_year": [{"dist": "poisson", "mean": 3}, 2]},
        outcome={"noise": True},
    )
    ds = simulate(parse_case(data), draws=2001, seed=2)
    q = (0.01, 0.25, 0.75)
    _assert_summaries_equal(summarize(ds, quantiles=q), summarize_numpy(ds, quantiles=q))


def _parts(ds, bounds, edges=None):
    net = ds.net_result.transpose("draw", "year", "actor").values
    pv = ds.net_result_pv.values
    part = ds.participants.values
    return [summary_part(lo, net[lo:hi], pv[lo:hi], part[lo:hi], edges=edges) for lo, hi in bounds]


def test_chunked_accumulation_equals_one_pass():
    ds = simulate(load_case(CASES_DIR / "housing_first.toml"), draws=1000, seed=5)
    acc = Summary(ds.year.values, list(ds.actor.values), (0.05, 0.1, 0.5, 0.9, 0.95), "exact")
    for part in _parts(ds, ((0, 1), (1, 300), (300, 301), (301, 1000))):
        acc.merge(part)
    _assert_summaries_equal(acc.result(dict(ds.attrs)), summarize(ds), rtol=1e-11)


def test_summary_of_stored_draws_equals_the_streamed_summary_bit_for_bit():
    # the run's own summary and summarize() of its kept draws: one statistics core
    case = load_case(CASES_DIR / "recidivism.toml")
    draws = 2 * BLOCK_SIZE + 77
    stream = summarize_stream(case, draws=draws, seed=4, chunk_size=BLOCK_SIZE)
    kept = summarize(simulate(case, draws=draws, seed=4))
    for var in stream.data_vars:
        np.testing.assert_array_equal(stream[var].values, kept[var].values, err_msg=var)


@pytest.mark.parametrize("threads", [2, 3])
def test_summary_is_independent_of_thread_count(threads):
    # enough draws that the kernels really split them (and the rows) over the threads
    ds = simulate(load_case(CASES_DIR / "housing_first.toml"), draws=3 * BLOCK_SIZE + 77, seed=1)
    try:
        set_kernel_threads(1)
        one = summarize(ds)
        set_kernel_threads(threads)
        many = summarize(ds)
    finally:
        set_kernel_threads(None)
    for var in one.data_vars:
        np.testing.assert_array_equal(one[var].values, many[var].values)


def test_exact_summary_refuses_sketched_parts():
    ds = simulate(load_case(CASES_DIR / "housing_first.toml"), draws=100, seed=1)
    net = ds.net_result.transpose("draw", "year", "actor").values
    edges = pilot_edges(net, ds.net_result_pv.values, ds.participants.values)
    acc = Summary(ds.year.values, list(ds.actor.values), (0.5,), "exact")
    with pytest.raises(ValueError, match="exact summary"):
        acc.merge(_parts(ds, ((0, 100),), edges)[0])


def test_streamed_summary_is_bit_identical_whatever_the_chunking():
    case = load_case(CASES_DIR / "housing_first.toml")
    draws = 2 * BLOCK_SIZE + 100
    ref = summarize_stream(case, draws=draws, seed=3, chunk_size=BLOCK_SIZE)
    for chunk in (2 * BLOCK_SIZE, 4 * BLOCK_SIZE):
        again = summarize_stream(case, draws=draws, seed=3, chunk_size=chunk)
        for var in ref.data_vars:
            np.testing.assert_array_equal(again[var].values, ref[var].values, err_msg=var)


def test_partials_merge_in_any_order():
    case = load_case(CASES_DIR / "recidivism.toml")
    ds = simulate(case, draws=3000, seed=1)
    net = ds.net_result.transpose("draw", "year", "actor").values
    edges = pilot_edges(net, ds.net_result_pv.values, ds.participants.values)
    years, actors = compile_case(case).years, list(case.actors)
    results = []
    for method, e in (("histogram", edges), ("exact", None)):
        parts = _parts(ds, ((0, 1000), (1000, 2000), (2000, 3000)), e)
        for order in ([0, 1, 2], [2, 0, 1]):
            acc = Summary(years, actors, (0.1, 0.5, 0.9), method, e)
            for i in order:
                acc.merge(parts[i])
            results.append(acc.result())
        for var in results[-2].data_vars:
            np.testing.assert_array_equal(results[-2][var].values, results[-1][var].values)
        assert results[-1].attrs["n_draws"] == 3000


def test_histogram_rows_equals_numpy_with_edge_clamping():
    from som_mc.engine._kernels import histogram_rows

    rng = np.random.default_rng(4)
    pilot = rng.normal(size=(3, 200))
    edges = HistogramEdges.from_rows(pilot, bins=64)
    rows = rng.normal(scale=3.0, size=(3, 5000))  # wider than the pilot: clamped to the edges
    expected = np.zeros((3, 64), dtype=np.int64)
    for r in range(3):
        k = np.clip(np.floor((rows[r] - edges.lo[r]) / edges.width[r]), 0, 63).astype(int)
        np.add.at(expected[r], k, 1)
    np.testing.assert_array_equal(edges.counts(rows), expected)
    again = np.zeros((3, 64), dtype=np.int64)
    histogram_rows.py_func(rows, edges.lo, edges.width, again)
    np.testing.assert_array_equal(again, expected)
    assert expected[:, 0].sum() > 0 and expected[:, -1].sum() > 0


@pytest.mark.parametrize("draws", [2, 7, 1000, 5000])
def test_sketched_quantiles_are_within_their_error_bound(draws):
    for name in ("housing_first", "cool_kids", "recidivism"):
        case = load_case(CASES_DIR / f"{name}.toml")
        ds = simulate(case, draws=draws, seed=1)
        exact = summarize(ds)
        net = ds.net_result.transpose("draw", "year", "actor").values
        edges = pilot_edges(net, ds.net_result_pv.values, ds.participants.values)
        acc = Summary(
            ds.year.values, list(case.actors), exact["quantile"].values, "histogram", edges
        )
        for part in _parts(ds, ((0, draws // 2), (draws // 2, draws)), edges):
            acc.merge(part)
        sketch = acc.result()
        for prefix in ("yearly", "cumulative", "horizon", "pv", "per_participant"):
            diff = np.abs(sketch[f"{prefix}_quantile"] - exact[f"{prefix}_quantile"])
            bound = sketch[f"{prefix}_quantile_max_error"]
            assert bool((diff <= bound * (1 + 1e-9) + 1e-6).all()), (name, draws, prefix)
            np.testing.assert_allclose(
                sketch[f"{prefix}_mean"], exact[f"{prefix}_mean"], rtol=1e-12
            )


def test_quantile_rule_depends_on_draws_only():
    from som_mc.stats.cells import EXACT_QUANTILE_MAX_DRAWS, quantile_method

    assert quantile_method(EXACT_QUANTILE_MAX_DRAWS) == "exact"
    assert quantile_method(EXACT_QUANTILE_MAX_DRAWS + 1) == "histogram"


def test_run_edges_are_the_bins_of_the_runs_first_block():
    """A sketched run's bins: its first block's rows, laid out by the kernel (run_edges)."""
    from som_mc.run.driver import run_edges
    from som_mc.run.spec import RunSpec

    case = load_case(CASES_DIR / "housing_first.toml")
    spec = RunSpec.make(case, draws=300_000, seed=5)
    assert spec.quantile_method == "histogram"
    edges = run_edges(spec)
    assert edges is not None
    ds = simulate(case, draws=BLOCK_SIZE, seed=5)  # the same first block (name-keyed streams)
    net = ds.net_result.transpose("draw", "year", "actor").values
    ref = pilot_edges(net, ds.net_result_pv.values, ds.participants.values, spec.bins)
    np.testing.assert_array_equal(edges.lo, ref.lo)
    np.testing.assert_array_equal(edges.width, ref.width)
    assert edges.bins == ref.bins


@pytest.mark.parametrize("threads", [1, 2])
def test_local_sketched_run_takes_its_bins_from_its_first_block_simulated_once(
    monkeypatch, threads
):
    """A local run does not simulate a pilot first: its first block gives the bins as it runs.

    The summary is the one of chunks summarised with run_edges' bins (as Dask workers do),
    bit for bit, and every block is sampled exactly once.
    """
    from som_mc.engine import chunks as chunks_module
    from som_mc.run.driver import run, run_chunk, run_edges
    from som_mc.run.spec import RunSpec

    case = load_case(CASES_DIR / "housing_first.toml")
    spec = RunSpec.make(case, draws=300_000, seed=5, chunk_draws=2 * BLOCK_SIZE)
    assert spec.quantile_method == "histogram"
    edges = run_edges(spec)
    assert edges is not None
    expected = Summary(
        simulate(case, draws=1, seed=5).year.values,
        list(case.actors),
        spec.quantiles,
        "histogram",
        edges,
    )
    for index in range(spec.n_chunks):
        part = run_chunk(spec, index, edges).part
        assert part is not None
        expected.merge(part)
    sampled: list[int] = []
    block_data = chunks_module._block_data

    def counting(model, n_draws, block, *args, **kwargs):
        sampled.append(block)
        return block_data(model, n_draws, block, *args, **kwargs)

    monkeypatch.setattr(chunks_module, "_block_data", counting)
    set_kernel_threads(threads)
    try:
        got = run(spec).summary
    finally:
        set_kernel_threads(None)
    assert sorted(sampled) == list(range(-(-spec.draws // BLOCK_SIZE)))
    want = expected.result(spec.provenance() | {"draws": spec.draws})
    assert got is not None
    for name in want.data_vars:
        np.testing.assert_array_equal(got[name].values, want[name].values, err_msg=name)


def test_local_sketched_run_whose_first_block_fails_raises_its_error(monkeypatch):
    """The blocks waiting for the first block's bins get its error instead of waiting on."""
    from som_mc.engine import chunks as chunks_module
    from som_mc.run.driver import run
    from som_mc.run.spec import RunSpec

    case = load_case(CASES_DIR / "housing_first.toml")
    spec = RunSpec.make(case, draws=300_000, seed=5)
    block_data = chunks_module._block_data

    def failing(model, n_draws, block, *args, **kwargs):
        if block == 0:
            raise MemoryError("block 0")
        return block_data(model, n_draws, block, *args, **kwargs)

    monkeypatch.setattr(chunks_module, "_block_data", failing)
    set_kernel_threads(2)
    try:
        with pytest.raises(MemoryError, match="block 0"):
            run(spec)
    finally:
        set_kernel_threads(None)


def _one_aktor_noise_case():
    return parse_case(
        minimal_case(
            actors=["kommune"],
            success_rate={"dist": "beta", "alpha": 2, "beta": 3},
            participants={"per_year": [{"dist": "poisson", "mean": 30}, 25]},
            outcome={"noise": True, "dropoff_rate": 0.1},
            consequences=[
                {
                    "name": "herberg",
                    "unit": "døgn",
                    "profile": [-2, -1],
                    "scale": {"dist": "normal", "mean": 1.0, "sd": 0.2},
                    "price": {"kommune": {"dist": "pert", "low": 80, "mode": 100, "high": 150}},
                }
            ],
        )
    )


@pytest.mark.parametrize(
    "case",
    [*sorted(CASES_DIR.glob("*.toml")), "one aktør, noise"],
    ids=lambda p: getattr(p, "stem", p),
)
@pytest.mark.parametrize("threads", [None, 1, 5])
def test_summarize_aktor_by_aktor_equals_all_rows_at_once_bit_for_bit(case, threads):
    """summarize() of draws in memory lays out and reduces one aktør's rows at a time; the
    numbers are those of all rows laid out at once and reduced as one part, with any number
    of threads (fewer and more than the aktører)."""
    loaded = _one_aktor_noise_case() if isinstance(case, str) else load_case(case)
    ds = simulate(loaded, draws=BLOCK_SIZE + 1001, seed=6)
    q = (0.0, 0.05, 0.5, 0.95, 1.0)
    net = np.ascontiguousarray(ds.net_result.transpose("draw", "year", "actor").values)
    whole = Summary(ds.year.values, [str(a) for a in ds.actor.values], q, "exact")
    whole.merge(summary_part(0, net, ds.net_result_pv.values, ds.participants.values, edges=None))
    expected = whole.result(dict(ds.attrs))
    try:
        set_kernel_threads(threads)
        got = summarize(ds, quantiles=q)
    finally:
        set_kernel_threads(None)
    assert got.attrs == expected.attrs
    assert set(got.data_vars) == set(expected.data_vars)
    for var in expected.data_vars:
        assert got[var].dtype == expected[var].dtype, var
        assert got[var].values.tobytes() == expected[var].values.tobytes(), var


def test_summarize_takes_big_endian_and_float32_draws():
    """Draws read back from a file may be big-endian or another type: the same summary as
    of the native float64 draws they hold."""
    ds = simulate(load_case(CASES_DIR / "housing_first.toml"), draws=BLOCK_SIZE + 5, seed=2)
    native = summarize(ds)
    for dtype in (">f8", "float32"):
        other = ds.copy()
        for name in ("net_result", "net_result_pv", "participants"):
            other[name] = ds[name].astype(dtype)
        got = summarize(other)
        expected = native if dtype == ">f8" else None
        if expected is None:  # float32: the summary of the rounded draws
            rounded = ds.copy()
            for name in ("net_result", "net_result_pv", "participants"):
                rounded[name] = ds[name].astype("float32").astype("float64")
            expected = summarize(rounded)
        for var in native.data_vars:
            assert got[var].values.tobytes() == expected[var].values.tobytes(), (dtype, var)


def test_add_counts_adopts_only_what_it_is_handed_over() -> None:
    """Owned, writeable int32 or int64 totals are taken as they are; anything else is copied."""
    edges = HistogramEdges(lo=np.zeros(2), width=np.ones(2), bins=4)
    shape = (2, 4)
    mine = np.arange(8, dtype=np.int64).reshape(shape)
    borrowed = Summary([2025], ["kommune"], (0.5,), "histogram", edges)
    borrowed.add_counts(mine)
    mine[0, 0] = 100  # the caller's array changes later: the summary's does not
    assert borrowed.counts is not None and borrowed.counts[0, 0] == 0
    handed = np.arange(8, dtype=np.int64).reshape(shape)
    owned = Summary([2025], ["kommune"], (0.5,), "histogram", edges)
    owned.add_counts(handed, owned=True)
    assert owned.counts is handed
    small = np.ones(shape, dtype=np.int32)
    owned.add_counts(small, owned=True)  # added to what it holds
    np.testing.assert_array_equal(handed, np.arange(8).reshape(shape) + 1)
    other = Summary([2025], ["kommune"], (0.5,), "histogram", edges)
    other.add_counts(small, owned=True)  # int32 handed over: taken too
    assert other.counts is small
    floats = Summary([2025], ["kommune"], (0.5,), "histogram", edges)
    floats.add_counts(np.ones(shape), owned=True)  # not an integer array: copied as int64
    assert floats.counts is not None and floats.counts.dtype == np.int64
    frozen = np.ones(shape, dtype=np.int64)
    frozen.flags.writeable = False  # handed over but read-only: copied, so it can be added to
    fixed = Summary([2025], ["kommune"], (0.5,), "histogram", edges)
    fixed.add_counts(frozen, owned=True)
    fixed.add_counts(frozen)
    assert fixed.counts is not frozen and fixed.counts is not None
    np.testing.assert_array_equal(fixed.counts, 2 * np.ones(shape))


def test_histogram_quantiles_take_the_bins_of_the_order_statistics() -> None:
    """Each quantile's order statistics k and k + 1 lie in the first bin whose cumulative
    count exceeds them (the dense definition, all rows' cumulative counts at once); a row
    without draws takes the first bin."""
    rng = np.random.default_rng(3)
    for trial in range(60):
        n_rows, bins = int(rng.integers(1, 30)), int(rng.choice([4, 16, 1024]))
        counts = rng.poisson(rng.uniform(0, 3), size=(n_rows, bins))
        counts *= rng.random((n_rows, bins)) < rng.uniform(0.05, 1)
        if trial % 3 == 0:
            counts[0] = 0
        edges = HistogramEdges(
            lo=rng.normal(size=n_rows), width=rng.uniform(0.1, 2, size=n_rows), bins=bins
        )
        q = (0.0, *sorted(rng.uniform(0, 1, size=int(rng.integers(1, 6)))), 1.0)
        got, error = edges.quantiles(counts.astype(np.int32 if trial % 2 else np.int64), q)
        cum = np.cumsum(counts, axis=1)
        n = cum[:, -1]
        bound = np.full(n_rows, 0.5) * edges.width
        for i, p in enumerate(q):
            pos = (n - 1) * p
            k = np.floor(pos).astype(np.int64)
            k1 = np.minimum(k + 1, n - 1)
            b_k, b_1 = np.argmax(cum > k[:, None], axis=1), np.argmax(cum > k1[:, None], axis=1)
            mid_k, mid_1 = (edges.lo + (b + 0.5) * edges.width for b in (b_k, b_1))
            np.testing.assert_array_equal(got[i], mid_k + (pos - k) * (mid_1 - mid_k))
            edge = np.isin(b_k, (0, bins - 1)) | np.isin(b_1, (0, bins - 1))
            bound = np.where(edge, np.inf, bound)
        np.testing.assert_array_equal(error, bound)
