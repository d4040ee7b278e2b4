"""Sobol per year, seeded bootstraps, probabilistic break-even values, downside drivers,
per-aktør files and the hardening of the one-way analyses."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import json

import numpy as np
import pytest
from conftest import CASES_DIR, minimal_case

from som_mc import parse_case, simulate
from som_mc.present.plotting.sensitivity import (
    plot_scenarios,
    plot_sobol,
    plot_sobol_by_year,
    plot_spider,
    plot_tornado,
)
from som_mc.sensitivity import (
    SensitivityError,
    downside_drivers,
    probabilistic_switching,
    sobol_analysis,
    sobol_estimates,
    spider,
    tornado,
)
from som_mc.sensitivity.analysis import saltelli_matrix


def _yearly_case():
    # one uncertain cost per year, all paid by the kommune; the cumulative result up to
    # year t is -(a + b [t >= 1] + c [t >= 2]) with Var a = 100²/12, Var b = 20², Var c = 2500/6
    costs = [
        {
            "name": "a",
            "actor": "kommune",
            "kind": "one_off",
            "year": 0,
            "amount": {"dist": "uniform", "low": 0, "high": 100},
        },
        {
            "name": "b",
            "actor": "kommune",
            "kind": "one_off",
            "year": 1,
            "amount": {"dist": "normal", "mean": 100, "sd": 20},
        },
        {
            "name": "c",
            "actor": "kommune",
            "kind": "one_off",
            "year": 2,
            "amount": {"dist": "triangular", "low": 0, "mode": 50, "high": 100},
        },
    ]
    return parse_case(minimal_case(costs=costs, consequences=[]))


def test_sobol_per_year_of_a_linear_case_equals_the_analytic_variance_shares():
    var = np.array([100**2 / 12, 20**2, 2500 / 6])
    res = sobol_analysis(_yearly_case(), n_base=8192, seed=4).sel(actor="total")
    s1 = res.S1_by_year.transpose("year", "input").values
    st = res.ST_by_year.transpose("year", "input").values
    assert list(res.year.values) == [2025, 2026, 2027]
    for t in range(3):
        v = var * (np.arange(3) <= t)
        expected = v / v.sum()
        # the horizon's bootstrap half-widths at this n are ~0.01-0.02; 0.03 is ~3 of them
        np.testing.assert_allclose(s1[t], expected, atol=0.03)
        np.testing.assert_allclose(st[t], expected, atol=0.03)
    # year 2025 is exactly the first input: the others are not yet paid
    assert s1[0, 1] == 0.0 and s1[0, 2] == 0.0
    # the last year is the horizon, which carries the intervals
    np.testing.assert_array_equal(s1[-1], res.S1.values)
    assert np.all(np.isfinite(res.S1_conf.values))


def test_sobol_seed_zero_is_a_seed():
    case = _yearly_case()
    one = sobol_analysis(case, n_base=512, seed=0)
    two = sobol_analysis(case, n_base=512, seed=0)
    np.testing.assert_array_equal(one.S1_conf.values, two.S1_conf.values)
    np.testing.assert_array_equal(one.ST_conf.values, two.ST_conf.values)
    other = sobol_analysis(case, n_base=512, seed=1)
    assert not np.array_equal(one.S1_conf.values, other.S1_conf.values)


def test_sobol_estimates_equal_salib_for_a_fixed_input():
    from SALib.analyze import sobol as salib

    rng = np.random.default_rng(11)
    n, d = 1024, 4
    x = saltelli_matrix(rng.random((n, d)), rng.random((n, d)), np.arange(d))
    y = np.sin(2 * np.pi * x[:, 0]) + 3 * x[:, 1] ** 2 + 4 * x[:, 2] * x[:, 3]
    problem = {"num_vars": d, "names": list("abcd"), "bounds": [[0, 1]] * d}
    ref = salib.analyze(problem, y, calc_second_order=False, num_resamples=100, seed=7)
    ours = sobol_estimates(y[:, None], d, seed=7, num_resamples=100)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(ours[key][:, 0], ref[key], rtol=1e-10, atol=1e-12)
    point = sobol_estimates(y[:, None], d, bootstrap=False)
    np.testing.assert_allclose(point["S1"][:, 0], ref["S1"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(point["ST"][:, 0], ref["ST"], rtol=1e-9, atol=1e-12)
    assert np.isnan(point["S1_conf"]).all()


def _break_even_case():
    # NR = 10 s p - 1000, p ~ U(150, 240): P(NR > 0 | s) = (240 - 100 / s) / 90
    return parse_case(
        minimal_case(
            success_rate={"dist": "uniform", "low": 0.2, "high": 0.6},
            costs=[{"name": "o", "actor": "kommune", "kind": "one_off", "amount": 1000}],
            consequences=[
                {
                    "name": "k",
                    "unit": "u",
                    "profile": [-1],
                    "price": {"kommune": {"dist": "uniform", "low": 150, "high": 240}},
                }
            ],
        )
    )


def test_probabilistic_break_even_value_matches_the_analytic_one():
    be = probabilistic_switching(
        _break_even_case(), levels=(0.5, 0.8), draws=20_000, seed=2, actors=["total"]
    )
    s = be.sel(input="success_rate", actor="total")
    expected = np.array([100 / 195, 100 / 168])  # (240 - 100/s)/90 = 0.5, 0.8
    assert np.all(np.abs(s.value.values - expected) < 4 * s.mcse.values)
    assert np.all(s.mcse.values > 0) and np.all(s.mcse.values < 0.005)
    assert s.within.values.all()
    np.testing.assert_allclose(s.percentile.values, (s.value.values - 0.2) / 0.4)
    # the price that gives even odds with s uncertain is outside U(150, 240)
    # (P(10 s p > 1000) = 0.5 <=> median of s = 0.4 -> p = 250): flagged, no percentile
    p = be.sel(input="consequences.k.price.kommune", actor="total", level=0.5)
    assert abs(p.value.item() - 250.0) < 4 * p.mcse.item()
    assert not p.within.item() and np.isnan(p.percentile.item())
    with pytest.raises(SensitivityError, match="strictly between 0 and 1"):
        probabilistic_switching(_break_even_case(), levels=(1.0,))


def test_downside_drivers_find_the_input_that_makes_losses():
    ds = simulate(_break_even_case(), draws=20_000, seed=1)
    dd = downside_drivers(ds, actors=["total"]).sel(actor="total")
    # P(loss) = P(10 s p < 1000); analytic by a fine grid over s
    grid = np.linspace(0.2, 0.6, 400_001)
    p_loss = np.mean(np.clip((100 / grid - 150) / 90, 0, 1))
    assert abs(dd.p_loss.item() - p_loss) < 4 * np.sqrt(p_loss * (1 - p_loss) / 20_000)
    s = dd.sel(input="success_rate")
    assert str(dd.input.values[0]) == "success_rate"  # largest swing first
    # conditional loss probabilities in the lowest and highest third of s, by hand
    p_given = np.clip((100 / grid - 150) / 90, 0, 1)
    low, high = grid <= 0.2 + 0.4 / 3, grid > 0.2 + 0.8 / 3
    assert s.p_loss_low.item() == pytest.approx(p_given[low].mean(), abs=1e-9)  # = 1
    assert abs(s.p_loss_high.item() - p_given[high].mean()) < 4 * s.p_loss_high_se.item()
    assert s.ks.item() > 0.5
    assert dd.ks.sel(input="consequences.k.price.kommune").item() < s.ks.item()


def test_tornado_relative_moves_stay_in_the_meaningful_range():
    tor = tornado(_break_even_case(), relative=2.0)  # ±200 %
    lo = tor.value_low.sel(input="success_rate").item()
    hi = tor.value_high.sel(input="success_rate").item()
    assert (lo, hi) == (0.0, 1.0)  # 0.4 * (1 - 2) = -0.4 -> 0; 0.4 * 3 = 1.2 -> 1
    assert tor.value_low.sel(input="consequences.k.price.kommune").item() == 0.0
    assert np.all(np.isfinite(tor.swing.values))


def test_tornado_percentiles_0_and_100_only_for_bounded_inputs():
    tor = tornado(_break_even_case(), levels=(0.0, 1.0))  # uniforms: their end points
    assert tor.value_low.sel(input="success_rate").item() == pytest.approx(0.2)
    assert np.all(np.isfinite(tor.swing.values))
    data = minimal_case()
    data["consequences"][0]["scale"] = {"dist": "normal", "mean": 1.0, "sd": 0.1}
    with pytest.raises(SensitivityError, match=r"'consequences\.herberg\.scale' is unbounded"):
        tornado(parse_case(data), levels=(0.0, 1.0))


def _tick_texts(axis):
    axis.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_figures_use_decimal_commas():
    case = _break_even_case()
    sob = sobol_analysis(case, n_base=256, seed=1)
    for ax in (plot_sobol(sob).xaxis, plot_sobol_by_year(sob).yaxis):
        texts = _tick_texts(ax)
        assert texts and not any("." in t for t in texts if not t.replace("-", "").isdigit())
    assert any("," in t for t in _tick_texts(plot_sobol(sob).xaxis))
    assert all(t.endswith("%") for t in _tick_texts(plot_sobol_by_year(sob).yaxis))
    for ax in (plot_tornado(tornado(case)).xaxis, plot_spider(spider(case)).yaxis):
        assert not any("," in t for t in _tick_texts(ax))  # money: thousands with dots


def test_plot_scenarios_artists():
    from som_mc.sensitivity import scenario_analysis

    data = minimal_case(scenarios=[{"name": "Lav", "overrides": {"success_rate": 0.1}}])
    sc = scenario_analysis(parse_case(data), draws=1000, seed=1)
    ax = plot_scenarios(sc, actor="kommune")
    at = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert at["Basis"] > at["Lav"]  # the base on top
    assert ax.get_xlabel() == "Akkumuleret nettoresultat over perioden (kr.)"


def test_cli_actor_writes_that_actors_tables_and_figures_for_every_method(tmp_path, capsys):
    from som_mc.cli import main

    out = tmp_path / "k"
    case = str(CASES_DIR / "housing_first.toml")
    args = ["sensitivity", case, "--actor", "kommune", "--out", str(out)]
    assert main([*args, "--n-base", "128", "--draws", "1000", "--seed", "0", "--level", "80"]) == 0
    text = capsys.readouterr().out
    assert "Tornado (P10/P90), nettoresultat kommune:" in text
    assert "Sobol-indeks, kommune" in text and "Nedsiderisiko, kommune" in text
    assert "P(nettoresultat kommune > 0) = 80 %" in text
    names = {p.name for p in out.iterdir()}
    for fig in ("tornado", "spider", "sobol", "sobol_by_year"):
        assert {f"{fig}_kommune.png", f"{fig}_kommune.svg"} <= names
    assert not any("i_alt" in n for n in names)
    for table in (
        "tornado",
        "spider",
        "switching_values",
        "sobol",
        "sobol_by_year",
        "rank_correlations",
        "downside_drivers",
        "breakeven",
    ):
        rows = json.loads((out / f"{table}.json").read_text(encoding="utf-8"))["rows"]
        assert rows and {r["actor"] for r in rows} == {"kommune"}, table
        assert "inf" not in (out / f"{table}.csv").read_text(encoding="utf-8").lower(), table
    assert main([*args, "--actor", "kommunen", "--force"]) == 2
    assert "unknown actor 'kommunen'; choose from kommune, region, stat, total" in (
        capsys.readouterr().err
    )


def test_cli_relative_and_extreme_levels(tmp_path, capsys):
    from som_mc.cli import main

    case = str(CASES_DIR / "housing_first.toml")
    out = tmp_path / "t"
    base = ["sensitivity", case, "--method", "tornado", "--out", str(out)]
    assert main([*base, "--relative", "200"]) == 0
    rows = json.loads((out / "tornado.json").read_text(encoding="utf-8"))["rows"]
    s = [r for r in rows if r["input"] == "success_rate"]
    assert s and all(0.0 <= r["value_low"] <= r["value_high"] <= 1.0 for r in s)
    assert all(r["value_low"] >= 0.0 for r in rows if r["value_low"] is not None)
    capsys.readouterr()
    assert main([*base, "--levels", "0,100", "--force"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is unbounded" in err and "strictly between 0 and 100" in err


def _downside_drivers_by_loops(ds, actors):
    """The loss-probability and KS measures input by input and actor by actor."""
    from scipy import stats

    x = ds.inputs.transpose("draw", "input").values
    horizon = ds.net_result.sum("year").transpose("draw", "actor").values
    y = np.concatenate([horizon, horizon.sum(axis=1, keepdims=True)], axis=1)
    all_actors = [*map(str, ds.actor.values), "total"]
    y = y[:, [all_actors.index(a) for a in actors]]
    n, k = x.shape
    loss = (y < 0).astype(np.float64)
    u = (stats.rankdata(x, axis=0) - 0.5) / n
    low, high = (u <= 1.0 / 3.0).astype(float), (u > 2.0 / 3.0).astype(float)
    p_low = low.T @ loss / np.maximum(low.sum(axis=0), 1.0)[:, None]
    p_high = high.T @ loss / np.maximum(high.sum(axis=0), 1.0)[:, None]
    ks = np.zeros((k, y.shape[1]))
    for j in range(k):
        order = np.argsort(x[:, j], kind="stable")
        xs = x[order, j]
        last = np.r_[xs[1:] != xs[:-1], True]
        for m in range(y.shape[1]):
            lm = loss[order, m]
            n_loss, n_gain = lm.sum(), n - lm.sum()
            if n_loss == 0 or n_gain == 0:
                continue
            diff = np.cumsum(lm) / n_loss - np.cumsum(1.0 - lm) / n_gain
            ks[j, m] = float(np.abs(diff[last]).max())
    return p_low, p_high, ks


def test_downside_drivers_equal_the_measures_input_by_input_and_actor_by_actor():
    from pathlib import Path

    from som_mc import load_case
    from som_mc.sensitivity import rank_analysis, rank_measures

    case = load_case(Path(__file__).resolve().parents[1] / "benchmarks" / "reference.toml")
    ds = simulate(case, draws=3000, seed=5)  # counts of participants: tied values
    actors = [*map(str, ds.actor.values), "total"]
    dd = downside_drivers(ds, actors=actors)
    p_low, p_high, ks = _downside_drivers_by_loops(ds, actors)
    order = [list(ds.input.values).index(name) for name in dd.input.values]
    np.testing.assert_array_equal(dd.p_loss_low.values, p_low[order])
    np.testing.assert_array_equal(dd.p_loss_high.values, p_high[order])
    np.testing.assert_array_equal(dd.ks.values, ks[order])
    assert (dd.ks.values > 0).any() and (dd.ks.values == 0).any()  # some actor never loses
    rm, dd2 = rank_analysis(case, draws=3000, seed=5, actors=actors)
    for one, two in ((rm, rank_measures(ds, actors=actors)), (dd2, dd)):
        for key in one.data_vars:
            np.testing.assert_array_equal(one[key].values, two[key].values)
