"""Tests of value of information: EVPI and regression EVPPI against closed forms."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import CASES_DIR, minimal_case
from scipy import stats

from som_mc.case import parse_case
from som_mc.cli import main
from som_mc.run import simulate
from som_mc.sensitivity import SensitivityError
from som_mc.sensitivity.voi import (
    ALL_INPUTS,
    MIN_DRAWS,
    MIN_DRAWS_PER_REGRESSOR,
    evpi,
    evppi,
    voi_analysis,
    voi_from_draws,
)


def normal_evpi(mu: float, sigma: float) -> float:
    """E[max(X, 0)] - max(mu, 0) for X ~ N(mu, sigma^2)."""
    z = mu / sigma
    return sigma * stats.norm.pdf(z) + mu * stats.norm.cdf(z) - max(mu, 0.0)


# -- the estimators on arrays -----------------------------------------------------------------


def test_evpi_of_two_points_by_hand():
    # E[max] = (0 + 3) / 2 = 1.5; max(E, 0) = 1; EVPI = 0.5
    assert evpi(np.array([-1.0, 3.0])).value == pytest.approx(0.5)
    assert evpi(np.array([1.0, 3.0])).value == 0.0  # never the wrong decision


@pytest.mark.parametrize("mu", [2000.0, -3000.0])
def test_linear_normal_closed_forms_within_four_standard_errors(mu):
    rng = np.random.default_rng(11)
    n = 20_000
    price = rng.normal(1000.0, 300.0, n)
    cost = rng.normal(50_000.0 - mu, 10_000.0, n)
    y = 50.0 * price - cost  # N(mu, 15000^2 + 10000^2)
    sd_price, sd_cost = 15_000.0, 10_000.0
    e = evpi(y)
    assert abs(e.value - normal_evpi(mu, math.hypot(sd_price, sd_cost))) < 4 * e.se
    (p,) = evppi(y, price)
    # E[y | price] = 50 price - E[cost] ~ N(mu, sd_price^2): the variance share of price
    assert abs(p.value - normal_evpi(mu, sd_price)) < 4 * p.se
    (c,) = evppi(y, cost)
    assert abs(c.value - normal_evpi(mu, sd_cost)) < 4 * c.se
    (both,) = evppi(y, np.column_stack([price, cost]))
    assert abs(both.value - normal_evpi(mu, math.hypot(sd_price, sd_cost))) < 4 * both.se
    for est in (p, c, both):
        assert 0.0 <= est.value <= e.value


def test_standard_errors_are_honest_over_repeated_samples():
    rng = np.random.default_rng(5)
    est, se = [], []
    for _ in range(40):
        a = rng.normal(0.0, 1.0, 4000)
        b = rng.normal(0.0, 1.0, 4000)
        y = 0.3 + a + 0.8 * b
        (r,) = evppi(y, a)
        est.append(r.value)
        se.append(r.se)
    spread = float(np.std(est, ddof=1))
    assert 0.6 < float(np.mean(se)) / spread < 1.6
    assert abs(np.mean(est) - normal_evpi(0.3, 1.0)) < 4 * spread / math.sqrt(40)


def test_nonlinear_evppi_matches_a_large_sample_reference():
    rng = np.random.default_rng(8)
    n = 20_000
    a = rng.lognormal(0.0, 0.5, n)
    b = rng.uniform(0.0, 2.0, n)
    y = 1000.0 * a * b - 1100.0 + rng.normal(0.0, 300.0, n)
    # E[y | a] = 1000 a - 1100 (E[b] = 1); E[y | b] = 1000 e^(1/8) b - 1100
    big = np.random.default_rng(9)
    a_ref = big.lognormal(0.0, 0.5, 2_000_000)
    b_ref = big.uniform(0.0, 2.0, 2_000_000)

    def ref(g):
        return float(np.maximum(g, 0).mean() - max(g.mean(), 0))

    (ea,) = evppi(y, a)
    (eb,) = evppi(y, b)
    assert abs(ea.value - ref(1000 * a_ref - 1100)) < 4 * ea.se
    assert abs(eb.value - ref(1000 * math.exp(0.125) * b_ref - 1100)) < 4 * eb.se


@pytest.mark.parametrize("seed", range(6))
def test_evppi_never_exceeds_evpi_nor_falls_below_zero(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    x = rng.normal(size=(n, 3))
    y = np.column_stack(
        [
            x[:, 0] * x[:, 1] + rng.normal(0, 2, n),  # pure noise near the decision
            0.1 + np.sin(3 * x[:, 0]) + x[:, 2] ** 2 - 1,
            5.0 + 0.01 * x[:, 1],  # never the wrong decision: EVPI = 0
        ]
    )
    cap = [evpi(y[:, j]).value for j in range(3)]
    for cols in ([0], [1], [2], [0, 1], [0, 1, 2]):
        for j, est in enumerate(evppi(y, x[:, cols])):
            assert 0.0 <= est.value <= cap[j]
    assert cap[2] == 0.0


def test_too_few_draws_are_refused():
    with pytest.raises(SensitivityError, match=f"at least {MIN_DRAWS} draws"):
        evppi(np.zeros(MIN_DRAWS - 1), np.zeros(MIN_DRAWS - 1))


def test_a_group_with_more_regressors_than_the_draws_support_is_refused():
    n = 1000
    k = n // MIN_DRAWS_PER_REGRESSOR  # degree 1 needs k + 1 columns: one too many
    rng = np.random.default_rng(1)
    with pytest.raises(SensitivityError, match="more regressors"):
        evppi(rng.normal(size=n), rng.normal(size=(n, k)))
    (ok,) = evppi(rng.normal(size=n), rng.normal(size=(n, k - 1)))
    assert ok.regressors <= n // MIN_DRAWS_PER_REGRESSOR


# -- through the run pipeline -----------------------------------------------------------------


def _linear_case() -> dict:
    """NB_kommune = 50 P_k - C_k ~ N(2000, 15000^2 + 10000^2); NB_stat = 50 P_s - C_s."""
    return minimal_case(
        horizon_years=1,
        success_rate=0.5,
        participants={"per_year": [100]},
        costs=[
            {
                "name": "opstart",
                "actor": "kommune",
                "kind": "one_off",
                "amount": {"dist": "normal", "mean": 48000, "sd": 10000},
            },
            {
                "name": "drift",
                "actor": "stat",
                "kind": "one_off",
                "amount": {"dist": "normal", "mean": 26000, "sd": 4000},
            },
        ],
        consequences=[
            {
                "name": "herberg",
                "unit": "døgn",
                "profile": [-1],
                "price": {
                    "kommune": {"dist": "normal", "mean": 1000, "sd": 300},
                    "stat": {"dist": "normal", "mean": 500, "sd": 100},
                },
            },
        ],
    )


def test_linear_case_closed_forms_through_the_pipeline():
    res = voi_analysis(parse_case(_linear_case()), draws=20_000, seed=3)
    k = res.actors["kommune"]
    assert abs(k.evpi - normal_evpi(2000, math.hypot(15000, 10000))) < 4 * k.evpi_se
    name_p = "consequences.herberg.price.kommune"
    assert abs(k.evppi[name_p] - normal_evpi(2000, 15000)) < 4 * k.evppi_se[name_p]
    name_c = "costs.opstart.amount"
    assert abs(k.evppi[name_c] - normal_evpi(2000, 10000)) < 4 * k.evppi_se[name_c]
    # inputs that do not touch the kommune's result are worth nothing to its decision
    assert k.evppi["costs.drift.amount"] == 0.0
    # total: N(1000, 15000^2 + 5000^2 + 10000^2 + 4000^2)
    t = res.actors["total"]
    sd = math.sqrt(15000**2 + 5000**2 + 10000**2 + 4000**2)
    assert abs(t.evpi - normal_evpi(1000, sd)) < 4 * t.evpi_se
    rest = math.sqrt(5000**2 + 10000**2 + 4000**2)  # E[NB | P_k] = 50 P_k - rest of the means
    assert abs(t.evppi[name_p] - normal_evpi(1000, 15000)) < 4 * t.evppi_se[name_p]
    assert rest > 0
    for voi in res.actors.values():
        for v in [*voi.evppi.values(), *voi.groups.values()]:
            assert 0.0 <= v <= voi.evpi


def test_groups_are_never_worth_less_than_their_members():
    ds = simulate(parse_case(_linear_case()), draws=4000, seed=5, design="random")
    res = voi_from_draws(ds, groups={"priser": ["consequences.*.price.*"]})
    for voi in res.actors.values():
        members = [voi.evppi[n] for n in res.groups["priser"]]
        assert voi.groups["priser"] >= max(members)
        assert voi.groups[ALL_INPUTS] >= max(voi.evppi.values())
    assert any("4000 træk" in w for w in res.warnings)  # fewer than WARN_DRAWS


def test_unknown_actor_and_group_pattern_are_errors():
    ds = simulate(parse_case(_linear_case()), draws=1000, seed=5, design="random")
    with pytest.raises(SensitivityError, match="unknown aktør"):
        voi_from_draws(ds, actors=["borger"])
    with pytest.raises(SensitivityError, match="matches no uncertain input"):
        voi_from_draws(ds, groups={"x": ["costs.nothing.*"]})


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def linear_file(tmp_path):
    import tomli_w

    path = tmp_path / "linear.toml"
    path.write_text(tomli_w.dumps(_linear_case()), encoding="utf-8")
    return path


def test_voi_json_has_the_keys_per_actor(linear_file, capsys):
    args = ["voi", str(linear_file), "--draws", "2000", "--seed", "1", "--json"]
    assert (
        main(
            [
                *args,
                "--group",
                "priser=consequences.herberg.price.kommune,consequences.herberg.price.stat",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"kommune", "region", "stat", "total"}
    for voi in data.values():
        assert {"evpi", "evpi_se", "evppi", "evppi_se"} <= set(voi)
        assert set(voi["evppi"]) == set(voi["evppi_se"])
        assert "consequences.herberg.price.kommune" in voi["evppi"]
        assert "priser" in voi["groups"]
    assert main([*args, "--actor", "kommune"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"kommune"}


def test_voi_text_ranks_in_danish_kroner(linear_file, capsys):
    assert main(["voi", str(linear_file), "--draws", "2000", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "Hvad er mest værd at vide mere om?" in out
    assert "EVPI" in out and " kr." in out
    assert "(seed 1)" in out


def test_voi_out_writes_files_and_never_overwrites(linear_file, tmp_path, capsys):
    out = tmp_path / "voi"
    args = ["voi", str(linear_file), "--draws", "2000", "--seed", "1", "--out", str(out)]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} == {"voi.json", "voi.csv", "evppi.png", "evppi.svg"}
    saved = json.loads((out / "voi.json").read_text(encoding="utf-8"))
    assert saved["_meta"]["seed"] == 1 and "kommune" in saved
    capsys.readouterr()
    assert main(args) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main([*args, "--force"]) == 0


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        (["--draws", "500"], "at least 1000 draws"),
        (["--actor", "borger"], "unknown aktør"),
        (["--group", "x=costs.nothing"], "matches no uncertain input"),
        (["--group", "x"], "NAME=INPUT"),
    ],
)
def test_voi_errors_are_one_line(linear_file, capsys, extra, text):
    try:
        status = main(["voi", str(linear_file), "--seed", "1", *extra])
    except SystemExit as exc:  # argument errors exit from the parser
        status = int(exc.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and text in err


def test_voi_uses_the_posterior_of_evidence(capsys):
    case = str(CASES_DIR / "aarhus_alkohol_opfoelgning.toml")
    assert main(["voi", case, "--draws", "1000", "--seed", "2", "--json", "--actor", "total"]) == 0
    assert "bruger posterior fra [evidence]" in capsys.readouterr().err


def test_evppi_figure_bars_are_the_ranking():
    from som_mc.present.plotting.knowledge import plot_evppi

    ds = simulate(parse_case(_linear_case()), draws=4000, seed=5, design="random")
    res = voi_from_draws(ds)
    ax = plot_evppi(res, actor="kommune")
    widths = sorted((p.get_width() for p in ax.patches), reverse=True)
    expected = sorted((v for _, v, _ in res.actors["kommune"].ranking() if v >= 0.5), reverse=True)
    np.testing.assert_allclose(widths, expected)
    ax.figure.canvas.draw()
    assert any("." in t.get_text() for t in ax.get_xticklabels())  # 1.000-separators
    assert "kommune" in ax.get_title()
