"""Følsomhedsanalyser against hand calculation, analytic variances and SALib's Ishigami."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from conftest import CASES_DIR, minimal_case
from matplotlib.container import BarContainer

from som_mc import load_case, parse_case, simulate
from som_mc.engine import deterministic
from som_mc.present.plotting.sensitivity import plot_sobol, plot_spider, plot_tornado
from som_mc.sensitivity import (
    SensitivityError,
    rank_measures,
    sobol_analysis,
    sobol_indices,
    spider,
    switching_values,
    tornado,
)


def _linear_case():
    # NR (all kommune) = 10 * s * p - 500 - 10 * c
    # s ~ U(0.2, 0.6) (mean 0.4), p ~ U(150, 240) (mean 195), c ~ U(0, 100) (mean 50)
    return parse_case(
        minimal_case(
            success_rate={"dist": "uniform", "low": 0.2, "high": 0.6},
            costs=[
                {"name": "opstart", "actor": "kommune", "kind": "one_off", "amount": 500},
                {
                    "name": "pp",
                    "actor": "kommune",
                    "kind": "per_participant",
                    "amount": {"dist": "uniform", "low": 0, "high": 100},
                },
            ],
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


def test_tornado_by_hand():
    tor = tornado(_linear_case())
    assert tor.base.sel(actor="total").item() == pytest.approx(10 * 0.4 * 195 - 1000)  # -220
    assert list(tor.input.values) == [
        "costs.pp.amount",  # swing 800: c = 10 -> 180, c = 90 -> -620
        "success_rate",  # swing 624: s = 0.24 -> -532, s = 0.56 -> 92
        "consequences.k.price.kommune",  # swing 288: p = 159 -> -364, p = 231 -> -76
    ]
    total = tor.result.sel(actor="total").values
    np.testing.assert_allclose(total, [[180, -620], [-532, 92], [-364, -76]], atol=1e-9)
    np.testing.assert_allclose(tor.value_low, [10, 0.24, 159])
    np.testing.assert_allclose(tor.value_high, [90, 0.56, 231])
    np.testing.assert_allclose(tor.swing.sel(actor="total"), [800, 624, 288], atol=1e-9)
    np.testing.assert_allclose(tor.result.sel(actor="kommune"), tor.result.sel(actor="total"))
    np.testing.assert_allclose(tor.result.sel(actor="stat"), 0)


def test_tornado_relative_levels():
    tor = tornado(_linear_case(), relative=0.2)
    # s at 0.32 / 0.48: 10 * 0.32 * 195 - 1000 = -376, 10 * 0.48 * 195 - 1000 = -64
    row = list(tor.input.values).index("success_rate")
    np.testing.assert_allclose(tor.result.sel(actor="total").values[row], [-376, -64])


def test_switching_values_by_hand():
    sv = switching_values(_linear_case(), actors=["total", "kommune", "stat"])
    total = sv.switching_value.sel(actor="total")
    # s: 1950 s = 1000; c: 780 - 500 - 10 c = 0; p: 4 p = 1000 -> 250, outside [150, 240]
    assert total.sel(input="success_rate").item() == pytest.approx(1000 / 1950, rel=1e-10)
    assert total.sel(input="costs.pp.amount").item() == pytest.approx(28.0, rel=1e-10)
    # outside the assumed U(150, 240): still solved (prices >= 0), flagged, no percentile
    price = "consequences.k.price.kommune"
    assert total.sel(input=price).item() == pytest.approx(250.0, rel=1e-10)
    assert not sv.within.sel(actor="total", input=price).item()
    assert np.isnan(sv.percentile.sel(actor="total", input=price).item())
    # inside: the percentile is the cdf at the value, U(0, 100) at 28 -> 0.28; U(.2,.6) at .5128
    assert sv.percentile.sel(actor="total", input="costs.pp.amount").item() == pytest.approx(0.28)
    assert sv.percentile.sel(actor="total", input="success_rate").item() == pytest.approx(
        (1000 / 1950 - 0.2) / 0.4
    )
    assert sv.direction.sel(actor="total", input="success_rate").item() == 1
    assert sv.direction.sel(actor="total", input="costs.pp.amount").item() == -1
    # the stat has no flows at all: flat, never crosses
    assert sv.direction.sel(actor="stat").values.tolist() == [0, 0, 0]
    with pytest.raises(SensitivityError, match="unknown actor 'staten'"):
        switching_values(_linear_case(), actors=["staten"])


def test_switching_value_outside_the_distribution_solves_the_deterministic_model():
    # a succesrate of U(0.05, 0.1) cannot pay back; solve 1950 s - 1000 = 0 by hand and
    # check it with the deterministic model of the case edited to that value
    data = minimal_case(
        success_rate={"dist": "uniform", "low": 0.05, "high": 0.1},
        costs=[{"name": "opstart", "actor": "kommune", "kind": "one_off", "amount": 1000}],
        consequences=[
            {"name": "k", "unit": "u", "profile": [-1], "price": {"kommune": 195}},
        ],
    )
    sv = switching_values(parse_case(data), actors=["kommune"])
    value = sv.switching_value.sel(input="success_rate", actor="kommune").item()
    assert value == pytest.approx(1000 / 1950, rel=1e-10)
    assert not sv.within.sel(input="success_rate", actor="kommune").item()
    edited = parse_case({**data, "success_rate": value})
    assert deterministic(edited).net_result.sum().item() == pytest.approx(0.0, abs=1e-6)
    # a share can never exceed 1: a case that needs s > 1 has no switching value
    never = parse_case({**data, "costs": [{**data["costs"][0], "amount": 5000}]})
    sv = switching_values(never, actors=["kommune"])
    assert np.isnan(sv.switching_value.sel(input="success_rate", actor="kommune").item())
    assert sv.domain_high.sel(input="success_rate").item() == 1.0


def test_groups_move_together():
    tor = tornado(_linear_case(), groups={"Alt andet": ["costs.*", "consequences.*"]})
    assert set(tor.input.values) == {"Alt andet", "success_rate"}
    # both at P10: c = 10, p = 159 -> 10*0.4*159 - 500 - 100
    row = list(tor.input.values).index("Alt andet")
    assert tor.result.sel(actor="total").values[row, 0] == pytest.approx(636 - 600)
    with pytest.raises(SensitivityError, match="matches no uncertain input"):
        tornado(_linear_case(), groups={"x": ["nope.*"]})


def _additive_case():
    # NR = -(A + B + C): Var A = 100^2/12, Var B = 20^2, Var C (triangular 0, 50, 100) = 2500/6
    costs = [
        {
            "name": "a",
            "actor": "kommune",
            "kind": "one_off",
            "amount": {"dist": "uniform", "low": 0, "high": 100},
        },
        {
            "name": "b",
            "actor": "region",
            "kind": "one_off",
            "amount": {"dist": "normal", "mean": 50, "sd": 20},
        },
        {
            "name": "c",
            "actor": "stat",
            "kind": "one_off",
            "amount": {"dist": "triangular", "low": 0, "mode": 50, "high": 100},
        },
    ]
    return parse_case(minimal_case(costs=costs, consequences=[]))


def test_sobol_linear_case_matches_analytic_shares():
    var = np.array([100**2 / 12, 20**2, 2500 / 6])
    res = sobol_analysis(_additive_case(), n_base=4096, seed=3).sel(actor="total")
    expected = var / var.sum()
    assert list(res.input.values) == ["costs.a.amount", "costs.b.amount", "costs.c.amount"]
    np.testing.assert_array_less(np.abs(res.S1.values - expected), res.S1_conf.values + 0.005)
    np.testing.assert_array_less(np.abs(res.ST.values - expected), res.ST_conf.values + 0.005)
    # per actor, each actor's result depends on one input only
    kommune = sobol_analysis(_additive_case(), n_base=1024, seed=3).sel(actor="kommune")
    assert kommune.S1.sel(input="costs.a.amount").item() == pytest.approx(1.0, abs=0.02)


def test_sobol_interaction_total_exceeds_first_order():
    # NR = 10 * s * p with independent s ~ U(0.2, 0.6), p ~ U(100, 300): Y = X1 X2
    data = minimal_case(
        success_rate={"dist": "uniform", "low": 0.2, "high": 0.6},
        costs=[],
        consequences=[
            {
                "name": "k",
                "unit": "u",
                "profile": [-1],
                "price": {"kommune": {"dist": "uniform", "low": 100, "high": 300}},
            }
        ],
    )
    res = sobol_analysis(parse_case(data), n_base=8192, seed=5).sel(actor="total")
    m1, v1 = 0.4, 0.4**2 / 12
    m2, v2 = 200.0, 200.0**2 / 12
    v = m2**2 * v1 + m1**2 * v2 + v1 * v2
    s1 = np.array([m2**2 * v1, m1**2 * v2]) / v
    st = s1 + v1 * v2 / v
    np.testing.assert_array_less(np.abs(res.S1.values - s1), res.S1_conf.values + 0.005)
    np.testing.assert_array_less(np.abs(res.ST.values - st), res.ST_conf.values + 0.005)
    assert np.all(res.ST.values > res.S1.values)


def test_ishigami_through_the_same_analysis_code():
    a, b = 7.0, 0.1

    def ishigami(u):
        x = -np.pi + 2 * np.pi * u
        return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])

    res = sobol_indices(ishigami, ["x1", "x2", "x3"], n_base=8192, seed=1)
    published_s1 = [0.314, 0.442, 0.000]
    published_st = [0.558, 0.442, 0.244]
    np.testing.assert_array_less(np.abs(res.S1.values - published_s1), res.S1_conf.values + 0.01)
    np.testing.assert_array_less(np.abs(res.ST.values - published_st), res.ST_conf.values + 0.01)


def test_profile_entries_count_as_one_group():
    data = minimal_case()
    data["consequences"][0]["profile"] = [{"dist": "uniform", "low": -3, "high": -1}, -1]
    data["consequences"][0]["scale"] = {"dist": "normal", "mean": 1, "sd": 0.1}
    case = parse_case(data)
    tor = tornado(case)
    assert set(tor.input.values) == {"consequences.herberg.scale", "consequences.herberg.profile"}
    res = sobol_analysis(case, n_base=512, seed=1)
    assert set(res.input.values) == {"consequences.herberg.scale", "consequences.herberg.profile"}


def test_rank_measures_signs_and_linear_fit():
    ds = simulate(_linear_case(), draws=20_000, seed=4)
    rm = rank_measures(ds).sel(actor="total")
    assert rm.spearman.sel(input="success_rate").item() > 0.4
    assert rm.spearman.sel(input="costs.pp.amount").item() < -0.5
    assert rm.srrc_r2.item() > 0.9


def test_spider_is_monotone_for_a_linear_input():
    sp = spider(_linear_case(), inputs=["success_rate"])
    total = sp.result.sel(actor="total", input="success_rate").values
    assert np.all(np.diff(total) > 0)
    np.testing.assert_allclose(total, 10 * sp.value.values[0] * 195 - 1000)


def test_plot_tornado_artists():
    tor = tornado(_linear_case())
    ax = plot_tornado(tor)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    # one container of low bars and one of high bars, an input per bar, largest swing on top
    assert [len(b) for b in bars] == [3, 3]
    sel = tor.sel(actor="total")
    order = np.argsort(-sel.swing.values, kind="stable")
    base = float(sel.base)
    for side, container in enumerate(bars):
        np.testing.assert_allclose(
            [r.get_width() for r in container], sel.result.values[order, side] - base
        )
        assert [r.get_x() for r in container] == [base] * 3
        assert [r.get_y() + r.get_height() / 2 for r in container] == [2, 1, 0]
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
    # largest swing at the top (highest y)
    assert [label for _, label in ticks[::-1]] == [
        "Omkostning: pp",
        "Succesrate",
        "Pris (kommune): k",
    ]
    texts = {t.get_text() for t in ax.texts}
    assert {"10", "90", "0,24", "0,56", "159", "231"} <= texts
    assert "basisresultat -220 kr." in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Input på P10", "Input på P90"]


def test_plot_spider_and_sobol_artists():
    case = load_case(CASES_DIR / "housing_first.toml")
    ax = plot_spider(spider(case, top=4))
    assert len(ax.get_lines()) == 4 + 1  # four inputs and the zero line
    assert ax.get_xlabel() == "Inputtets percentil (%)"
    sob = sobol_analysis(case, n_base=256, seed=2)
    ax = plot_sobol(sob)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2 and len(bars[0]) == sob.sizes["input"]
    heights = [b.get_width() for b in bars[1]]
    order = np.argsort(-sob.ST.sel(actor="total").values, kind="stable")
    np.testing.assert_allclose(heights, sob.ST.sel(actor="total").values[order])
    assert ax.get_legend().get_texts()[0].get_text() == "Førsteordensindeks (S1)"


def test_cli_sensitivity_writes_tables_and_figures(tmp_path, capsys):
    import json

    from som_mc.cli import main

    out = tmp_path / "sens"
    case = str(CASES_DIR / "housing_first.toml")
    args = ["sensitivity", case, "--out", str(out), "--n-base", "256", "--draws", "2000"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Tornado (P10/P90), nettoresultat i alt:" in text
    assert "Sobol-indeks, i alt" in text
    names = {p.name for p in out.iterdir()}
    assert {
        "tornado.csv",
        "tornado_i_alt.png",
        "tornado_kommune.svg",
        "sobol.json",
        "sobol_i_alt.svg",
        "sobol_by_year.csv",
        "sobol_by_year_stat.png",
        "switching_values.csv",
        "rank_correlations.json",
        "downside_drivers.csv",
        "breakeven.json",
        "spider_region.png",
    } <= names
    assert not any(n.startswith("scenarios") for n in names)  # housing_first declares none
    payload = json.loads((out / "tornado.json").read_text(encoding="utf-8"))
    assert payload["rows"] and payload["attrs"]["levels"] == [0.1, 0.9]
    before = (out / "tornado.csv").read_bytes()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "output file(s) exist" in err and "use --force to overwrite them" in err
    assert (out / "tornado.csv").read_bytes() == before
    assert main([*args, "--force", "--method", "tornado", "--relative", "20"]) == 0
    assert "Tornado (±20 %)" in capsys.readouterr().out


def test_cli_sensitivity_bad_group(tmp_path, capsys):
    from som_mc.cli import main

    case = str(CASES_DIR / "housing_first.toml")
    code = main(
        [
            "sensitivity",
            case,
            "--method",
            "tornado",
            "--group",
            "x=nothing.*",
            "--out",
            str(tmp_path / "sens"),
        ]
    )
    assert code == 2
    assert "pattern 'nothing.*' matches no uncertain input" in capsys.readouterr().err
    assert not (tmp_path / "sens").exists()
