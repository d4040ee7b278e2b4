"""Class 10: nonsense that used to be accepted, and edited results files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from harden_util import assert_refused, cli, write_case

BETA = {"dist": "beta", "alpha": 2, "beta": 3}

TABLE = [
    ({"name": "   "}, "name: expected a non-blank text"),
    ({"name": "\t"}, "name: expected a non-blank text"),
    ({"target_group": " "}, "target_group: expected a non-blank text"),
    ({"costs": [{"name": " ", "actor": "kommune", "kind": "one_off", "amount": 3}]},
     "costs[0].name: expected a non-blank text"),
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off", "amount": -3}]},
     "saved = true"),
    ({"costs": [{"name": "o", "actor": "kommune", "kind": "one_off",
                 "amount": {"dist": "triangular", "low": -9, "mode": -5, "high": -1}}]},
     "a cost amount must not be negative"),
    ({"participants": {"per_year": [0, 0, 0], "course_years": 1.0}, "horizon_years": 4},
     "every intake year has 0 participants"),
    ({"participants": {"per_year": [0], "course_years": 1.0}}, "0 participants"),
    ({"actors": ["kommune", " "]}, "actors[1]"),
]


@pytest.mark.parametrize(("overrides", "expected"), TABLE)
def test_nonsense_is_refused(tmp_path: Path, overrides: dict, expected: str) -> None:
    assert_refused(["validate", write_case(tmp_path, **overrides)], expected)


def test_a_saving_is_a_positive_amount_with_saved(tmp_path: Path) -> None:
    path = write_case(tmp_path, costs=[
        {"name": "o", "actor": "kommune", "kind": "one_off", "amount": 3, "saved": True}])
    assert cli(["validate", path])[0] == 0


def _edit(ds: xr.Dataset, how: str) -> xr.Dataset:
    ds = ds.copy(deep=True)
    if how == "nan":
        ds["net_result"].values[3, 0, 0] = np.nan
    elif how == "inf":
        ds["cost"].values[0, 1, 0] = np.inf
    elif how == "number":
        ds["net_result"].values[5, 0, 0] += 1e6
    elif how == "years":
        ds = ds.assign_coords(year=ds.year.values + 1)
    elif how == "actors":
        ds = ds.isel(actor=[0, 1])
    return ds


@pytest.mark.parametrize(
    ("how", "expected"),
    [("nan", "not finite"), ("inf", "not finite"), ("number", "consequence_value - cost"),
     ("years", "year coordinate"), ("actors", "actor coordinate")],
)
def test_edited_results_are_refused(tmp_path: Path, how: str, expected: str) -> None:
    case = write_case(tmp_path, success_rate=BETA)
    nc = tmp_path / "x.nc"
    assert cli(["run", case, "--draws", "40", "--seed", "1", "--out", nc])[0] == 0
    ds = _edit(xr.load_dataset(nc, engine="h5netcdf"), how)
    edited = tmp_path / "edited.nc"
    ds.to_netcdf(edited, engine="h5netcdf")
    out = tmp_path / "r.html"
    assert_refused(["report", case, "--results", edited, "--out", out], expected)
    assert not out.exists()
    assert cli(["report", case, "--results", nc, "--out", out])[0] == 0  # the original is fine
