"""The quality of case-file error messages: file, key path, what was received, what is allowed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import tomli_w
from conftest import minimal_case

from som_mc import CaseFileError, load_case, parse_case
from som_mc.cli import main


def _error(data, file="case.toml") -> CaseFileError:
    with pytest.raises(CaseFileError) as info:
        parse_case(data, file=file)
    return info.value


def _set(data, path, value):
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "key", "expected"),
    [
        (("success_rate",), 1.5, "success_rate", "a succesrate must lie in [0, 1]"),
        (("success_rate",), "high", "success_rate", "expected a number or a distribution table"),
        (("success_rate",), True, "success_rate", "received true"),
        (("success_rate",), math.nan, "success_rate", "expected a finite number; received nan"),
        (("horizon_years",), 0, "horizon_years", "expected a number >= 1; received 0"),
        (("horizon_years",), 2.5, "horizon_years", "expected a whole number; received 2.5"),
        (("discount_rate",), math.inf, "discount_rate", "received inf"),
        (
            ("participants", "per_year", 0),
            -3,
            "participants.per_year[0]",
            "a number of participants must lie in [0, inf]",
        ),
        (
            ("success_rate",),
            {"dist": "pert", "low": 0.5, "mode": 0.3, "high": 0.6},
            "success_rate.low",
            "low (0.5) must be <= mode (0.3)",
        ),
        (
            ("success_rate",),
            {"dist": "pert", "lo": 0.1, "mode": 0.3, "high": 0.6},
            "success_rate.lo",
            "lo",
        ),
        (
            ("consequences", 0, "price", "kommune"),
            [1, 2],
            "consequences[0].price.kommune",
            "received a list of 2 items",
        ),
        (
            ("consequences", 0, "price", "kommunen"),
            5,
            "consequences[0].price.kommunen",
            "price for undeclared actor 'kommunen'; declared actors are kommune, region, stat",
        ),
        (
            ("horizon_mode",),
            "calender",
            "horizon_mode",
            "expected one of 'calendar' or 'per_cohort'; received 'calender'",
        ),
        (
            ("costs", 0, "actor"),
            "udvalg",
            "costs[0].actor",
            "unknown actor 'udvalg'; declared actors are kommune, region, stat",
        ),
    ],
)
def test_bad_values_name_file_key_and_fix(path, value, key, expected):
    err = _error(_set(minimal_case(), path, value))
    assert err.file == "case.toml"
    assert err.key == key
    assert expected in err.message
    assert str(err).startswith(f"case.toml: {key}: ")


def test_unknown_key_is_rejected_with_a_suggestion():
    data = minimal_case()
    data["sucess_rate"] = 0.3
    err = _error(data)
    assert err.key == "sucess_rate"
    assert "unknown key 'sucess_rate' (did you mean 'success_rate'?)" in err.message


def test_unknown_nested_key_gets_full_path():
    data = minimal_case()
    data["consequences"][0]["profil"] = [1]
    err = _error(data)
    assert err.key == "consequences[0].profil"
    assert "did you mean 'profile'?" in err.message


def test_cost_line_without_actor():
    data = minimal_case()
    del data["costs"][0]["actor"]
    err = _error(data)
    assert err.key == "costs[0].actor"
    assert err.message == "required key is missing; add it (see cases/README.md)"


def test_timing_key_of_wrong_kind():
    data = minimal_case()
    data["costs"][0]["years"] = [0, 1]
    err = _error(data)
    assert err.key == "costs[0].years"
    assert "does not apply to a cost line of kind 'one_off'" in err.message


def test_cost_year_outside_horizon():
    data = minimal_case()
    data["costs"][0]["year"] = 3
    err = _error(data)
    assert err.key == "costs[0].year"
    assert "outside the horizon (model years 0..2)" in err.message


def test_unbounded_success_rate_distribution_is_rejected():
    data = minimal_case(success_rate={"dist": "normal", "mean": 0.3, "sd": 0.1})
    err = _error(data)
    assert "support [-inf, inf]" in err.message
    assert "choose a bounded distribution" in err.message


def test_duplicate_line_names():
    data = minimal_case()
    data["costs"].append(dict(data["costs"][0]))
    err = _error(data)
    assert err.key == "costs[1].name"
    assert "duplicate name 'opstart'" in err.message


def test_too_many_cohorts_for_horizon():
    err = _error(minimal_case(participants={"per_year": [1, 2, 3, 4]}))
    assert err.key == "participants.per_year"
    assert "4 intake years do not fit in a horizon of 3 years" in err.message


def test_custom_actors_accept_their_own_prices():
    data = minimal_case(actors=["socialudvalg", "beskaeftigelsesudvalg", "region", "stat"])
    data["costs"][0]["actor"] = "socialudvalg"
    data["consequences"][0]["price"] = {"beskaeftigelsesudvalg": 100, "stat": 50}
    case = parse_case(data)
    assert case.actors[0] == "socialudvalg"


def test_malformed_toml_names_file_and_line(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nhorizon_years = = 3\n', encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_case(path)
    assert str(info.value).startswith(f"{path}: malformed TOML: ")
    assert "line 2" in str(info.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(CaseFileError, match="file not found; check the path"):
        load_case(tmp_path / "nope.toml")


def test_nan_literal_in_toml_file(tmp_path: Path):
    path = tmp_path / "nan.toml"
    text = tomli_w.dumps(minimal_case()).replace("success_rate = 0.5", "success_rate = nan")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_case(path)
    assert info.value.key == "success_rate"
    assert "NaN and inf are not allowed" in info.value.message


def test_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(minimal_case(horizon_years=0)), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err == f"som-mc: error: {path}: horizon_years: expected a number >= 1; received 0\n"
    assert "Traceback" not in err


def test_outcome_noise_needs_whole_participants():
    err = _error(minimal_case(participants={"per_year": [10.5]}, outcome={"noise": True}))
    assert err.key == "participants.per_year[0]"
    assert "whole persons; received 10.5" in err.message


def test_correlation_errors():
    data = minimal_case(
        success_rate={"dist": "uniform", "low": 0.1, "high": 0.3},
        correlations=[{"inputs": ["success_rate", "sucess_rate"], "rank": 0.5}],
    )
    err = _error(data)
    assert err.key == "correlations[0].inputs[1]"
    assert "unknown input 'sucess_rate' (did you mean 'success_rate'?)" in err.message
    data["correlations"][0]["inputs"][1] = "costs.opstart.amount"
    err = _error(data)
    assert "is a fixed number; only uncertain inputs" in err.message
    data["correlations"][0]["rank"] = 1.0
    err = _error(data)
    assert err.key == "correlations[0].rank"
    assert "expected a number < 1" in err.message


def test_percentage_instead_of_share_gets_a_hint():
    err = _error(minimal_case(success_rate=15))
    assert err.message == (
        "a succesrate must lie in [0, 1]; received 15 (a share, not a percentage: "
        "write 0.15 for 15 %)"
    )


def test_cli_validate_checks_every_file(tmp_path: Path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(minimal_case(horizon_years=0)), encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(tomli_w.dumps(minimal_case()), encoding="utf-8")
    assert main(["validate", str(bad), str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith(f"OK: {good}: 'Minimal'")
    assert captured.err.count("som-mc: error:") == 2
