"""Class 3: inputs that would overflow the arithmetic are refused at validation, naming the
input; a results store with a lost chunk is refused instead of giving NaN."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harden_util import assert_finite_json, assert_refused, cli, write_case

LN = {"dist": "lognormal", "mu": 700, "sigma": 1}

TABLE = [
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off", "amount": 1e308}]},
     "costs[0].amount: values as large as 1e+308"),
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off", "amount": LN}]},
     "costs[0].amount"),
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off",
                 "amount": {"dist": "normal", "mean": 1, "sd": 1e308}}]}, "costs[0].amount"),
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off",
                 "amount": {"dist": "gamma", "mean": 1e308, "sd": 1}}]}, "costs[0].amount"),
    ({"consequences": [{"name": "h", "unit": "d", "profile": [-2], "price": {"kommune": 1e200}}]},
     "consequences[0].price.kommune"),
    ({"consequences": [{"name": "h", "unit": "d", "profile": [1e200], "price": {"kommune": 1}}]},
     "consequences[0].profile[0]"),
    ({"consequences": [{"name": "h", "unit": "d", "profile": [-2], "scale": 1e200,
                        "price": {"kommune": 1}}]}, "consequences[0].scale"),
    ({"participants": {"per_year": [1e308], "course_years": 1.0}}, "participants.per_year[0]"),
    ({"participants": {"per_year": [1e19], "course_years": 1.0}, "outcome": {"noise": True}},
     "participants.per_year[0]"),
    ({"participants": {"per_year": [{"dist": "poisson", "mean": 1e11}], "course_years": 1.0}},
     "participants.per_year[0].mean"),
    ({"participants": {"per_year": [{"dist": "poisson", "mean": 1e308}], "course_years": 1.0}},
     "participants.per_year[0].mean"),
    ({"participants": {"per_year": [{"dist": "binomial", "n": 1e308, "p": 0.5}],
                       "course_years": 1.0}}, "participants.per_year[0]"),
    ({"participants": {"per_year": [2e7], "course_years": 1.0}}, "most a cohort may hold"),
]


@pytest.mark.parametrize(("overrides", "expected"), TABLE)
@pytest.mark.parametrize("design", ["random", "lhs"])
def test_overflowing_input_is_refused(tmp_path: Path, overrides: dict, expected: str,
                                      design: str) -> None:
    path = write_case(tmp_path, **overrides)
    line = assert_refused(["run", path, "--draws", "20", "--seed", "1", "--design", design,
                           "--json"], expected)
    assert str(path) in line


def test_large_but_sane_inputs_give_finite_output(tmp_path: Path) -> None:
    path = write_case(
        tmp_path,
        costs=[{"name": "o", "actor": "kommune", "kind": "one_off", "amount": 9e11}],
        consequences=[{"name": "h", "unit": "d", "profile": [-9e11], "scale": 1e12,
                       "price": {"kommune": 9e11}}],
        participants={"per_year": [1e7], "course_years": 1.0},
    )
    code, out, err = cli(["run", path, "--draws", "20", "--seed", "1", "--json"])
    assert code == 0, err
    assert_finite_json(out)


def test_zarr_store_with_lost_chunk_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("zarr")
    path = write_case(tmp_path, success_rate={"dist": "beta", "alpha": 2, "beta": 3})
    store = tmp_path / "x.zarr"
    code, _o, err = cli(["run", path, "--draws", "40000", "--seed", "1", "--out", store,
                         "--chunk-draws", "16384", "--quiet"])
    assert code == 0, err
    chunk = store / "net_result" / "1.0.0"
    assert chunk.exists()
    chunk.unlink()  # the flag still says complete
    out = tmp_path / "r.html"
    assert_refused(["report", path, "--results", store, "--out", out], "not finite")
    assert not out.exists()
    shutil.rmtree(store)
