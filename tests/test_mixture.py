"""Tests of Mixture, the linear opinion pool: exact laws, inversion, designs, TOML, errors."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import numpy as np
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from som_mc.distributions import (
    PERT,
    Beta,
    Distribution,
    Gamma,
    LogNormal,
    Mixture,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
    from_toml,
    point_value,
)
from som_mc.errors import DistributionError
from som_mc.sampling import CorrelationSpec, sample_inputs

ELICITED = from_toml({"dist": "beta", "p10": 0.15, "p50": 0.25, "p90": 0.40})

MIXTURES: list[Mixture] = [
    # two experts on a success rate, one of them elicited by quantiles
    Mixture(components=(ELICITED, PERT(low=0.1, most_likely=0.3, high=0.5)), weights=(0.6, 0.4)),
    # well separated, bimodal
    Mixture(components=(Normal(mu=0.0, sigma=1.0), Normal(mu=6.0, sigma=0.5)), weights=(0.7, 0.3)),
    # supports that only partly overlap, and a gap in the density
    Mixture(
        components=(Uniform(low=0.0, high=1.0), Triangular(low=2.0, most_likely=2.5, high=4.0)),
        weights=(0.25, 0.75),
    ),
    # positive, heavy right tail, three components
    Mixture(
        components=(
            LogNormal(mu=7.8, sigma=0.3),
            Gamma(shape=4.0, scale=500.0),
            TruncatedNormal(mu=2000.0, sigma=800.0, low=0.0),
        ),
        weights=(0.2, 0.5, 0.3),
    ),
    # a nested mixture
    Mixture(
        components=(
            Mixture(
                components=(Beta(alpha=2.0, beta=5.0), Beta(alpha=5.0, beta=2.0)),
                weights=(0.5, 0.5),
            ),
            Beta(alpha=0.5, beta=0.5),
        ),
        weights=(0.9, 0.1),
    ),
]


def _mid(m: Mixture) -> str:
    return "+".join(c.kind for c in m.components)


def _breaks(m: Mixture) -> list[float]:
    """Points where a component's density has a kink or a jump (for quad)."""
    pts: list[float] = []
    for c in m.components:
        if isinstance(c, Mixture):
            pts += _breaks(c)
            continue
        lo, hi = c.support()
        pts += [v for v in (lo, hi) if math.isfinite(v)]
        if isinstance(c, Triangular | PERT):
            pts.append(c.most_likely)
        pts.append(float(c.ppf(0.5)))
    return sorted(set(pts))


def _integrate(m: Mixture, f: Any) -> float:
    lo, hi = float(m.ppf(1e-15)), float(m.ppf(1 - 1e-15))
    pts = [p for p in _breaks(m) if lo < p < hi]
    value, _ = integrate.quad(f, lo, hi, points=pts or None, limit=500, epsabs=1e-13)
    return float(value)


@pytest.mark.parametrize("m", MIXTURES, ids=_mid)
def test_mean_and_variance_match_numerical_integration(m: Mixture) -> None:
    mass = _integrate(m, lambda v: float(m.pdf(v)))
    assert mass == pytest.approx(1.0, abs=1e-8)
    mean = _integrate(m, lambda v: v * float(m.pdf(v)))
    assert m.mean() == pytest.approx(mean, rel=1e-8, abs=1e-10)
    var = _integrate(m, lambda v: (v - mean) ** 2 * float(m.pdf(v)))
    assert m.std() ** 2 == pytest.approx(var, rel=1e-7)


@pytest.mark.parametrize("m", MIXTURES, ids=_mid)
def test_cdf_is_the_integral_of_the_pdf(m: Mixture) -> None:
    lo = float(m.ppf(1e-15))
    pts = _breaks(m)
    for q in (0.05, 0.3, 0.5, 0.8, 0.99):
        x = float(m.ppf(q))
        inner = [p for p in pts if lo < p < x]
        area, _ = integrate.quad(
            lambda v: float(m.pdf(v)), lo, x, points=inner or None, limit=500, epsabs=1e-13
        )
        assert float(m.cdf(x)) == pytest.approx(area, abs=1e-9)


@pytest.mark.parametrize("m", MIXTURES, ids=_mid)
def test_ppf_inverts_cdf(m: Mixture) -> None:
    q = np.concatenate([[1e-12, 1e-6, 1e-3], np.linspace(0.01, 0.99, 99), [1 - 1e-6]])
    x = m.ppf(q)
    np.testing.assert_allclose(m.cdf(x), q, rtol=1e-12, atol=1e-14)
    assert np.all(np.diff(x) >= 0)
    # against a scalar brentq solution, to ~1e-10 relative
    for qi, xi in zip(q[::10], x[::10], strict=True):
        lo, hi = (float(c) for c in (m.ppf(qi) - 1.0, m.ppf(qi) + 1.0))
        ref = optimize.brentq(lambda v, qi=qi: float(m.cdf(v)) - qi, lo, hi, xtol=1e-14, rtol=1e-15)
        assert xi == pytest.approx(ref, rel=1e-10, abs=1e-12)
    # and the other way round, on points inside the support where the density is positive
    pts = m.ppf(np.linspace(0.02, 0.98, 25))
    pts = pts[m.pdf(pts) > 1e-8]
    np.testing.assert_allclose(m.ppf(m.cdf(pts)), pts, rtol=1e-10, atol=1e-12)


def test_ppf_edges_and_shapes() -> None:
    m = MIXTURES[2]
    assert m.support() == (0.0, 4.0)
    np.testing.assert_array_equal(m.ppf([0.0, 1.0]), [0.0, 4.0])
    assert np.isnan(m.ppf([-0.1, 1.1, np.nan])).all()
    assert m.ppf(0.5).shape == ()
    assert m.ppf(np.full((3, 4), 0.5)).shape == (3, 4)
    # the cdf is flat (0.25) over the gap [1, 2] between the components: the level of
    # the gap itself maps to a point of the gap; levels just beside it to its ends
    assert 1.0 <= float(m.ppf(0.25)) <= 2.0
    assert float(m.ppf(0.25 - 1e-12)) == pytest.approx(1.0, abs=1e-10)
    assert float(m.ppf(0.25 + 1e-12)) == pytest.approx(2.0, abs=1e-5)
    assert float(m.median()) == float(m.ppf(0.5))
    unbounded = MIXTURES[1]
    assert unbounded.support() == (-math.inf, math.inf)
    np.testing.assert_array_equal(unbounded.ppf([0.0, 1.0]), [-math.inf, math.inf])


def test_identical_components_give_the_component() -> None:
    c = Gamma(shape=2.5, scale=1.5)
    m = Mixture(components=(c, c, c), weights=(0.2, 0.3, 0.5))
    q = np.linspace(0.001, 0.999, 50)
    np.testing.assert_allclose(m.ppf(q), c.ppf(q), rtol=1e-12)
    assert m.mean() == pytest.approx(c.mean(), rel=1e-14)
    assert m.std() == pytest.approx(c.std(), rel=1e-12)


def test_mode_is_the_highest_peak() -> None:
    m = MIXTURES[1]  # peaks near 0 (height 0.7 * 0.399) and 6 (0.3 * 0.798)
    assert m.mode() == pytest.approx(0.0, abs=1e-6)
    tall = Mixture(components=m.components, weights=(0.4, 0.6))
    assert tall.mode() == pytest.approx(6.0, abs=1e-5)
    assert point_value(tall, "mode") == tall.mode()
    assert point_value(tall, "mean") == pytest.approx(0.4 * 0.0 + 0.6 * 6.0)


def test_sample_is_reproducible_inverse_transform() -> None:
    m = MIXTURES[0]
    a = m.sample(100, rng=0)
    np.testing.assert_array_equal(a, m.sample(100, rng=0))
    np.testing.assert_array_equal(a, m.ppf(np.random.default_rng(0).random(100)))


# --------------------------------------------------------------------------------------
# Sampling designs and correlations
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
@pytest.mark.parametrize("m", MIXTURES, ids=_mid)
def test_design_sample_mean_within_4_mcse(m: Mixture, design: Any) -> None:
    n = 20_000
    x = sample_inputs([m, Normal(mu=0.0, sigma=1.0)], ["pool", "other"], n, seed=7, design=design)
    assert x.shape == (n, 2)
    lo, hi = m.support()
    assert np.all((x[:, 0] >= lo) & (x[:, 0] <= hi))
    mcse = m.std() / math.sqrt(n)
    assert abs(float(np.mean(x[:, 0])) - m.mean()) < 4 * mcse
    assert float(np.std(x[:, 0])) == pytest.approx(m.std(), rel=0.05)


def test_random_design_picks_components_by_weight() -> None:
    m = MIXTURES[2]  # component 0 on [0, 1], component 1 on [2, 4]
    n = 40_000
    x = sample_inputs([m], ["pool"], n, seed=3)[:, 0]
    share = float(np.mean(x <= 1.0))
    assert abs(share - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n)


@pytest.mark.parametrize("design", ["random", "lhs", "sobol"])
def test_rank_correlation_with_a_mixture(design: Any) -> None:
    m = MIXTURES[1]
    other = Beta(alpha=2.0, beta=5.0)
    spec = [CorrelationSpec("pool", "rate", 0.6)]
    n = 16384
    plain = sample_inputs([m, other], ["pool", "rate"], n, seed=11, design=design)
    corr = sample_inputs([m, other], ["pool", "rate"], n, seed=11, design=design, correlations=spec)
    assert stats.spearmanr(corr[:, 0], corr[:, 1]).statistic == pytest.approx(0.6, abs=0.03)
    # Iman–Conover only permutes: the marginal sample is unchanged
    np.testing.assert_array_equal(np.sort(corr[:, 0]), np.sort(plain[:, 0]))


# --------------------------------------------------------------------------------------
# TOML
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("m", MIXTURES, ids=_mid)
def test_toml_round_trip(m: Mixture) -> None:
    table = m.to_toml()
    assert table["dist"] == "mixture"
    assert len(table["components"]) == len(table["weights"])
    assert from_toml(table) == m
    assert from_toml(tomllib.loads(tomli_w.dumps({"x": table}))["x"]) == m


def test_toml_document_with_elicited_components() -> None:
    doc = tomllib.loads(
        """
        [success_rate]
        dist = "mixture"
        weights = [0.6, 0.4]
        components = [
          { dist = "beta", p10 = 0.15, p50 = 0.25, p90 = 0.40 },
          { dist = "pert", low = 0.10, mode = 0.30, high = 0.50 },
        ]
        """
    )
    m = from_toml(doc["success_rate"])
    assert isinstance(m, Mixture)
    assert m == MIXTURES[0]
    first = m.components[0]
    assert first.elicited is not None  # type: ignore[attr-defined]
    assert first.elicited.judged_quantiles() == {"p10": 0.15, "p50": 0.25, "p90": 0.4}  # type: ignore[attr-defined]


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "weights-sum",
        {"components": [{"dist": "normal", "mean": 0, "sd": 1}] * 2, "weights": [0.5, 0.6]},
        "weights",
        "weights must sum to 1 (within 1e-09), got 1.1",
    ),
    (
        "weights-count",
        {"components": [{"dist": "normal", "mean": 0, "sd": 1}], "weights": [0.5, 0.5]},
        "weights",
        "weights has 2 entries but there are 1 components",
    ),
    (
        "weights-zero",
        {"components": [{"dist": "normal", "mean": 0, "sd": 1}] * 2, "weights": [1.0, 0.0]},
        "weights[1]",
        "weights[1] must be > 0, got 0.0",
    ),
    (
        "weights-type",
        {"components": [{"dist": "normal", "mean": 0, "sd": 1}], "weights": 1.0},
        "weights",
        "weights must be a list",
    ),
    (
        "weights-missing",
        {"components": [{"dist": "normal", "mean": 0, "sd": 1}]},
        "weights",
        "missing key 'weights'",
    ),
    ("components-missing", {"weights": [1.0]}, "components", "missing key 'components'"),
    ("components-empty", {"components": [], "weights": []}, "components", "must not be empty"),
    (
        "components-type",
        {"components": {"dist": "normal"}, "weights": [1.0]},
        "components",
        "components must be a list of distribution tables",
    ),
    (
        "component-number",
        {"components": [3.0], "weights": [1.0]},
        "components[0]",
        "components[0] must be a distribution table",
    ),
    (
        "component-invalid",
        {"components": [{"dist": "beta", "alpha": -1, "beta": 2}], "weights": [1.0]},
        "components[0].alpha",
        "mixture: components[0]: beta: alpha must be > 0, got -1.0",
    ),
    (
        "component-quantiles",
        {"components": [{"dist": "beta", "p10": 0.3, "p90": 0.2}], "weights": [1.0]},
        "components[0].p90",
        "components[0]: beta: p90 = 0.2 must be > p10 = 0.3",
    ),
    (
        "component-discrete",
        {
            "components": [{"dist": "normal", "mean": 0, "sd": 1}, {"dist": "poisson", "mean": 2}],
            "weights": [0.5, 0.5],
        },
        "components[1]",
        "components[1] is a poisson distribution (discrete)",
    ),
    (
        "component-fixed",
        {"components": [{"dist": "fixed", "value": 2}], "weights": [1.0]},
        "components[0]",
        "a mixture pools continuous distributions only",
    ),
    (
        "component-empirical",
        {"components": [{"dist": "empirical", "values": [1, 2]}], "weights": [1.0]},
        "components[0]",
        "without a density",
    ),
    (
        "unknown-key",
        {"components": [{"dist": "normal", "mean": 0, "sd": 1}], "weights": [1.0], "weight": 1},
        "weight",
        "did you mean 'weights'?",
    ),
]


@pytest.mark.parametrize(
    ("table", "param", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_mixtures(table: dict[str, Any], param: str, fragment: str) -> None:
    with pytest.raises(DistributionError) as info:
        from_toml({"dist": "mixture", **table})
    err = info.value
    assert err.param == param
    assert fragment in str(err)
    assert str(err).startswith("mixture: ")
    assert "\n" not in str(err)


def test_weights_within_tolerance_are_accepted_and_kept() -> None:
    c = Normal(mu=0.0, sigma=1.0)
    m = Mixture(components=[c, c], weights=[0.5, 0.5 + 5e-10])
    assert m.weights == (0.5, 0.5 + 5e-10)
    assert isinstance(m.components, tuple)
    assert float(m.cdf(50.0)) == 1.0
    with pytest.raises(DistributionError, match="sum to 1"):
        Mixture(components=[c, c], weights=[0.5, 0.5 + 2e-9])


def test_mixture_is_a_frozen_hashable_value() -> None:
    a, b = MIXTURES[0], from_toml(MIXTURES[0].to_toml())
    assert a == b
    assert len({a, b}) == 1
    with pytest.raises(AttributeError):
        a.weights = (1.0,)  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


COMPONENTS = st.one_of(
    st.builds(Normal, mu=_floats(-100.0, 100.0), sigma=_floats(0.01, 50.0)),
    st.builds(Beta, alpha=_floats(0.5, 50.0), beta=_floats(0.5, 50.0)),
    st.builds(Gamma, shape=_floats(0.5, 50.0), scale=_floats(0.1, 10.0)),
    st.builds(LogNormal, mu=_floats(-2.0, 3.0), sigma=_floats(0.1, 1.5)),
)


@st.composite
def _mixtures(draw: st.DrawFn) -> Mixture:
    comps: list[Distribution] = draw(st.lists(COMPONENTS, min_size=1, max_size=4))
    raw = draw(st.lists(_floats(0.05, 1.0), min_size=len(comps), max_size=len(comps)))
    total = math.fsum(raw)
    return Mixture(components=comps, weights=[w / total for w in raw])


@settings(deadline=None, max_examples=100)
@given(m=_mixtures(), q=_floats(0.001, 0.999))
def test_cdf_of_ppf_is_identity(m: Mixture, q: float) -> None:
    assert float(m.cdf(m.ppf(q))) == pytest.approx(q, rel=1e-10, abs=1e-12)


@settings(deadline=None, max_examples=100)
@given(m=_mixtures())
def test_moments_and_round_trip_laws(m: Mixture) -> None:
    w = np.asarray(m.weights) / sum(m.weights)
    means = np.array([c.mean() for c in m.components])
    second = np.array([c.std() ** 2 + c.mean() ** 2 for c in m.components])
    assert m.mean() == pytest.approx(float(w @ means), rel=1e-9, abs=1e-9)
    assert m.std() ** 2 == pytest.approx(float(w @ second) - m.mean() ** 2, rel=1e-6, abs=1e-9)
    assert from_toml(m.to_toml()) == m
