"""The numba kernel against hand computation, its NumPy twin and its own .py_func."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from conftest import CASES_DIR, minimal_case

from som_mc import deterministic, load_case, parse_case
from som_mc.case import case_to_dict
from som_mc.distributions import from_toml
from som_mc.engine._kernels import simulate_chunk
from som_mc.engine.kernel import run_kernel as engine_kernel
from som_mc.engine.reference import simulate_chunk_numpy
from som_mc.model import CaseModel, compile_case
from som_mc.run import simulate


def run_kernel(model, x, active=None, *, noise=False, func=simulate_chunk, keep_k=True):
    return engine_kernel(model, x, active, noise=noise, keep_consequences=keep_k, kernel=func)


def _small_model() -> CaseModel:
    """Two uncertain inputs: succesrate and the kommune price; 2 cohorts, course 2 years."""
    data = minimal_case(
        horizon_years=4,
        discount_rate=0.035,
        success_rate={"dist": "uniform", "low": 0.0, "high": 1.0},
        participants={"per_year": [10, 20], "course_years": 2.0},
        costs=[
            {"name": "opstart", "actor": "kommune", "kind": "one_off", "amount": 300},
            {"name": "forloeb", "actor": "kommune", "kind": "per_participant", "amount": 10},
            {"name": "sparet", "actor": "stat", "kind": "yearly", "amount": 7, "saved": True},
        ],
        consequences=[
            {
                "name": "herberg",
                "unit": "døgn",
                "profile": [-2, -1],
                "price": {"kommune": {"dist": "uniform", "low": 50, "high": 150}, "stat": 50},
            },
            {
                "name": "under_forloeb",
                "unit": "døgn",
                "profile": [-1, -1],
                "applies_to": "participants",
                "price": {"region": 3},
            },
        ],
    )
    return compile_case(parse_case(data))


def test_kernel_matches_hand_computation():
    model = _small_model()
    assert model.uncertain_names == ["success_rate", "consequences.herberg.price.kommune"]
    x = np.array([[0.5, 100.0], [0.1, 60.0]])
    out = run_kernel(model, x)
    # draw 0: S = [5, 10]; effect years [1, 2]; herberg kommune: 5*2*100 in t1, 5*1*100 +
    # 10*2*100 in t2, 10*1*100 in t3
    np.testing.assert_allclose(out["value"][0, :, 0], [0, 1000, 2500, 1000])
    np.testing.assert_allclose(out["value"][0, :, 2], [7 * 0 + 0, 500, 1250, 500])
    # during forløb: cohort 0 in years 0,1; cohort 1 in years 1,2; region price 3
    np.testing.assert_allclose(out["value"][0, :, 1], [30, 90, 60, 0])
    # costs: kommune 300 + 10*10 in year 0, 20*10 in year 1; stat saves 7 in intake years
    np.testing.assert_allclose(out["cost"][0, :, 0], [400, 200, 0, 0])
    np.testing.assert_allclose(out["cost"][0, :, 2], [-7, -7, 0, 0])
    np.testing.assert_allclose(out["net"], out["value"] - out["cost"])
    disc = 1.035 ** -np.arange(4)
    np.testing.assert_allclose(out["pv"][0], (out["net"][0] * disc[:, None]).sum(axis=0))
    # draw 1: S = [1, 2], price 60
    np.testing.assert_allclose(out["value"][1, :, 0], [0, 120, 60 + 240, 120])
    np.testing.assert_allclose(out["value_k"].sum(axis=1), out["value"])


def test_kernel_equals_numpy_reference_and_py_func():
    model = _small_model()
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.random(50), rng.uniform(50, 150, 50)])
    numba_out = run_kernel(model, x)
    py_out = run_kernel(model, x, func=simulate_chunk.py_func)
    ref = simulate_chunk_numpy(model, x, np.zeros((0, 0, 0)), noise=False, keep_consequences=True)
    for key, ref_key in [
        ("cost", "cost"),
        ("value", "value"),
        ("net", "net"),
        ("pv", "pv"),
        ("value_k", "value_k"),
    ]:
        np.testing.assert_allclose(numba_out[key], ref[ref_key], rtol=1e-12, atol=0)
        np.testing.assert_array_equal(numba_out[key], py_out[key])


def test_kernel_takes_padded_rows_as_they_are_with_the_same_numbers():
    """Rows laid out by the sampler (a row_buffer: rows not 2^k bytes apart) are read in
    place; the compiled kernel (its layout-'A' specialisation), its .py_func and the
    C-contiguous copy give the same numbers bit for bit."""
    from som_mc.sampling import row_buffer

    model = _small_model()
    rng = np.random.default_rng(11)
    n = 4096  # rows of 32 KiB: their starts a multiple of 4 KiB apart when unpadded
    rows = row_buffer(2, n)
    rows[0], rows[1] = rng.random(n), rng.uniform(50, 150, n)
    assert not rows.flags.c_contiguous and rows.strides[1] == 8
    assert rows.strides[0] % 4096 != 0
    dense = np.ascontiguousarray(rows)

    def run(x, func):
        return engine_kernel(
            model, x, inputs_major=True, keep_consequences=True, kernel=func, summary=True
        )

    given = []

    def recording(x, *args):
        given.append(x)
        return simulate_chunk(x, *args)

    padded, contiguous = run(rows, recording), run(dense, simulate_chunk)
    assert given[0] is rows  # read in place, not copied
    py = run(rows, simulate_chunk.py_func)
    assert set(padded) == set(contiguous) == set(py)
    for key in padded:
        np.testing.assert_array_equal(padded[key], contiguous[key])
        np.testing.assert_array_equal(padded[key], py[key])


def test_kernel_uses_realised_successes_with_noise():
    model = _small_model()
    x = np.array([[0.5, 100.0]])
    active = np.zeros((1, 2, model.chain_length))
    active[0, 0, :] = [4, 3]  # cohort 0: 4 successes, 3 still active a year later
    active[0, 1, :] = [0, 0]
    out = run_kernel(model, x, active, noise=True)
    np.testing.assert_allclose(out["value"][0, :, 0], [0, 800, 300, 0])
    ref = simulate_chunk_numpy(model, x, active, noise=True)
    np.testing.assert_allclose(out["net"], ref["net"], rtol=1e-12, atol=0)


def _fix_all_inputs(data: Any) -> Any:
    """Replace every distribution table by its mean (a fixed number)."""
    if isinstance(data, dict):
        if "dist" in data:
            return from_toml(data).mean()
        return {k: _fix_all_inputs(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_fix_all_inputs(v) for v in data]
    return data


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_one_fixed_draw_equals_deterministic(path):
    data = _fix_all_inputs(case_to_dict(load_case(path)))
    data.setdefault("outcome", {})["noise"] = False
    data.pop("correlations", None)
    case = parse_case(data)
    det = deterministic(case)
    ds = simulate(case, draws=1, seed=0)
    for var in ("cost", "consequence_value", "net_result"):
        np.testing.assert_allclose(ds[var].isel(draw=0), det[var], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(
        ds.net_result_pv.isel(draw=0),
        det.cumulative_net_result_discounted.isel(year=-1),
        rtol=1e-9,
    )


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_example_cases_kernel_equals_reference(path):
    case = load_case(path)
    model = compile_case(case)
    from som_mc.engine.chunks import _block_data  # the engine's own sampling of one block

    x, active = _block_data(model, 200, 0, 7, "random", [])
    out = run_kernel(model, x, active, noise=case.outcome.noise)
    ref = simulate_chunk_numpy(model, x, active, noise=case.outcome.noise, keep_consequences=True)
    for key in ("cost", "value", "net", "pv", "value_k"):
        np.testing.assert_allclose(out[key], ref[key], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("dropoff", [False, True])
def test_outcome_chain_equals_numpy_binomials_and_py_func(dropoff):
    from som_mc.engine._kernels import outcome_chain
    from som_mc.engine.reference import outcome_chain_numpy

    rng = np.random.default_rng(11)
    n, n_c, n_chain = 3000, 3, 5
    # small and large cohorts (inversion and BTPE), and the edges p = 0, p = 1, n = 0
    participants = rng.choice([0.0, 1.0, 7.0, 40.0, 250.0, 5000.0], size=(n, n_c))
    s = rng.choice([0.0, 1.0, 0.02, 0.3, 0.5, 0.8], size=n)
    keep = rng.choice([0.0, 1.0, 0.6, 0.95], size=n)

    def gen():
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(5, spawn_key=(1, 2))))

    expected = outcome_chain_numpy(gen(), participants, s, keep, dropoff, n_chain)
    for func in (outcome_chain, outcome_chain.py_func):
        active = np.empty((n, n_c, n_chain))
        func(gen(), participants, s, keep, dropoff, active)
        np.testing.assert_array_equal(active, expected)


@pytest.mark.parametrize("dropoff", [False, True])
def test_outcome_chain_interleaved_inversions_are_numpys(dropoff):
    """Cohorts small enough for NumPy's inversion algorithm (drawn four at a time), p above
    and below 1/2, and a draw count that leaves a remainder: NumPy's binomials exactly."""
    from som_mc.engine._kernels import outcome_chain
    from som_mc.engine.reference import outcome_chain_numpy

    rng = np.random.default_rng(12)
    n, n_c, n_chain = 4003, 3, 4
    participants = rng.integers(1, 61, size=(n, n_c)).astype(np.float64)
    s = rng.choice([0.05, 0.3, 0.5, 0.7, 0.95, 1.0], size=n)
    s = np.where(rng.random(n) < 0.5, rng.uniform(0.01, 0.99, size=n), s)
    keep = rng.uniform(0.5, 1.0, size=n)
    # mostly groups of four that all take the inversion loop; a few with p = 1 or n p > 30
    assert np.mean(np.minimum(s, 1 - s)[:, None] * participants <= 30) > 0.9

    def gen():
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(6, spawn_key=(3,))))

    expected = outcome_chain_numpy(gen(), participants, s, keep, dropoff, n_chain)
    for func in (outcome_chain, outcome_chain.py_func):
        active = np.empty((n, n_c, n_chain))
        func(gen(), participants, s, keep, dropoff, active)
        np.testing.assert_array_equal(active, expected)


class _Uniforms:
    """Given uniforms in turn, as ``Generator.random()`` and as a bit generator's doubles."""

    def __init__(self, values):
        self.values = list(values)
        self.taken = 0
        self.ctypes = self  # numba's Python-level algorithms call bitgen.ctypes.next_double
        self.state = None

    def random(self):
        self.taken += 1
        return self.values[self.taken - 1]

    def next_double(self, state):
        return self.random()


@pytest.mark.parametrize("restart_at", [None, 0, 1, 3])
def test_binomials4_restart_takes_the_uniforms_in_numpys_order(monkeypatch, restart_at):
    """A draw whose count passes NumPy's bound restarts with the next uniform: the four
    interleaved draws are then redone in turn from the uniforms already drawn, as four
    plain calls (numba's own algorithm, in Python) take them."""
    from numba.np.random.distributions import random_binomial

    from som_mc.engine import _kernels

    monkeypatch.setattr(_kernels, "_inversion_replay", _kernels._inversion_replay.py_func)
    monkeypatch.setattr(_kernels, "_inversion_setup", _kernels._inversion_setup.py_func)
    # n p = 10 <= 30 (inversion) and the bound 10 + 10 sqrt(10.9) ~ 43 < n = 1000: a
    # uniform just below 1 lies beyond the first 44 probabilities and restarts the draw
    participants = np.array([[1000.0], [40.0], [1000.0], [25.0]])
    s = np.array([0.01, 0.3, 0.99, 0.6])
    high = float(np.nextafter(1.0, 0.0))
    uniforms = [0.4, 0.7, 0.2, 0.9, 0.55, 0.15, 0.85, 0.35]
    if restart_at is not None:
        uniforms.insert(restart_at, high)
        participants[restart_at] = 1000.0
        s[restart_at] = 0.01 if restart_at != 3 else 0.99
    reference = _Uniforms(uniforms)
    expected = [
        random_binomial(reference, np.int64(participants[d, 0]), s[d]) for d in range(4)
    ]
    source = _Uniforms(uniforms)
    active = np.full((4, 1, 1), -1.0)
    assert _kernels._binomials4.py_func(source, participants, s, 0, 0, active)
    np.testing.assert_array_equal(active[:, 0, 0], expected)
    assert source.taken == reference.taken  # the same uniforms used, no more
    assert reference.taken == 4 + (restart_at is not None)


@pytest.mark.parametrize(
    ("a", "b"), [(3.0, 3.0), (2.5, 3.5), (1.0001, 5.0), (5.0, 1.2), (1.01, 1.01), (40.0, 2.0)]
)
def test_draw_beta_gives_numpys_beta_numbers(a, b):
    """NumPy's Generator.beta, bit for bit, from the generator's raw outputs in numba."""
    from som_mc.engine.kernel import draw_beta

    n = 60_000  # thousands of ziggurat tails and wedges, and gamma rejections
    expected = np.random.default_rng(17).beta(a, b, n)
    got = np.empty(n)
    draw_beta(np.random.default_rng(17), a, b, got)
    np.testing.assert_array_equal(got, expected)


def test_beta_draws_continue_across_short_buffers_and_py_func():
    """A draw the raw outputs run out in is made again from its start with more outputs:
    the numbers of one long buffer; the compiled kernel equals its .py_func."""
    from numba.np.random import _constants as zc

    from som_mc.engine._kernels import beta_draws

    tables = (zc.wi_double, zc.ki_double, zc.fi_double, zc.ziggurat_nor_r, zc.ziggurat_nor_inv_r)
    n, a, b = 3000, 1.7, 4.2
    expected = np.random.default_rng(3).beta(a, b, n)
    for func in (beta_draws, beta_draws.py_func):
        bits = np.random.default_rng(3).bit_generator
        got = np.full(n, np.nan)
        raw = bits.random_raw(7)  # a draw or so at a time: every draw may be cut short
        done = refills = 0
        while True:
            done, at = func(raw, a, b, got, done, tables)
            if done == n:
                break
            raw = np.concatenate([raw[at:], bits.random_raw(5)])
            refills += 1
        np.testing.assert_array_equal(got, expected)
        assert refills > n // 2


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize(("loc", "scale"), [(0.0, 1.0), (2300.0, 200.0), (-0.4, 0.05)])
def test_compiled_normal_gives_numpys_normal_and_lognormal_numbers(loc, scale, log):
    from som_mc.engine.kernel import CompiledSamplers

    n = 60_000
    gen = np.random.default_rng(23)
    expected = gen.lognormal(loc, scale, n) if log else gen.normal(loc, scale, n)
    got = np.empty(n)
    CompiledSamplers().normal(np.random.default_rng(23), loc, scale, got, log)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("left", "mode", "right"),
    [(0.0, 20.0, 60.0), (250e3, 300e3, 450e3), (1.0, 1.0, 2.0), (0, 5, 5)],
)
def test_compiled_triangular_gives_numpys_numbers(left, mode, right):
    from som_mc.engine._kernels import triangular_draws
    from som_mc.engine.kernel import CompiledSamplers

    n = 50_000
    expected = np.random.default_rng(31).triangular(left, mode, right, n)
    got = np.empty(n)
    CompiledSamplers().triangular(np.random.default_rng(31), left, mode, right, got)
    np.testing.assert_array_equal(got, expected)
    raw = np.random.default_rng(31).bit_generator.random_raw(500)
    small = np.empty(500)
    triangular_draws.py_func(raw, float(left), float(mode), float(right), small)
    np.testing.assert_array_equal(small, expected[:500])


def test_normal_draws_continue_across_short_buffers_and_py_func():
    from numba.np.random import _constants as zc

    from som_mc.engine._kernels import normal_draws

    tables = (zc.wi_double, zc.ki_double, zc.fi_double, zc.ziggurat_nor_r, zc.ziggurat_nor_inv_r)
    n = 4000
    expected = np.random.default_rng(4).normal(1.5, 2.0, n)
    for func in (normal_draws, normal_draws.py_func):
        bits = np.random.default_rng(4).bit_generator
        got = np.full(n, np.nan)
        raw = bits.random_raw(2)
        done = 0
        while True:
            done, at = func(raw, 1.5, 2.0, False, got, done, tables)
            if done == n:
                break
            raw = np.concatenate([raw[at:], bits.random_raw(2)])
        np.testing.assert_array_equal(got, expected)


def test_draw_beta_refuses_shapes_of_other_algorithms_and_other_bit_generators():
    from som_mc.engine.kernel import draw_beta

    with pytest.raises(ValueError, match="a > 1 and b > 1"):
        draw_beta(np.random.default_rng(0), 1.0, 3.0, np.empty(4))
    # not PCG64: NumPy's own sampler (its next_double is not PCG64's)
    got = np.empty(500)
    draw_beta(np.random.Generator(np.random.Philox(5)), 2.0, 3.0, got)
    np.testing.assert_array_equal(got, np.random.Generator(np.random.Philox(5)).beta(2, 3, 500))


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_block_sample_with_the_compiled_samplers_is_numpys(path):
    """A compiled run's block (PERT, normal, lognormal inputs through CompiledSamplers)
    equals the NumPy twins' block, for every example case."""
    from som_mc.engine.chunks import _block_data

    model = compile_case(load_case(path))
    for block in (0, 3):
        fast = _block_data(model, 100_000, block, 5, "random", [], compiled=True)
        slow = _block_data(model, 100_000, block, 5, "random", [], compiled=False)
        for f, s in zip(fast, slow, strict=True):
            np.testing.assert_array_equal(f, s)


def test_outcome_noise_refuses_what_numpy_refuses():
    from som_mc.engine.chunks import draw_outcomes

    data = minimal_case(
        outcome={"noise": True}, success_rate={"dist": "uniform", "low": 0.0, "high": 1.0}
    )
    model = compile_case(parse_case(data))
    x = np.zeros((4, len(model.uncertain)))
    col = {int(j): i for i, j in enumerate(model.uncertain)}[int(model.idx_success)]
    x[:, col] = [0.2, 0.3, 0.4, 0.5]
    assert draw_outcomes(model, x, np.random.default_rng(0)).shape[0] == 4
    x[1, col] = 1.5  # a succesrate above 1: NumPy's sampler refuses it, so does the engine
    with pytest.raises(ValueError, match="p < 0, p > 1"):
        draw_outcomes(model, x, np.random.default_rng(0))


def _kernel_outputs(path, draws=3000):
    """A block's summary inputs from an example case (the compiled kernel)."""
    from som_mc.engine.chunks import _block_data
    from som_mc.engine.kernel import input_values

    model = compile_case(load_case(path))
    x, active = _block_data(model, draws, 0, 9, "random", [])
    out = engine_kernel(model, x, active, noise=model.case.outcome.noise, compiled=True)
    return out["net"], out["pv"], input_values(model, x, model.idx_participants)


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_summary_kernels_equal_their_numpy_twins_and_py_func(path):
    from som_mc.engine import _kernels
    from som_mc.engine.kernel import cell_moments
    from som_mc.engine.reference import (
        histogram_rows_numpy,
        row_moments_numpy,
        summary_rows_numpy,
    )

    net, pv, participants = _kernel_outputs(path)
    n = net.shape[0]
    rows, first = summary_rows_numpy(net, pv, participants)
    for func in (_kernels.summary_rows, _kernels.summary_rows.py_func):
        got_rows = np.empty_like(rows)
        got_first = np.empty_like(first)
        func(net, pv, participants, got_rows, got_first, 0, n)
        np.testing.assert_array_equal(got_rows, rows)
        np.testing.assert_array_equal(got_first, first)
    lo, hi = 5, n - 3
    expected = row_moments_numpy(rows, lo, hi)
    edge_lo = rows.min(axis=1) + 0.1 * np.ptp(rows, axis=1)  # some values below the bins
    width = np.maximum(np.ptp(rows, axis=1), 1.0) / 50.0
    counts = histogram_rows_numpy(rows, edge_lo, width, 40)  # and some above
    assert counts.sum() == rows.size
    for func in (_kernels.histogram_rows, _kernels.histogram_rows.py_func):
        got = np.zeros_like(counts)
        func(rows, edge_lo, width, got)
        np.testing.assert_array_equal(got, counts)
    part_counts = histogram_rows_numpy(rows[:, lo:hi], edge_lo, width, 40)
    # rows are reduced four at a time: also 1, 2 and 3 rows left over, and fewer than four
    for n_rows in sorted({rows.shape[0] - k for k in range(4)} | {1, 2, 3, 5}):
        for func in (_kernels.row_moments, _kernels.row_moments.py_func):
            for with_counts in (False, True):
                got = [np.empty(n_rows), np.empty(n_rows)]
                positive = np.empty(n_rows, dtype=np.int64)
                hist = (
                    np.zeros_like(counts[:n_rows])
                    if with_counts
                    else np.zeros((0, 0), dtype=np.int32)
                )
                edges = (
                    (edge_lo[:n_rows], width[:n_rows]) if with_counts else (np.empty(0),) * 2
                )
                func(rows[:n_rows], lo, hi, got[0], got[1], positive, *edges, hist)
                for a, b in zip([*got, positive], expected, strict=True):
                    np.testing.assert_array_equal(a, b[:n_rows])
                if with_counts:  # the moments' pass also counts columns lo:hi into the bins
                    np.testing.assert_array_equal(hist, part_counts[:n_rows])
    # through the front, in pieces: the counts of all columns, as histogram_rows gives
    for compiled in (True, False):
        hist = np.zeros_like(counts)
        for a, b in ((0, lo), (lo, n)):
            cell_moments(rows, a, b, compiled=compiled, histogram=(edge_lo, width, hist))
        np.testing.assert_array_equal(hist, counts)


def test_histogram_counts_past_16_bits_and_with_more_bins_than_values():
    """The 16-bit counts of ``_count_row``: runs of more values than a 16-bit count holds
    (all in one bin), and the 32-bit path for few values in many bins; the NumPy twin's
    counts, compiled and ``.py_func``, added to counts already there."""
    from som_mc.engine import _kernels
    from som_mc.engine.reference import histogram_rows_numpy

    gen = np.random.default_rng(5)
    n = 2 * _kernels._COUNT16_MAX + 10
    rows = np.vstack([np.full(n, 0.25), gen.normal(size=n), np.linspace(-9.0, 9.0, n)])
    edge_lo, width = np.array([0.0, -3.0, -2.0]), np.array([1.0, 0.01, 0.5])
    cases = [(rows, 8), (rows[:, :7], 4096)]  # 16-bit counts (and runs); 32-bit path
    for values, bins in cases:
        expected = histogram_rows_numpy(values, edge_lo, width, bins)
        for func in (_kernels.histogram_rows, _kernels.histogram_rows.py_func):
            got = np.full((3, bins), 3, dtype=np.int64)
            func(values, edge_lo, width, got)
            np.testing.assert_array_equal(got, expected + 3)
    assert histogram_rows_numpy(rows, edge_lo, width, 8)[0, 0] == n  # one bin, > 2^16


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_kernel_lays_out_the_summary_rows_of_its_net_results(path):
    """``run_kernel(summary=True)``: the rows the summary kernel lays out from net and pv.

    Compiled, ``.py_func`` and NumPy twin, bit for bit, with and without the net results
    (``net_only``: then only the rows are written).
    """
    from som_mc.engine._kernels import simulate_chunk
    from som_mc.engine.chunks import _block_data
    from som_mc.engine.kernel import cell_rows, input_values

    model = compile_case(load_case(path))
    noise = model.case.outcome.noise
    x, active = _block_data(model, 777, 0, 4, "random", [], inputs_major=True)
    full = engine_kernel(model, x, active, noise=noise, inputs_major=True, compiled=True)
    participants = input_values(model, x.T, model.idx_participants)
    rows, first = cell_rows(full["net"], full["pv"], participants, compiled=False)
    calls = [
        {"compiled": True},
        {"compiled": False},
        {"kernel": simulate_chunk.py_func},
        {"compiled": True, "threads": 2},
    ]
    for call in calls:
        for net_only in (False, True):
            out = engine_kernel(
                model, x, active, noise=noise, inputs_major=True, net_only=net_only,
                summary=True, **call,
            )  # fmt: skip
            np.testing.assert_array_equal(out["rows"], rows)
            np.testing.assert_array_equal(out["first"], first)
            if net_only:
                assert out["net"].shape[0] == out["pv"].shape[0] == 0
            else:
                np.testing.assert_array_equal(out["net"], full["net"])
                np.testing.assert_array_equal(out["pv"], full["pv"])

def test_row_moments_twin_sums_in_draw_order_with_signed_zeros():
    from som_mc.engine import _kernels
    from som_mc.engine.reference import row_moments_numpy

    # cancellation makes the order visible; all-(-0.0) rows give the loop's +0.0
    rows = np.array([[1e16, 1.0, -1e16, 1.0], [-0.0, -0.0, -0.0, -0.0], [-0.0, 2.0, -3.0, 0.5]])
    mean, m2, positive = row_moments_numpy(rows, 0, 4)
    assert mean[0] == 1.0 / 4  # (((1e16 + 1) - 1e16) + 1) / 4 in draw order
    assert np.signbit(mean[1]) == np.signbit(0.0 + -0.0)
    got = [np.empty(3), np.empty(3), np.empty(3, dtype=np.int64)]
    _kernels.row_moments(rows, 0, 4, *got, np.empty(0), np.empty(0), np.zeros((0, 0), np.int32))
    for a, b in zip(got, (mean, m2, positive), strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("path", ["recidivism.toml", "housing_first.toml"])
def test_runs_on_numpy_twins_equal_compiled_runs(path, monkeypatch):
    from som_mc.engine import kernel as engine_kernel_module
    from som_mc.run import summarize_stream
    from som_mc.sampling import BLOCK_SIZE
    from som_mc.stats import summarize

    case = load_case(CASES_DIR / path)
    draws = BLOCK_SIZE + 777  # a full block and a short one
    results = []
    for limit in (0, 10**9):  # every call compiled / every call on the NumPy twins
        monkeypatch.setattr(engine_kernel_module, "NUMPY_MAX_DRAWS", limit)
        ds = simulate(case, draws=draws, seed=21, keep_consequences=True)
        results.append(
            (ds, summarize(ds), summarize_stream(case, draws=draws, seed=21, chunk_size=5000))
        )
    (ds_a, sum_a, stream_a), (ds_b, sum_b, stream_b) = results
    for var in ds_a.data_vars:
        np.testing.assert_array_equal(ds_a[var].values, ds_b[var].values, err_msg=var)
    for a, b in ((sum_a, sum_b), (stream_a, stream_b)):
        for var in a.data_vars:
            np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)


@pytest.mark.parametrize("n", [1, 2, 3, 9, 1000, 40_000])
def test_order_statistics_equal_a_sort(n):
    from som_mc.engine import _kernels
    from som_mc.engine.kernel import cell_order_statistics
    from som_mc.engine.reference import order_statistics_numpy

    rng = np.random.default_rng(n)
    rows = rng.normal(size=(9, n)) * 1e6
    rows[1] = 5.0  # all equal
    rows[2, : n // 2] = -1.0  # many ties
    rows[3] = rng.integers(0, 3, n)  # three values
    rows[4] = rng.lognormal(0.0, 3.0, n)  # long right tail: most values in the first bins
    rows[5] = 1.0 + rng.integers(0, 2, n) * 1e-300  # a range too narrow to bin
    rows[6] = rng.normal(size=n) * 1e-308  # subnormal spacing
    rows[7, ::150] = 1.7e308  # a few values far beyond the middle ones (clamped to the
    rows[7, 75::150] = -1.7e308  # bins' range: their distances from it would overflow)
    rows[8, ::7] = 1.7e308  # so many that the middle's range is wider than a float: sorted
    rows[8, 3::11] = -1.7e308
    pos = (n - 1) * np.array([0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0])
    ks = np.unique(np.concatenate([np.floor(pos), np.minimum(np.floor(pos) + 1, n - 1)]))
    ks = ks.astype(np.int64)
    expected = np.sort(rows, axis=1)[:, ks]
    np.testing.assert_array_equal(order_statistics_numpy(rows, ks), expected)
    before = rows.copy()
    for compiled in (True, False):
        np.testing.assert_array_equal(cell_order_statistics(rows, ks, compiled=compiled), expected)
        # the same rows given as their column pieces (a run's blocks, one of them a view)
        cuts = [0, n // 3, n // 3 + 1, n]
        pieces = [rows[:, a:b] for a, b in itertools.pairwise(cuts)]
        for threads in (1, 2):
            got = cell_order_statistics(pieces, ks, compiled=compiled, threads=threads)
            np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(rows, before)  # not reordered
    # the middle positions alone: the bins span only the sample's middle, the tails clamp
    mid = ks[(ks > 0) & (ks < n - 1)]
    if mid.size:
        got = cell_order_statistics(rows, mid, compiled=True)
        np.testing.assert_array_equal(got, np.sort(rows, axis=1)[:, mid])
    none = np.empty(0, dtype=np.int64)  # no positions wanted: nothing is read or written
    assert cell_order_statistics(rows, none, compiled=True).shape == (rows.shape[0], 0)
    if n <= 1000:
        out = np.empty((rows.shape[0], ks.size))
        _kernels.order_statistics.py_func(rows, ks, out)
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_actor_rows_equal_the_numpy_twins_rows_and_py_func(path):
    """One aktør's rows (and the total's) are summary_rows' rows of that aktør, bit for bit."""
    from som_mc.engine import _kernels
    from som_mc.engine.kernel import actor_cell_rows, actor_row_index
    from som_mc.engine.reference import summary_rows_numpy

    net, pv, participants = _kernel_outputs(path)
    # a draw without participants and a negative zero: the per-deltager and sum branches
    participants[7] = 0.0
    net[11, 0, 0] = -0.0
    n, n_t, n_a = net.shape
    rows, first = summary_rows_numpy(net, pv, participants)
    n_part = np.zeros(n)
    for c in range(participants.shape[1]):
        n_part += participants[:, c]
    for actor in range(n_a + 1):
        index = actor_row_index(n_t, n_a, actor)
        assert len(set(index.tolist())) == 2 * n_t + 3
        got_rows = np.full((2 * n_t + 3, n), np.nan)
        got_first = np.full(n, -1, dtype=np.int64)
        actor_cell_rows(net, pv, n_part, actor, got_rows, got_first)
        assert got_rows.tobytes() == rows[index].tobytes()  # -0.0 too
        np.testing.assert_array_equal(got_first, first[actor])
        py_rows, py_first = np.full_like(got_rows, np.nan), np.full_like(got_first, -1)
        _kernels.actor_rows.py_func(net, pv, n_part, actor, py_rows, py_first, 3, n - 2)
        assert py_rows[:, 3 : n - 2].tobytes() == rows[index][:, 3 : n - 2].tobytes()
        assert np.isnan(py_rows[:, :3]).all() and np.isnan(py_rows[:, n - 2 :]).all()
        np.testing.assert_array_equal(py_first[3 : n - 2], first[actor, 3 : n - 2])
    # every row of the layout belongs to exactly one aktør
    every = np.concatenate([actor_row_index(n_t, n_a, a) for a in range(n_a + 1)])
    np.testing.assert_array_equal(np.sort(every), np.arange(rows.shape[0]))
    with pytest.raises(ValueError, match="actor must be in"):
        actor_cell_rows(net, pv, n_part, n_a + 1, got_rows, got_first)
    with pytest.raises(ValueError, match="rows must be a C-contiguous float64"):
        actor_cell_rows(net, pv, n_part, 0, got_rows[:, :-1], got_first)
    with pytest.raises(ValueError, match="pv must be a C-contiguous float64 array of shape"):
        actor_cell_rows(net, pv[:-1], n_part, 0, got_rows, got_first)
    with pytest.raises(ValueError, match="n_part must be"):
        actor_cell_rows(net, pv, n_part[:, None], 0, got_rows, got_first)
    with pytest.raises(ValueError, match=r"net must be .* received >f8"):
        actor_cell_rows(net.astype(">f8"), pv, n_part, 0, got_rows, got_first)
    with pytest.raises(ValueError, match="first must be int64"):
        actor_cell_rows(net, pv, n_part, 0, got_rows, got_first.astype(np.int32))


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 8, 9, 1001])
def test_pcg64_raw_equals_random_raw_and_py_func(n):
    """The compiled PCG64 outputs are random_raw's, four states at a time or one by one,
    and leave the generator where random_raw leaves it."""
    from som_mc.engine import _kernels
    from som_mc.engine.kernel import raw_outputs

    ours, numpy_bits = np.random.PCG64(2024 + n), np.random.PCG64(2024 + n)
    for bits in (ours, numpy_bits):
        bits.advance(2**100 + 7)  # a state with both halves busy
    expected = numpy_bits.random_raw(n)
    got = raw_outputs(ours, n)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, expected)
    assert ours.state == numpy_bits.state
    np.testing.assert_array_equal(raw_outputs(ours, 6), numpy_bits.random_raw(6))
    # the same from the kernel's Python function (Python's integers for the 128-bit steps)
    bits = np.random.PCG64(99)
    inner = bits.state["state"]
    s, inc = inner["state"], inner["inc"]
    state = np.array([s >> 64, s & (2**64 - 1), inc >> 64, inc & (2**64 - 1)], dtype=np.uint64)
    out = np.empty(min(n, 40), dtype=np.uint64)
    _kernels.pcg64_raw.py_func(state, _kernels.PCG64_CONSTANTS, out)
    np.testing.assert_array_equal(out, bits.random_raw(out.size))
    assert (int(state[0]) << 64 | int(state[1])) == bits.state["state"]["state"]


def test_raw_outputs_of_other_bit_generators_are_their_own():
    from som_mc.engine.kernel import raw_outputs

    a, b = np.random.SFC64(5), np.random.SFC64(5)
    np.testing.assert_array_equal(raw_outputs(a, 10), b.random_raw(10))
    np.testing.assert_array_equal(a.random_raw(3), b.random_raw(3))  # left in the same state


def test_raw_outputs_of_a_generator_shared_by_threads_are_distinct():
    """Like random_raw, two threads drawing from one generator get different outputs: between
    them the generator's next outputs, each call a run of them."""
    import threading

    from som_mc.engine.kernel import raw_outputs

    shared, reference = np.random.PCG64(77), np.random.PCG64(77)
    n = 200_000
    got: list[np.ndarray] = []

    def draw() -> None:
        got.append(raw_outputs(shared, n))

    workers = [threading.Thread(target=draw) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    expected = reference.random_raw(2 * n)
    assert {a[0] for a in got} == {expected[0], expected[n]}
    for a in got:
        start = 0 if a[0] == expected[0] else n
        np.testing.assert_array_equal(a, expected[start : start + n])
    assert shared.state == reference.state
