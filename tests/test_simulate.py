"""Monte Carlo engine: reproducibility, chunking, threads and statistical checks with MCSE."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CASES_DIR, minimal_case
from scipy import stats

from som_mc import deterministic, load_case, parse_case
from som_mc.engine.kernel import set_kernel_threads
from som_mc.run import simulate, summarize_stream
from som_mc.sampling import BLOCK_SIZE
from som_mc.stats import summarize


def _noisy_case():
    data = minimal_case(
        horizon_years=6,
        success_rate={"dist": "beta", "alpha": 3, "beta": 7},
        participants={"per_year": [{"dist": "poisson", "mean": 40}, 30, 20]},
        outcome={"noise": True, "dropoff_rate": {"dist": "uniform", "low": 0.05, "high": 0.2}},
    )
    data["consequences"][0]["scale"] = {"dist": "normal", "mean": 1.0, "sd": 0.3}
    data["consequences"][0]["profile"] = [-2, -1, -1, -1]
    return parse_case(data)


def test_same_seed_bit_identical_whatever_the_chunk_size():
    case = _noisy_case()
    ref = simulate(case, draws=40, seed=11)
    for chunk in (1, 7, 40):
        again = simulate(case, draws=40, seed=11, chunk_size=chunk)
        for var in ("net_result", "inputs", "successes", "net_result_pv"):
            np.testing.assert_array_equal(again[var].values, ref[var].values)
    other = simulate(case, draws=40, seed=12)
    assert not np.array_equal(other.net_result.values, ref.net_result.values)


def test_chunks_across_block_boundaries_are_identical():
    from som_mc.sampling import BLOCK_SIZE

    case = _noisy_case()
    n = BLOCK_SIZE + 300
    ref = simulate(case, draws=n, seed=5, chunk_size=n)
    again = simulate(case, draws=n, seed=5, chunk_size=5000)
    np.testing.assert_array_equal(again.net_result.values, ref.net_result.values)


@pytest.mark.parametrize("threads", [2, 3])
def test_thread_count_does_not_change_results(threads):
    # more than one block, so blocks run on several workers and the kernel splits draws
    case = _noisy_case()
    draws = 2 * BLOCK_SIZE + 501
    try:
        set_kernel_threads(1)
        one = simulate(case, draws=draws, seed=3)
        stream_one = summarize_stream(case, draws=draws, seed=3, chunk_size=5000)
        set_kernel_threads(threads)
        many = simulate(case, draws=draws, seed=3)
        stream_many = summarize_stream(case, draws=draws, seed=3, chunk_size=5000)
    finally:
        set_kernel_threads(None)
    np.testing.assert_array_equal(one.net_result.values, many.net_result.values)
    for var in stream_one.data_vars:
        np.testing.assert_array_equal(stream_one[var].values, stream_many[var].values)


def test_closed_form_mean_within_4_mcse():
    # Independent inputs: E[NR] = E[N] E[s] Σ E[Δq] E[p] − E[cost] (noise on: binomial
    # successes do not move the mean). One cohort, effect year 0, horizon 3.
    data = minimal_case(
        success_rate={"dist": "beta", "alpha": 2, "beta": 6},  # E = 0.25
        participants={"per_year": [{"dist": "poisson", "mean": 50}]},
        outcome={"noise": True},
        costs=[
            {
                "name": "pp",
                "actor": "kommune",
                "kind": "per_participant",
                "amount": {"dist": "gamma", "mean": 1000, "sd": 300},
            },
        ],
        consequences=[
            {
                "name": "k",
                "unit": "u",
                "profile": [-2, -1],
                "scale": {"dist": "normal", "mean": 1.2, "sd": 0.4},
                "price": {
                    "kommune": {"dist": "lognormal", "mean": 500, "sd": 200},
                    "stat": {"dist": "triangular", "low": 0, "mode": 100, "high": 200},
                },
            }
        ],
    )
    case = parse_case(data)
    expected = 50 * 0.25 * (2 + 1) * 1.2 * (500 + 100) - 50 * 1000
    summary = summarize(simulate(case, draws=50_000, seed=21))
    mean = summary.horizon_mean.sel(actor="total").item()
    mcse = summary.horizon_mcse.sel(actor="total").item()
    assert abs(mean - expected) < 4 * mcse, (mean, expected, mcse)
    det = deterministic(case).cumulative_net_result.sum("actor").values[-1]
    assert det == pytest.approx(expected, rel=1e-12)


def test_probability_positive_matches_normal_cdf():
    # NR = S * p - K with S = 10 fixed and p ~ Normal(100, 80): NR ~ N(1000 - 300, 800)
    data = minimal_case(
        success_rate=0.5,
        participants={"per_year": [20]},
        consequences=[
            {
                "name": "k",
                "unit": "u",
                "profile": [-1],
                "price": {"stat": {"dist": "normal", "mean": 100, "sd": 80}},
            }
        ],
    )
    n = 40_000
    summary = summarize(simulate(parse_case(data), draws=n, seed=8))
    p = summary.horizon_p_positive.sel(actor="total").item()
    se = summary.horizon_p_positive_se.sel(actor="total").item()
    expected = stats.norm.cdf(700 / 800)
    assert abs(p - expected) < 4 * se
    assert se == pytest.approx(np.sqrt(expected * (1 - expected) / n), rel=0.02)


def test_binomial_successes_variance():
    # Var(successes) = E[N s (1 − s)] + Var(N s) with N = 40 fixed, s ~ Beta(3, 7).
    data = minimal_case(
        success_rate={"dist": "beta", "alpha": 3, "beta": 7},
        participants={"per_year": [40]},
        outcome={"noise": True},
    )
    n = 100_000
    ds = simulate(parse_case(data), draws=n, seed=17)
    y = ds.successes.values[:, 0]
    s = stats.beta(3, 7)
    e_s, v_s = s.mean(), s.var()
    e_s2 = v_s + e_s**2
    expected = 40 * (e_s - e_s2) + 40**2 * v_s
    var = y.var(ddof=1)
    se = np.sqrt((((y - y.mean()) ** 4).mean() - var**2) / n)  # SE of a sample variance
    assert abs(var - expected) < 4 * se, (var, expected, se)
    assert np.all(y == np.round(y)) and y.min() >= 0 and y.max() <= 40
    # without outcome noise, successes are the expectation N * s (smaller variance)
    quiet = minimal_case(success_rate=data["success_rate"], participants={"per_year": [40]})
    ds0 = simulate(parse_case(quiet), draws=n, seed=17)
    assert ds0.successes.values[:, 0].var() == pytest.approx(40**2 * v_s, rel=0.03)


def test_dropoff_thinning_mean():
    # Expected active successes decay by (1 − q) each year.
    data = minimal_case(
        success_rate=0.5,
        participants={"per_year": [100]},
        outcome={"noise": True, "dropoff_rate": 0.3},
        costs=[],
        consequences=[{"name": "k", "unit": "u", "profile": [-1, -1, -1], "price": {"stat": 1}}],
    )
    summary = summarize(simulate(parse_case(data), draws=20_000, seed=2))
    mean = summary.yearly_mean.sel(actor="stat").values
    mcse = summary.yearly_mcse.sel(actor="stat").values
    np.testing.assert_array_less(np.abs(mean - [50, 35, 24.5]), 4 * mcse)


def test_target_mcse_stops_early_and_equals_a_fixed_run():
    case = load_case(CASES_DIR / "housing_first.toml")
    ds = simulate(case, draws=200_000, seed=4, target_mcse=200_000.0)
    n = ds.sizes["draw"]
    assert n < 200_000 and n % 16384 == 0
    summary = summarize(ds)
    assert summary.horizon_mcse.sel(actor="total").item() < 200_000
    fixed = simulate(case, draws=n, seed=4)
    np.testing.assert_array_equal(fixed.net_result.values, ds.net_result.values)


def test_break_even_distribution_is_consistent():
    case = load_case(CASES_DIR / "housing_first.toml")
    summary = summarize(simulate(case, draws=5000, seed=1))
    prob = summary.break_even_probability.values
    assert np.all(np.diff(prob, axis=0) >= 0)  # cumulative in the year
    np.testing.assert_allclose(prob[-1] + summary.break_even_never.values, 1.0)


def test_streaming_summary_equals_the_summary_of_kept_draws():
    from som_mc.run import summarize_stream

    case = _noisy_case()
    n = 30_000
    exact = summarize(simulate(case, draws=n, seed=6, chunk_size=7000))
    stream = summarize_stream(case, draws=n, seed=6, chunk_size=40_000)
    assert stream.attrs["quantile_method"] == exact.attrs["quantile_method"] == "exact"
    for var in stream.data_vars:
        np.testing.assert_array_equal(stream[var], exact[var], err_msg=var)


def test_blocks_are_sampled_straight_into_the_runs_input_buffer(monkeypatch):
    """A run that keeps its draws gives each block its slice of the input buffer to sample
    into; the inputs are the same numbers as a run that copies them (summary only)."""
    import som_mc.engine.chunks as chunks
    from som_mc.model import compile_case

    original = chunks.sample_block
    given = []

    def recording(*args, **kwargs):
        given.append(kwargs.get("into"))
        return original(*args, **kwargs)

    monkeypatch.setattr(chunks, "sample_block", recording)
    case = load_case(CASES_DIR / "housing_first.toml")
    ds = simulate(case, draws=40_000, seed=3)
    assert len(given) == 3 and all(into is not None for into in given)
    buffer = ds.inputs.values
    assert all(np.shares_memory(into, buffer) for into in given)
    monkeypatch.setattr(chunks, "sample_block", original)
    model = compile_case(case)
    blocks = [  # each block sampled into an array of its own, then put together
        chunks._block_data(model, 40_000, b, 3, "random", chunks._correlations(case))[0]
        for b in range(3)
    ]
    np.testing.assert_array_equal(ds.inputs.values, np.concatenate(blocks))


@pytest.mark.parametrize("threads", [1, 2])
def test_blocks_reuse_each_workers_memory_for_what_dies_with_them(threads):
    """With ``arrays=False`` each worker samples, draws the outcome noise and (with
    ``reuse_rows``) lays out the summary rows of its blocks in the same memory, block after
    block: the same numbers as in fresh arrays, and one buffer per worker."""
    from pathlib import Path

    from som_mc.engine.chunks import iter_chunks
    from som_mc.model import compile_case

    case = load_case(Path(__file__).resolve().parents[1] / "benchmarks" / "reference.toml")
    assert case.outcome.noise  # outcome noise drawn, and its first year kept per block
    model = compile_case(case)
    draws = 5 * BLOCK_SIZE + 77  # six blocks, the last one short
    where: dict[str, set[int]] = {"x": set(), "rows": set()}

    def reduce(chunk):
        where["x"].add(chunk.x.T.__array_interface__["data"][0])
        where["rows"].add(chunk.rows.__array_interface__["data"][0])
        return chunk.x.sum(axis=0), chunk.rows.sum(axis=1), chunk.first.sum(axis=1)

    def run(reuse_rows: bool, arrays: bool) -> list:
        chunks = iter_chunks(
            model,
            draws,
            seed=3,
            chunk_size=2 * BLOCK_SIZE,
            reduce=reduce,
            arrays=arrays,
            summary_rows=True,
            reuse_rows=reuse_rows,
        )
        return [(c.successes, *r) for c in chunks for r in c.reduced]

    try:
        set_kernel_threads(threads)
        fresh = run(False, True)  # every block in arrays of its own (the chunks keep them)
        where = {"x": set(), "rows": set()}
        reused = run(True, False)
    finally:
        set_kernel_threads(None)
    assert len(fresh) == len(reused) == 6
    for a, b in zip(fresh, reused, strict=True):
        for u, v in zip(a[1:], b[1:], strict=True):
            np.testing.assert_array_equal(u, v)
    # a chunk without its arrays has no successes; with them, the blocks' first years
    assert all(r[0].shape[0] == 0 for r in reused)
    assert sum(f[0].shape[0] for f in fresh[::2]) == draws
    assert 1 <= len(where["x"]) <= threads and 1 <= len(where["rows"]) <= threads
    with pytest.raises(ValueError, match="reuse_rows=True needs arrays=False"):
        next(iter_chunks(model, 10, seed=3, reduce=reduce, arrays=True, reuse_rows=True))
