"""Random streams, designs and Iman–Conover rank correlation."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import minimal_case
from scipy import stats

from som_mc import parse_case
from som_mc.distributions import PERT, LogNormal, Normal, Poisson, Triangular
from som_mc.run import simulate
from som_mc.sampling import CorrelationSpec, sample_block, spearman_matrix

DISTS = [
    PERT(low=0.1, most_likely=0.2, high=0.5),
    Normal(mu=1.0, sigma=0.3),
    LogNormal.from_median_p95(100.0, 200.0),
    Triangular(low=0.0, most_likely=1.0, high=4.0),
    Poisson(mu=40.0),
]
NAMES = ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("design", ["random", "lhs"])
def test_adding_an_input_keeps_the_other_draws(design):
    base = sample_block(DISTS[:3], NAMES[:3], seed=3, block=0, size=500, design=design)
    more = sample_block(
        [DISTS[3], *DISTS[:3]], ["new", *NAMES[:3]], seed=3, block=0, size=500, design=design
    )
    np.testing.assert_array_equal(more[:, 1:], base)


def test_seed_zero_is_a_seed_and_seeds_differ():
    a = sample_block(DISTS, NAMES, seed=0, block=0, size=100)
    b = sample_block(DISTS, NAMES, seed=0, block=0, size=100)
    c = sample_block(DISTS, NAMES, seed=1, block=0, size=100)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_lhs_stratifies_every_input():
    n = 256
    x = sample_block(DISTS[:4], NAMES[:4], seed=9, block=0, size=n, design="lhs")
    for j, dist in enumerate(DISTS[:4]):
        strata = np.floor(dist.cdf(x[:, j]) * n).astype(int)
        np.testing.assert_array_equal(np.sort(strata), np.arange(n))


def test_sobol_marginals():
    n = 4096
    x = sample_block(DISTS, NAMES, seed=2, block=0, size=n, design="sobol")
    for j, dist in enumerate(DISTS):
        if not dist.discrete:
            # a scrambled Sobol sample is far more even than a random one (KS ~ 0.013 at n)
            assert stats.kstest(dist.cdf(x[:, j]), "uniform").statistic < 0.005
        assert x[:, j].mean() == pytest.approx(dist.mean(), rel=0.01)


def test_random_design_matches_each_marginal():
    n = 20_000
    x = sample_block(DISTS, NAMES, seed=4, block=0, size=n)
    for j, dist in enumerate(DISTS):
        se = dist.std() / np.sqrt(n)
        assert abs(x[:, j].mean() - dist.mean()) < 4 * se
        if not dist.discrete:
            assert stats.kstest(x[:, j], dist.cdf).pvalue > 0.001


@pytest.mark.parametrize("design", ["random", "lhs"])
def test_iman_conover_hits_target_and_keeps_marginals(design):
    n = 16_384
    specs = [CorrelationSpec("a", "b", 0.6), CorrelationSpec("b", "c", -0.4)]
    plain = sample_block(DISTS, NAMES, seed=8, block=0, size=n, design=design)
    corr = sample_block(DISTS, NAMES, seed=8, block=0, size=n, design=design, correlations=specs)
    for j in range(len(DISTS)):  # values only permuted: marginals exactly kept
        np.testing.assert_array_equal(np.sort(plain[:, j]), np.sort(corr[:, j]))
    rho = spearman_matrix(corr)
    # standard error of a Spearman correlation ~ (1 - rho^2) / sqrt(n - 3) (< 0.008 here)
    for i, j, target in [(0, 1, 0.6), (1, 2, -0.4), (0, 2, 0.0), (0, 3, 0.0)]:
        se = (1 - target**2) / np.sqrt(n - 3)
        assert abs(rho[i, j] - target) < 4 * se + 0.01, (i, j, rho[i, j])


def test_case_correlations_reach_the_simulation():
    data = minimal_case(
        success_rate={"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.5},
        correlations=[{"inputs": ["success_rate", "consequences.herberg.scale"], "rank": 0.7}],
    )
    data["consequences"][0]["scale"] = {"dist": "normal", "mean": 1.0, "sd": 0.2}
    ds = simulate(parse_case(data), draws=20_000, seed=1)
    x = ds.inputs.values
    rho = stats.spearmanr(x[:, 0], x[:, 1]).statistic
    assert rho == pytest.approx(0.7, abs=0.03)


@pytest.mark.parametrize("seed", [0, 1, 2**32, 36707874343101032108837979247809867115])
@pytest.mark.parametrize("block", [0, 1, 61, 2**32 - 1, 2**32 + 3])
def test_streams_of_a_block_are_the_name_keyed_streams(seed, block, monkeypatch):
    """``streams`` (NumPy's SeedSequence on arrays) gives exactly ``stream`` per name."""
    from som_mc.sampling import _streams, stream, streams

    real_key = _streams.name_key

    small = {"short": 12345, "zero": 0}  # keys of one 32-bit word, and the key 0

    def name_key(name: str) -> int:
        return small[name] if name in small else real_key(name)

    monkeypatch.setattr(_streams, "name_key", name_key)
    names = [f"consequences.k{i}.price.kommune" for i in range(40)] + ["short", "outcome", "zero"]
    got = streams(seed, names, block)
    assert len(got) == len(names)
    for gen, name in zip(got, names, strict=True):
        ref = stream(seed, name, block)
        assert gen.bit_generator.state == ref.bit_generator.state
        np.testing.assert_array_equal(gen.random(3), ref.random(3))


def test_input_major_sample_is_laid_out_in_a_row_buffer_with_the_same_numbers():
    from som_mc.sampling import row_buffer
    from som_mc.sampling._designs import ROW_PAD

    buf = row_buffer(3, 16384)
    assert buf.shape == (3, 16384) and buf.strides == (8 * (16384 + ROW_PAD), 8)
    dists = [
        PERT(low=0.0, most_likely=0.3, high=1.0),
        Normal(mu=2.0, sigma=0.5),
        LogNormal(mu=0.0, sigma=0.25),
        Poisson(mu=3.0),
    ]
    names = ["a", "b", "c", "d"]
    draw_major = sample_block(dists, names, seed=4, block=2, size=1000)
    rows = sample_block(dists, names, seed=4, block=2, size=1000, inputs_major=True)
    assert rows.shape == (4, 1000) and rows.strides == (8 * (1000 + ROW_PAD), 8)
    np.testing.assert_array_equal(rows, draw_major.T)


def test_input_major_sample_written_into_a_given_buffer():
    dists = [
        PERT(low=0.0, most_likely=0.3, high=1.0),
        Normal(mu=2.0, sigma=0.5),
        Poisson(mu=3.0),
    ]
    names = ["a", "b", "c"]
    expected = sample_block(dists, names, seed=3, block=1, size=500, inputs_major=True)
    run_buffer = np.full((3, 2000), -1.0)  # a run's inputs, input by input
    into = run_buffer[:, 700:1200]
    got = sample_block(dists, names, seed=3, block=1, size=500, inputs_major=True, into=into)
    assert got is into
    np.testing.assert_array_equal(run_buffer[:, 700:1200], expected)
    assert (run_buffer[:, :700] == -1.0).all() and (run_buffer[:, 1200:] == -1.0).all()
    kwargs = {"seed": 3, "block": 1, "size": 500, "inputs_major": True}
    with pytest.raises(ValueError, match=r"into must be a float64 array of shape \(3, 500\)"):
        sample_block(dists, names, **kwargs, into=into[:2])
    draw_major = np.empty((500, 3)).T  # the right shape, but each row strided
    with pytest.raises(ValueError, match="with contiguous rows"):
        sample_block(dists, names, **kwargs, into=draw_major)
