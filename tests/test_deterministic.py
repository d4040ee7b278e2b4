"""Hand-computed checks of the deterministic SØM calculation (docs/method.md §2)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import minimal_case

from som_mc import deterministic, parse_case
from som_mc.model import NOT_WITHIN_HORIZON


def _actor(ds, var, actor):
    return ds[var].sel(actor=actor).values


def test_one_cohort_by_hand():
    # N = 10, s = 0.5 -> S = 5; effect year 0; profile [-2, -1]; kommune 100, stat 50.
    ds = deterministic(parse_case(minimal_case()))
    np.testing.assert_array_equal(ds.year.values, [2025, 2026, 2027])
    np.testing.assert_allclose(_actor(ds, "consequence_value", "kommune"), [1000, 500, 0])
    np.testing.assert_allclose(_actor(ds, "consequence_value", "stat"), [500, 250, 0])
    np.testing.assert_allclose(_actor(ds, "cost", "kommune"), [300, 0, 0])
    np.testing.assert_allclose(_actor(ds, "net_result", "kommune"), [700, 500, 0])
    np.testing.assert_allclose(_actor(ds, "net_result", "region"), [0, 0, 0])
    np.testing.assert_allclose(ds.cumulative_net_result.sum("actor"), [1200, 1950, 1950])
    assert ds.net_result_per_participant.sum().item() == pytest.approx(195.0)
    assert ds.break_even_year.sel(actor="kommune").item() == 2025
    assert int(ds.break_even_year_total) == 2025
    # without discounting the discounted variables equal the plain ones
    np.testing.assert_array_equal(ds.net_result_discounted, ds.net_result)


def _three_cohorts(**overrides):
    return minimal_case(
        horizon_years=5,
        success_rate=0.2,
        participants={"per_year": [10, 20, 30], "course_years": 2.0},
        costs=[
            {
                "name": "forloeb",
                "actor": "kommune",
                "kind": "per_participant",
                "amount": 100,
                "schedule": [0.5, 0.5],
            }
        ],
        consequences=[
            {"name": "k", "unit": "u", "profile": [-1, -1, -1], "price": {"kommune": 10}}
        ],
        **overrides,
    )


def test_three_cohorts_course_two_years_calendar():
    # S = [2, 4, 6]; effect years c + 1 = [1, 2, 3]; each success saves 10 kr. a year for
    # three years. Value by year: t1: 20; t2: 20+40; t3: 20+40+60; t4: 40+60.
    # Costs: cohort c pays N_c * 100 * 0.5 in years c and c+1.
    ds = deterministic(parse_case(_three_cohorts()))
    np.testing.assert_allclose(_actor(ds, "consequence_value", "kommune"), [0, 20, 60, 120, 100])
    np.testing.assert_allclose(_actor(ds, "cost", "kommune"), [500, 1500, 2500, 1500, 0])
    net = [-500, -1480, -2440, -1380, 100]
    np.testing.assert_allclose(_actor(ds, "net_result", "kommune"), net)
    np.testing.assert_allclose(
        _actor(ds, "cumulative_net_result", "kommune"), [-500, -1980, -4420, -5800, -5700]
    )
    assert ds.break_even_year.sel(actor="kommune").item() == NOT_WITHIN_HORIZON
    assert ds.net_result_per_participant.sel(actor="kommune").item() == pytest.approx(-5700 / 60)
    np.testing.assert_allclose(ds.successes, [2, 4, 6])


def test_per_cohort_horizon_follows_the_last_cohort():
    # Same as above, but the last cohort (effect year 3) is followed to year 5: 6 years.
    ds = deterministic(parse_case(_three_cohorts(horizon_mode="per_cohort")))
    assert ds.sizes["year"] == 6
    np.testing.assert_allclose(
        _actor(ds, "consequence_value", "kommune"), [0, 20, 60, 120, 100, 60]
    )
    assert ds.cumulative_net_result.sel(actor="kommune").values[-1] == pytest.approx(-5640)


def test_discounting_at_3_5_percent():
    data = minimal_case(
        discount_rate=0.035,
        costs=[{"name": "opstart", "actor": "kommune", "kind": "one_off", "amount": 2000}],
        consequences=[
            {"name": "k", "unit": "u", "profile": [-2, -2, -2], "price": {"kommune": 100}}
        ],
    )
    # value 1000 a year; net: -1000, 1000, 1000; factors 1, 1/1.035, 1/1.035^2
    ds = deterministic(parse_case(data))
    np.testing.assert_allclose(ds.discount_factor, [1, 1 / 1.035, 1 / 1.035**2], rtol=1e-15)
    expected = [-1000, 1000 / 1.035, 1000 / 1.071225]
    np.testing.assert_allclose(_actor(ds, "net_result_discounted", "kommune"), expected)
    assert _actor(ds, "cumulative_net_result_discounted", "kommune")[-1] == pytest.approx(
        -1000 + 966.183574879227 + 933.5107015741328
    )
    np.testing.assert_allclose(_actor(ds, "net_result", "kommune"), [-1000, 1000, 1000])


def test_revenue_item_with_negative_price():
    # More earned income (+10.000 kr. a year per success) at a tax share of 0.4 for the stat:
    # the price is revenue per unit, hence negative; ΔE = 5 * 10000 * -0.4 = -20000.
    data = minimal_case(
        costs=[],
        consequences=[
            {"name": "skat", "unit": "kr. indkomst", "profile": [10000], "price": {"stat": -0.4}}
        ],
    )
    ds = deterministic(parse_case(data))
    np.testing.assert_allclose(_actor(ds, "consequence_value", "stat"), [20000, 0, 0])
    np.testing.assert_allclose(_actor(ds, "net_result", "stat"), [20000, 0, 0])


def test_saved_costs_are_subtracted():
    data = minimal_case(
        consequences=[],
        costs=[
            {"name": "drift", "actor": "kommune", "kind": "yearly", "amount": 500},
            {
                "name": "sparet",
                "actor": "kommune",
                "kind": "yearly",
                "amount": 200,
                "saved": True,
                "years": [0, 2],
            },
            {"name": "regional", "actor": "region", "kind": "one_off", "amount": 50, "year": 1},
        ],
    )
    ds = deterministic(parse_case(data))
    # drift defaults to the intake years: only year 0 with one cohort
    np.testing.assert_allclose(_actor(ds, "cost", "kommune"), [300, 0, -200])
    np.testing.assert_allclose(_actor(ds, "cost", "region"), [0, 50, 0])
    np.testing.assert_allclose(ds.cost_by_line.sel(cost_line="sparet"), [-200, 0, -200])
    assert list(ds.cost_line_actor.values) == ["kommune", "kommune", "region"]


def test_per_participant_identity_54_children():
    # Cool Kids style: 18 children a year for 3 years; per deltager = total / 54.
    data = minimal_case(
        horizon_years=9,
        participants={"per_year": [18, 18, 18]},
        success_rate=0.25,
        costs=[{"name": "forloeb", "actor": "kommune", "kind": "per_participant", "amount": 20000}],
        consequences=[{"name": "k", "unit": "u", "profile": [-1] * 6, "price": {"kommune": 30000}}],
    )
    ds = deterministic(parse_case(data))
    total = ds.cumulative_net_result.sum("actor").values[-1]
    # by hand: successes 4.5 per cohort, 6 years * 30000 each, all within 9 years
    assert total == pytest.approx(3 * 4.5 * 6 * 30000 - 54 * 20000)
    assert ds.net_result_per_participant.sum().item() == pytest.approx(total / 54)
    assert ds.attrs["total_participants"] == 54


def test_during_course_consequence_applies_to_all_participants():
    data = minimal_case(
        costs=[],
        participants={"per_year": [10, 10], "course_years": 1.5},
        consequences=[
            {
                "name": "herberg_under_forloeb",
                "unit": "døgn",
                "profile": [-5, -2],
                "applies_to": "participants",
                "price": {"kommune": 10},
            }
        ],
    )
    ds = deterministic(parse_case(data))
    # cohort 0 in years 0,1; cohort 1 in years 1,2: 10*5*10=500 then 10*2*10=200
    np.testing.assert_allclose(_actor(ds, "consequence_value", "kommune"), [500, 700, 200])


def test_expected_dropoff_shrinks_successes_geometrically():
    data = minimal_case(
        costs=[],
        outcome={"dropoff_rate": 0.2},
        participants={"per_year": [20]},
        consequences=[{"name": "k", "unit": "u", "profile": [-1, -1, -1], "price": {"stat": 1}}],
    )
    ds = deterministic(parse_case(data))
    # S = 10, then 10 * 0.8, 10 * 0.64
    np.testing.assert_allclose(_actor(ds, "consequence_value", "stat"), [10, 8, 6.4])


def test_point_estimates_mean_median_mode():
    pert = {"dist": "pert", "low": 0.0, "mode": 0.2, "high": 1.0}
    data = minimal_case(success_rate=pert, costs=[])
    mean = deterministic(parse_case(data), point="mean")
    mode = deterministic(parse_case(data), point="mode")
    # PERT mean = (low + 4 mode + high) / 6 = 0.3; S = 10 * s; value = S * 2 * 100 in year 0
    assert _actor(mean, "consequence_value", "kommune")[0] == pytest.approx(10 * 0.3 * 200)
    assert _actor(mode, "consequence_value", "kommune")[0] == pytest.approx(10 * 0.2 * 200)
    median = deterministic(parse_case(data), point="median")
    assert mode.attrs["point_estimate"] == "mode"
    assert 0.2 * 2000 < _actor(median, "consequence_value", "kommune")[0] < 0.3 * 2000


def test_profile_scale_multiplies_the_profile():
    data = minimal_case(costs=[])
    data["consequences"][0]["scale"] = {"dist": "normal", "mean": 1.5, "sd": 0.1}
    ds = deterministic(parse_case(data))
    np.testing.assert_allclose(_actor(ds, "consequence_value", "kommune"), [1500, 750, 0])


def test_costs_reconcile_with_lines_and_consequences():
    ds = deterministic(parse_case(_three_cohorts()))
    np.testing.assert_allclose(
        ds.consequence_value_by_consequence.sum("consequence"), ds.consequence_value
    )
    np.testing.assert_allclose(ds.cost_by_line.sum("cost_line"), ds.cost.sel(actor="kommune"))
    np.testing.assert_allclose(ds.net_result, ds.consequence_value - ds.cost)


def test_table_shows_no_break_even_for_an_actor_without_flows():
    from som_mc.present.tables import deterministic_table

    text = deterministic_table(deterministic(parse_case(minimal_case())))
    line = next(row for row in text.splitlines() if row.startswith("Tilbagebetalingsår"))
    # kommune and stat break even in 2025; region has no flows at all
    assert line.split()[1:] == ["2025", "–", "2025", "2025"]
