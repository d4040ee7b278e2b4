"""Tests of som_mc.distributions: scipy agreement, laws, alternate constructors, errors."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from typing import Any

import numpy as np
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from som_mc.distributions import (
    FAMILIES,
    PERT,
    Beta,
    Binomial,
    DiscreteUniform,
    Distribution,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Poisson,
    Triangular,
    TruncatedNormal,
    Uniform,
    as_distribution,
    from_toml,
    point_value,
)
from som_mc.errors import DistributionError

QS = np.array([1e-6, 0.001, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.999, 1 - 1e-6])

# One valid instance of every family.
EXAMPLES: list[Distribution] = [
    Fixed(value=3.0),
    Uniform(low=2.0, high=5.0),
    Triangular(low=1.0, most_likely=2.0, high=4.0),
    PERT(low=0.15, most_likely=0.25, high=0.4),
    Normal(mu=10.0, sigma=2.0),
    TruncatedNormal(mu=1.0, sigma=2.0, low=0.0, high=5.0),
    LogNormal(mu=0.3, sigma=0.5),
    Beta(alpha=2.0, beta=5.0, low=1.0, high=3.0),
    Gamma(shape=2.5, scale=1.5),
    Poisson(mu=3.7),
    DiscreteUniform(low=-2, high=4),
    Binomial(n=12, p=0.3),
    Empirical(values=(1.0, 2.5, 2.5, 4.0, -1.0)),
]


def _id(d: Distribution) -> str:
    return d.kind


def test_examples_cover_every_family() -> None:
    assert {d.kind for d in EXAMPLES} == set(FAMILIES)


# --------------------------------------------------------------------------------------
# Agreement with scipy.stats, built independently with scipy's own parameterisation
# --------------------------------------------------------------------------------------

CONTINUOUS_VS_SCIPY: list[tuple[Distribution, Any]] = [
    (Uniform(low=2.0, high=5.0), stats.uniform(loc=2.0, scale=3.0)),
    (Triangular(low=1.0, most_likely=2.0, high=4.0), stats.triang(1 / 3, loc=1.0, scale=3.0)),
    (Triangular(low=0.0, most_likely=0.0, high=2.0), stats.triang(0.0, loc=0.0, scale=2.0)),
    # PERT: a = 1 + 4 * 0.10 / 0.25 = 2.6, b = 1 + 4 * 0.15 / 0.25 = 3.4
    (PERT(low=0.15, most_likely=0.25, high=0.4), stats.beta(2.6, 3.4, loc=0.15, scale=0.25)),
    # shape 2: a = 1 + 2 * 1/8 = 1.25, b = 1 + 2 * 7/8 = 2.75
    (
        PERT(low=-2.0, most_likely=-1.0, high=6.0, shape=2.0),
        stats.beta(1.25, 2.75, loc=-2.0, scale=8.0),
    ),
    (Normal(mu=10.0, sigma=2.0), stats.norm(loc=10.0, scale=2.0)),
    (
        TruncatedNormal(mu=1.0, sigma=2.0, low=0.0, high=5.0),
        stats.truncnorm(-0.5, 2.0, loc=1.0, scale=2.0),
    ),
    (
        TruncatedNormal(mu=1.0, sigma=2.0, low=0.0),
        stats.truncnorm(-0.5, np.inf, loc=1.0, scale=2.0),
    ),
    (
        TruncatedNormal(mu=1.0, sigma=2.0, high=0.5),
        stats.truncnorm(-np.inf, -0.25, loc=1.0, scale=2.0),
    ),
    (LogNormal(mu=0.3, sigma=0.5), stats.lognorm(s=0.5, scale=math.exp(0.3))),
    (Beta(alpha=2.0, beta=5.0), stats.beta(2.0, 5.0)),
    (Beta(alpha=2.0, beta=5.0, low=1.0, high=3.0), stats.beta(2.0, 5.0, loc=1.0, scale=2.0)),
    (Gamma(shape=2.5, scale=1.5), stats.gamma(2.5, scale=1.5)),
]


@pytest.mark.parametrize(("dist", "ref"), CONTINUOUS_VS_SCIPY, ids=lambda x: getattr(x, "kind", ""))
def test_continuous_matches_scipy(dist: Distribution, ref: Any) -> None:
    np.testing.assert_allclose(dist.ppf(QS), ref.ppf(QS), rtol=1e-12, atol=1e-14)
    x = ref.ppf(QS)
    np.testing.assert_allclose(dist.cdf(x), ref.cdf(x), rtol=1e-12, atol=1e-14)
    assert dist.mean() == pytest.approx(ref.mean(), rel=1e-12)
    assert dist.std() == pytest.approx(ref.std(), rel=1e-12)
    assert dist.median() == pytest.approx(ref.median(), rel=1e-12)
    assert dist.support() == tuple(float(v) for v in ref.support())
    assert not dist.discrete


DISCRETE_VS_SCIPY: list[tuple[Distribution, Any]] = [
    (Poisson(mu=3.7), stats.poisson(3.7)),
    (Binomial(n=12, p=0.3), stats.binom(12, 0.3)),
    (DiscreteUniform(low=-2, high=4), stats.randint(-2, 5)),
]


@pytest.mark.parametrize(("dist", "ref"), DISCRETE_VS_SCIPY, ids=lambda x: getattr(x, "kind", ""))
def test_discrete_matches_scipy(dist: Distribution, ref: Any) -> None:
    q = np.linspace(0.0005, 0.9995, 401)
    np.testing.assert_array_equal(dist.ppf(q), ref.ppf(q))
    assert dist.ppf(q).dtype == np.float64
    x = np.arange(-5, 20, 0.5)
    np.testing.assert_allclose(dist.cdf(x), ref.cdf(x), rtol=1e-12)
    assert dist.mean() == pytest.approx(ref.mean(), rel=1e-12)
    assert dist.std() == pytest.approx(ref.std(), rel=1e-12)
    assert dist.discrete
    # scipy returns one below the support at q = 0; we return the smallest possible value
    assert float(dist.ppf(0.0)) == dist.support()[0]


@pytest.mark.parametrize("dist", [d for d, _ in DISCRETE_VS_SCIPY], ids=_id)
def test_discrete_samples_are_integers_in_support(dist: Distribution) -> None:
    draws = dist.sample(5000, rng=3)
    assert draws.dtype == np.float64
    np.testing.assert_array_equal(draws, np.round(draws))
    low, high = dist.support()
    assert draws.min() >= low
    assert draws.max() <= high


def test_ppf_outside_unit_interval_is_nan() -> None:
    for dist in EXAMPLES:
        assert np.isnan(dist.ppf([-0.1, 1.1])).all(), dist.kind


def test_ppf_scalar_gives_0d_array() -> None:
    for dist in EXAMPLES:
        out = dist.ppf(0.5)
        assert isinstance(out, np.ndarray), dist.kind
        assert out.shape == ()
        assert isinstance(dist.cdf(0.5), np.ndarray)


@pytest.mark.parametrize(
    ("dist", "mode"),
    [
        (Fixed(value=3.0), 3.0),
        (Uniform(low=2.0, high=5.0), 3.5),
        (Triangular(low=1.0, most_likely=2.0, high=4.0), 2.0),
        (PERT(low=0.15, most_likely=0.25, high=0.4), 0.25),
        (Normal(mu=10.0, sigma=2.0), 10.0),
        (TruncatedNormal(mu=1.0, sigma=2.0, low=2.0), 2.0),
        (LogNormal(mu=0.3, sigma=0.5), math.exp(0.3 - 0.25)),
        (Beta(alpha=2.0, beta=5.0, low=1.0, high=3.0), 1.0 + 2.0 * 1.0 / 5.0),
        (Beta(alpha=0.5, beta=2.0), 0.0),
        (Beta(alpha=3.0, beta=1.0), 1.0),
        (Gamma(shape=2.5, scale=1.5), 1.5 * 1.5),
        (Gamma(shape=0.5, scale=1.5), 0.0),
        (Poisson(mu=3.7), 3.0),
        (Binomial(n=12, p=0.3), 3.0),
        (Binomial(n=12, p=1.0), 12.0),
        (Empirical(values=(4.0, 1.0, 2.5, 2.5, 1.0)), 1.0),
    ],
    ids=lambda x: getattr(x, "kind", ""),
)
def test_mode(dist: Distribution, mode: float) -> None:
    assert dist.mode() == pytest.approx(mode, rel=1e-12)


def test_mode_of_u_shaped_beta_raises() -> None:
    with pytest.raises(DistributionError, match="not unique"):
        Beta(alpha=0.5, beta=0.5).mode()


def test_fixed() -> None:
    d = Fixed(value=3.0)
    assert d.is_fixed
    np.testing.assert_array_equal(d.ppf([0.0, 0.3, 1.0]), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(d.cdf([2.9, 3.0, 3.1]), [0.0, 1.0, 1.0])
    assert (d.mean(), d.std(), d.median(), d.mode(), d.support()) == (3, 0, 3, 3, (3, 3))
    assert not any(other.is_fixed for other in EXAMPLES[1:])


# --------------------------------------------------------------------------------------
# Alternate constructors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mean", "sd"), [(1.0, 0.3), (250.0, 400.0), (0.02, 0.001)])
def test_lognormal_from_mean_sd(mean: float, sd: float) -> None:
    d = LogNormal.from_mean_sd(mean, sd)
    assert d.mean() == pytest.approx(mean, rel=1e-12)
    assert d.std() == pytest.approx(sd, rel=1e-12)


@pytest.mark.parametrize(("median", "p95"), [(1.0, 2.0), (300.0, 310.0), (0.01, 5.0)])
def test_lognormal_from_median_p95(median: float, p95: float) -> None:
    d = LogNormal.from_median_p95(median, p95)
    assert d.median() == pytest.approx(median, rel=1e-12)
    assert float(d.ppf(0.95)) == pytest.approx(p95, rel=1e-12)


@pytest.mark.parametrize(
    ("mean", "sd", "low", "high"),
    [(0.3, 0.1, 0.0, 1.0), (0.5, 0.28, 0.0, 1.0), (2.5, 0.4, 1.0, 3.0), (-5.0, 1.0, -10.0, 0.0)],
)
def test_beta_from_mean_sd(mean: float, sd: float, low: float, high: float) -> None:
    d = Beta.from_mean_sd(mean, sd, low=low, high=high)
    assert d.mean() == pytest.approx(mean, rel=1e-12)
    assert d.std() == pytest.approx(sd, rel=1e-12)
    assert d.support() == (low, high)


@pytest.mark.parametrize(("mean", "sd"), [(3.0, 2.0), (0.1, 1.0), (1000.0, 1.0)])
def test_gamma_from_mean_sd(mean: float, sd: float) -> None:
    d = Gamma.from_mean_sd(mean, sd)
    assert d.mean() == pytest.approx(mean, rel=1e-12)
    assert d.std() == pytest.approx(sd, rel=1e-12)


# --------------------------------------------------------------------------------------
# Hypothesis strategies: random valid instances of every family
# --------------------------------------------------------------------------------------


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def _uniforms(draw: st.DrawFn) -> Uniform:
    low = draw(_floats(-1e3, 1e3))
    return Uniform(low=low, high=low + draw(_floats(1e-2, 1e3)))


@st.composite
def _triangulars(draw: st.DrawFn) -> Triangular:
    low, width, frac = draw(_floats(-1e3, 1e3)), draw(_floats(1e-2, 1e3)), draw(_floats(0, 1))
    return Triangular(low=low, most_likely=low + frac * width, high=low + width)


@st.composite
def _perts(draw: st.DrawFn) -> PERT:
    low, width, frac = draw(_floats(-1e3, 1e3)), draw(_floats(1e-2, 1e3)), draw(_floats(0, 1))
    shape = draw(_floats(0.5, 20.0))
    return PERT(low=low, most_likely=low + frac * width, high=low + width, shape=shape)


@st.composite
def _normals(draw: st.DrawFn) -> Normal:
    return Normal(mu=draw(_floats(-1e3, 1e3)), sigma=draw(_floats(1e-2, 1e2)))


@st.composite
def _truncnormals(draw: st.DrawFn) -> TruncatedNormal:
    mu, sigma = draw(_floats(-1e3, 1e3)), draw(_floats(1e-2, 1e2))
    low = mu + draw(_floats(-3.0, 2.0)) * sigma
    high = low + draw(_floats(0.2, 6.0)) * sigma
    open_side = draw(st.sampled_from(["none", "low", "high"]))
    if open_side == "low":
        low = -math.inf
    elif open_side == "high":
        high = math.inf
    return TruncatedNormal(mu=mu, sigma=sigma, low=low, high=high)


@st.composite
def _lognormals(draw: st.DrawFn) -> LogNormal:
    return LogNormal(mu=draw(_floats(-3.0, 3.0)), sigma=draw(_floats(0.05, 1.5)))


@st.composite
def _betas(draw: st.DrawFn) -> Beta:
    low = draw(st.sampled_from([0.0, draw(_floats(-1e3, 1e3))]))
    width = draw(st.sampled_from([1.0, draw(_floats(1e-1, 1e3))]))
    return Beta(
        alpha=draw(_floats(0.5, 20.0)), beta=draw(_floats(0.5, 20.0)), low=low, high=low + width
    )


@st.composite
def _gammas(draw: st.DrawFn) -> Gamma:
    return Gamma(shape=draw(_floats(0.5, 50.0)), scale=draw(_floats(1e-2, 1e2)))


CONTINUOUS = st.one_of(
    _uniforms(),
    _triangulars(),
    _perts(),
    _normals(),
    _truncnormals(),
    _lognormals(),
    _betas(),
    _gammas(),
)

ANY_DIST = st.one_of(
    CONTINUOUS,
    st.builds(Fixed, value=_floats(-1e6, 1e6)),
    st.builds(Poisson, mu=_floats(0.1, 100.0)),
    st.integers(-100, 100).flatmap(
        lambda low: st.builds(DiscreteUniform, low=st.just(low), high=st.integers(low, low + 50))
    ),
    st.builds(Binomial, n=st.integers(0, 200), p=_floats(0.0, 1.0)),
    st.builds(Empirical, values=st.lists(_floats(-1e6, 1e6), min_size=1, max_size=20)),
)


@settings(deadline=None, max_examples=200)
@given(dist=CONTINUOUS, q=_floats(0.001, 0.999))
def test_cdf_inverts_ppf(dist: Distribution, q: float) -> None:
    assert float(dist.cdf(dist.ppf(q))) == pytest.approx(q, rel=1e-7, abs=1e-8)


@settings(deadline=None, max_examples=200)
@given(dist=ANY_DIST)
def test_toml_round_trip(dist: Distribution) -> None:
    table = dist.to_toml()
    assert table["dist"] == dist.kind
    assert from_toml(table) == dist
    # and through an actual TOML document
    assert from_toml(tomllib.loads(tomli_w.dumps(table))) == dist


@settings(deadline=None, max_examples=50)
@given(dist=ANY_DIST, seed=st.integers(0, 2**32 - 1))
def test_sample_is_reproducible(dist: Distribution, seed: int) -> None:
    a = dist.sample(50, rng=seed)
    np.testing.assert_array_equal(a, dist.sample(50, rng=seed))
    np.testing.assert_array_equal(a, dist.sample(50, rng=np.random.default_rng(seed)))
    assert a.shape == (50,)
    assert a.dtype == np.float64


@pytest.mark.parametrize("dist", EXAMPLES, ids=_id)
def test_seed_zero_is_a_seed(dist: Distribution) -> None:
    a = dist.sample(100, rng=0)
    np.testing.assert_array_equal(a, dist.sample(100, rng=0))
    np.testing.assert_array_equal(a, dist.ppf(np.random.default_rng(0).random(100)))
    if dist.std() > 0:
        assert not np.array_equal(a, dist.sample(100, rng=1))


@pytest.mark.parametrize("dist", EXAMPLES, ids=_id)
def test_sample_mean_within_five_standard_errors(dist: Distribution) -> None:
    n = 20_000
    draws = dist.sample(n, rng=20240601)
    assert abs(draws.mean() - dist.mean()) <= 5 * dist.std() / math.sqrt(n) + 1e-12
    low, high = dist.support()
    assert draws.min() >= low
    assert draws.max() <= high


@pytest.mark.parametrize("n", [-1, 2.5, True, "10"])
def test_sample_rejects_bad_n(n: Any) -> None:
    with pytest.raises(DistributionError, match="sample size n"):
        Normal(mu=0.0, sigma=1.0).sample(n)


def test_sample_zero_draws() -> None:
    assert Normal(mu=0.0, sigma=1.0).sample(0, rng=1).shape == (0,)


# --------------------------------------------------------------------------------------
# Empirical
# --------------------------------------------------------------------------------------


def test_empirical_ppf_resamples_values() -> None:
    values = (3.0, -1.0, 2.5, 2.5, 10.0, 0.0)
    d = Empirical(values=values)
    u = np.random.default_rng(5).random(10_000)
    draws = d.ppf(u)
    assert set(draws.tolist()) == set(values)
    np.testing.assert_array_equal(draws, np.quantile(values, u, method="inverted_cdf"))
    # each distinct value is drawn with probability (multiplicity / n)
    assert np.mean(draws == 2.5) == pytest.approx(2 / 6, abs=0.02)
    assert d.mean() == pytest.approx(np.mean(values), rel=1e-15)
    assert d.std() == pytest.approx(np.std(values), rel=1e-15)
    assert d.median() == np.median(values)
    assert d.support() == (-1.0, 10.0)
    np.testing.assert_array_equal(d.cdf([-2.0, -1.0, 2.5, 9.9, 10.0]), [0, 1 / 6, 4 / 6, 5 / 6, 1])


def test_empirical_stores_tuple_and_accepts_list() -> None:
    d = Empirical(values=[1, 2.0, np.float64(3.0)])
    assert d.values == (1.0, 2.0, 3.0)
    assert isinstance(d.values, tuple)
    assert d == Empirical(values=(1.0, 2.0, 3.0))
    assert hash(d) == hash(Empirical(values=(1.0, 2.0, 3.0)))
    assert from_toml({"dist": "empirical", "values": [1, 2, 3]}) == d


# --------------------------------------------------------------------------------------
# Value-object behaviour, TOML forms, helpers
# --------------------------------------------------------------------------------------


def test_immutable_hashable_keyword_only() -> None:
    d = PERT(low=0.15, most_likely=0.25, high=0.4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.low = 0.0  # type: ignore[misc]
    assert len({d, PERT(low=0.15, most_likely=0.25, high=0.4, shape=4.0)}) == 1
    with pytest.raises(TypeError):
        PERT(0.15, 0.25, 0.4)  # type: ignore[misc]


def test_to_toml_forms() -> None:
    assert PERT(low=0.15, most_likely=0.25, high=0.4).to_toml() == {
        "dist": "pert",
        "low": 0.15,
        "mode": 0.25,
        "high": 0.4,
        "shape": 4.0,
    }
    assert Normal(mu=1.0, sigma=2.0).to_toml() == {"dist": "normal", "mean": 1.0, "sd": 2.0}
    assert TruncatedNormal(mu=1.0, sigma=2.0, low=0.0).to_toml() == {
        "dist": "truncnormal",
        "mean": 1.0,
        "sd": 2.0,
        "low": 0.0,
    }
    assert Beta(alpha=2.0, beta=3.0).to_toml() == {"dist": "beta", "alpha": 2.0, "beta": 3.0}
    assert LogNormal.from_mean_sd(1.0, 0.5).to_toml().keys() == {"dist", "mu", "sigma"}
    assert Poisson(mu=2.0).to_toml() == {"dist": "poisson", "mean": 2.0}
    assert Fixed(value=3).to_toml() == {"dist": "fixed", "value": 3.0}


def test_from_toml_alternate_forms() -> None:
    assert from_toml({"dist": "lognormal", "mean": 1.0, "sd": 0.5}) == LogNormal.from_mean_sd(
        1.0, 0.5
    )
    assert from_toml({"dist": "lognormal", "median": 1.0, "p95": 3.0}) == (
        LogNormal.from_median_p95(1.0, 3.0)
    )
    assert from_toml({"dist": "beta", "mean": 2.5, "sd": 0.4, "low": 1, "high": 3}) == (
        Beta.from_mean_sd(2.5, 0.4, low=1.0, high=3.0)
    )
    assert from_toml({"dist": "gamma", "mean": 3.0, "sd": 2.0}) == Gamma.from_mean_sd(3.0, 2.0)
    assert from_toml({"dist": "truncnormal", "mean": 0, "sd": 1, "high": 2}) == TruncatedNormal(
        mu=0.0, sigma=1.0, high=2.0
    )
    assert from_toml({"dist": "binomial", "n": 10.0, "p": 0.5}) == Binomial(n=10, p=0.5)
    assert from_toml({"dist": "discrete_uniform", "low": 1, "high": 6}) == DiscreteUniform(
        low=1, high=6
    )


def test_from_toml_reads_a_toml_document() -> None:
    doc = tomllib.loads(
        """
        a = { dist = "pert", low = 0.15, mode = 0.25, high = 0.40 }
        b = { dist = "triangular", low = 1, mode = 2, high = 4 }
        c = { dist = "empirical", values = [1, 2.5, 4] }
        """
    )
    assert from_toml(doc["a"]) == PERT(low=0.15, most_likely=0.25, high=0.4)
    assert from_toml(doc["b"]) == Triangular(low=1.0, most_likely=2.0, high=4.0)
    assert from_toml(doc["c"]) == Empirical(values=(1.0, 2.5, 4.0))


def test_point_value() -> None:
    d = LogNormal(mu=0.0, sigma=1.0)
    assert point_value(d, "mean") == pytest.approx(math.exp(0.5))
    assert point_value(d, "median") == pytest.approx(1.0)
    assert point_value(d, "mode") == pytest.approx(math.exp(-1.0))
    with pytest.raises(DistributionError, match="how") as info:
        point_value(d, "average")  # type: ignore[arg-type]
    assert info.value.param == "how"


def test_as_distribution() -> None:
    assert as_distribution(3) == Fixed(value=3.0)
    assert as_distribution(2.5) == Fixed(value=2.5)
    d = Normal(mu=0.0, sigma=1.0)
    assert as_distribution(d) is d
    assert as_distribution({"dist": "normal", "mean": 0.0, "sd": 1.0}) == d
    for bad in [True, "3", None, [1, 2]]:
        with pytest.raises(DistributionError, match="expected a number"):
            as_distribution(bad)  # type: ignore[arg-type]
    with pytest.raises(DistributionError, match="value") as info:
        as_distribution(math.nan)
    assert info.value.param == "value"


# --------------------------------------------------------------------------------------
# Invalid parameters: DistributionError with param set and named in the message
# --------------------------------------------------------------------------------------

INVALID: list[tuple[str, Any, str, str]] = [
    # (id, thunk, expected param, expected fragment of the message)
    ("pert-low>mode", lambda: PERT(low=0.5, most_likely=0.3, high=1.0), "low", "low (0.5)"),
    ("pert-mode>high", lambda: PERT(low=0.0, most_likely=2.0, high=1.0), "mode", "<= high"),
    ("pert-shape", lambda: PERT(low=0.0, most_likely=0.5, high=1.0, shape=0), "shape", "> 0"),
    ("pert-degenerate", lambda: PERT(low=1.0, most_likely=1.0, high=1.0), "low", "< high"),
    ("tri-low>mode", lambda: Triangular(low=2, most_likely=1, high=3), "low", "<= mode"),
    ("normal-neg-sd", lambda: Normal(mu=0.0, sigma=-1.0), "sd", "sd must be > 0, got -1.0"),
    ("normal-nan", lambda: Normal(mu=math.nan, sigma=1.0), "mean", "finite"),
    ("uniform-inf", lambda: Uniform(low=0.0, high=math.inf), "high", "finite"),
    ("uniform-bool", lambda: Uniform(low=True, high=2.0), "low", "bool"),
    ("uniform-str", lambda: Uniform(low="0", high=2.0), "low", "str"),
    ("uniform-order", lambda: Uniform(low=2.0, high=2.0), "low", "< high"),
    ("trunc-nan-bound", lambda: TruncatedNormal(mu=0, sigma=1, low=math.nan), "low", "NaN"),
    ("trunc-no-bounds", lambda: TruncatedNormal(mu=0, sigma=1), "low", "at least one"),
    ("trunc-order", lambda: TruncatedNormal(mu=0, sigma=1, low=1, high=0), "low", "< high"),
    ("lognormal-sigma", lambda: LogNormal(mu=0, sigma=0), "sigma", "> 0"),
    ("lognormal-mean", lambda: LogNormal.from_mean_sd(-1.0, 1.0), "mean", "> 0"),
    ("lognormal-p95", lambda: LogNormal.from_median_p95(2.0, 1.0), "p95", "must be > median"),
    ("beta-alpha", lambda: Beta(alpha=-1, beta=1), "alpha", "> 0"),
    ("beta-sd", lambda: Beta.from_mean_sd(0.5, 0.6), "sd", "too large"),
    ("beta-mean", lambda: Beta.from_mean_sd(1.5, 0.1), "mean", "strictly between"),
    ("gamma-sd", lambda: Gamma.from_mean_sd(1.0, 0.0), "sd", "> 0"),
    ("poisson-mean", lambda: Poisson(mu=0), "mean", "> 0"),
    ("binomial-p", lambda: Binomial(n=10, p=1.5), "p", "[0, 1]"),
    ("binomial-n-float", lambda: Binomial(n=2.5, p=0.5), "n", "integer"),
    ("binomial-n-neg", lambda: Binomial(n=-1, p=0.5), "n", ">= 0"),
    ("dunif-order", lambda: DiscreteUniform(low=3, high=2), "low", "<= high"),
    ("dunif-float", lambda: DiscreteUniform(low=0.5, high=2), "low", "integer"),
    ("empirical-empty", lambda: Empirical(values=()), "values", "empty"),
    ("empirical-nan", lambda: Empirical(values=(1.0, math.nan)), "values[1]", "nan"),
    ("empirical-str", lambda: Empirical(values="123"), "values", "list"),
    ("fixed-inf", lambda: Fixed(value=-math.inf), "value", "finite"),
    # from_toml
    (
        "toml-unknown-key",
        lambda: from_toml({"dist": "pert", "lo": 1, "mode": 2, "high": 3}),
        "lo",
        "unknown key 'lo'",
    ),
    (
        "toml-unknown-dist",
        lambda: from_toml({"dist": "pret", "low": 1, "mode": 2, "high": 3}),
        "dist",
        "known distributions: fixed, uniform",
    ),
    ("toml-no-dist", lambda: from_toml({"low": 1, "high": 2}), "dist", "no 'dist' key"),
    ("toml-dist-type", lambda: from_toml({"dist": 3}), "dist", "unknown distribution"),
    ("toml-missing", lambda: from_toml({"dist": "pert", "low": 1, "high": 3}), "mode", "'mode'"),
    (
        "toml-mixed-lognormal",
        lambda: from_toml({"dist": "lognormal", "mu": 0, "sigma": 1, "mean": 1}),
        "mean",
        "mu, sigma, mean",
    ),
    ("toml-no-params", lambda: from_toml({"dist": "gamma"}), "shape", "{mean, sd}"),
    (
        "toml-beta-sd",
        lambda: from_toml({"dist": "beta", "mean": 0.5, "sd": 0.6}),
        "sd",
        "sd (0.6) is too large",
    ),
    ("toml-wrong-type", lambda: from_toml({"dist": "normal", "mean": "0", "sd": 1}), "mean", "str"),
    ("toml-normal-sd", lambda: from_toml({"dist": "normal", "mean": 0, "sd": -1}), "sd", "sd"),
    (
        "toml-binomial-n",
        lambda: from_toml({"dist": "binomial", "n": 2.5, "p": 0.5}),
        "n",
        "n must be an integer",
    ),
    ("toml-binomial-p", lambda: from_toml({"dist": "binomial", "n": 2, "p": 2}), "p", "p must"),
]


@pytest.mark.parametrize(
    ("thunk", "param", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_parameters(thunk: Any, param: str, fragment: str) -> None:
    with pytest.raises(DistributionError) as info:
        thunk()
    err = info.value
    assert err.param == param
    assert param in str(err)
    assert fragment in str(err)
    assert isinstance(err, ValueError)


def test_unknown_key_message_lists_allowed_keys() -> None:
    with pytest.raises(DistributionError) as info:
        from_toml({"dist": "pert", "lo": 1, "mode": 2, "high": 3})
    assert "allowed keys: dist, low, mode, high, shape" in str(info.value)
    assert "did you mean 'low'" in str(info.value)


def test_from_toml_rejects_non_mapping() -> None:
    with pytest.raises(DistributionError, match="'dist' key"):
        from_toml([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize("p", [0.99999, 1e-7, 0.0, 1.0, 0.3])
def test_binomial_ppf_extreme_p_matches_cdf_inversion(p: float) -> None:
    # scipy's iterative inversion warns (and pytest fails) for p near 0 or 1; the table
    # search must give the smallest k with cdf(k) >= q, without warnings.
    dist = Binomial(n=142, p=p)
    q = np.array([0.0, 1e-9, 0.01, 0.5, 0.99, 1.0])
    k = dist.ppf(q)
    cdf = stats.binom(142, p).cdf
    for qi, ki in zip(q[1:], k[1:], strict=True):
        assert cdf(ki) >= qi - 1e-12
        assert ki == 0 or cdf(ki - 1) < qi
    # ppf(0): the smallest value whose probability is representable (cdf > 0)
    assert k[0] == int(np.argmax(cdf(np.arange(143)) > 0))
    assert np.isnan(dist.ppf(1.5))
