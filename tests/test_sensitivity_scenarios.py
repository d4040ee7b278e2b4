"""Følsomhedsscenarier: the case format, hand-edited cases, common random numbers, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CASES_DIR, minimal_case

from som_mc import parse_case, simulate
from som_mc.case import apply_scenario, case_hash
from som_mc.engine import deterministic
from som_mc.errors import CaseFileError
from som_mc.sensitivity import SensitivityError, scenario_analysis


def _case(scenarios):
    # NR (kommune) = 10 * s * p - opstart, s ~ U(0.2, 0.6), p ~ U(150, 240), opstart 1000
    return parse_case(
        minimal_case(
            success_rate={"dist": "uniform", "low": 0.2, "high": 0.6},
            costs=[{"name": "opstart", "actor": "kommune", "kind": "one_off", "amount": 1000}],
            consequences=[
                {
                    "name": "k",
                    "unit": "u",
                    "profile": [-1],
                    "price": {"kommune": {"dist": "uniform", "low": 150, "high": 240}},
                }
            ],
            scenarios=scenarios,
        ),
        file="case.toml",
    )


SCENARIOS = [
    {"name": "Lav succesrate", "overrides": {"success_rate": 0.15}},
    {"name": "Dyr opstart", "scale": {"costs.opstart.amount": 1.25}},
    {"name": "Stress", "stress": {"success_rate": {"below": 0.10}}},
    {
        "name": "Ny pris",
        "overrides": {"consequences.k.price.kommune": {"dist": "uniform", "low": 100, "high": 200}},
    },
]


def _det(case):
    return float(deterministic(case).net_result.sum())


def test_scenario_deterministic_equals_the_case_edited_by_hand():
    case = _case(SCENARIOS)
    data = minimal_case(
        success_rate={"dist": "uniform", "low": 0.2, "high": 0.6},
        costs=[{"name": "opstart", "actor": "kommune", "kind": "one_off", "amount": 1000}],
        consequences=[
            {
                "name": "k",
                "unit": "u",
                "profile": [-1],
                "price": {"kommune": {"dist": "uniform", "low": 150, "high": 240}},
            }
        ],
    )
    low = {**data, "success_rate": 0.15}
    dear = {**data, "costs": [{**data["costs"][0], "amount": 1250}]}
    # the lowest 10 % of U(0.2, 0.6) is U(0.2, 0.24)
    stress = {**data, "success_rate": {"dist": "uniform", "low": 0.2, "high": 0.24}}
    price = json.loads(json.dumps(data))
    price["consequences"][0]["price"]["kommune"] = {"dist": "uniform", "low": 100, "high": 200}
    hand = [low, dear, stress, price]
    for i, edited in enumerate(hand):
        assert _det(apply_scenario(case, i)) == pytest.approx(_det(parse_case(edited)), rel=1e-9)
    # and by hand: 10 * 0.15 * 195 - 1000, 10 * 0.4 * 195 - 1250, 10 * 0.22 * 195 - 1000
    assert _det(apply_scenario(case, "Lav succesrate")) == pytest.approx(-707.5)
    assert _det(apply_scenario(case, "Dyr opstart")) == pytest.approx(-470.0)
    assert _det(apply_scenario(case, "Stress")) == pytest.approx(-571.0)
    sc = scenario_analysis(case, draws=2000, seed=0, actors=["total"])
    np.testing.assert_allclose(
        sc.deterministic.sel(actor="total").values,
        [_det(parse_case(data)), -707.5, -470.0, -571.0, _det(parse_case(price))],
    )


def test_scenarios_share_random_numbers_with_the_base():
    case = _case(SCENARIOS)
    sc = scenario_analysis(case, draws=20_000, seed=3, actors=["total"]).sel(actor="total")
    assert list(sc.scenario.values) == [
        "Basis",
        "Lav succesrate",
        "Dyr opstart",
        "Stress",
        "Ny pris",
    ]
    # a cost +250 moves every draw by exactly -250: the paired difference has no noise
    assert sc.difference_mean.sel(scenario="Dyr opstart").item() == pytest.approx(-250.0)
    assert sc.difference_mcse.sel(scenario="Dyr opstart").item() == pytest.approx(0.0, abs=1e-9)
    # the stress scenario's mean is 10 * 0.22 * 195 - 1000 within 4 MCSE, and pairing makes
    # its difference more precise than independent runs would (sqrt of the summed variances)
    stress = sc.sel(scenario="Stress")
    assert abs(stress["mean"].item() + 571.0) < 4 * stress.mcse.item()
    independent = float(np.hypot(stress.mcse, sc.mcse.sel(scenario="Basis")))
    assert stress.difference_mcse.item() < 0.9 * independent
    # the base equals a plain run of the case with the same seed and design
    plain = simulate(case, draws=20_000, seed=3, design="lhs").net_result.sum(["year", "actor"])
    assert sc["mean"].sel(scenario="Basis").item() == pytest.approx(float(plain.mean()), rel=1e-12)
    assert sc.p_positive.sel(scenario="Basis").item() == pytest.approx(float((plain > 0).mean()))
    assert np.all(np.isfinite(sc.to_array().values.astype(float)))


def test_stressed_draws_are_the_base_draws_moved_into_the_tail():
    case = _case([SCENARIOS[2]])
    base = simulate(case, draws=4096, seed=5, design="lhs")
    stressed = simulate(apply_scenario(case, 0), draws=4096, seed=5, design="lhs")
    s0 = base.inputs.sel(input="success_rate").values
    s1 = stressed.inputs.sel(input="success_rate").values
    # U(0.2, 0.6): u = (s0 - 0.2) / 0.4, stressed = 0.2 + 0.04 u
    np.testing.assert_allclose(s1, 0.2 + 0.1 * (s0 - 0.2), rtol=1e-12)
    price = "consequences.k.price.kommune"
    np.testing.assert_array_equal(
        base.inputs.sel(input=price).values, stressed.inputs.sel(input=price).values
    )


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            {"name": "x", "overrides": {"succes_rate": 0.1}},
            "case.toml: scenarios[0].overrides.succes_rate: unknown input 'succes_rate' (did "
            "you mean 'success_rate'?); allowed: success_rate, ",
        ),
        (
            {"name": "x", "overrides": {"success_rate": 1.5}},
            "case.toml: scenarios[0].overrides.success_rate: Succesrate must lie in [0, 1]; "
            "the scenario gives 1.5",
        ),
        (
            {"name": "x", "scale": {"costs.opstart.amount": -1}},
            "case.toml: scenarios[0].scale.costs.opstart.amount: expected a factor > 0",
        ),
        (
            {"name": "x", "stress": {"participants[0]": {"below": 0.1}}},
            "case.toml: scenarios[0].stress.participants[0]: input 'participants[0]' is a fixed",
        ),
        (
            {"name": "x", "stress": {"success_rate": {"above": 0.5, "below": 0.2}}},
            "case.toml: scenarios[0].stress.success_rate: above = 0.5 must be below below = 0.2",
        ),
        (
            {"name": "x"},
            "case.toml: scenarios[0]: a scenario needs at least one of overrides, scale or stress",
        ),
        (
            {"name": "x", "overides": {}},
            "case.toml: scenarios[0].overides: unknown key 'overides' (did you mean 'overrides'?)",
        ),
    ],
)
def test_scenario_errors_are_one_line(scenario, message):
    with pytest.raises(CaseFileError) as info:
        _case([scenario])
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(message)


def test_duplicate_scenario_names_and_cases_without_scenarios():
    with pytest.raises(CaseFileError, match=r"scenarios\[1\].name: duplicate scenario name"):
        _case([SCENARIOS[0], {**SCENARIOS[1], "name": "Lav succesrate"}])
    plain = parse_case(minimal_case())
    with pytest.raises(SensitivityError, match="declares no scenarios"):
        scenario_analysis(plain)
    # a case without scenarios hashes as before the scenarios key existed
    assert "scenarios" not in json.dumps(plain.model_dump(exclude_none=True), default=str)
    assert case_hash(plain) == case_hash(parse_case(minimal_case()))


def test_cli_run_and_sensitivity_scenarios(tmp_path, capsys):
    from som_mc.cli import main

    case = str(CASES_DIR / "scenarios" / "aarhus_alkohol_scenarier.toml")
    assert main(["run", case, "--scenarios", "--draws", "2000", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "Lav succesrate" in text and "Forskel fra basis ± MCSE" in text
    assert "Kommune:" in text and "I alt:" in text
    out = tmp_path / "sc"
    args = ["sensitivity", case, "--method", "scenarios", "--actor", "kommune", "--out", str(out)]
    assert main([*args, "--draws", "2000", "--seed", "1"]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {
        "scenarios.csv",
        "scenarios.json",
        "scenarios_kommune.png",
        "scenarios_kommune.svg",
    }
    rows = json.loads((out / "scenarios.json").read_text(encoding="utf-8"))["rows"]
    assert {r["actor"] for r in rows} == {"kommune"} and len(rows) == 4
    capsys.readouterr()
    assert main(["run", case, "--scenarios", "--out", "x.nc"]) == 2
    assert "--out has no effect with --scenarios" in capsys.readouterr().err
    hf = str(CASES_DIR / "housing_first.toml")
    assert main(["sensitivity", hf, "--method", "scenarios", "--out", str(tmp_path / "n")]) == 2
    assert "declares no scenarios" in capsys.readouterr().err
