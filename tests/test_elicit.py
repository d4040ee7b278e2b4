"""Tests of distributions given by an expert's quantiles (fit_quantiles and the pNN form)."""

from __future__ import annotations

import json
import math
import tomllib
from typing import Any

import numpy as np
import pytest
import tomli_w
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import optimize

from som_mc.distributions import (
    ELICITABLE,
    PERT,
    Beta,
    Distribution,
    Elicitation,
    FitResult,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
    fit_quantiles,
    from_toml,
    parse_quantile_key,
    quantile_key,
)
from som_mc.errors import DistributionError

# (true distribution, judged probabilities, fixed keys) -- exactly as many quantiles as free
# parameters, and a few over-determined but consistent sets.
RECOVERY: list[tuple[Distribution, tuple[float, ...], dict[str, float]]] = [
    (Normal(mu=10.0, sigma=2.0), (0.1, 0.9), {}),
    (Normal(mu=-3.0, sigma=0.01), (0.05, 0.5, 0.95), {}),
    (LogNormal(mu=0.3, sigma=0.5), (0.1, 0.9), {}),
    (LogNormal(mu=7.8, sigma=1.2), (0.025, 0.5, 0.975), {}),
    (Gamma(shape=2.5, scale=1.5), (0.1, 0.9), {}),
    (Gamma(shape=0.3, scale=10.0), (0.25, 0.75), {}),
    (Gamma(shape=80.0, scale=25.0), (0.05, 0.5, 0.95), {}),
    (Beta(alpha=2.0, beta=5.0), (0.1, 0.9), {}),
    (Beta(alpha=0.5, beta=0.7), (0.1, 0.5, 0.9), {}),
    (Beta(alpha=38.0, beta=62.0), (0.05, 0.95), {}),
    (Beta(alpha=2.0, beta=5.0, low=1.0, high=3.0), (0.1, 0.9), {"low": 1.0, "high": 3.0}),
    (
        TruncatedNormal(mu=1.0, sigma=2.0, low=0.0, high=5.0),
        (0.1, 0.9),
        {"low": 0.0, "high": 5.0},
    ),
    (TruncatedNormal(mu=-3.0, sigma=2.0, low=0.0), (0.1, 0.5, 0.9), {"low": 0.0}),
    (TruncatedNormal(mu=0.5, sigma=0.2, high=0.6), (0.1, 0.9), {"high": 0.6}),
    (PERT(low=0.15, most_likely=0.25, high=0.4), (0.1, 0.5, 0.9), {}),
    (PERT(low=0.15, most_likely=0.25, high=0.4), (0.5,), {"low": 0.15, "high": 0.4}),
    (PERT(low=0.0, most_likely=0.3, high=1.0, shape=2.0), (0.1, 0.5, 0.9), {"shape": 2.0}),
    (PERT(low=20e3, most_likely=25e3, high=35e3), (0.05, 0.9), {"low": 20e3}),
    (Triangular(low=1.0, most_likely=2.0, high=4.0), (0.1, 0.5, 0.9), {}),
    (Triangular(low=1.0, most_likely=2.0, high=4.0), (0.25, 0.75), {"low": 1.0}),
    (Triangular(low=80e3, most_likely=100e3, high=150e3), (0.5,), {"low": 80e3, "high": 150e3}),
    (Uniform(low=2.0, high=5.0), (0.1, 0.9), {}),
    (Uniform(low=2.0, high=5.0), (0.3,), {"low": 2.0}),
    (Uniform(low=2.0, high=5.0), (0.05, 0.3, 0.5, 0.95), {}),
]


def _rid(case: tuple[Distribution, tuple[float, ...], dict[str, float]]) -> str:
    dist, probs, fixed = case
    return f"{dist.kind}-{len(probs)}q-{'-'.join(fixed) or 'free'}"


def _params(dist: Distribution) -> dict[str, float]:
    table = dist.to_toml()
    del table["dist"]
    return table


def test_recovery_covers_every_elicitable_family() -> None:
    assert {d.kind for d, _, _ in RECOVERY} == set(ELICITABLE)


@pytest.mark.parametrize(("dist", "probs", "fixed"), RECOVERY, ids=[_rid(c) for c in RECOVERY])
def test_fit_recovers_parameters_from_exact_quantiles(
    dist: Distribution, probs: tuple[float, ...], fixed: dict[str, float]
) -> None:
    quantiles = {p: float(dist.ppf(p)) for p in probs}
    fit = fit_quantiles(dist.kind, quantiles, **fixed)
    assert isinstance(fit, FitResult)
    assert fit.family == dist.kind
    assert type(fit.distribution) is type(dist)
    expected = _params(dist)
    assert fit.parameters.keys() == expected.keys()
    for key, value in expected.items():
        assert fit.parameters[key] == pytest.approx(value, rel=1e-8, abs=1e-10), key
    assert fit.max_abs_error < 1e-12
    for p, x in quantiles.items():
        assert fit.quantiles[p] == pytest.approx(x, rel=1e-10, abs=1e-12)
    assert fit.judged == quantiles


def test_least_squares_compromise_is_a_minimum_of_the_cdf_error() -> None:
    # three inconsistent judgements for a two-parameter family: no exact fit exists
    judged = {0.1: 8.0, 0.5: 10.5, 0.9: 12.0}
    fit = fit_quantiles("normal", judged)
    assert fit.max_abs_error > 1e-3
    p = np.array(list(judged))
    x = np.array(list(judged.values()))

    def cost(theta: np.ndarray) -> float:
        d = Normal(mu=float(theta[0]), sigma=math.exp(float(theta[1])))
        return float(np.sum((d.cdf(x) - p) ** 2))

    ours = np.array([fit.parameters["mean"], math.log(fit.parameters["sd"])])
    polished = optimize.minimize(cost, ours, method="Nelder-Mead", options={"xatol": 1e-12})
    assert cost(ours) <= polished.fun + 1e-14
    achieved = fit.distribution.cdf(x)
    assert fit.max_abs_error == pytest.approx(float(np.max(np.abs(achieved - p))))


def test_fit_result_json_form() -> None:
    fit = fit_quantiles("beta", {0.1: 0.15, 0.5: 0.25, 0.9: 0.40})
    doc = fit.as_dict()
    assert set(doc) == {"family", "parameters", "quantiles", "judged", "max_abs_error"}
    assert doc["family"] == "beta"
    assert set(doc["parameters"]) == {"alpha", "beta"}
    assert list(doc["quantiles"]) == ["p10", "p50", "p90"]
    assert doc["judged"] == {"p10": 0.15, "p50": 0.25, "p90": 0.40}
    json.dumps(doc)  # plain JSON


# --------------------------------------------------------------------------------------
# The elicitation record on the distribution
# --------------------------------------------------------------------------------------


def test_distribution_remembers_it_was_elicited() -> None:
    d = from_toml({"dist": "pert", "p5": 0.18, "p50": 0.25, "p95": 0.34, "low": 0.1})
    rec = d.elicited
    assert isinstance(rec, Elicitation)
    assert rec.family == "pert"
    assert rec.judged == ((0.05, 0.18), (0.5, 0.25), (0.95, 0.34))
    assert [p for p, _ in rec.achieved] == [0.05, 0.5, 0.95]
    assert rec.fixed == (("low", 0.1),)
    assert rec.judged_quantiles() == {"p5": 0.18, "p50": 0.25, "p95": 0.34}
    assert rec.achieved_quantiles().keys() == {"p5", "p50", "p95"}
    assert 0.0 <= rec.max_abs_error < 0.05  # two free parameters, three judgements
    json.dumps(rec.as_dict())


def test_parameter_form_has_no_elicitation_and_equality_ignores_it() -> None:
    fitted = from_toml({"dist": "normal", "p10": 8.0, "p90": 12.0})
    plain = from_toml(fitted.to_toml())
    assert plain.elicited is None  # type: ignore[attr-defined]
    assert fitted.elicited is not None  # type: ignore[attr-defined]
    assert plain == fitted
    assert hash(plain) == hash(fitted)
    assert "elicited" not in repr(fitted)
    assert "elicited" not in fitted.to_toml()


def test_elicited_must_be_a_record_of_the_same_family() -> None:
    rec = fit_quantiles("normal", {0.1: 8.0, 0.9: 12.0}).distribution.elicited  # type: ignore[attr-defined]
    with pytest.raises(DistributionError, match="elicited") as info:
        LogNormal(mu=0.0, sigma=1.0, elicited=rec)
    assert info.value.param == "elicited"
    with pytest.raises(DistributionError, match="elicited"):
        Normal(mu=0.0, sigma=1.0, elicited="p10")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# TOML
# --------------------------------------------------------------------------------------

TOML_TABLES: list[dict[str, Any]] = [
    {"dist": "beta", "p10": 0.15, "p50": 0.25, "p90": 0.40},
    {"dist": "beta", "p2_5": 1.2, "p97_5": 2.6, "low": 1, "high": 3},
    {"dist": "gamma", "p25": 1.0, "p75": 3.0},
    {"dist": "lognormal", "p50": 2500, "p95": 4000},
    {"dist": "normal", "p5": -1.0, "p50": 0.5, "p95": 2.5},
    {"dist": "truncnormal", "p10": 0.5, "p90": 3.0, "low": 0},
    {"dist": "pert", "p10": 0.2, "p50": 0.26, "p90": 0.33},
    {"dist": "pert", "p50": 0.26, "low": 0.15, "high": 0.35, "shape": 6},
    {"dist": "triangular", "p10": 85e3, "p50": 100e3, "p90": 140e3},
    {"dist": "uniform", "p0_5": 0.1, "p99_5": 0.3},
]


@pytest.mark.parametrize("table", TOML_TABLES, ids=[t["dist"] for t in TOML_TABLES])
def test_quantile_form_round_trips(table: dict[str, Any]) -> None:
    d = from_toml(table)
    assert d.kind == table["dist"]
    # parameter form (what to_toml writes)
    assert from_toml(d.to_toml()) == d
    assert from_toml(tomllib.loads(tomli_w.dumps({"x": d.to_toml()}))["x"]) == d
    # quantile form (the judgements) refits to the identical parameters
    rec = d.elicited  # type: ignore[attr-defined]
    back = rec.to_toml()
    assert back == {k: (float(v) if k != "dist" else v) for k, v in table.items()}
    again = from_toml(tomllib.loads(tomli_w.dumps({"x": back}))["x"])
    assert again == d
    assert again.to_toml() == d.to_toml()  # bit for bit
    # max_abs_error is the largest cdf error at the judgements
    errors = [
        abs(float(d.cdf(value)) - parse_quantile_key(d.kind, key))
        for key, value in rec.judged_quantiles().items()
    ]
    assert max(errors) == pytest.approx(rec.max_abs_error, abs=1e-15)
    assert rec.max_abs_error < 0.1


def test_toml_document_with_quantile_keys() -> None:
    doc = tomllib.loads(
        """
        a = { dist = "beta", p10 = 0.15, p50 = 0.25, p90 = 0.40 }
        b = { dist = "lognormal", p2_5 = 1800, p97_5 = 5200 }
        """
    )
    a, b = from_toml(doc["a"]), from_toml(doc["b"])
    assert isinstance(a, Beta)
    assert float(b.ppf(0.025)) == pytest.approx(1800.0, rel=1e-9)
    assert float(b.ppf(0.975)) == pytest.approx(5200.0, rel=1e-9)


def test_lognormal_median_p95_keeps_its_meaning() -> None:
    old = from_toml({"dist": "lognormal", "median": 2500, "p95": 4000})
    assert old == LogNormal.from_median_p95(2500, 4000)
    assert old.elicited is None  # type: ignore[attr-defined]
    new = from_toml({"dist": "lognormal", "p50": 2500, "p95": 4000})
    assert new.mu == pytest.approx(old.mu, rel=1e-12)  # type: ignore[attr-defined]
    assert new.sigma == pytest.approx(old.sigma, rel=1e-12)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------
# Quantile keys
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "p"),
    [("p10", 0.1), ("p50", 0.5), ("p5", 0.05), ("p97_5", 0.975), ("p0_1", 0.001), ("p99_9", 0.999)],
)
def test_quantile_keys(key: str, p: float) -> None:
    assert parse_quantile_key("beta", key) == p
    assert quantile_key(p) == key


@settings(deadline=None, max_examples=200)
@given(st.integers(1, 99_999))
def test_quantile_key_round_trip(k: int) -> None:
    p = k / 100_000
    assert parse_quantile_key("normal", quantile_key(p)) == p


# --------------------------------------------------------------------------------------
# Infeasible judgements: one-line DistributionError naming the key
# --------------------------------------------------------------------------------------

INFEASIBLE: list[tuple[str, dict[str, Any], str, str]] = [
    # (id, table, param, fragment of the message)
    (
        "not-increasing",
        {"dist": "beta", "p10": 0.3, "p50": 0.25, "p90": 0.4},
        "p50",
        "p50 = 0.25 must be > p10 = 0.3",
    ),
    ("equal-values", {"dist": "normal", "p10": 1.0, "p90": 1.0}, "p90", "must be > p10 = 1"),
    (
        "outside-beta",
        {"dist": "beta", "p10": 0.15, "p50": 0.25, "p90": 1.4},
        "p90",
        "p90 = 1.4 is outside the support (0, 1)",
    ),
    (
        "outside-beta-bounds",
        {"dist": "beta", "p10": 0.5, "p90": 2.5, "low": 1, "high": 3},
        "p10",
        "outside the support (1, 3)",
    ),
    ("outside-gamma", {"dist": "gamma", "p10": -1.0, "p90": 2.0}, "p10", "(0, inf)"),
    ("outside-lognormal", {"dist": "lognormal", "p10": 0.0, "p90": 2.0}, "p10", "p10 = 0"),
    (
        "outside-pert-low",
        {"dist": "pert", "p10": 0.1, "p50": 0.2, "low": 0.15},
        "p10",
        "outside the support (0.15, inf)",
    ),
    (
        "outside-truncnormal",
        {"dist": "truncnormal", "p50": 1.0, "p90": 6.0, "high": 5.0},
        "p90",
        "outside the support",
    ),
    ("p0", {"dist": "normal", "p0": 1.0, "p50": 2.0}, "p0", "'p0' is not a percentile in (0, 100)"),
    ("p100", {"dist": "normal", "p50": 1.0, "p100": 2.0}, "p100", "'p100' is not a percentile"),
    ("leading-zero", {"dist": "normal", "p05": 1.0, "p50": 2.0}, "p05", "no leading or trailing"),
    ("trailing-zero", {"dist": "normal", "p2_50": 1.0, "p50": 2.0}, "p2_50", "e.g. p5, p50, p97_5"),
    ("dot", {"dist": "normal", "p2.5": 1.0, "p50": 2.0}, "p2.5", "'_' as its decimal point"),
    (
        "too-few",
        {"dist": "beta", "p50": 0.25},
        "p50",
        "2 quantiles (pNN keys) are needed to fit alpha, beta, got 1 (p50)",
    ),
    (
        "too-few-pert",
        {"dist": "pert", "p10": 0.2, "p90": 0.3},
        "p10",
        "3 quantiles (pNN keys) are needed to fit low, mode, high",
    ),
    (
        "mixed-alpha",
        {"dist": "beta", "p10": 0.15, "p90": 0.4, "alpha": 2},
        "alpha",
        "parameter 'alpha' cannot be combined with the quantile keys p10, p90",
    ),
    (
        "mixed-mode",
        {"dist": "pert", "p10": 0.2, "p90": 0.3, "mode": 0.25},
        "mode",
        "or quantiles (pNN keys) and low, high, shape (held fixed)",
    ),
    (
        "mixed-mean",
        {"dist": "truncnormal", "p10": 0.2, "p90": 0.3, "mean": 0.25, "low": 0},
        "mean",
        "'mean' cannot be combined",
    ),
    (
        "mixed-median",
        {"dist": "lognormal", "median": 1.0, "p10": 0.5},
        "median",
        "'median' cannot be combined",
    ),
    (
        "unknown-with-quantiles",
        {"dist": "beta", "p10": 0.15, "p90": 0.4, "hgih": 1},
        "hgih",
        "did you mean 'high'?",
    ),
    ("discrete", {"dist": "poisson", "p10": 1, "p90": 5}, "p10", "only allowed for the continuous"),
    ("fixed", {"dist": "fixed", "p50": 1}, "p50", "only allowed for the continuous"),
    ("empirical", {"dist": "empirical", "p50": 1}, "p50", "only allowed for the continuous"),
    (
        "truncnormal-no-bound",
        {"dist": "truncnormal", "p10": 0.2, "p90": 0.3},
        "low",
        "give a finite low and/or high",
    ),
    (
        "nothing-to-fit",
        {"dist": "uniform", "p50": 0.2, "low": 0, "high": 1},
        "low",
        "nothing left to fit",
    ),
    ("bad-bounds", {"dist": "beta", "p50": 0.2, "p60": 0.3, "low": 1, "high": 0}, "low", "< high"),
    ("bad-shape", {"dist": "pert", "p50": 0.2, "low": 0, "high": 1, "shape": -1}, "shape", "> 0"),
    ("value-type", {"dist": "normal", "p10": "1", "p90": 2}, "p10", "got '1' (str)"),
    ("value-nan", {"dist": "normal", "p10": math.nan, "p90": 2}, "p10", "finite"),
]


@pytest.mark.parametrize(
    ("table", "param", "fragment"), [c[1:] for c in INFEASIBLE], ids=[c[0] for c in INFEASIBLE]
)
def test_infeasible_quantiles(table: dict[str, Any], param: str, fragment: str) -> None:
    with pytest.raises(DistributionError) as info:
        from_toml(table)
    err = info.value
    message = str(err)
    assert err.param == param
    assert param in message
    assert fragment in message
    assert "\n" not in message
    assert message.startswith(f"{table['dist']}: ")


@pytest.mark.parametrize(
    ("call", "param", "fragment"),
    [
        (lambda: fit_quantiles("poisson", {0.5: 1.0}), "dist", "continuous families"),
        (lambda: fit_quantiles("normal", {1.5: 1.0, 0.5: 0.0}), "quantiles", "got 1.5"),
        (lambda: fit_quantiles("normal", {0.0: 1.0, 0.5: 2.0}), "quantiles", "between 0 and 1"),
        (lambda: fit_quantiles("normal", {True: 1.0, 0.5: 2.0}), "quantiles", "got True"),
        (lambda: fit_quantiles("normal", [1.0, 2.0]), "quantiles", "mapping"),  # type: ignore[arg-type]
        (lambda: fit_quantiles("normal", {0.1: 1.0, 0.9: 2.0}, sd=1.0), "sd", "'sd' cannot"),
        (lambda: fit_quantiles("gamma", {0.1: 1.0, 0.9: 2.0}, low=0.0), "low", "give only none"),
    ],
    ids=["family", "p>1", "p=0", "p-bool", "not-mapping", "fixed-sd", "fixed-gamma"],
)
def test_fit_quantiles_argument_errors(call: Any, param: str, fragment: str) -> None:
    with pytest.raises(DistributionError) as info:
        call()
    assert info.value.param == param
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------
# Property: exact quantiles of any member are fitted back to that member
# --------------------------------------------------------------------------------------


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


MEMBERS = st.one_of(
    st.builds(Normal, mu=_floats(-1e4, 1e4), sigma=_floats(1e-2, 1e3)),
    st.builds(LogNormal, mu=_floats(-5.0, 10.0), sigma=_floats(0.05, 2.0)),
    st.builds(Gamma, shape=_floats(0.2, 200.0), scale=_floats(1e-2, 1e4)),
    st.builds(Beta, alpha=_floats(0.3, 200.0), beta=_floats(0.3, 200.0)),
)


@settings(deadline=None, max_examples=60)
@given(dist=MEMBERS, lo=_floats(0.02, 0.3), hi=_floats(0.7, 0.98))
# found by this test: the three best grid starts all ended on the plateau where the low
# quantile's cdf is 0 (Beta(16.6, 182)); later starts fit it exactly
@example(dist=Beta(alpha=0.78125, beta=10.0), lo=0.03125, hi=0.71875)
def test_fit_inverts_exact_quantiles(dist: Distribution, lo: float, hi: float) -> None:
    quantiles = {lo: float(dist.ppf(lo)), hi: float(dist.ppf(hi))}
    fit = fit_quantiles(dist.kind, quantiles)
    assert fit.max_abs_error < 1e-9
    for key, value in _params(dist).items():
        assert fit.parameters[key] == pytest.approx(value, rel=1e-5, abs=1e-9), key
